// SPDX-License-Identifier: GPL-2.0
/*
 * Losses pinned to their sockets (issue 12 point 3, SCHEMA v2): a
 * pinned window waits for the pass that settles it, and then only the
 * sockets that really lost something make their connections
 * incomplete. A host that went dark and came back (issue 15 point 3).
 */
#include "check.h"
#include "test_correlate_v2.h"

#define SNAP_KEYS                                                              \
	",\"close_retrans\":0,\"close_drops\":0,\"snap\":2,\"source\":"        \
	"\"iter\""

static void snapshot_v2(struct lines *ls, const struct sk *s, double t,
			const char *state, const char *more)
{
	char extra[512];

	snprintf(extra, sizeof(extra), ",\"state\":\"%s\"" SNAP_KEYS "%s",
		 state, more ? more : "");
	ev(ls, s, t, "snapshot", state, state, extra);
}

static void pass_end(struct lines *ls, const char *host, double t, int n,
		     bool repair)
{
	char extra[96];

	snprintf(extra, sizeof(extra),
		 ",\"snap\":2,\"count\":%d,\"netns\":[]%s", n,
		 repair ? ",\"repair\":true" : "");
	host_rec(ls, host, 0, t, "snapshot_end", extra);
}

static void lost_window(struct lines *ls, const char *host, double from,
			double to, int count, bool pinned)
{
	char extra[256];

	snprintf(extra, sizeof(extra),
		 ",\"count\":%d,\"from_ns\":%llu,\"transport\":\"ring\","
		 "\"reason\":\"buffer_full\",\"pinned\":%s,\"scope\":\"all\"",
		 count, (unsigned long long)(T0 + (uint64_t)(from * 1e9)),
		 pinned ? "true" : "false");
	host_rec(ls, host, 0, to, "lost", extra);
}

/* The client's clean close of a FIN at t, and the server's side of it. */
static void client_closes(struct lines *ls, const struct sk *cl, double t,
			  double t_end)
{
	const struct happen c[] = {
		ST(t, "ESTABLISHED", "FIN_WAIT1"),
		ST(t + 0.001, "FIN_WAIT1", "FIN_WAIT2"),
		ST(t_end, "FIN_WAIT2", "TIME_WAIT"),
	};

	render(ls, cl, c, N(c), true);
}

static void server_answers(struct lines *ls, const struct sk *sv, double t,
			   double t_end)
{
	const struct happen s[] = {
		ST(t, "ESTABLISHED", "CLOSE_WAIT"),
		ST(t_end - 0.001, "CLOSE_WAIT", "LAST_ACK"),
		ST(t_end, "LAST_ACK", "CLOSE"),
	};

	render(ls, sv, s, N(s), true);
}

struct loss_counts {
	int conns, lost_records;
};

/*
 * 40 connections; db1's buffer was full between 10.0 and 10.5 s
 * (pinned: each socket owns up to what it lost), and its repair pass
 * at 11 s lists every socket still there.
 *  0..29  clean closes at 5 s, before the loss;
 * 30..33  clean closes at 10.1 s whose server CLOSE_WAIT record was
 *         lost: the pass lists them with their gap and path;
 * 34      a clean close at 10.2 s whose server records were all lost,
 *         and the socket gone before the pass: it died unseen;
 * 35..38  lost FINs at 10.3 s: their servers are listed, ESTABLISHED;
 * 39      open throughout.
 */
