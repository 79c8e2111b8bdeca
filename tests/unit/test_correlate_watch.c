// SPDX-License-Identifier: GPL-2.0
/*
 * The correlator on logs that run for days (issues 14 and 15): heartbeats
 * keep a silent log current, a stalled log or one that ends without a
 * stop record proves nothing after its last record, a reopened file goes
 * on with the same trace, a host that went dark and came back shows
 * which of its connections are gone.
 */
#include "check.h"
#include "test_correlate_v2.h"

/* An engine following, its findings into cap. */
static struct fw_corr *follow_new(struct capture *cap)
{
	struct fw_corr_opts o = clock_opts(true);

	memset(cap, 0, sizeof(*cap));
	return fw_corr_new(&o, capture_cb, cap);
}

/* The end of the input (Ctrl-C): what is undecided is decided now. */
static void follow_end(struct fw_corr *c, struct capture *cap, struct lines *ls)
{
	cap->finishing = true;
	fw_corr_finish(c);
	fw_corr_free(c);
	free_lines(ls);
}

/* The index of the first line at or after t s. */
static int line_at(struct lines *ls, double t)
{
	uint64_t ns = T0 + (uint64_t)(t * 1e9);
	int i = 0;

	while (i < ls->n && line_time(ls->line[i]) < ns)
		i++;
	return i;
}

/*
 * A lost FIN from the client at 10 s, retransmitted twice, given up at
 * 13 s; the server says nothing.
 */
static void lost_fin_v2(struct lines *ls, const struct sk *cl,
			const struct sk *sv)
{
	rec_v = 2;
	st(ls, cl, 1, "SYN_SENT", "ESTABLISHED");
	st(ls, sv, 1.0005, "SYN_RECV", "ESTABLISHED");
	ev(ls, cl, 10.2, "retransmit", "FIN_WAIT1", "FIN_WAIT1",
	   ",\"tcp_flags\":\"FIN|ACK\",\"close_retrans\":1,\"path\":[["
	   "\"ESTABLISHED\",\"FIN_WAIT1\",1795996810000000000]]");
	ev(ls, cl, 10.6, "retransmit", "FIN_WAIT1", "FIN_WAIT1",
	   ",\"tcp_flags\":\"FIN|ACK\",\"close_retrans\":2");
	ev(ls, cl, 13, "state", "FIN_WAIT1", "CLOSE",
	   ",\"final\":true,\"sk_err\":\"ETIMEDOUT\",\"rto_retrans\":3");
	rec_v = 1;
}

/*
 * The server is idle: only its heartbeats say that nothing happened.
 * With them its silence about the FIN counts, as soon as they pass the
 * client's give-up plus the allowance.
 */
static void test_ticks_move_the_watermark(void)
{
	struct sk cl = client_sk(47001, 1, 2), sv = server_sk(47001, 1, 2);
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr *c;
	int mid;

	rec_v = 2;
	start_v2(&ls, "app1", 0, true, 1000, NULL);
	start_v2(&ls, "db1", 0, true, 1000, NULL);
	ticks(&ls, "app1", 14, 30, 1);
	ticks(&ls, "db1", 2, 30, 1);
	rec_v = 1;
	lost_fin_v2(&ls, &cl, &sv);
	sort_lines(&ls);
	c = follow_new(&cap);
	mid = line_at(&ls, 13.9);
	feed_range(c, &ls, 0, mid);
	/*
	 * The client died at 13 s: 14 s (calibrated) not reached yet; but
	 * its FIN was retransmitted twice, the last at 10.6 s, and db1's
	 * heartbeats went past 11.6 s: named, provisionally.
	 */
	CHECK_INT(count_verdict(&cap, FW_V_LOST_FIN), 1);
	CHECK(cap.n == 1 && cap.got[0].provisional);
	feed_range(c, &ls, mid, ls.n);
	CHECK_INT(cap.n, 2);
	CHECK(cap.n == 2 && !cap.got[1].provisional &&
	      cap.got[1].verdict == FW_V_LOST_FIN);
	follow_end(c, &cap, &ls);
	CHECK_INT(cap.n, 2);
}

/*
 * Without heartbeats (a v1 tracer) an idle log is not taken to be
 * current: the FIN waits, and at the end its receiver's log is too short.
 */
