// SPDX-License-Identifier: GPL-2.0
/*
 * The correlator on schema v2 (SCHEMA-v2): the folded stream and the
 * all-states stream of the same connections give the same findings;
 * what v2's keys teach (path, final, sk_err, gap); listeners.
 */
#include "check.h"
#include "test_correlate_v2.h"

/* Client and server sockets of the scenario on port p. */
static void pair_of(int p, struct sk *cl, struct sk *sv)
{
	*cl = client_sk(p, 100000 + (uint32_t)p, 200000 + (uint32_t)p);
	*sv = server_sk(p, 100000 + (uint32_t)p, 200000 + (uint32_t)p);
}

/* a closes first, cleanly, at t. */
static void clean(struct lines *ls, const struct sk *a, const struct sk *b,
		  double t, bool folded)
{
	const struct happen x[] = {
		ST(t, "ESTABLISHED", "FIN_WAIT1"),
		ST(t + 0.001, "FIN_WAIT1", "FIN_WAIT2"),
		ST(t + 0.0025, "FIN_WAIT2", "TIME_WAIT"),
	};
	const struct happen y[] = {
		ST(t + 0.0005, "ESTABLISHED", "CLOSE_WAIT"),
		ST(t + 0.002, "CLOSE_WAIT", "LAST_ACK"),
		ST(t + 0.003, "LAST_ACK", "CLOSE"),
	};

	render(ls, a, x, N(x), folded);
	render(ls, b, y, N(y), folded);
}

/* Every scenario, each on its own client port. */
static void scenarios(struct lines *ls, bool folded)
{
	struct sk cl, sv;

	start_v2(ls, "app1", 0, folded, 1000, NULL);
	start_v2(ls, "db1", 0, folded, 1000, NULL);
	ticks(ls, "app1", 1, 200, 10);
	ticks(ls, "db1", 1, 200, 10);

	pair_of(45001, &cl, &sv); /* clean, the client first */
	established(ls, &cl, &sv, 1, folded);
	clean(ls, &cl, &sv, 5, folded);

	pair_of(45002, &cl, &sv); /* clean, the server first */
	established(ls, &cl, &sv, 1, folded);
	clean(ls, &sv, &cl, 6, folded);

	pair_of(45003, &cl, &sv); /* a lost FIN */
	established(ls, &cl, &sv, 1, folded);
	{
		const struct happen x[] = {
			ST(10, "ESTABLISHED", "FIN_WAIT1"),
			EV(10.2, H_RETRANS),
			EV(10.6, H_RETRANS),
			EV(11.4, H_RETRANS),
			STK(13, "FIN_WAIT1", "CLOSE", TIMED_OUT),
		};

		render(ls, &cl, x, N(x), folded);
	}

	pair_of(45004, &cl, &sv); /* a lost RST */
	established(ls, &cl, &sv, 1, folded);
	{
		const struct happen x[] = { EV(30, H_RST_SENT),
					    ST(30, "ESTABLISHED", "CLOSE") };

		render(ls, &cl, x, N(x), folded);
	}

	pair_of(45005, &cl, &sv); /* a CLOSE_WAIT leak */
	established(ls, &cl, &sv, 1, folded);
	{
		const struct happen x[] = {
			ST(10, "ESTABLISHED", "FIN_WAIT1"),
			ST(10.002, "FIN_WAIT1", "FIN_WAIT2"),
			ST(70, "FIN_WAIT2", "CLOSE"),
		};
		const struct happen y[] = {
			ST(10.001, "ESTABLISHED", "CLOSE_WAIT"),
		};

		render(ls, &cl, x, N(x), folded);
		render(ls, &sv, y, N(y), folded);
	}

	pair_of(45006, &cl, &sv); /* the client vanished: db1's alone */
	{
		const struct happen y[] = {
			ST(20, "LISTEN", "SYN_RECV"),
			ST(20.001, "SYN_RECV", "ESTABLISHED"),
		};

		render(ls, &sv, y, N(y), folded);
	}

	pair_of(45007, &cl, &sv); /* an unacked FIN, to a host with no log */
	cl.raddr = "10.0.0.9";
	{
		const struct happen x[] = {
			ST(1, "CLOSE", "SYN_SENT"),
			ST(1.001, "SYN_SENT", "ESTABLISHED"),
			ST(10, "ESTABLISHED", "FIN_WAIT1"),
			EV(10.2, H_RETRANS),
			EV(10.6, H_RETRANS),
			STK(14, "FIN_WAIT1", "CLOSE", TIMED_OUT),
		};

		render(ls, &cl, x, N(x), folded);
	}

	pair_of(45008, &cl, &sv); /* the client's own host drops its FIN */
	established(ls, &cl, &sv, 1, folded);
	{
		const struct happen x[] = {
			ST(10, "ESTABLISHED", "FIN_WAIT1"),
			EV(10, H_DROP_OUT),
			EV(10.2, H_DROP_OUT),
			EV(10.6, H_DROP_OUT),
			STK(30, "FIN_WAIT1", "CLOSE", TIMED_OUT),
		};

		render(ls, &cl, x, N(x), folded);
	}

	pair_of(45009, &cl, &sv); /* the server's host drops it on arrival */
	established(ls, &cl, &sv, 1, folded);
	{
		const struct happen x[] = {
			ST(10, "ESTABLISHED", "FIN_WAIT1"),
			EV(10.2, H_RETRANS),
			EV(10.6, H_RETRANS),
			STK(12, "FIN_WAIT1", "CLOSE", TIMED_OUT),
		};
		const struct happen y[] = {
			EV(10.0005, H_DROP_IN),
			EV(10.2005, H_DROP_IN),
			EV(10.6005, H_DROP_IN),
		};

		render(ls, &cl, x, N(x), folded);
		render(ls, &sv, y, N(y), folded);
	}

	pair_of(45010, &cl, &sv); /* the server's FIN lost: FIN_WAIT2 left */
	established(ls, &cl, &sv, 1, folded);
	{
		const struct happen x[] = {
			ST(10, "ESTABLISHED", "FIN_WAIT1"),
			ST(10.002, "FIN_WAIT1", "FIN_WAIT2"),
			ST(140, "FIN_WAIT2", "CLOSE"),
		};
		const struct happen y[] = {
			ST(10.001, "ESTABLISHED", "CLOSE_WAIT"),
			ST(20, "CLOSE_WAIT", "LAST_ACK"),
			EV(20.2, H_RETRANS),
			EV(20.6, H_RETRANS),
			STK(60, "LAST_ACK", "CLOSE", TIMED_OUT),
		};

		render(ls, &cl, x, N(x), folded);
		render(ls, &sv, y, N(y), folded);
	}

	pair_of(45011, &cl, &sv); /* a reset received */
	established(ls, &cl, &sv, 1, folded);
	{
		const struct happen x[] = { EV(40, H_RST_SENT),
					    ST(40, "ESTABLISHED", "CLOSE") };
		const struct happen y[] = {
			EV(40.001, H_RST_RECV),
			STK(40.001, "ESTABLISHED", "CLOSE", RESET),
		};

		render(ls, &cl, x, N(x), folded);
		render(ls, &sv, y, N(y), folded);
	}

	pair_of(45012, &cl, &sv); /* both still open */
	established(ls, &cl, &sv, 2, folded);

	stop_rec(ls, "app1", 0, 200);
	stop_rec(ls, "db1", 0, 200);
}