static void lossy_log(struct lines *ls, bool pinned, struct loss_counts *n)
{
	char gap[160];
	int listed = 0;

	rec_v = 2;
	start_v2(ls, "app1", 0, true, 1000, NULL);
	start_v2(ls, "db1", 0, true, 1000, NULL);
	ticks(ls, "app1", 1, 100, 1);
	ticks(ls, "db1", 1, 100, 1);
	n->conns = 40;
	n->lost_records = 0;
	for (int i = 0; i < 40; i++) {
		struct sk cl = client_sk(48000 + i, 1000 + (uint32_t)i,
					 2000 + (uint32_t)i);
		struct sk sv = server_sk(48000 + i, 1000 + (uint32_t)i,
					 2000 + (uint32_t)i);

		established(ls, &cl, &sv, 1 + i * 0.01, true);
		if (i < 30) {
			client_closes(ls, &cl, 5, 5.003);
			server_answers(ls, &sv, 5.0005, 5.003);
		} else if (i < 34) {
			client_closes(ls, &cl, 10.1, 12.003);
			/* CLOSE_WAIT lost; the pass has it */
			snprintf(gap, sizeof(gap),
				 ",\"gap\":1,\"path\":[[\"ESTABLISHED\","
				 "\"CLOSE_WAIT\",%llu]]",
				 (unsigned long long)(T0 + 10100500000ull));
			snapshot_v2(ls, &sv, 11, "CLOSE_WAIT", gap);
			listed++;
			n->lost_records++;
			ev(ls, &sv, 12.003, "state", "LAST_ACK", "CLOSE",
			   ",\"final\":true,\"path\":[[\"CLOSE_WAIT\","
			   "\"LAST_ACK\",1795996812002000000]]");
		} else if (i == 34) {
			client_closes(ls, &cl, 10.2, 10.31);
			n->lost_records += 3; /* CLOSE_WAIT, the close, final */
		} else if (i < 39) {
			const struct happen c[] = {
				ST(10.3, "ESTABLISHED", "FIN_WAIT1"),
				EV(10.5, H_RETRANS),
				EV(10.9, H_RETRANS),
				EV(11.7, H_RETRANS),
				STK(20, "FIN_WAIT1", "CLOSE", TIMED_OUT),
			};

			render(ls, &cl, c, N(c), true);
			snapshot_v2(ls, &sv, 11, "ESTABLISHED", NULL);
			listed++;
		} else {
			snapshot_v2(ls, &sv, 11, "ESTABLISHED", NULL);
			listed++;
		}
	}
	lost_window(ls, "db1", 10, 10.5, n->lost_records, pinned);
	pass_end(ls, "db1", 11.01, listed, true);
	both_stop(ls, 100);
	rec_v = 1;
}

static int connection_records(const struct lines *ls)
{
	int n = 0;

	for (int i = 0; i < ls->n; i++)
		n += strstr(ls->line[i], "\"sock\":") != NULL;
	return n;
}

static void test_pinned_loss_spares_the_untouched(void)
{
	static struct capture cap;
	struct lines ls = { 0 };
	struct loss_counts n;
	const struct got *g;
	int written;

	lossy_log(&ls, true, &n);
	written = connection_records(&ls);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 40);
	CHECK_INT(count_verdict(&cap, FW_V_OPEN), 1);
	CHECK_INT(count_verdict(&cap, FW_V_OK), 34);
	CHECK_INT(count_verdict(&cap, FW_V_LOST_FIN), 4);
	CHECK_INT(count_verdict(&cap, FW_V_INCOMPLETE), 1);
	g = find_client(&cap, "10.0.0.1:48034");
	CHECK(g && g->verdict == FW_V_INCOMPLETE);
	if (g && !strstr(g->reason, "the snapshot of db1 at "
				    "2026-11-30T00:00:11.010Z no longer lists "
				    "it: it died unseen")) {
		printf("  reason: %s\n", g->reason);
		check_current_failed = 1;
	}
	g = find_client(&cap, "10.0.0.1:48031");
	CHECK(g && g->verdict == FW_V_OK && g->server_gap == 1);
	/*
	 * Issue 12's target: the share of connections made incomplete is
	 * no higher than the share of records lost.
	 */
	CHECK(1.0 / n.conns <=
	      (double)n.lost_records / (written + n.lost_records));
	printf("  # %d of %d connections incomplete; %d of %d records lost\n",
	       count_verdict(&cap, FW_V_INCOMPLETE), n.conns, n.lost_records,
	       written + n.lost_records);
}

