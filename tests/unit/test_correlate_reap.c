// SPDX-License-Identifier: GPL-2.0
/*
 * What a finding tells `finwatch reap` about its server end: its own
 * addresses and ISNs as its log has them, and from when on its peer was
 * surely closed or gone (peer_gone_ns, in the server's clock, made early
 * by the clocks' allowance), or FW_UNKNOWN where nothing dates it.
 */
#include "check.h"
#include "test_correlate_helpers.h"

/* The numbers of the findings (their strings die with the callback). */
struct kept {
	struct fw_finding f[16];
	int n;
};

static void keep_cb(const struct fw_finding *f, void *ctx)
{
	struct kept *k = ctx;

	if (k->n < 16)
		k->f[k->n++] = *f;
}

static void run_kept(struct lines *ls, struct kept *k)
{
	memset(k, 0, sizeof(*k));
	run_sorted_cb(ls, keep_cb, k);
}

static const struct fw_finding *with_verdict(const struct kept *k,
					     enum fw_verdict v, int rport)
{
	for (int i = 0; i < k->n; i++)
		if (k->f[i].verdict == v &&
		    (!rport || k->f[i].server.rport == rport))
			return &k->f[i];
	return NULL;
}

static const uint8_t ip_client[4] = { 10, 0, 0, 1 };
static const uint8_t ip_server[4] = { 10, 0, 0, 2 };

static void lost_fin_logs(struct lines *ls)
{
	struct sk cl = client_sk(40002, 300, 400),
		  sv = server_sk(40002, 300, 400);

	both_start(ls);
	open_conn(ls, &cl, &sv, 1);
	lost_fin(ls, &cl, 10, 3100, 6);
	both_stop(ls, 300);
}

static void test_lost_fin_server_end(void)
{
	struct lines ls = { 0 };
	const struct fw_finding *f;
	struct kept k;

	lost_fin_logs(&ls);
	run_kept(&ls, &k);
	f = with_verdict(&k, FW_V_LOST_FIN, 0);
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_INT(f->surviving_state, FW_TCP_ESTABLISHED);
	CHECK_INT(f->server.family, 4);
	CHECK(!memcmp(f->server.laddr, ip_server, 4));
	CHECK(!memcmp(f->server.raddr, ip_client, 4));
	CHECK_INT(f->server.lport, 6379);
	CHECK_INT(f->server.rport, 40002);
	CHECK(f->server.has_isn);
	CHECK_INT(f->server.isn_local, 400);
	CHECK_INT(f->server.isn_remote, 300);
	CHECK_INT(f->client.lport, 40002);
	CHECK_INT(f->client.isn_local, 300);
	/*
	 * The FIN at 10 s on app1's clock, in db1's through their
	 * calibrated ISN pair (established 0.5 ms apart), less a flight.
	 */
	CHECK_INT(f->peer_gone_ns, T0 + 10 * SEC + 500000 - FW_FLIGHT_NS);
}

static void test_lost_fin_skewed_clock(void)
{
	struct sk cl = client_sk(40003, 310, 410),
		  sv = server_sk(40003, 310, 410);
	struct lines ls = { 0 };
	const struct fw_finding *f;
	struct kept k;

	/* db1's clock runs 1.5 s ahead of app1's */
	sv.clock_off_ns = 1500 * (int64_t)MS;
	start_rec(&ls, "app1", 0, 0);
	start_rec(&ls, "db1", sv.clock_off_ns, 0);
	open_conn(&ls, &cl, &sv, 1);
	lost_fin(&ls, &cl, 10, 3100, 6);
	stop_rec(&ls, "app1", 0, 300);
	stop_rec(&ls, "db1", sv.clock_off_ns, 300);
	run_kept(&ls, &k);
	f = with_verdict(&k, FW_V_LOST_FIN, 0);
	CHECK(f != NULL);
	if (f)
		CHECK_INT(f->peer_gone_ns,
			  T0 + 11 * SEC + 500 * MS + 500000 - FW_FLIGHT_NS);
}

