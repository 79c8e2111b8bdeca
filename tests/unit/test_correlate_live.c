// SPDX-License-Identifier: GPL-2.0
/*
 * Live verdicts with --follow (issue 14 point 2): provisional findings
 * as soon as the evidence is conclusive, never before; their revision
 * when it no longer holds; the batch verdict equal to the last live
 * one. How the survivor of a lost close died (issue 15 point 2).
 */
#include "check.h"
#include "test_correlate_v2.h"

/* Feeds a sorted log as it comes while following (or not), then ends. */
static void feed_all(struct lines *ls, struct capture *cap, bool follow)
{
	struct fw_corr_opts o = clock_opts(follow);
	struct fw_corr *c;

	memset(cap, 0, sizeof(*cap));
	c = fw_corr_new(&o, capture_cb, cap);
	feed_range(c, ls, 0, ls->n);
	cap->finishing = true;
	fw_corr_finish(c);
	fw_corr_free(c);
}

/* A FIN at 10 s, retransmitted three times. */
static const struct happen fin_retried[] = {
	ST(10, "ESTABLISHED", "FIN_WAIT1"),
	EV(10.2, H_RETRANS),
	EV(10.6, H_RETRANS),
	EV(11.4, H_RETRANS),
};

static void pair_of(int p, struct sk *cl, struct sk *sv)
{
	*cl = client_sk(p, 300000 + (uint32_t)p, 400000 + (uint32_t)p);
	*sv = server_sk(p, 300000 + (uint32_t)p, 400000 + (uint32_t)p);
}

static void hosts(struct lines *ls, double until)
{
	start_v2(ls, "app1", 0, true, 1000, NULL);
	start_v2(ls, "db1", 0, true, 1000, NULL);
	ticks(ls, "app1", 1, until, 1);
	ticks(ls, "db1", 1, until, 1);
}

/* The findings of one connection, in order. */
static int findings_of(const struct capture *cap, const char *client,
		       const struct got **out, int max)
{
	int n = 0;

	for (int i = 0; i < cap->n && n < max; i++)
		if (!strcmp(cap->got[i].client, client))
			out[n++] = &cap->got[i];
	return n;
}

/*
 * The client's own host drops every try of its FIN: it never left, so
 * it is named at once, provisionally; the final verdict follows when
 * its socket gives up.
 */
static void test_live_fin_dropped_by_sender(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g[8];
	struct sk cl, sv;
	const struct happen c[] = {
		ST(10, "ESTABLISHED", "FIN_WAIT1"),
		EV(10, H_DROP_OUT),
		EV(10.2, H_DROP_OUT),
		STK(30, "FIN_WAIT1", "CLOSE", TIMED_OUT),
	};

	pair_of(49001, &cl, &sv);
	rec_v = 2;
	hosts(&ls, 60);
	established(&ls, &cl, &sv, 1, true);
	render(&ls, &cl, c, N(c), true);
	both_stop(&ls, 60);
	rec_v = 1;
	sort_lines(&ls);
	feed_all(&ls, &cap, true);
	CHECK_INT(findings_of(&cap, "10.0.0.1:49001", g, 8), 2);
	CHECK(g[0]->provisional && g[0]->verdict == FW_V_LOST_FIN);
	CHECK(strstr(g[0]->evidence,
		     "provisional: client on app1 sent FIN "
		     "at 2026-11-30T00:00:10.000Z; the "
		     "sender's own host dropped it 1 times") != NULL);
	CHECK(!g[1]->provisional && g[1]->verdict == FW_V_LOST_FIN);
	CHECK(g[1]->revision && !strcmp(g[0]->id, g[1]->id));
	/* the server's ESTABLISHED record came first (folded stream) */
	CHECK_STR(g[0]->id, "db1:54001");
	free_lines(&ls);
}

/*
 * No sign of the FIN means none: a receiver in CLOSE_WAIT (its ACK was
 * lost), one that was reset, one whose log is not current, one whose
 * host lost records that no pass settled yet, are never named.
 */