/*
 * Unpinned, the same window makes every connection whose silence falls
 * in it incomplete: the lost FINs too.
 */
static void test_unpinned_loss_stays_a_window(void)
{
	static struct capture cap;
	struct lines ls = { 0 };
	struct loss_counts n;

	lossy_log(&ls, false, &n);
	run_default(&ls, &cap);
	CHECK_INT(count_verdict(&cap, FW_V_OK), 34);
	CHECK_INT(count_verdict(&cap, FW_V_INCOMPLETE), 5);
	CHECK_INT(count_verdict(&cap, FW_V_LOST_FIN), 0);
}

/*
 * A FIN lost while db1's buffer was full (a pinned loss), and db1's
 * passes after it: counted sockets (-1: none at all), none of which came.
 */
static void fin_behind_loss(struct capture *cap, int pass_counted)
{
	struct sk cl = client_sk(48100, 1, 2), sv = server_sk(48100, 1, 2);
	struct lines ls = { 0 };
	const struct happen c[] = {
		ST(10.3, "ESTABLISHED", "FIN_WAIT1"),
		EV(10.5, H_RETRANS),
		STK(20, "FIN_WAIT1", "CLOSE", TIMED_OUT),
	};

	rec_v = 2;
	start_v2(&ls, "app1", 0, true, 1000, NULL);
	start_v2(&ls, "db1", 0, true, 1000, NULL);
	ticks(&ls, "app1", 1, 100, 1);
	ticks(&ls, "db1", 1, 100, 1);
	established(&ls, &cl, &sv, 1, true);
	render(&ls, &cl, c, N(c), true);
	lost_window(&ls, "db1", 10, 10.5, 3, true);
	if (pass_counted >= 0)
		pass_end(&ls, "db1", 11.01, pass_counted, true);
	both_stop(&ls, 100);
	rec_v = 1;
	run_default(&ls, cap);
}

/*
 * A pinned loss that no pass settles: the decisions about silence wait
 * for it, and at the end of the input it is incomplete, with the reason.
 */
static void test_pinned_loss_without_pass(void)
{
	struct capture cap;

	fin_behind_loss(&cap, -1);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_INCOMPLETE);
	CHECK(strstr(cap.got[0].reason, "no snapshot pass of db1 settled") !=
	      NULL);
}

/*
 * A pass that counted more sockets than came settles nothing: it may
 * not list what it does not show. (The socket it should have listed is
 * not taken for dead either.)
 */
static void test_short_pass_settles_nothing(void)
{
	struct capture cap;

	fin_behind_loss(&cap, 2);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_INCOMPLETE);
	CHECK(strstr(cap.got[0].reason, "no snapshot pass of db1 settled") !=
	      NULL);
	/* the control: a complete pass that lists the server settles it */
}

/*
 * app1 goes dark at 50 s (its tracer killed: no stop record) while db1
 * traces on; app1 comes back at 200 s, on the same boot or a new one,
 * and its baseline snapshot lists only the second connection.
 */
