// SPDX-License-Identifier: GPL-2.0
/*
 * The correlator on the tracer's newer evidence: drop records (a FIN its
 * own host dropped, or the peer's FIN dropped on arrival), snapshots
 * (connections older than the logs, peers that vanished), and the
 * report's summary of ghosts and its keepalive advice.
 */
#include "check.h"
#include "test_correlate_helpers.h"
#include "correlate/report.h"

/* One drop record of s: flags "FIN|ACK", direction "out" or "in". */
static void drop(struct lines *ls, const struct sk *s, double t,
		 const char *state, const char *dir, int n)
{
	char extra[160];

	snprintf(extra, sizeof(extra),
		 ",\"close_retrans\":0,\"close_drops\":%d,\"tcp_flags\":"
		 "\"FIN|ACK\",\"direction\":\"%s\",\"reason\":"
		 "\"NETFILTER_DROP\"",
		 n, dir);
	ev(ls, s, t, "drop", state, state, extra);
}

/*
 * An nft rule on a's host drops its FIN: no retransmit records, one drop
 * per try (close_drops 1..n) while it sits in FIN_WAIT1.
 */
static void fin_dropped_out(struct lines *ls, const struct sk *a, double t,
			    int n)
{
	double when = t, rto = 0.2;
	int i;

	ev(ls, a, t, "state", "ESTABLISHED", "FIN_WAIT1",
	   ",\"last_recv_ms\":4000,\"last_send_ms\":4000");
	for (i = 1; i <= n; i++) {
		drop(ls, a, when, "FIN_WAIT1", "out", i);
		when += rto;
		rto *= 2;
	}
}

static void test_fin_dropped_by_own_host(void)
{
	struct sk cl = client_sk(41001, 10, 20), sv = server_sk(41001, 10, 20);
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	fin_dropped_out(&ls, &cl, 10, 5);
	st(&ls, &cl, 30, "FIN_WAIT1", "CLOSE");
	both_stop(&ls, 100);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	g = &cap.got[0];
	CHECK_INT(g->verdict, FW_V_LOST_FIN);
	CHECK_INT(g->closer_is_client, 1);
	CHECK_INT(g->close_time_ns, T0 + 10 * SEC);
	/* the first try was the FIN itself: 4 resends, 5 drops */
	CHECK_INT(g->close_retrans, 4);
	CHECK_INT(g->close_drops, 5);
	CHECK_STR(g->drop_reason, "NETFILTER_DROP");
	CHECK(strstr(g->evidence, "sender's own host dropped it 5 times "
				  "(NETFILTER_DROP)") != NULL);
	CHECK(strstr(g->evidence, "never received it") != NULL);
}

/* One log, the socket still trying when it ends: the drops decide. */
static void test_fin_dropped_one_log_still_trying(void)
{
	struct sk cl = client_sk(41002, 11, 21);
	struct lines ls = { 0 };
	struct capture cap;

	start_rec(&ls, "app1", 0, 0);
	st(&ls, &cl, 1, "SYN_SENT", "ESTABLISHED");
	fin_dropped_out(&ls, &cl, 10, 3);
	stop_rec(&ls, "app1", 0, 12);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_UNACKED_FIN);
	CHECK_INT(cap.got[0].close_drops, 3);
	CHECK_INT(cap.got[0].close_retrans, 2);
	CHECK(strstr(cap.got[0].evidence, "own host dropped") != NULL);
}

/* A dead socket's counter alone (its drop records lost) still counts. */
static void test_close_drops_counter_without_records(void)
{
	struct sk cl = client_sk(41003, 12, 22);
	struct lines ls = { 0 };
	struct capture cap;

	start_rec(&ls, "app1", 0, 0);
	st(&ls, &cl, 1, "SYN_SENT", "ESTABLISHED");
	st(&ls, &cl, 10, "ESTABLISHED", "FIN_WAIT1");
	ev(&ls, &cl, 40, "state", "FIN_WAIT1", "CLOSE",
	   ",\"close_retrans\":0,\"close_drops\":6");
	stop_rec(&ls, "app1", 0, 50);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_UNACKED_FIN);
	CHECK_INT(cap.got[0].close_drops, 6);
	CHECK_INT(cap.got[0].close_retrans, 5);
}