static void test_silence_without_ticks_proves_nothing(void)
{
	struct sk cl = client_sk(47002, 3, 4), sv = server_sk(47002, 3, 4);
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr *c;

	both_start(&ls);
	lost_fin_v2(&ls, &cl, &sv);
	host_rec(&ls, "app1", 0, 100, "snapshot_end", ",\"count\":0");
	sort_lines(&ls);
	c = follow_new(&cap);
	feed_range(c, &ls, 0, ls.n);
	CHECK_INT(cap.n, 0);
	fake_now = T0 + 1000 * SEC;
	follow_end(c, &cap, &ls);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_INCOMPLETE);
	CHECK(strstr(cap.got[0].reason, "db1's log ends at "
					"2026-11-30T00:00:01.000Z") != NULL);
	CHECK(strstr(cap.got[0].reason, "too soon after the FIN") != NULL);
}

/*
 * --follow: db1's heartbeats stop at 20 s; by the wall clock it has
 * stalled. Its silence since proves nothing, and what it may have done
 * later stays open: incomplete, with the reason.
 */
static void test_stalled_log_is_incomplete(void)
{
	struct sk cl = client_sk(47003, 5, 6), sv = server_sk(47003, 5, 6);
	struct sk cl2 = client_sk(47004, 7, 8), sv2 = server_sk(47004, 7, 8);
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr *c;
	const struct got *g;

	rec_v = 2;
	start_v2(&ls, "app1", 0, false, 1000, NULL);
	start_v2(&ls, "db1", 0, false, 1000, NULL);
	ticks(&ls, "app1", 1, 60, 1);
	ticks(&ls, "db1", 1, 20, 1);
	st(&ls, &cl, 1, "SYN_SENT", "ESTABLISHED");
	st(&ls, &sv, 1.0005, "SYN_RECV", "ESTABLISHED");
	st(&ls, &cl2, 2, "SYN_SENT", "ESTABLISHED");
	st(&ls, &sv2, 2.0005, "SYN_RECV", "ESTABLISHED");
	/* after db1 stalled: a FIN db1's log cannot answer for */
	st(&ls, &cl2, 30, "ESTABLISHED", "FIN_WAIT1");
	rec_v = 1;
	sort_lines(&ls);
	c = follow_new(&cap);
	feed_range(c, &ls, 0, ls.n);
	CHECK_INT(cap.n, 0);
	fake_now = T0 + 61 * SEC;
	follow_end(c, &cap, &ls);
	CHECK_INT(cap.n, 2);
	g = find_client(&cap, "10.0.0.1:47003");
	CHECK(g && g->verdict == FW_V_INCOMPLETE);
	if (g)
		CHECK(strstr(g->reason, "db1's log stalled at "
					"2026-11-30T00:00:20.000Z") != NULL);
	g = find_client(&cap, "10.0.0.1:47004");
	CHECK(g && g->verdict == FW_V_INCOMPLETE);
	if (g)
		CHECK(strstr(g->reason, "stalled at 2026-11-30T00:00:20.000Z "
					"(no heartbeat since) (the server's), "
					"too soon after the FIN") != NULL);
}

/*
 * A stalled host does not hold up the others: with db2 stalled, a lost
 * FIN between app1 and db1 is still decided while following.
 */
static void test_stalled_host_holds_up_nobody(void)
{
	struct sk cl = client_sk(47005, 9, 10), sv = server_sk(47005, 9, 10);
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr *c;

	rec_v = 2;
	start_v2(&ls, "app1", 0, false, 1000, NULL);
	start_v2(&ls, "db1", 0, false, 1000, NULL);
	start_v2(&ls, "db2", 0, false, 1000, NULL);
	ticks(&ls, "app1", 1, 40, 1);
	ticks(&ls, "db1", 1, 40, 1);
	ticks(&ls, "db2", 1, 5, 1);
	rec_v = 1;
	lost_fin_v2(&ls, &cl, &sv);
	sort_lines(&ls);
	c = follow_new(&cap);
	feed_range(c, &ls, 0, ls.n);
	CHECK_INT(count_verdict(&cap, FW_V_LOST_FIN), 2);
	CHECK(cap.n == 2 && !cap.got[1].provisional);
	follow_end(c, &cap, &ls);
}

/*
 * A trace whose log ends without a stop record (a crash, a power loss)
 * proves nothing after its last record: a connection it held open is
 * neither open nor anything else.
 */