static void test_live_needs_a_silent_current_receiver(void)
{
	const struct happen *fin = fin_retried;
	struct lines ls = { 0 };
	struct capture cap;
	struct sk cl, sv;

	rec_v = 2;
	start_v2(&ls, "app1", 0, true, 1000, NULL);
	start_v2(&ls, "db1", 0, true, 1000, NULL);
	ticks(&ls, "app1", 1, 40, 1);
	/* db1's heartbeats stop at 12 s */
	ticks(&ls, "db1", 1, 12, 1);
	pair_of(49011, &cl, &sv); /* the FIN came; the ACK did not */
	established(&ls, &cl, &sv, 1, true);
	render(&ls, &cl, fin, N(fin_retried), true);
	st(&ls, &sv, 10.0005, "ESTABLISHED", "CLOSE_WAIT");
	pair_of(49012, &cl, &sv); /* reset */
	established(&ls, &cl, &sv, 1, true);
	render(&ls, &cl, fin, N(fin_retried), true);
	ev(&ls, &sv, 10.3, "state", "ESTABLISHED", "CLOSE",
	   ",\"final\":true,\"sk_err\":\"ECONNRESET\"");
	pair_of(49013, &cl, &sv); /* db1's log not current past 12.4 s */
	established(&ls, &cl, &sv, 1, true);
	{
		const struct happen late[] = {
			ST(11, "ESTABLISHED", "FIN_WAIT1"),
			EV(11.2, H_RETRANS),
			EV(11.6, H_RETRANS),
		};

		render(&ls, &cl, late, N(late), true);
	}
	rec_v = 1;
	sort_lines(&ls);
	feed_all(&ls, &cap, true);
	for (int i = 0; i < cap.n; i++)
		if (cap.got[i].provisional) {
			printf("  provisional for %s: %s\n", cap.got[i].client,
			       cap.got[i].evidence);
			check_current_failed = 1;
		}
	free_lines(&ls);
}

/* A loss on the receiver's host waits for the pass that settles it. */
static void test_live_waits_for_the_repair_pass(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr_opts o = clock_opts(true);
	const struct happen *fin = fin_retried;
	struct fw_corr *c;
	struct sk cl, sv;
	int i;

	pair_of(49021, &cl, &sv);
	rec_v = 2;
	hosts(&ls, 30);
	established(&ls, &cl, &sv, 1, true);
	render(&ls, &cl, fin, N(fin_retried), true);
	host_rec(
		&ls, "db1", 0, 10.5, "lost",
		",\"count\":2,\"from_ns\":1795996810000000000,\"transport\":"
		"\"ring\",\"reason\":\"buffer_full\",\"pinned\":true,\"scope\":"
		"\"all\"");
	ev(&ls, &sv, 15, "snapshot", "ESTABLISHED", "ESTABLISHED",
	   ",\"state\":\"ESTABLISHED\",\"snap\":2,\"source\":\"iter\"");
	host_rec(&ls, "db1", 0, 15.01, "snapshot_end",
		 ",\"snap\":2,\"count\":1,\"netns\":[],\"repair\":true");
	rec_v = 1;
	sort_lines(&ls);
	memset(&cap, 0, sizeof(cap));
	c = fw_corr_new(&o, capture_cb, &cap);
	for (i = 0; i < ls.n; i++) {
		fake_now = line_time(ls.line[i]) + 200 * MS;
		if (line_time(ls.line[i]) > T0 + 16 * SEC && !cap.n)
			break;
		fw_corr_feed_line(c, ls.line[i], strlen(ls.line[i]), NULL, 0);
		/* before the pass (and a second after it), no name */
		if (line_time(ls.line[i]) < T0 + 16 * SEC)
			CHECK_INT(cap.n, 0);
	}
	for (; i < ls.n; i++)
		fw_corr_feed_line(c, ls.line[i], strlen(ls.line[i]), NULL, 0);
	CHECK(cap.n >= 1 && cap.got[0].provisional &&
	      cap.got[0].verdict == FW_V_LOST_FIN);
	fw_corr_finish(c);
	fw_corr_free(c);
	free_lines(&ls);
}

/*
 * Named provisionally, and then the FIN got there after all (a later
 * try): the provisional finding is taken back at once, and the final
 * verdict is ok.
 */