static void test_fin_dropped_on_arrival(void)
{
	struct sk cl = client_sk(41004, 13, 23), sv = server_sk(41004, 13, 23);
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	lost_fin(&ls, &cl, 10, 3000, 3);
	drop(&ls, &sv, 10.0005, "ESTABLISHED", "in", 0);
	drop(&ls, &sv, 10.2005, "ESTABLISHED", "in", 0);
	drop(&ls, &sv, 10.6005, "ESTABLISHED", "in", 0);
	both_stop(&ls, 100);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	g = &cap.got[0];
	CHECK_INT(g->verdict, FW_V_LOST_FIN);
	CHECK_INT(g->close_retrans, 3);
	CHECK_INT(g->close_drops, 3);
	CHECK(strstr(g->evidence, "it arrived at db1, which dropped it 3 "
				  "times: NETFILTER_DROP") != NULL);
}

/* Only the receiver's log: its host dropping the peer's FIN is enough. */
static void test_fin_dropped_on_arrival_one_log(void)
{
	struct sk sv = server_sk(41005, 14, 24);
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	start_rec(&ls, "db1", 0, 0);
	st(&ls, &sv, 1, "SYN_RECV", "ESTABLISHED");
	drop(&ls, &sv, 10, "ESTABLISHED", "in", 0);
	drop(&ls, &sv, 10.2, "ESTABLISHED", "in", 0);
	stop_rec(&ls, "db1", 0, 100);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	g = &cap.got[0];
	CHECK_INT(g->verdict, FW_V_LOST_FIN);
	CHECK_INT(g->closer_is_client, 1);
	CHECK(!g->client_present);
	CHECK_INT(g->close_drops, 2);
	CHECK_INT(g->surviving_state, FW_TCP_ESTABLISHED);
	CHECK(strstr(g->evidence, "arrived at db1") != NULL);
}

/* ---- snapshots ---- */

#define NSERVER 6

/*
 * db1 holds NSERVER connections from app1, all older than the logs;
 * app1's snapshot half a second later lists those whose bit is set in
 * mask, in client_state.
 */
static void ghost_logs(struct lines *ls, unsigned int mask,
		       const char *client_state)
{
	int i, n = 0;

	for (i = 0; i < NSERVER; i++) {
		struct sk sv = server_sk(42000 + i, 100 + i, 200 + i);

		snap(ls, &sv, 100 + i * 0.001, "ESTABLISHED",
		     (i + 1) * 1800 * 1000, false);
	}
	snap_end(ls, "db1", 100.01, NSERVER);
	for (i = 0; i < NSERVER; i++) {
		struct sk cl = client_sk(42000 + i, 100 + i, 200 + i);

		if (!(mask & (1u << i)))
			continue;
		snap(ls, &cl, 100.5 + i * 0.001, client_state, 1000, false);
		n++;
	}
	snap_end(ls, "app1", 100.51, n);
}

static void test_snapshot_ghosts_are_peer_vanished(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	/* app1 still holds 0, 2, 4 and 5; 1 and 3 are gone */
	ghost_logs(&ls, 0x35, "ESTABLISHED");
	run_default(&ls, &cap);
	CHECK_INT(cap.n, NSERVER);
	CHECK_INT(count_verdict(&cap, FW_V_PEER_VANISHED), 2);
	CHECK_INT(count_verdict(&cap, FW_V_OPEN), 4);
	g = find_client(&cap, "10.0.0.1:42001");
	CHECK(g && g->verdict == FW_V_PEER_VANISHED);
	if (g) {
		CHECK(!g->client_present);
		CHECK_STR(g->server_host, "db1");
		CHECK_INT(g->surv_idle_ms, 2 * 1800 * 1000);
		CHECK_INT(g->surv_keepalive, 0);
		CHECK(strstr(g->evidence, "idle 1h00m") != NULL);
		CHECK(strstr(g->evidence, "nothing will ever reap it") != NULL);
	}
	g = find_client(&cap, "10.0.0.1:42003");
	CHECK(g && g->verdict == FW_V_PEER_VANISHED);
	g = find_client(&cap, "10.0.0.1:42000");
	CHECK(g && g->verdict == FW_V_OPEN && g->paired_by == FW_PAIR_ISN);
}