/* A snapshot of db1's, then app1's pass that has no socket for 42001. */
static void vanished_logs(struct lines *ls)
{
	struct sk sv0 = server_sk(42000, 100, 200),
		  sv1 = server_sk(42001, 101, 201),
		  cl0 = client_sk(42000, 100, 200);
	char extra[256];

	snprintf(extra, sizeof(extra),
		 ",\"last_recv_ms\":3600000,\"last_send_ms\":3600000,"
		 "\"state\":\"ESTABLISHED\",\"snap\":1,\"keepalive\":false");
	ev(ls, &sv0, 100, "snapshot", "ESTABLISHED", "ESTABLISHED", extra);
	ev(ls, &sv1, 100.001, "snapshot", "ESTABLISHED", "ESTABLISHED", extra);
	host_rec(ls, "db1", 0, 100.01, "snapshot_end",
		 ",\"snap\":1,\"count\":2");
	ev(ls, &cl0, 100.5, "snapshot", "ESTABLISHED", "ESTABLISHED", extra);
	host_rec(ls, "app1", 0, 100.51, "snapshot_end",
		 ",\"snap\":1,\"count\":1");
}

static void test_snapshot_vanished_dated_by_the_pass(void)
{
	struct lines ls = { 0 };
	const struct fw_finding *f;
	struct kept k;

	vanished_logs(&ls);
	run_kept(&ls, &k);
	f = with_verdict(&k, FW_V_PEER_VANISHED, 42001);
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_INT(f->server.rport, 42001);
	CHECK(f->server.has_isn);
	CHECK_INT(f->server.isn_local, 201);
	/* app1's pass ended at 100.51 s; no calibration: skew and flight */
	CHECK_INT(f->peer_gone_ns, T0 + 100 * SEC + 510 * MS -
					   FW_DEFAULT_SKEW_NS - FW_FLIGHT_NS);
}

/* Vanished by the peer host's log alone, no pass: nothing dates it. */
static void test_vanished_without_pass_is_undated(void)
{
	struct sk sv = server_sk(40008, 1500, 1600),
		  other = client_sk(40009, 1, 2);
	struct sk other_sv = server_sk(40009, 1, 2);
	struct lines ls = { 0 };
	const struct fw_finding *f;
	struct kept k;

	both_start(&ls);
	open_conn(&ls, &other, &other_sv, 2);
	clean_close(&ls, &other, &other_sv, 3, 100);
	st(&ls, &sv, 10, "SYN_RECV", "ESTABLISHED");
	both_stop(&ls, 500);
	run_kept(&ls, &k);
	f = with_verdict(&k, FW_V_PEER_VANISHED, 40008);
	CHECK(f != NULL);
	if (f)
		CHECK_INT(f->peer_gone_ns, FW_UNKNOWN);
	f = with_verdict(&k, FW_V_OK, 40009);
	CHECK(f != NULL);
	if (f)
		CHECK_INT(f->peer_gone_ns, FW_UNKNOWN);
}

/* The scenarios above decide as the other tests say they do. */
static void test_scenarios_decide(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	lost_fin_logs(&ls);
	run_default(&ls, &cap);
	CHECK_INT(count_verdict(&cap, FW_V_LOST_FIN), 1);
	vanished_logs(&ls);
	run_default(&ls, &cap);
	g = find_client(&cap, "10.0.0.1:42001");
	CHECK(g && g->verdict == FW_V_PEER_VANISHED);
	g = find_client(&cap, "10.0.0.1:42000");
	CHECK(g && g->verdict == FW_V_OPEN);
}

int main(void)
{
	RUN_TEST(test_scenarios_decide);
	RUN_TEST(test_lost_fin_server_end);
	RUN_TEST(test_lost_fin_skewed_clock);
	RUN_TEST(test_snapshot_vanished_dated_by_the_pass);
	RUN_TEST(test_vanished_without_pass_is_undated);
	return CHECK_EXIT();
}