static void test_live_undone_when_the_fin_arrives(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g[8];
	struct sk cl, sv;
	const struct happen c[] = {
		ST(10, "ESTABLISHED", "FIN_WAIT1"),
		EV(10.2, H_RETRANS),
		EV(10.6, H_RETRANS),
		EV(14.6, H_RETRANS),
		ST(14.601, "FIN_WAIT1", "FIN_WAIT2"),
		ST(14.7, "FIN_WAIT2", "TIME_WAIT"),
	};
	const struct happen s[] = {
		ST(14.6005, "ESTABLISHED", "CLOSE_WAIT"),
		ST(14.69, "CLOSE_WAIT", "LAST_ACK"),
		ST(14.701, "LAST_ACK", "CLOSE"),
	};

	pair_of(49031, &cl, &sv);
	rec_v = 2;
	hosts(&ls, 30);
	established(&ls, &cl, &sv, 1, true);
	render(&ls, &cl, c, N(c), true);
	render(&ls, &sv, s, N(s), true);
	both_stop(&ls, 30);
	rec_v = 1;
	sort_lines(&ls);
	feed_all(&ls, &cap, true);
	CHECK_INT(findings_of(&cap, "10.0.0.1:49031", g, 8), 3);
	CHECK(g[0]->provisional && g[0]->verdict == FW_V_LOST_FIN);
	CHECK(g[1]->provisional && g[1]->verdict == FW_V_INCOMPLETE);
	CHECK(strstr(g[1]->reason, "the earlier provisional lost_fin no "
				   "longer holds") != NULL);
	CHECK(!g[2]->provisional && g[2]->verdict == FW_V_OK);
	/* batch mode: no provisional finding, the same verdict */
	feed_all(&ls, &cap, false);
	CHECK_INT(cap.n, 1);
	CHECK(!cap.got[0].provisional && cap.got[0].verdict == FW_V_OK);
	free_lines(&ls);
}

/* The survivor died of its keepalive: how, and how long after. */
static void reaped(struct lines *ls, int port, const char *comm,
		   const char *how, const char *snap_keys)
{
	struct sk cl, sv;
	char keys[256];
	const struct happen c[] = {
		ST(10, "ESTABLISHED", "FIN_WAIT1"),
		EV(10.2, H_RETRANS),
		EV(10.6, H_RETRANS),
		STK(20, "FIN_WAIT1", "CLOSE", TIMED_OUT),
	};

	pair_of(port, &cl, &sv);
	sv.comm = comm;
	established(ls, &cl, &sv, 1, true);
	render(ls, &cl, c, N(c), true);
	if (snap_keys)
		ev(ls, &sv, 30, "snapshot", "ESTABLISHED", "ESTABLISHED",
		   snap_keys);
	/* tcp_keepalive_timer sends a RST before it times the socket out */
	if (!strncmp(how, "RST", 3)) {
		ev(ls, &sv, 80, "reset_sent", "ESTABLISHED", "ESTABLISHED", "");
		how += 3;
	}
	snprintf(keys, sizeof(keys), ",\"final\":true%s", how);
	if (!strncmp(how, "FIN", 3)) {
		ev(ls, &sv, 70, "retransmit", "FIN_WAIT1", "FIN_WAIT1",
		   ",\"tcp_flags\":\"FIN|ACK\",\"close_retrans\":1,\"path\":"
		   "[[\"ESTABLISHED\",\"FIN_WAIT1\",1795996870000000000]]");
		ev(ls, &sv, 70.3, "state", "FIN_WAIT1", "CLOSE",
		   ",\"final\":true,\"sk_err\":\"ECONNRESET\"");
		return;
	}
	ev(ls, &sv, 80, "state", "ESTABLISHED", "CLOSE", keys);
}