static void test_snapshot_client_closing_is_lost_fin(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	/* all six exist on app1, in FIN_WAIT1; db1 lists them again later */
	ghost_logs(&ls, 0x3f, "FIN_WAIT1");
	snap_end(&ls, "db1", 110, NSERVER);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, NSERVER);
	CHECK_INT(count_verdict(&cap, FW_V_LOST_FIN), NSERVER);
	CHECK_INT(count_verdict(&cap, FW_V_PEER_VANISHED), 0);
	g = find_client(&cap, "10.0.0.1:42002");
	CHECK(g != NULL);
	if (g) {
		CHECK_INT(g->closer_is_client, 1);
		CHECK(strstr(g->evidence, "client on app1 was in FIN_WAIT1 in "
					  "its snapshot") != NULL);
	}
}

/* Through NAT the addresses differ; the ISNs still pair the ends. */
static void test_snapshot_pairs_by_isn_across_nat(void)
{
	struct sk sv = server_sk(42100, 300, 400), cl = client_sk(0, 300, 400);
	struct lines ls = { 0 };
	struct capture cap;

	sv.raddr = "192.0.2.7"; /* the NAT's address, port 61000 */
	sv.rport = 61000;
	cl.lport = 50123;
	cl.raddr = "198.51.100.2";
	snap(&ls, &sv, 100, "ESTABLISHED", 60000, true);
	snap_end(&ls, "db1", 100.01, 1);
	snap(&ls, &cl, 100.5, "ESTABLISHED", 60000, true);
	snap_end(&ls, "app1", 100.51, 1);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_OPEN);
	CHECK_INT(cap.got[0].paired_by, FW_PAIR_ISN);
	CHECK_STR(cap.got[0].client, "10.0.0.1:50123");
}

/*
 * app1's tracer started long after the connection was made: its
 * snapshot pairs with db1's end by the 4-tuple (no ISNs) all the same.
 */
static void test_snapshot_pairs_old_end_by_tuple(void)
{
	struct sk sv = server_sk(42150, 0, 0), cl = client_sk(42150, 0, 0);
	struct lines ls = { 0 };
	struct capture cap;

	start_rec(&ls, "db1", 0, 0);
	st(&ls, &sv, 1, "SYN_RECV", "ESTABLISHED");
	snap(&ls, &cl, 50, "ESTABLISHED", 49000, false);
	snap_end(&ls, "app1", 50.01, 1);
	stop_rec(&ls, "db1", 0, 60);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_OPEN);
	CHECK_INT(cap.got[0].paired_by, FW_PAIR_TUPLE);
}

/* app1's pass came before db1's socket surely existed: no verdict. */
static void test_snapshot_too_early_is_incomplete(void)
{
	struct sk sv = server_sk(42200, 500, 600), cl = client_sk(42201, 7, 8);
	struct lines ls = { 0 };
	struct capture cap;

	snap(&ls, &cl, 99, "ESTABLISHED", 1000, true); /* app1 is 10.0.0.1 */
	snap_end(&ls, "app1", 99.01, 1);
	snap(&ls, &sv, 100, "ESTABLISHED", 50, false);
	snap_end(&ls, "db1", 100.01, 1);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 2);
	CHECK_INT(count_verdict(&cap, FW_V_PEER_VANISHED), 0);
	CHECK_INT(find_client(&cap, "10.0.0.1:42200")->verdict,
		  FW_V_INCOMPLETE);
	CHECK(strstr(find_client(&cap, "10.0.0.1:42200")->reason,
		     "no snapshot taken while") != NULL);
}