static void run_v2(struct lines *ls, struct capture *cap)
{
	rec_v = 2;
	run_default(ls, cap);
	rec_v = 1;
}

static void check_verdict(const struct capture *cap, const char *client,
			  enum fw_verdict want)
{
	const struct got *g = find_client(cap, client);

	if (!g || g->verdict != want) {
		printf("  %s: %s, want %s\n", client,
		       g ? fw_verdict_name(g->verdict) : "(none)",
		       fw_verdict_name(want));
		check_current_failed = 1;
	}
}

static void test_folded_and_all_states_agree(void)
{
	static struct capture all, folded;
	struct lines ls = { 0 };

	scenarios(&ls, false);
	run_v2(&ls, &all);
	scenarios(&ls, true);
	run_v2(&ls, &folded);
	check_same_findings(&all, &folded);
	check_verdict(&all, "10.0.0.1:45001", FW_V_OK);
	check_verdict(&all, "10.0.0.1:45002", FW_V_OK);
	check_verdict(&all, "10.0.0.1:45003", FW_V_LOST_FIN);
	check_verdict(&all, "10.0.0.1:45004", FW_V_LOST_RST);
	check_verdict(&all, "10.0.0.1:45005", FW_V_CLOSE_WAIT_LEAK);
	check_verdict(&all, "10.0.0.1:45006", FW_V_PEER_VANISHED);
	check_verdict(&all, "10.0.0.1:45007", FW_V_UNACKED_FIN);
	check_verdict(&all, "10.0.0.1:45008", FW_V_LOST_FIN);
	check_verdict(&all, "10.0.0.1:45009", FW_V_LOST_FIN);
	check_verdict(&all, "10.0.0.1:45010", FW_V_LOST_FIN);
	check_verdict(&all, "10.0.0.1:45011", FW_V_OK);
	check_verdict(&all, "10.0.0.1:45012", FW_V_OPEN);
	CHECK_INT(all.n, 12);
	CHECK_INT(count_verdict(&folded, FW_V_INCOMPLETE), 0);
}

/* Two v2 traces, app1 and db1, from 0 to 200 s, heartbeats every 10 s. */
static void v2_hosts(struct lines *ls, bool folded)
{
	start_v2(ls, "app1", 0, folded, 1000, NULL);
	start_v2(ls, "db1", 0, folded, 1000, NULL);
	ticks(ls, "app1", 1, 200, 10);
	ticks(ls, "db1", 1, 200, 10);
}

static void v2_stop(struct lines *ls)
{
	stop_rec(ls, "app1", 0, 200);
	stop_rec(ls, "db1", 0, 200);
}

/*
 * A step of a path nobody saw (time null) happened at or before the
 * record that carries it: the FIN is dated by that record, and the
 * words say "at some time before".
 */