/* A rich log: every verdict, provisional ones, reapings. */
static void rich(struct lines *ls)
{
	struct sk cl, sv;

	rec_v = 2;
	hosts(ls, 120);
	reaped(ls, 49101, "redis-server",
	       ",\"sk_err\":\"ETIMEDOUT\",\"probes_out\":9,\"rto_retrans\":0,"
	       "\"keepalive\":true",
	       NULL);
	reaped(ls, 49102, "redis-server",
	       ",\"sk_err\":\"ETIMEDOUT\",\"probes_out\":0,\"rto_retrans\":5,"
	       "\"keepalive\":false",
	       ",\"state\":\"ESTABLISHED\",\"snap\":2,\"source\":\"iter\","
	       "\"keepalive\":false,\"keepalive_idle_s\":7200,"
	       "\"keepalive_intvl_s\":75,\"keepalive_cnt\":9,"
	       "\"user_timeout_ms\":30000");
	reaped(ls, 49103, "redis-server",
	       ",\"sk_err\":\"ETIMEDOUT\",\"probes_out\":0,\"rto_retrans\":5,"
	       "\"keepalive\":false",
	       NULL);
	reaped(ls, 49104, "postgres", "FIN", NULL);
	reaped(ls, 49105, "redis-server", "FIN", NULL);
	pair_of(49106, &cl, &sv); /* clean */
	established(ls, &cl, &sv, 2, true);
	st(ls, &cl, 5, "ESTABLISHED", "FIN_WAIT1");
	st(ls, &sv, 5.0005, "ESTABLISHED", "CLOSE_WAIT");
	ev(ls, &cl, 5.003, "state", "FIN_WAIT2", "TIME_WAIT",
	   ",\"final\":true,\"path\":[[\"FIN_WAIT1\",\"FIN_WAIT2\","
	   "1795996805001000000]]");
	ev(ls, &sv, 5.003, "state", "LAST_ACK", "CLOSE",
	   ",\"final\":true,\"path\":[[\"CLOSE_WAIT\",\"LAST_ACK\","
	   "1795996805002000000]]");
	pair_of(49107, &cl, &sv); /* a lost RST its host dropped */
	established(ls, &cl, &sv, 3, true);
	ev(ls, &cl, 40, "reset_sent", "ESTABLISHED", "ESTABLISHED", "");
	ev(ls, &cl, 40, "drop", "ESTABLISHED", "ESTABLISHED",
	   ",\"tcp_flags\":\"RST|ACK\",\"direction\":\"out\",\"reason\":"
	   "\"NETFILTER_DROP\",\"close_drops\":1");
	ev(ls, &cl, 40, "state", "ESTABLISHED", "CLOSE", ",\"final\":true");
	pair_of(49108, &cl, &sv); /* still open */
	established(ls, &cl, &sv, 4, true);
	both_stop(ls, 120);
	rec_v = 1;
	sort_lines(ls);
}

static const struct got *last_of(const struct capture *cap, const char *id)
{
	const struct got *g = NULL;

	for (int i = 0; i < cap->n; i++)
		if (!strcmp(cap->got[i].id, id))
			g = &cap->got[i];
	return g;
}

static void test_reaped_by(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	static const struct {
		const char *client, *how;
		uint64_t after_ms;
	} want[] = {
		{ "10.0.0.1:49101", "keepalive", 70000 },
		{ "10.0.0.1:49102", "user_timeout", 70000 },
		{ "10.0.0.1:49103", "retransmit_timeout", 70000 },
		{ "10.0.0.1:49104", "app_close", 60000 },
		{ "10.0.0.1:49105", "redis_timeout", 60000 },
	};

	rich(&ls);
	feed_all(&ls, &cap, false);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct got *g = find_client(&cap, want[i].client);

		CHECK(g && g->verdict == FW_V_LOST_FIN);
		if (!g)
			continue;
		CHECK_STR(g->reaped_by, want[i].how);
		CHECK_INT(g->reaped_after_ms, want[i].after_ms);
		CHECK_INT(g->surviving_state, FW_TCP_ESTABLISHED);
		/* batch: the finding waited for the survivor's death */
		CHECK(g->before_finish && !g->revision);
	}
	CHECK(strstr(find_client(&cap, "10.0.0.1:49101")->evidence,
		     "the survivor was reaped at 2026-11-30T00:01:20.000Z, "
		     "1m10s "
		     "after "
		     "the lost close: its keepalive probes timed out") != NULL);
	free_lines(&ls);
}

/*
 * The kernel's own RST before a keepalive or TCP_USER_TIMEOUT timeout
 * (as a real server's log shows it) is the timeout's, not its
 * application's abort. So is the ICMP error a probe got, which the
 * timer's death reports instead of ETIMEDOUT (tcp_write_err()): a peer
 * host powered off.
 */