/* app1's tracer watched another namespace than its clients live in. */
static void test_snapshot_other_netns_is_incomplete(void)
{
	struct sk sv = server_sk(42300, 700, 800), cl = client_sk(42301, 9, 10);
	struct lines ls = { 0 };
	struct capture cap;

	host_rec(&ls, "app1", 0, 90, "start",
		 ",\"ports\":[6379],\"netns\":[4026530000],\"transport\":"
		 "\"ring\",\"version\":\"t\",\"attach\":[]");
	snap(&ls, &sv, 100, "ESTABLISHED", 600000, false);
	snap_end(&ls, "db1", 100.01, 1);
	/* a socket of app1's in its own namespace teaches its address */
	snap(&ls, &cl, 100.5, "ESTABLISHED", 1000, true);
	snap_end(&ls, "app1", 100.51, 1);
	run_default(&ls, &cap);
	CHECK_INT(find_client(&cap, "10.0.0.1:42300")->verdict,
		  FW_V_INCOMPLETE);
	CHECK(strstr(find_client(&cap, "10.0.0.1:42300")->reason,
		     "namespace") != NULL);
}

/* A lone TIME_WAIT in a snapshot is history, no connection to report. */
static void test_snapshot_lone_time_wait_is_dropped(void)
{
	struct sk cl = client_sk(42400, 0, 0), other = client_sk(42401, 1, 2);
	struct sk other_sv = server_sk(42401, 1, 2);
	struct lines ls = { 0 };
	struct capture cap;

	snap(&ls, &cl, 100, "TIME_WAIT", 0, false);
	snap(&ls, &other, 100, "ESTABLISHED", 0, false);
	snap_end(&ls, "app1", 100.01, 2);
	snap(&ls, &other_sv, 100.2, "ESTABLISHED", 0, false);
	snap_end(&ls, "db1", 100.21, 1);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_STR(cap.got[0].client, "10.0.0.1:42401");
}

/* ---- the report ---- */

static char *report_of(struct lines *ls, bool json)
{
	struct fw_corr_opts o = default_opts();
	struct fw_report_opts ro = { .json = json };
	struct fw_report *r;
	struct fw_corr *c;
	char *buf = NULL;
	size_t len = 0;
	int i;

	ro.out = open_memstream(&buf, &len);
	r = fw_report_new(&ro);
	c = fw_corr_new(&o, fw_report_finding, r);
	sort_lines(ls);
	for (i = 0; i < ls->n; i++)
		fw_corr_feed_line(c, ls->line[i], strlen(ls->line[i]), NULL, 0);
	fw_corr_finish(c);
	fw_report_finish(r, fw_corr_stats(c));
	fw_corr_free(c);
	fw_report_free(r);
	fclose(ro.out);
	free_lines(ls);
	return buf;
}

static void test_summary_counts_ghosts(void)
{
	struct lines ls = { 0 };
	char *text, *json;

	ghost_logs(&ls, 0x35, "ESTABLISHED");
	text = report_of(&ls, false);
	CHECK(strstr(text,
		     "the server db1 holds 6 connections from client "
		     "host app1; app1 holds 4 of them; 2 are ghosts") != NULL);
	CHECK(strstr(text, "min 1h00m, median 2h00m, max 2h00m; <1m 0, "
			   "1-10m 0, 10m-1h 0, >1h 2") != NULL);
	CHECK(strstr(text, "keepalive: off 2 (never reaped), on 0") != NULL);
	free(text);
	ghost_logs(&ls, 0x35, "ESTABLISHED");
	json = report_of(&ls, true);
	CHECK(strstr(json, "\"holdings\":[{\"server_host\":\"db1\","
			   "\"client_host\":\"app1\",\"server_holds\":6,"
			   "\"client_holds\":4,\"ghosts\":2,\"ghost_idle_ms\":"
			   "{\"min\":3600000,\"median\":7200000,\"max\":"
			   "7200000}") != NULL);
	CHECK(strstr(json, "\"ghost_keepalive\":{\"on\":0,\"off\":2,"
			   "\"unknown\":0}") != NULL);
	CHECK(strstr(json, "\"idle_ms\":3600000,\"keepalive\":false") != NULL);
	free(json);
}

