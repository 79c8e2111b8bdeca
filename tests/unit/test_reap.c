// SPDX-License-Identifier: GPL-2.0
/*
 * `finwatch reap`'s decisions (user/reap_check.c): which findings are
 * ghosts, and the last check before SOCK_DESTROY, on made-up views of
 * the logs and the kernel. Each way a socket can fail to be the proven
 * ghost leaves it alone, with the reason.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "reap.h"
#include "schema.h"

#define SEC  1000000000ULL
#define NOW  (1795996800ULL * SEC)
#define GONE (NOW - 60 * SEC) /* its peer was gone a minute ago */

static const uint8_t ip_server[4] = { 198, 18, 0, 2 };
static const uint8_t ip_client[4] = { 198, 18, 0, 1 };

/* A lost_fin ghost, traced from birth: an id of finwatch's own, ISNs. */
static struct reap_cand ghost(void)
{
	struct reap_cand c;

	memset(&c, 0, sizeof(c));
	c.verdict = FW_V_LOST_FIN;
	c.netns = 4026532384ULL;
	c.sock = FW_OWN_SOCK_ID_BASE + 7;
	c.family = 4;
	memcpy(c.laddr, ip_server, 4);
	memcpy(c.raddr, ip_client, 4);
	c.lport = 6379;
	c.rport = 35000;
	c.has_isn = true;
	c.isn_local = 1111;
	c.isn_remote = 2222;
	c.peer_gone_ns = GONE;
	c.it.seen = true;
	c.it.state = FW_TCP_ESTABLISHED;
	c.it.isn_known = true;
	c.it.isn_local = 1111;
	c.it.isn_remote = 2222;
	c.it.sock_id = 9579993;
	return c;
}

/* sock_diag's view: ESTABLISHED, its own cookie, idle 2 min. */
static struct fw_diag_sock live(void)
{
	struct fw_diag_sock d;

	memset(&d, 0, sizeof(d));
	d.family = AF_INET;
	d.state = FW_TCP_ESTABLISHED;
	d.cookie = 9579993;
	d.has_ages = true;
	d.last_data_recv_ms = 120000;
	d.last_ack_recv_ms = 120000;
	return d;
}

static bool check(const struct reap_cand *c, const struct fw_diag_sock *d,
		  char *why)
{
	return reap_recheck(c, d, NOW, SEC, why, FW_REAP_WHY_MAX);
}

static void test_ghost_passes(void)
{
	struct reap_cand c = ghost();
	struct fw_diag_sock d = live();
	char why[FW_REAP_WHY_MAX];

	CHECK(check(&c, &d, why));
	CHECK_STR(why, "nothing received for 2m00s, since before its peer was "
		       "gone (1m00s ago)");
	/* a cookie in the log (a socket first seen in mid-life) */
	c.sock = 9579993;
	CHECK(check(&c, &d, why));
	/* no ISNs in the log (sock_diag snapshots): the cookie suffices */
	c.has_isn = false;
	CHECK(check(&c, &d, why));
}

static void test_not_established(void)
{
	struct reap_cand c = ghost();
	struct fw_diag_sock d = live();
	char why[FW_REAP_WHY_MAX];

	d.state = FW_TCP_CLOSE_WAIT;
	CHECK(!check(&c, &d, why));
	CHECK_STR(why, "it is CLOSE_WAIT now, not ESTABLISHED");
	d = live();
	c.it.state = FW_TCP_FIN_WAIT1;
	CHECK(!check(&c, &d, why));
	CHECK_STR(why, "the tcp iterator listed it FIN_WAIT1");
	c = ghost();
	c.it.seen = false;
	CHECK(!check(&c, &d, why));
	CHECK_STR(why, "the tcp iterator did not list it");
}

static void test_other_connection(void)
{
	struct reap_cand c = ghost();
	struct fw_diag_sock d = live();
	char why[FW_REAP_WHY_MAX];

	c.it.isn_local = 5;
	CHECK(!check(&c, &d, why));
	CHECK_STR(why, "its ISNs are 5/2222, the log's 1111/2222: another "
		       "connection on the same 4-tuple");
	c = ghost();
	c.it.isn_known = false;
	CHECK(!check(&c, &d, why));
	CHECK_STR(why, "the tcp iterator gave no ISNs for it");
	/* the log's cookie is another socket's, whatever the ISNs */
	c = ghost();
	c.sock = 9579990;
	CHECK(!check(&c, &d, why));
	CHECK_STR(why, "its cookie is 9579993, the log's 9579990: another "
		       "socket");
	/* neither ISNs nor a cookie: nothing ties it to the log */
	c = ghost();
	c.has_isn = false;
	CHECK(!check(&c, &d, why));
	CHECK(strstr(why, "neither its ISNs nor its cookie") != NULL);
}

static void test_cookie_must_be_its_own(void)
{
	struct reap_cand c = ghost();
	struct fw_diag_sock d = live();
	char why[FW_REAP_WHY_MAX];

	/* the iterator gave an id of its own: the listener's cookie */
	c.it.sock_id = FW_OWN_SOCK_ID_BASE + 99;
	d.cookie = 41;
	CHECK(!check(&c, &d, why));
	CHECK_STR(why, "its cookie 41 is its listener's too (this kernel "
		       "copies it to accepted sockets): SOCK_DESTROY could "
		       "reach the listener");
	c = ghost();
	d = live();
	d.cookie = 9579994;
	CHECK(!check(&c, &d, why));
	CHECK(strstr(why, "not the socket the iterator checked") != NULL);
}