static void test_unseen_step_is_dated_by_its_record(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	struct sk cl, sv;

	pair_of(46001, &cl, &sv);
	v2_hosts(&ls, true);
	established(&ls, &cl, &sv, 1, true);
	ev(&ls, &cl, 10.2, "retransmit", "FIN_WAIT1", "FIN_WAIT1",
	   ",\"tcp_flags\":\"FIN|ACK\",\"close_retrans\":1,\"path\":[["
	   "\"ESTABLISHED\",\"FIN_WAIT1\",null]]");
	ev(&ls, &cl, 13, "state", "FIN_WAIT1", "CLOSE",
	   ",\"final\":true" TIMED_OUT);
	v2_stop(&ls);
	run_v2(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_LOST_FIN);
	CHECK_INT(cap.got[0].close_time_ns, T0 + 10200 * MS);
	CHECK(strstr(cap.got[0].evidence, "sent FIN at some time before "
					  "2026-11-30T00:00:10.200Z") != NULL);
}

/*
 * A reset that kills the survivor long after the lost RST is another
 * reset (its keepalive answered), even when only the final record's
 * ECONNRESET tells it (the reset_received record was lost: gap).
 */
static void test_late_reset_is_not_the_lost_rst(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;
	struct sk cl, sv;

	pair_of(46002, &cl, &sv);
	v2_hosts(&ls, false);
	established(&ls, &cl, &sv, 1, false);
	ev(&ls, &cl, 30, "reset_sent", "ESTABLISHED", "ESTABLISHED", "");
	ev(&ls, &cl, 30, "state", "ESTABLISHED", "CLOSE", ",\"final\":true");
	ev(&ls, &sv, 100, "state", "ESTABLISHED", "CLOSE",
	   ",\"gap\":1,\"final\":true" RESET);
	v2_stop(&ls);
	run_v2(&ls, &cap);
	CHECK_INT(cap.n, 1);
	g = &cap.got[0];
	CHECK_INT(g->verdict, FW_V_LOST_RST);
	CHECK_INT(g->surviving_state, FW_TCP_ESTABLISHED);
	CHECK_STR(g->reaped_by, "reset");
	CHECK_INT(g->reaped_after_ms, 70000);
	CHECK_INT(g->server_gap, 1);
	CHECK(strstr(g->evidence, "the tracer lost 1 records of the server's "
				  "socket") != NULL);
}

/* Drop records lost: the counters and drop_reason_last still tell. */
static void test_drop_facts_without_drop_records(void)
{
	struct lines ls = { 0 };
	struct capture cap;
	struct sk cl, sv;

	pair_of(46003, &cl, &sv);
	v2_hosts(&ls, true);
	established(&ls, &cl, &sv, 1, true);
	ev(&ls, &cl, 30, "state", "FIN_WAIT1", "CLOSE",
	   ",\"close_retrans\":0,\"close_drops\":4,\"gap\":4,"
	   "\"drop_reason_last\":\"NETFILTER_DROP\",\"ct_last\":\"none\","
	   "\"path\":[[\"ESTABLISHED\",\"FIN_WAIT1\",1795996810000000000]],"
	   "\"final\":true" TIMED_OUT);
	v2_stop(&ls);
	run_v2(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_LOST_FIN);
	CHECK_INT(cap.got[0].close_drops, 4);
	CHECK_INT(cap.got[0].close_retrans, 3);
	CHECK_STR(cap.got[0].drop_reason, "NETFILTER_DROP");
	CHECK_INT(cap.got[0].client_gap, 4);
}

/* A listener is no connection: listen(), its close, its snapshot. */
static void test_listeners_are_no_connection(void)
{
	struct sk l = server_sk(0, 0, 0);
	struct fw_corr_opts o = default_opts();
	struct lines ls = { 0 };
	struct capture cap;

	l.raddr = "0.0.0.0";
	l.laddr = "0.0.0.0";
	rec_v = 2;
	start_v2(&ls, "db1", 0, false, 1000, NULL);
	st(&ls, &l, 1, "CLOSE", "LISTEN");
	ev(&ls, &l, 2, "snapshot", "LISTEN", "LISTEN",
	   ",\"state\":\"LISTEN\",\"snap\":1");
	host_rec(&ls, "db1", 0, 2.1, "snapshot_end", ",\"snap\":1,\"count\":1");
	ev(&ls, &l, 3, "reset_sent", "LISTEN", "LISTEN", "");
	st(&ls, &l, 50, "LISTEN", "CLOSE");
	stop_rec(&ls, "db1", 0, 60);
	rec_v = 1;
	fw_corr_free(run_lines(&ls, &cap, &o));
	free_lines(&ls);
	CHECK_INT(cap.n, 0);
}

int main(void)
{
	RUN_TEST(test_folded_and_all_states_agree);
	RUN_TEST(test_unseen_step_is_dated_by_its_record);
	RUN_TEST(test_late_reset_is_not_the_lost_rst);
	RUN_TEST(test_drop_facts_without_drop_records);
	RUN_TEST(test_listeners_are_no_connection);
	return CHECK_EXIT();
}