static void dark_host(struct lines *ls, const char *boot_again, bool back)
{
	struct sk cl1 = client_sk(48301, 11, 12),
		  sv1 = server_sk(48301, 11, 12);
	struct sk cl2 = client_sk(48302, 13, 14),
		  sv2 = server_sk(48302, 13, 14);
	char start[400];

	rec_v = 2;
	start_v2(ls, "app1", 0, true, 1000, "boot-1");
	start_v2(ls, "db1", 0, true, 1000, "boot-9");
	established(ls, &cl1, &sv1, 1, true);
	established(ls, &cl2, &sv2, 2, true);
	ticks(ls, "app1", 3, 50, 1);
	ticks(ls, "db1", 3, 300, 1);
	if (back) {
		snprintf(start, sizeof(start),
			 ",\"ports\":[6379],\"netns\":[],\"transport\":"
			 "\"ring\",\"version\":\"test\",\"attach\":[\"x\"],"
			 "\"stream\":\"folded\",\"tick_ms\":1000,\"boot_id\":"
			 "\"%s\"",
			 boot_again);
		host_rec(ls, "app1", 0, 200, "start", start);
		if (!strcmp(boot_again, "boot-1")) {
			snapshot_v2(ls, &cl2, 200.1, "ESTABLISHED", NULL);
			pass_end(ls, "app1", 200.11, 1, false);
		} else {
			pass_end(ls, "app1", 200.11, 0, false);
		}
		ticks(ls, "app1", 201, 300, 1);
		stop_rec(ls, "app1", 0, 300);
	}
	/* the server closes the first one later: Redis' idle timeout */
	ev(ls, &sv1, 250, "retransmit", "LAST_ACK", "LAST_ACK",
	   ",\"tcp_flags\":\"FIN|ACK\",\"close_retrans\":1,\"path\":[["
	   "\"ESTABLISHED\",\"FIN_WAIT1\",1796000050000000000]]");
	ev(ls, &sv1, 250.3, "state", "FIN_WAIT1", "CLOSE",
	   ",\"final\":true,\"sk_err\":\"ECONNRESET\"");
	stop_rec(ls, "db1", 0, 300);
	rec_v = 1;
}

/* Its log ends without a stop record: nothing after that is known. */
static void test_dark_host_is_incomplete(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	dark_host(&ls, NULL, false);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 2);
	g = find_client(&cap, "10.0.0.1:48302");
	CHECK(g && g->verdict == FW_V_INCOMPLETE);
	if (g)
		CHECK(strstr(g->reason, "app1's log ends at "
					"2026-11-30T00:00:50.000Z without a "
					"stop record") != NULL);
	/* the server's FIN at 250 s: app1's log cannot answer for it */
	g = find_client(&cap, "10.0.0.1:48301");
	CHECK(g && g->verdict == FW_V_INCOMPLETE);
	if (g)
		CHECK(strstr(g->reason, "without a stop record (the client's), "
					"too soon after the FIN") != NULL);
}

/*
 * Back on the same boot: its baseline lacks the first connection, which
 * the server still held: the client's end is gone, a ghost on db1 until
 * Redis timed it out.
 */
static void test_dark_host_back_shows_the_ghost(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	dark_host(&ls, "boot-1", true);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 2);
	g = find_client(&cap, "10.0.0.1:48301");
	CHECK(g && g->verdict == FW_V_PEER_VANISHED);
	if (g) {
		CHECK(strstr(g->evidence,
			     "the snapshot of app1 at 2026-11-30T00:03:20.110Z "
			     "no longer lists it: it died unseen; server on "
			     "db1 never received its close and is still "
			     "ESTABLISHED") != NULL);
		CHECK_STR(g->reaped_by, "redis_timeout");
		CHECK_INT(g->surviving_state, FW_TCP_ESTABLISHED);
		CHECK(!g->client_present || g->client_host[0]);
	}
	g = find_client(&cap, "10.0.0.1:48302");
	CHECK(g && g->verdict == FW_V_OPEN);
}

/* Back on a new boot: the boot itself tells that the old sockets went. */
static void test_dark_host_rebooted(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	dark_host(&ls, "boot-2", true);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 2);
	CHECK_INT(count_verdict(&cap, FW_V_PEER_VANISHED), 2);
	g = find_client(&cap, "10.0.0.1:48302");
	CHECK(g && strstr(g->evidence, "app1 booted again at "
				       "2026-11-30T00:03:20.000Z") != NULL);
	CHECK(g && !g->reaped_by[0]);
}