static void test_heard_from_since(void)
{
	struct reap_cand c = ghost();
	struct fw_diag_sock d = live();
	char why[FW_REAP_WHY_MAX];

	/* an ACK 5 s ago, data long ago: the ACK counts */
	d.last_ack_recv_ms = 5000;
	CHECK(!check(&c, &d, why));
	CHECK_STR(why, "it received a segment 5.0s ago, after its peer was "
		       "gone (1m00s ago): someone is still there");
	d = live();
	d.last_data_recv_ms = 60500;
	CHECK(!check(&c, &d, why));
	CHECK_STR(why, "it received a segment 1m00s ago, too close to its "
		       "peer's end (1m00s ago) to tell");
	/* exactly the margin before: enough */
	d.last_data_recv_ms = 61000;
	CHECK(check(&c, &d, why));
	d = live();
	d.has_ages = false;
	CHECK(!check(&c, &d, why));
	CHECK_STR(why, "the kernel gave no receive times");
	d = live();
	c.peer_gone_ns = NOW + SEC;
	CHECK(!check(&c, &d, why));
	CHECK(strstr(why, "dated after now") != NULL);
}

static void test_peer_must_let_go(void)
{
	struct reap_cand c = ghost();
	char why[FW_REAP_WHY_MAX];

	c.peer_logged = true;
	CHECK(reap_peer_let_go(&c, why, sizeof(why)));
	/* still sending its FIN, or half-closed and reading */
	c.peer_open = true;
	c.peer_state = FW_TCP_FIN_WAIT1;
	snprintf(c.client_host, sizeof(c.client_host), "app1");
	CHECK(!reap_peer_let_go(&c, why, sizeof(why)));
	CHECK_STR(why, "its peer on app1 still held its end (FIN_WAIT1) when "
		       "its log ended: no ghost until it lets go");
	c.peer_logged = c.peer_open = false;
	CHECK(!reap_peer_let_go(&c, why, sizeof(why)));
	CHECK(strstr(why, "in no log") != NULL);
	/* a vanished peer is in no log by definition */
	c.verdict = FW_V_PEER_VANISHED;
	CHECK(reap_peer_let_go(&c, why, sizeof(why)));
}

static struct fw_finding lost_fin_finding(void)
{
	struct fw_finding f;

	memset(&f, 0, sizeof(f));
	f.verdict = FW_V_LOST_FIN;
	f.server.present = f.server.open = true;
	f.server.state = FW_TCP_ESTABLISHED;
	f.surviving_state = FW_TCP_ESTABLISHED;
	f.peer_gone_ns = GONE;
	return f;
}

static void test_which_findings_are_ghosts(void)
{
	struct fw_finding f = lost_fin_finding();

	f.survivor = &f.server;
	CHECK(reap_finding_is_ghost(&f));
	f.verdict = FW_V_PEER_VANISHED;
	CHECK(reap_finding_is_ghost(&f));
	f.verdict = FW_V_LOST_RST;
	CHECK(!reap_finding_is_ghost(&f));
	f.verdict = FW_V_OPEN;
	CHECK(!reap_finding_is_ghost(&f));
	f.verdict = FW_V_INCOMPLETE;
	CHECK(!reap_finding_is_ghost(&f));
	/* the client survived: a ghost, but not a server's */
	f = lost_fin_finding();
	f.survivor = &f.client;
	CHECK(!reap_finding_is_ghost(&f));
	/* the server end is gone, or closing, in its log */
	f = lost_fin_finding();
	f.survivor = &f.server;
	f.server.open = false;
	CHECK(!reap_finding_is_ghost(&f));
	f.server.open = true;
	f.server.state = f.surviving_state = FW_TCP_CLOSE_WAIT;
	CHECK(!reap_finding_is_ghost(&f));
}

static void test_candidate_of_finding(void)
{
	struct fw_finding f = lost_fin_finding();
	struct reap_cand c;

	f.survivor = &f.server;
	f.client.host = "app1";
	f.server.netns = 77;
	f.server.sock = 88;
	f.server.family = 4;
	memcpy(f.server.laddr, ip_server, 4);
	f.server.lport = 6379;
	f.server.has_isn = true;
	f.server.isn_local = 3;
	reap_cand_fill(&c, &f);
	CHECK(!c.not_ghost);
	CHECK_INT(c.netns, 77);
	CHECK_INT(c.sock, 88);
	CHECK_INT(c.lport, 6379);
	CHECK(!memcmp(c.laddr, ip_server, 4));
	CHECK_INT(c.isn_local, 3);
	CHECK_INT(c.peer_gone_ns, GONE);
	CHECK_STR(c.client_host, "app1");
	CHECK(!c.peer_logged);
	CHECK_INT(c.outcome, REAP_PENDING);
	/* a later finding that says otherwise */
	f.verdict = FW_V_OK;
	reap_cand_fill(&c, &f);
	CHECK_STR(c.not_ghost, "a later finding about it undoes the verdict");
	f.verdict = FW_V_LOST_FIN;
	f.server.open = false;
	reap_cand_fill(&c, &f);
	CHECK_STR(c.not_ghost, "the logs show its end closing or closed later");
}

int main(void)
{
	RUN_TEST(test_ghost_passes);
	RUN_TEST(test_not_established);
	RUN_TEST(test_other_connection);
	RUN_TEST(test_cookie_must_be_its_own);
	RUN_TEST(test_heard_from_since);
	RUN_TEST(test_peer_must_let_go);
	RUN_TEST(test_which_findings_are_ghosts);
	RUN_TEST(test_candidate_of_finding);
	return CHECK_EXIT();
}