static void test_reaped_by_timeout_with_its_reset(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	rec_v = 2;
	hosts(&ls, 120);
	reaped(&ls, 49111, "redis-server",
	       "RST,\"sk_err\":\"ETIMEDOUT\",\"probes_out\":3,"
	       "\"rto_retrans\":0,\"keepalive\":true",
	       NULL);
	reaped(&ls, 49112, "redis-server",
	       "RST,\"sk_err\":\"ETIMEDOUT\",\"probes_out\":0,"
	       "\"rto_retrans\":0,\"keepalive\":false",
	       ",\"state\":\"ESTABLISHED\",\"snap\":2,\"source\":\"iter\","
	       "\"keepalive\":false,\"keepalive_idle_s\":7200,"
	       "\"keepalive_intvl_s\":75,\"keepalive_cnt\":9,"
	       "\"user_timeout_ms\":30000");
	reaped(&ls, 49113, "redis-server",
	       "RST,\"sk_err\":\"EHOSTUNREACH\",\"probes_out\":3,"
	       "\"rto_retrans\":0,\"keepalive\":true",
	       NULL);
	both_stop(&ls, 120);
	rec_v = 1;
	sort_lines(&ls);
	feed_all(&ls, &cap, false);
	g = find_client(&cap, "10.0.0.1:49111");
	CHECK(g && g->verdict == FW_V_LOST_FIN);
	if (g) {
		CHECK_STR(g->reaped_by, "keepalive");
		CHECK_INT(g->reaped_after_ms, 70000);
	}
	g = find_client(&cap, "10.0.0.1:49112");
	CHECK(g && g->verdict == FW_V_LOST_FIN);
	if (g)
		CHECK_STR(g->reaped_by, "user_timeout");
	g = find_client(&cap, "10.0.0.1:49113");
	CHECK(g && g->verdict == FW_V_LOST_FIN);
	if (g)
		CHECK_STR(g->reaped_by, "keepalive");
	free_lines(&ls);
}

/*
 * Following, the same log names things sooner, and revises them; the
 * last finding of each connection is the batch's finding.
 */
static void test_batch_equals_last_live(void)
{
	static struct capture live, batch;
	struct lines ls = { 0 };
	int ids = 0, provisional = 0, revised = 0;

	rich(&ls);
	feed_all(&ls, &live, true);
	feed_all(&ls, &batch, false);
	for (int i = 0; i < batch.n; i++) {
		const struct got *b = &batch.got[i], *l = last_of(&live, b->id);

		CHECK(!b->provisional && !b->revision);
		if (!l || !same_finding(b, l) ||
		    strcmp(b->reaped_by, l->reaped_by) ||
		    b->reaped_after_ms != l->reaped_after_ms ||
		    l->provisional) {
			printf("  %s: batch %s / live %s\n    %s\n    %s\n",
			       b->id, fw_verdict_name(b->verdict),
			       l ? fw_verdict_name(l->verdict) : "-",
			       b->evidence, l ? l->evidence : "");
			check_current_failed = 1;
		}
		ids++;
	}
	for (int i = 0; i < live.n; i++) {
		provisional += live.got[i].provisional;
		revised += live.got[i].revision && !live.got[i].provisional;
		CHECK(last_of(&batch, live.got[i].id) != NULL);
	}
	CHECK_INT(ids, 8);
	/* 5 lost FINs and the dropped RST named early; 5 reapings */
	CHECK_INT(provisional, 6);
	CHECK(revised >= 5);
	free_lines(&ls);
}

int main(void)
{
	RUN_TEST(test_live_fin_dropped_by_sender);
	RUN_TEST(test_live_needs_a_silent_current_receiver);
	RUN_TEST(test_live_waits_for_the_repair_pass);
	RUN_TEST(test_live_undone_when_the_fin_arrives);
	RUN_TEST(test_reaped_by);
	RUN_TEST(test_reaped_by_timeout_with_its_reset);
	RUN_TEST(test_batch_equals_last_live);
	return CHECK_EXIT();
}