static void test_log_without_stop_proves_nothing_after(void)
{
	struct sk cl = client_sk(47006, 11, 12), sv = server_sk(47006, 11, 12);
	struct lines ls = { 0 };
	struct capture cap;

	rec_v = 2;
	start_v2(&ls, "app1", 0, false, 1000, NULL);
	start_v2(&ls, "db1", 0, false, 1000, NULL);
	open_conn(&ls, &cl, &sv, 1);
	ticks(&ls, "app1", 2, 35, 1);
	ticks(&ls, "db1", 2, 100, 1);
	stop_rec(&ls, "db1", 0, 100);
	rec_v = 1;
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_INCOMPLETE);
	CHECK_STR(cap.got[0].reason,
		  "app1's log ends at 2026-11-30T00:00:35.000Z without a stop "
		  "record, with the client still ESTABLISHED: what it did "
		  "later is not known");
	/* with its stop record, the same is open */
	rec_v = 2;
	start_v2(&ls, "app1", 0, false, 1000, NULL);
	start_v2(&ls, "db1", 0, false, 1000, NULL);
	open_conn(&ls, &cl, &sv, 1);
	stop_rec(&ls, "app1", 0, 35);
	stop_rec(&ls, "db1", 0, 100);
	rec_v = 1;
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_OPEN);
}

/*
 * After SIGHUP the trace goes on in a new file that starts with a
 * start record, "reopen":true: nothing was missed in between.
 */
static void test_reopen_continues_the_trace(void)
{
	struct sk cl = client_sk(47007, 13, 14), sv = server_sk(47007, 13, 14);
	struct lines ls = { 0 };
	struct capture cap;
	char reopen[400];

	for (int pass = 0; pass < 2; pass++) {
		rec_v = 2;
		start_v2(&ls, "app1", 0, false, 1000, NULL);
		start_v2(&ls, "db1", 0, false, 1000, NULL);
		ticks(&ls, "app1", 1, 8, 1);
		ticks(&ls, "db1", 1, 8, 1);
		snprintf(reopen, sizeof(reopen),
			 ",\"ports\":[6379],\"netns\":[],\"transport\":"
			 "\"ring\",\"version\":\"test\",\"attach\":[\"x\"],"
			 "\"stream\":\"all-states\",\"tick_ms\":1000%s",
			 pass ? "" : ",\"reopen\":true");
		/* db1's next file starts 3 s after its last heartbeat */
		host_rec(&ls, "db1", 0, 11, "start", reopen);
		ticks(&ls, "app1", 9, 100, 1);
		ticks(&ls, "db1", 12, 100, 1);
		both_stop(&ls, 100);
		rec_v = 1;
		lost_fin_v2(&ls, &cl, &sv);
		run_default(&ls, &cap);
		CHECK_INT(cap.n, 1);
		CHECK_INT(cap.got[0].verdict,
			  pass ? FW_V_INCOMPLETE : FW_V_LOST_FIN);
		if (pass)
			CHECK(strstr(cap.got[0].reason,
				     "tracer on db1 was not running between "
				     "2026-11-30T00:00:08.000Z and "
				     "2026-11-30T00:00:11.000Z") != NULL);
	}
}

/*
 * --follow started on logs a day old: every host looks old by the wall
 * clock, none lags the others, so none is stalled while they are read.
 */
static void test_catching_up_is_no_stall(void)
{
	struct sk cl = client_sk(47008, 15, 16), sv = server_sk(47008, 15, 16);
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr *c;
	char why[256];

	rec_v = 2;
	start_v2(&ls, "app1", 0, true, 1000, NULL);
	start_v2(&ls, "db1", 0, true, 1000, NULL);
	ticks(&ls, "app1", 14, 30, 1);
	ticks(&ls, "db1", 2, 30, 1);
	rec_v = 1;
	lost_fin_v2(&ls, &cl, &sv);
	sort_lines(&ls);
	c = follow_new(&cap);
	fake_now = T0 + 86400 * SEC;
	for (int i = 0; i < ls.n; i++)
		fw_corr_feed_line(c, ls.line[i], strlen(ls.line[i]), why,
				  sizeof(why));
	CHECK_INT(cap.n, 2);
	CHECK(cap.n == 2 && cap.got[0].provisional &&
	      cap.got[1].verdict == FW_V_LOST_FIN);
	follow_end(c, &cap, &ls);
	CHECK_INT(cap.n, 2);
}

int main(void)
{
	RUN_TEST(test_ticks_move_the_watermark);
	RUN_TEST(test_silence_without_ticks_proves_nothing);
	RUN_TEST(test_stalled_log_is_incomplete);
	RUN_TEST(test_stalled_host_holds_up_nobody);
	RUN_TEST(test_log_without_stop_proves_nothing_after);
	RUN_TEST(test_reopen_continues_the_trace);
	RUN_TEST(test_catching_up_is_no_stall);
	return CHECK_EXIT();
}