/* As in the file: a start record before the baseline it took first. */
static void swap_start_first(struct lines *ls, bool start_first)
{
	for (int i = 1; start_first && i < ls->n; i++) {
		if (strstr(ls->line[i], "\"start\"") &&
		    strstr(ls->line[i - 1], "\"snapshot\"")) {
			char *t = ls->line[i];

			ls->line[i] = ls->line[i - 1];
			ls->line[i - 1] = t;
		}
	}
}

/*
 * As a real tracer writes it: app1's FIN of 48311 is dropped by its own
 * host before app1 goes dark at 50 s; 48312 dies unseen in the dark;
 * 48313 lives on. The restarted tracer takes its baseline before it
 * writes its start record, so the baseline's records are older than the
 * start; in the file the start comes first, in time order the baseline.
 */
static void dark_host_as_traced(struct lines *ls, bool start_first)
{
	struct sk cl1 = client_sk(48311, 21, 22),
		  sv1 = server_sk(48311, 21, 22);
	struct sk cl2 = client_sk(48312, 23, 24),
		  sv2 = server_sk(48312, 23, 24);
	struct sk cl3 = client_sk(48313, 25, 26),
		  sv3 = server_sk(48313, 25, 26);
	const struct happen fin[] = {
		ST(10, "ESTABLISHED", "FIN_WAIT1"),
		EV(10, H_DROP_OUT),
		EV(10.2, H_DROP_OUT),
		EV(10.6, H_DROP_OUT),
		EV(11.4, H_DROP_OUT),
		EV(13, H_DROP_OUT),
	};

	rec_v = 2;
	start_v2(ls, "app1", 0, true, 1000, "boot-1");
	start_v2(ls, "db1", 0, true, 1000, "boot-1");
	established(ls, &cl1, &sv1, 1, true);
	established(ls, &cl2, &sv2, 2, true);
	established(ls, &cl3, &sv3, 3, true);
	render(ls, &cl1, fin, N(fin), true);
	ticks(ls, "app1", 4, 50, 1);
	ticks(ls, "db1", 4, 300, 1);
	/* a trace's baseline is its pass 1 */
	snapshot_v2(ls, &cl3, 200.1, "ESTABLISHED", ",\"snap\":1");
	host_rec(ls, "app1", 0, 200.2, "start",
		 ",\"ports\":[6379],\"netns\":[],\"transport\":\"ring\","
		 "\"version\":\"test\",\"attach\":[\"x\"],\"stream\":"
		 "\"folded\",\"tick_ms\":1000,\"boot_id\":\"boot-1\"");
	pass_end(ls, "app1", 200.21, 1, false);
	ticks(ls, "app1", 201, 300, 1);
	stop_rec(ls, "app1", 0, 300);
	stop_rec(ls, "db1", 0, 300);
	rec_v = 1;
	sort_lines(ls);
	swap_start_first(ls, start_first);
}

static void check_dark_host_as_traced(bool start_first)
{
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr_opts o = default_opts();
	const struct got *g;

	dark_host_as_traced(&ls, start_first);
	fw_corr_free(run_lines(&ls, &cap, &o));
	free_lines(&ls);
	CHECK_INT(cap.n, 3);
	/* lost before the dark: the sender's own host dropped it */
	g = find_client(&cap, "10.0.0.1:48311");
	CHECK(g && g->verdict == FW_V_LOST_FIN);
	if (g)
		CHECK(strstr(g->evidence, "the sender's own host dropped it "
					  "5 times") != NULL);
	/* the baseline, whole, shows the client's end gone */
	g = find_client(&cap, "10.0.0.1:48312");
	CHECK(g && g->verdict == FW_V_PEER_VANISHED);
	if (g) {
		CHECK(strstr(g->evidence,
			     "the snapshot of app1 at 2026-11-30T00:03:20.210Z "
			     "no longer lists it: it died unseen") != NULL);
		CHECK_STR(g->cause_host, "app1");
	}
	g = find_client(&cap, "10.0.0.1:48313");
	CHECK(g && g->verdict == FW_V_OPEN);
}