/* Lost closes after idle_s, clean ones after clean_ms (or none: -1). */
static char *advice_for(double idle_s, int clean_ms)
{
	struct sk cl = client_sk(43000, 1, 2), sv = server_sk(43000, 1, 2);
	struct sk cl2 = client_sk(43001, 3, 4), sv2 = server_sk(43001, 3, 4);
	struct lines ls = { 0 };

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	lost_fin(&ls, &cl, 10, (int)(idle_s * 1000), 3);
	if (clean_ms >= 0) {
		open_conn(&ls, &cl2, &sv2, 1);
		clean_close(&ls, &cl2, &sv2, 5, clean_ms);
	}
	both_stop(&ls, 100);
	return report_of(&ls, false);
}

static void test_advice_is_sane(void)
{
	char *t;

	/* the incident's shape: clean closes after ~0 s idle */
	t = advice_for(400, 0);
	CHECK(strstr(t, "tcp-keepalive 180`") != NULL);
	CHECK(strstr(t, "tcp_keepalive_time=180 ") != NULL);
	CHECK(strstr(t, "lower bound is loose") != NULL);
	CHECK(strstr(t, "tcp-keepalive 1`") == NULL);
	free(t);
	/* hours: rounded to ten minutes */
	t = advice_for(4 * 3600 + 17, 2000);
	CHECK(strstr(t, "tcp-keepalive 7200`") != NULL);
	free(t);
	/* 30 s: 15 s, at least the 10 s floor */
	t = advice_for(30, 1000);
	CHECK(strstr(t, "tcp-keepalive 15`") != NULL);
	free(t);
	/* below 20 s the advice says how odd that is */
	t = advice_for(6, 1000);
	CHECK(strstr(t, "only 6.0 s idle") != NULL);
	/* ... and pastes no value below a sane floor */
	CHECK(strstr(t, "tcp-keepalive 3`") == NULL);
	CHECK(strstr(t, "tcp_keepalive_time=") == NULL);
	CHECK(strstr(t, "investigate first") != NULL);
	free(t);
	/* no clean close: no lower bound, and it says so */
	t = advice_for(100, -1);
	CHECK(strstr(t, "no lower bound") != NULL);
	CHECK(strstr(t, "tcp-keepalive 50`") != NULL);
	free(t);
}

/* Closes the host dropped itself say nothing of a middlebox timeout. */
static void test_advice_names_host_drops(void)
{
	struct sk cl = client_sk(43100, 1, 2), sv = server_sk(43100, 1, 2);
	struct lines ls = { 0 };
	char *t;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	fin_dropped_out(&ls, &cl, 10, 4);
	st(&ls, &cl, 30, "FIN_WAIT1", "CLOSE");
	both_stop(&ls, 100);
	t = report_of(&ls, false);
	/* a v1 log: no conntrack view, so both fixes are named */
	CHECK(strstr(t, "1 close was dropped by a netfilter rule on app1, but "
			"the tracer could not tell whether conntrack had "
			"forgotten the flows") != NULL);
	CHECK(strstr(t, "do not say how long") == NULL);
	free(t);
}

int main(void)
{
	RUN_TEST(test_fin_dropped_by_own_host);
	RUN_TEST(test_fin_dropped_one_log_still_trying);
	RUN_TEST(test_close_drops_counter_without_records);
	RUN_TEST(test_fin_dropped_on_arrival);
	RUN_TEST(test_fin_dropped_on_arrival_one_log);
	RUN_TEST(test_snapshot_ghosts_are_peer_vanished);
	RUN_TEST(test_snapshot_client_closing_is_lost_fin);
	RUN_TEST(test_snapshot_pairs_by_isn_across_nat);
	RUN_TEST(test_snapshot_pairs_old_end_by_tuple);
	RUN_TEST(test_snapshot_too_early_is_incomplete);
	RUN_TEST(test_snapshot_other_netns_is_incomplete);
	RUN_TEST(test_snapshot_lone_time_wait_is_dropped);
	RUN_TEST(test_summary_counts_ghosts);
	RUN_TEST(test_advice_is_sane);
	RUN_TEST(test_advice_names_host_drops);
	return CHECK_EXIT();
}