static void test_dark_host_as_traced(void)
{
	check_dark_host_as_traced(false);
	check_dark_host_as_traced(true);
}

/*
 * app1's tracer is killed in the middle of a pass (its snapshot records
 * out, no snapshot_end) and restarted within a second. In the dark db1
 * resets 48321 and app1's end dies of it, unseen. The dead pass is not
 * the new trace's baseline: the dark stays a window of lost evidence, and
 * the reset is never called lost.
 */
static void check_dark_host_killed_in_a_pass(bool start_first)
{
	struct sk cl2 = client_sk(48321, 27, 28),
		  sv2 = server_sk(48321, 27, 28);
	struct sk cl3 = client_sk(48322, 29, 30),
		  sv3 = server_sk(48322, 29, 30);
	const struct happen rst[] = {
		EV(49.8, H_RST_SENT),
		ST(49.8, "ESTABLISHED", "CLOSE"),
	};
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr_opts o = default_opts();
	const struct got *g;

	rec_v = 2;
	start_v2(&ls, "app1", 0, true, 1000, "boot-1");
	start_v2(&ls, "db1", 0, true, 1000, "boot-1");
	established(&ls, &cl2, &sv2, 2, true);
	established(&ls, &cl3, &sv3, 3, true);
	ticks(&ls, "app1", 4, 49, 1);
	ticks(&ls, "db1", 4, 300, 1);
	snapshot_v2(&ls, &cl2, 49.5, "ESTABLISHED", ",\"snap\":5");
	snapshot_v2(&ls, &cl3, 49.5, "ESTABLISHED", ",\"snap\":5");
	render(&ls, &sv2, rst, N(rst), true);
	snapshot_v2(&ls, &cl3, 50.1, "ESTABLISHED", ",\"snap\":1");
	host_rec(&ls, "app1", 0, 50.2, "start",
		 ",\"ports\":[6379],\"netns\":[],\"transport\":\"ring\","
		 "\"version\":\"test\",\"attach\":[\"x\"],\"stream\":"
		 "\"folded\",\"tick_ms\":1000,\"boot_id\":\"boot-1\"");
	pass_end(&ls, "app1", 50.21, 1, false);
	ticks(&ls, "app1", 51, 300, 1);
	stop_rec(&ls, "app1", 0, 300);
	stop_rec(&ls, "db1", 0, 300);
	rec_v = 1;
	sort_lines(&ls);
	swap_start_first(&ls, start_first);
	fw_corr_free(run_lines(&ls, &cap, &o));
	free_lines(&ls);
	g = find_client(&cap, "10.0.0.1:48321");
	CHECK(g && g->verdict == FW_V_INCOMPLETE);
	/* the dark from its last tick to the new baseline, not to the dead pass
	 */
	if (g)
		CHECK(strstr(g->reason,
			     "tracer on app1 was not running between "
			     "2026-11-30T00:00:49.000Z and "
			     "2026-11-30T00:00:50.099Z") != NULL);
	CHECK_INT(count_verdict(&cap, FW_V_LOST_RST), 0);
}

static void test_dark_host_killed_in_a_pass(void)
{
	check_dark_host_killed_in_a_pass(false);
	check_dark_host_killed_in_a_pass(true);
}

int main(void)
{
	RUN_TEST(test_dark_host_is_incomplete);
	RUN_TEST(test_dark_host_back_shows_the_ghost);
	RUN_TEST(test_dark_host_rebooted);
	RUN_TEST(test_dark_host_as_traced);
	RUN_TEST(test_dark_host_killed_in_a_pass);
	RUN_TEST(test_pinned_loss_spares_the_untouched);
	RUN_TEST(test_unpinned_loss_stays_a_window);
	RUN_TEST(test_pinned_loss_without_pass);
	RUN_TEST(test_short_pass_settles_nothing);
	return CHECK_EXIT();
}
