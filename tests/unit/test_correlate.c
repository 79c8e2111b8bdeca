// SPDX-License-Identifier: GPL-2.0
/*
 * The correlator's pairing and verdicts on crafted two-host logs.
 */
#include "check.h"
#include "test_correlate_helpers.h"

static void test_clean_close_is_ok(void)
{
	struct sk cl = client_sk(40001, 111, 222),
		  sv = server_sk(40001, 111, 222);
	struct fw_corr_opts o = default_opts();
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr *c;
	const struct got *g;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	clean_close(&ls, &cl, &sv, 5, 2000);
	both_stop(&ls, 100);
	sort_lines(&ls);
	c = run_lines(&ls, &cap, &o);
	CHECK_INT(cap.n, 1);
	g = &cap.got[0];
	CHECK_INT(g->verdict, FW_V_OK);
	CHECK_STR(g->client, "10.0.0.1:40001");
	CHECK_STR(g->server, "10.0.0.2:6379");
	CHECK_INT(g->paired_by, FW_PAIR_ISN);
	CHECK_INT(g->closer_is_client, 1);
	CHECK_INT(g->kind, FW_CLOSE_FIN);
	CHECK_INT(g->idle_ms, 2000);
	CHECK_INT(g->surviving_state, 0);
	/* decided as soon as both sockets were gone, not at the end */
	CHECK(g->before_finish);
	CHECK_INT(fw_corr_stats(c)->open_now, 0);
	fw_corr_free(c);
	free_lines(&ls);
}

static void test_lost_fin_from_client(void)
{
	struct sk cl = client_sk(40002, 300, 400),
		  sv = server_sk(40002, 300, 400);
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	lost_fin(&ls, &cl, 10, 3100, 6);
	both_stop(&ls, 300);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	g = &cap.got[0];
	CHECK_INT(g->verdict, FW_V_LOST_FIN);
	CHECK_STR(g->client, "10.0.0.1:40002");
	CHECK_STR(g->server, "10.0.0.2:6379");
	CHECK_STR(g->client_host, "app1");
	CHECK_STR(g->server_host, "db1");
	CHECK_INT(g->client_netns, 4026531840ull);
	CHECK_INT(g->server_netns, 4026532000ull);
	CHECK_INT(g->client_pid, 4242);
	CHECK_STR(g->client_comm, "ruby");
	CHECK_INT(g->server_pid, 77);
	CHECK_STR(g->server_comm, "redis-server");
	CHECK_INT(g->closer_is_client, 1);
	CHECK_INT(g->kind, FW_CLOSE_FIN);
	CHECK_INT(g->close_time_ns, T0 + 10 * SEC);
	CHECK_INT(g->close_retrans, 6);
	CHECK_INT(g->idle_ms, 3100);
	CHECK_INT(g->surviving_state, FW_TCP_ESTABLISHED);
	CHECK(strstr(g->evidence, "never received it") != NULL);
	/*
	 * Decided when the server's log passed the client's give-up, but
	 * the server is still open: the finding waits to say how it ends.
	 */
	CHECK(!g->before_finish);
	CHECK_STR(g->reaped_by, "");
	CHECK_STR(g->id, "app1:41002");
	CHECK(!g->provisional && !g->revision);
}

static void test_lost_fin_from_server(void)
{
	struct sk cl = client_sk(40003, 500, 600),
		  sv = server_sk(40003, 500, 600);
	struct lines ls = { 0 };
	struct capture cap;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	lost_fin(&ls, &sv, 20, 45000, 3);
	both_stop(&ls, 300);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_LOST_FIN);
	CHECK_INT(cap.got[0].closer_is_client, 0);
	CHECK_INT(cap.got[0].close_retrans, 3);
	CHECK_INT(cap.got[0].idle_ms, 45000);
	CHECK_INT(cap.got[0].surviving_state, FW_TCP_ESTABLISHED);
}

static void test_lost_rst(void)
{
	struct sk cl = client_sk(40004, 700, 800),
		  sv = server_sk(40004, 700, 800);
	struct lines ls = { 0 };
	struct capture cap;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	ev(&ls, &cl, 30, "reset_sent", "ESTABLISHED", "ESTABLISHED",
	   ",\"last_recv_ms\":9000,\"last_send_ms\":9100");
	st(&ls, &cl, 30, "ESTABLISHED", "CLOSE");
	ev(&ls, &cl, 30, "close", "CLOSE", "CLOSE", ",\"via\":\"destroy\"");
	both_stop(&ls, 100);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_LOST_RST);
	CHECK_INT(cap.got[0].closer_is_client, 1);
	CHECK_INT(cap.got[0].kind, FW_CLOSE_RST);
	CHECK_INT(cap.got[0].close_time_ns, T0 + 30 * SEC);
	CHECK_INT(cap.got[0].close_retrans, 0);
	CHECK_INT(cap.got[0].idle_ms, 9000);
	CHECK_INT(cap.got[0].surviving_state, FW_TCP_ESTABLISHED);
}

static void test_delivered_rst_is_ok(void)
{
	struct sk cl = client_sk(40005, 900, 1000),
		  sv = server_sk(40005, 900, 1000);
	struct lines ls = { 0 };
	struct capture cap;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	/* an abort without a reset_sent record: ESTABLISHED -> CLOSE */
	st(&ls, &cl, 30, "ESTABLISHED", "CLOSE");
	ev(&ls, &sv, 30.001, "reset_received", "ESTABLISHED", "ESTABLISHED",
	   "");
	st(&ls, &sv, 30.001, "ESTABLISHED", "CLOSE");
	both_stop(&ls, 100);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_OK);
	CHECK_INT(cap.got[0].kind, FW_CLOSE_RST);
	CHECK_INT(cap.got[0].closer_is_client, 1);
}

static void test_close_wait_leak(void)
{
	struct sk cl = client_sk(40006, 1100, 1200),
		  sv = server_sk(40006, 1100, 1200);
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	ev(&ls, &cl, 10, "state", "ESTABLISHED", "FIN_WAIT1",
	   ",\"last_recv_ms\":500,\"last_send_ms\":500");
	st(&ls, &sv, 10.001, "ESTABLISHED", "CLOSE_WAIT");
	st(&ls, &cl, 10.002, "FIN_WAIT1", "FIN_WAIT2");
	st(&ls, &cl, 70.002, "FIN_WAIT2", "CLOSE");
	/* the server never closes; its log runs on for 200 s */
	host_rec(&ls, "db1", 0, 150, "snapshot_end",
		 ",\"snap\":1,\"count\":0,\"netns\":[]");
	both_stop(&ls, 200);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	g = &cap.got[0];
	CHECK_INT(g->verdict, FW_V_CLOSE_WAIT_LEAK);
	CHECK_INT(g->closer_is_client, 1);
	CHECK_INT(g->kind, FW_CLOSE_FIN);
	CHECK_INT(g->close_time_ns, T0 + 10 * SEC);
	CHECK_INT(g->surviving_state, FW_TCP_CLOSE_WAIT);
	/* decided at the record that showed it over 60 s: db1's at 150 s */
	CHECK(g->before_finish);
	CHECK_INT(g->close_wait_ns, 150 * SEC - 10 * SEC - 1 * MS);
}

static void test_short_close_wait_is_not_a_leak(void)
{
	struct sk cl = client_sk(40007, 1300, 1400),
		  sv = server_sk(40007, 1300, 1400);
	struct lines ls = { 0 };
	struct capture cap;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	st(&ls, &cl, 10, "ESTABLISHED", "FIN_WAIT1");
	st(&ls, &sv, 10.001, "ESTABLISHED", "CLOSE_WAIT");
	st(&ls, &cl, 10.002, "FIN_WAIT1", "FIN_WAIT2");
	st(&ls, &sv, 40, "CLOSE_WAIT", "LAST_ACK");
	st(&ls, &cl, 40.001, "FIN_WAIT2", "TIME_WAIT");
	st(&ls, &sv, 40.002, "LAST_ACK", "CLOSE");
	both_stop(&ls, 200);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_OK);
}

static void test_peer_vanished(void)
{
	struct sk sv = server_sk(40008, 1500, 1600),
		  other = client_sk(40009, 1, 2);
	struct sk other_sv = server_sk(40009, 1, 2);
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	both_start(&ls);
	/* app1's log shows 10.0.0.1 is app1 (another connection)... */
	open_conn(&ls, &other, &other_sv, 2);
	clean_close(&ls, &other, &other_sv, 3, 100);
	/* ...yet has no socket for this one, which db1 holds open */
	st(&ls, &sv, 10, "SYN_RECV", "ESTABLISHED");
	both_stop(&ls, 500);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 2);
	CHECK_INT(count_verdict(&cap, FW_V_OK), 1);
	g = find_client(&cap, "10.0.0.1:40008");
	CHECK(g != NULL);
	if (g) {
		CHECK_INT(g->verdict, FW_V_PEER_VANISHED);
		CHECK(!g->client_present);
		CHECK(g->server_present);
		CHECK_INT(g->closer_is_client, -1);
		CHECK_INT(g->surviving_state, FW_TCP_ESTABLISHED);
		CHECK_INT(g->paired_by, FW_PAIR_NONE);
	}
}

static void test_peer_log_starting_late_is_not_vanished(void)
{
	struct sk sv = server_sk(40010, 1700, 1800),
		  other = client_sk(40011, 3, 4);
	struct sk other_sv = server_sk(40011, 3, 4);
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	start_rec(&ls, "db1", 0, 0);
	st(&ls, &sv, 10, "SYN_RECV", "ESTABLISHED");
	/* app1's tracer starts after the connection was made */
	start_rec(&ls, "app1", 0, 50);
	open_conn(&ls, &other, &other_sv, 60);
	both_stop(&ls, 500);
	run_default(&ls, &cap);
	g = find_client(&cap, "10.0.0.1:40010");
	CHECK(g != NULL);
	if (g)
		CHECK_INT(g->verdict, FW_V_OPEN);
}

static void test_unacked_fin_single_log(void)
{
	struct sk cl = client_sk(40012, 1900, 2000);
	struct fw_corr_opts o = default_opts();
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr *c;
	const struct got *g;

	start_rec(&ls, "app1", 0, 0);
	st(&ls, &cl, 1, "SYN_SENT", "ESTABLISHED");
	lost_fin(&ls, &cl, 10, 7000, 8);
	stop_rec(&ls, "app1", 0, 300);
	c = run_lines(&ls, &cap, &o);
	CHECK_INT(cap.n, 1);
	g = &cap.got[0];
	CHECK_INT(g->verdict, FW_V_UNACKED_FIN);
	CHECK(g->client_present);
	CHECK(!g->server_present);
	CHECK_STR(g->server, "10.0.0.2:6379");
	CHECK_INT(g->closer_is_client, 1);
	CHECK_INT(g->close_retrans, 8);
	CHECK_INT(g->idle_ms, 7000);
	CHECK_INT(g->surviving_state, 0);
	fw_corr_free(c);
	free_lines(&ls);
}

/*
 * A FIN to an address no traced host has (a relay on a router), still
 * unacknowledged when the logs end: incomplete, and no "other end" is
 * said to be still FIN_WAIT1: the one end in the logs is the closer.
 */
static void test_unacked_fin_to_untraced_peer(void)
{
	struct sk cl = client_sk(40014, 2300, 2400),
		  other = client_sk(40015, 2500, 2600),
		  other_sv = server_sk(40015, 2500, 2600);
	struct fw_corr_opts o = default_opts();
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr *c;
	const struct got *g;

	cl.raddr = "10.0.0.9";
	both_start(&ls);
	open_conn(&ls, &other, &other_sv, 1);
	st(&ls, &cl, 2, "SYN_SENT", "ESTABLISHED");
	ev(&ls, &cl, 10, "state", "ESTABLISHED", "FIN_WAIT1", "");
	for (int i = 0; i < 3; i++)
		ev(&ls, &cl, 10.2 + i, "retransmit", "FIN_WAIT1", "FIN_WAIT1",
		   ",\"tcp_flags\":\"FIN|ACK\"");
	both_stop(&ls, 30);
	c = run_lines(&ls, &cap, &o);
	g = find_client(&cap, "10.0.0.1:40014");
	CHECK(g != NULL);
	if (g) {
		CHECK_INT(g->verdict, FW_V_INCOMPLETE);
		CHECK_INT(g->surviving_state, 0);
	}
	fw_corr_free(c);
	free_lines(&ls);
}

static void test_lost_events_make_incomplete(void)
{
	struct sk cl = client_sk(40013, 2100, 2200),
		  sv = server_sk(40013, 2100, 2200);
	struct fw_corr_opts o = default_opts();
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr *c;
	const struct got *g;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	lost_fin(&ls, &cl, 10, 3000, 5);
	/* db1's tracer dropped records right when the FIN would arrive */
	host_rec(&ls, "db1", 0, 12, "lost",
		 ",\"count\":17,\"from_ns\":1795996809500000000,"
		 "\"transport\":\"ring\"");
	both_stop(&ls, 300);
	sort_lines(&ls);
	c = run_lines(&ls, &cap, &o);
	CHECK_INT(cap.n, 1);
	g = &cap.got[0];
	CHECK_INT(g->verdict, FW_V_INCOMPLETE);
	CHECK(strstr(g->reason, "lost 17 events") != NULL);
	CHECK_INT(fw_corr_stats(c)->lost_events, 17);
	fw_corr_free(c);
	free_lines(&ls);
}

static void test_lost_events_elsewhere_do_not_matter(void)
{
	struct sk cl = client_sk(40014, 2300, 2400),
		  sv = server_sk(40014, 2300, 2400);
	struct lines ls = { 0 };
	struct capture cap;

	both_start(&ls);
	host_rec(&ls, "db1", 0, 0.5, "lost",
		 ",\"count\":3,\"from_ns\":1795996800100000000");
	open_conn(&ls, &cl, &sv, 1);
	lost_fin(&ls, &cl, 10, 3000, 5);
	both_stop(&ls, 300);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_LOST_FIN);
}

static void test_log_ending_early_is_incomplete(void)
{
	struct sk cl = client_sk(40015, 2500, 2600),
		  sv = server_sk(40015, 2500, 2600);
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	/* db1's log is cut (no stop) before the client even sends FIN */
	host_rec(&ls, "db1", 0, 5, "snapshot_end", ",\"count\":0");
	lost_fin(&ls, &cl, 10, 3000, 5);
	stop_rec(&ls, "app1", 0, 300);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	g = &cap.got[0];
	CHECK_INT(g->verdict, FW_V_INCOMPLETE);
	CHECK(strstr(g->reason, "too soon") != NULL);
}

static void test_port_reuse_is_a_new_connection(void)
{
	struct sk cl1 = client_sk(40016, 2700, 2800),
		  sv1 = server_sk(40016, 2700, 2800);
	struct sk cl2 = client_sk(40016, 2900, 3000),
		  sv2 = server_sk(40016, 2900, 3000);
	struct lines ls = { 0 };
	struct capture cap;

	cl2.sock = 77777;
	sv2.sock = 88888;
	both_start(&ls);
	open_conn(&ls, &cl1, &sv1, 1);
	clean_close(&ls, &cl1, &sv1, 5, 100);
	/* same 4-tuple a minute later; this time the FIN is lost */
	open_conn(&ls, &cl2, &sv2, 60);
	lost_fin(&ls, &cl2, 70, 4000, 5);
	both_stop(&ls, 400);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 2);
	CHECK_INT(cap.got[0].verdict, FW_V_OK);
	CHECK_INT(cap.got[0].close_time_ns, T0 + 5 * SEC);
	CHECK_INT(cap.got[1].verdict, FW_V_LOST_FIN);
	CHECK_INT(cap.got[1].close_time_ns, T0 + 70 * SEC);
	CHECK_INT(cap.got[1].idle_ms, 4000);
}

static void test_port_reuse_without_isns_pairs_by_time(void)
{
	struct sk cl1 = client_sk(40017, 0, 0), sv1 = server_sk(40017, 0, 0);
	struct sk cl2 = client_sk(40017, 0, 0), sv2 = server_sk(40017, 0, 0);
	struct lines ls = { 0 };
	struct capture cap;

	cl2.sock = 77777;
	sv2.sock = 88888;
	both_start(&ls);
	open_conn(&ls, &cl1, &sv1, 1);
	/* the first stays open on both ends; the tuple is reused anyway
	 * (a different netns on the client, say) */
	open_conn(&ls, &cl2, &sv2, 60);
	lost_fin(&ls, &cl2, 70, 4000, 5);
	both_stop(&ls, 400);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 2);
	CHECK_INT(count_verdict(&cap, FW_V_LOST_FIN), 1);
	CHECK_INT(count_verdict(&cap, FW_V_OPEN), 1);
	CHECK_INT(cap.got[0].paired_by, FW_PAIR_TUPLE);
	CHECK_INT(cap.got[1].paired_by, FW_PAIR_TUPLE);
}

static void test_clock_skew_within_tolerance(void)
{
	struct sk cl = client_sk(40018, 0, 0), sv = server_sk(40018, 0, 0);
	struct lines ls = { 0 };
	struct capture cap;

	/* db1's clock is 1.5 s behind; no ISNs, so the tuple must pair */
	sv.clock_off_ns = -1500 * (int64_t)MS;
	start_rec(&ls, "app1", 0, 0);
	start_rec(&ls, "db1", sv.clock_off_ns, 0);
	open_conn(&ls, &cl, &sv, 1);
	lost_fin(&ls, &cl, 10, 3000, 5);
	stop_rec(&ls, "app1", 0, 300);
	stop_rec(&ls, "db1", sv.clock_off_ns, 300);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_LOST_FIN);
	CHECK_INT(cap.got[0].paired_by, FW_PAIR_TUPLE);
}

static void test_isns_pair_whatever_the_skew(void)
{
	struct sk cl = client_sk(40019, 3100, 3200),
		  sv = server_sk(40019, 3100, 3200);
	struct lines ls = { 0 };
	struct capture cap;

	struct sk cl2 = client_sk(40030, 3150, 3250),
		  sv2 = server_sk(40030, 3150, 3250);
	struct sk cl3 = client_sk(40031, 3160, 3260),
		  sv3 = server_sk(40031, 3160, 3260);
	const struct got *g;

	/* db1's clock is 30 s ahead, far beyond --skew; merged by time,
	 * app1's records of a minute come before db1's */
	sv.clock_off_ns = sv2.clock_off_ns = sv3.clock_off_ns =
		30 * (int64_t)SEC;
	start_rec(&ls, "app1", 0, 0);
	start_rec(&ls, "db1", sv.clock_off_ns, 0);
	/* a long-lived connection; its FIN is lost at the end */
	open_conn(&ls, &cl, &sv, 1);
	/* short ones come and go meanwhile */
	open_conn(&ls, &cl2, &sv2, 5);
	clean_close(&ls, &cl2, &sv2, 6, 100);
	open_conn(&ls, &cl3, &sv3, 40);
	lost_fin(&ls, &cl3, 45, 2500, 4);
	lost_fin(&ls, &cl, 100, 5000, 4);
	stop_rec(&ls, "app1", 0, 300);
	stop_rec(&ls, "db1", sv.clock_off_ns, 300);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 3);
	g = find_client(&cap, "10.0.0.1:40019");
	CHECK(g && g->verdict == FW_V_LOST_FIN && g->paired_by == FW_PAIR_ISN);
	g = find_client(&cap, "10.0.0.1:40030");
	CHECK(g && g->verdict == FW_V_OK && g->paired_by == FW_PAIR_ISN);
	g = find_client(&cap, "10.0.0.1:40031");
	CHECK(g && g->verdict == FW_V_LOST_FIN && g->paired_by == FW_PAIR_ISN);
}

/* Hosts' records in any order of files: all of db1 first, then app1. */
static void test_reordered_hosts(void)
{
	struct sk cl = client_sk(40020, 3300, 3400),
		  sv = server_sk(40020, 3300, 3400);
	struct sk cl2 = client_sk(40021, 3500, 3600),
		  sv2 = server_sk(40021, 3500, 3600);
	struct fw_corr_opts o = default_opts();
	struct lines a = { 0 }, b = { 0 }, all = { 0 };
	struct capture cap;
	struct fw_corr *c;
	int i;

	start_rec(&a, "app1", 0, 0);
	start_rec(&b, "db1", 0, 0);
	open_conn(&all, &cl, &sv, 1);
	lost_fin(&all, &cl, 10, 3000, 5);
	open_conn(&all, &cl2, &sv2, 2);
	clean_close(&all, &cl2, &sv2, 20, 1000);
	sort_lines(&all);
	for (i = 0; i < all.n; i++) {
		if (strstr(all.line[i], "\"host\":\"app1\""))
			add_line(&a, "%s", all.line[i]);
		else
			add_line(&b, "%s", all.line[i]);
	}
	stop_rec(&a, "app1", 0, 300);
	stop_rec(&b, "db1", 0, 300);
	free_lines(&all);
	for (i = 0; i < b.n; i++)
		add_line(&all, "%s", b.line[i]);
	for (i = 0; i < a.n; i++)
		add_line(&all, "%s", a.line[i]);
	c = run_lines(&all, &cap, &o);
	CHECK_INT(cap.n, 2);
	CHECK(find_client(&cap, "10.0.0.1:40020") != NULL);
	if (find_client(&cap, "10.0.0.1:40020"))
		CHECK_INT(find_client(&cap, "10.0.0.1:40020")->verdict,
			  FW_V_LOST_FIN);
	if (find_client(&cap, "10.0.0.1:40021"))
		CHECK_INT(find_client(&cap, "10.0.0.1:40021")->verdict,
			  FW_V_OK);
	fw_corr_free(c);
	free_lines(&a);
	free_lines(&b);
	free_lines(&all);
}

static void test_ipv6(void)
{
	struct sk cl = {
		"app1",	       1,    10,       6,    "2001:db8::1", 40022,
		"2001:db8::2", 6379, "client", 4242, "ruby",	    3700,
		3800,	       0
	};
	struct sk sv = {
		"db1",	       2,     20,	6,  "2001:db8::2",  6379,
		"2001:db8::1", 40022, "server", 77, "redis-server", 3800,
		3700,	       0
	};
	struct lines ls = { 0 };
	struct capture cap;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	lost_fin(&ls, &cl, 10, 3000, 5);
	both_stop(&ls, 300);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_LOST_FIN);
	CHECK_STR(cap.got[0].client, "[2001:db8::1]:40022");
	CHECK_STR(cap.got[0].server, "[2001:db8::2]:6379");
}

static void test_nat_pairs_by_isn(void)
{
	/* the client talks to a VIP; the server sees the NAT's address */
	struct sk cl = { "app1",	1,    10,	4,    "10.0.0.1", 40023,
			 "203.0.113.5", 6379, "client", 4242, "ruby",	  3900,
			 4000,		0 };
	struct sk sv = {
		"db1",		2,     20,	 4,  "10.1.0.2",     6379,
		"198.51.100.7", 61000, "server", 77, "redis-server", 4000,
		3900,		0
	};
	struct lines ls = { 0 };
	struct capture cap;

	both_start(&ls);
	/* before ESTABLISHED the client has no ISNs yet */
	cl.isn_local = cl.isn_remote = 0;
	st(&ls, &cl, 1, "CLOSE", "SYN_SENT");
	cl.isn_local = 3900;
	cl.isn_remote = 4000;
	open_conn(&ls, &cl, &sv, 1.001);
	lost_fin(&ls, &cl, 10, 3000, 5);
	both_stop(&ls, 300);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_LOST_FIN);
	CHECK_INT(cap.got[0].paired_by, FW_PAIR_ISN);
	CHECK_STR(cap.got[0].client, "10.0.0.1:40023");
	CHECK_STR(cap.got[0].server, "10.1.0.2:6379");
}

static void test_one_host_two_namespaces(void)
{
	struct sk cl = { "node1", 111,		10,   4,	"172.17.0.5",
			 40024,	  "172.17.0.6", 6379, "client", 4242,
			 "ruby",  4100,		4200, 0 };
	struct sk sv = {
		"node1",	222,	      20,    4,	       "172.17.0.6",
		6379,		"172.17.0.5", 40024, "server", 77,
		"redis-server", 4200,	      4100,  0
	};
	struct fw_corr_opts o = default_opts();
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr *c;

	start_rec(&ls, "node1", 0, 0);
	open_conn(&ls, &cl, &sv, 1);
	lost_fin(&ls, &cl, 10, 3000, 5);
	stop_rec(&ls, "node1", 0, 300);
	c = run_lines(&ls, &cap, &o);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_LOST_FIN);
	CHECK_INT(cap.got[0].client_netns, 111);
	CHECK_INT(cap.got[0].server_netns, 222);
	CHECK_STR(cap.got[0].client_host, "node1");
	fw_corr_free(c);
	free_lines(&ls);
}

static void test_open_connection(void)
{
	struct sk cl = client_sk(40025, 4300, 4400),
		  sv = server_sk(40025, 4300, 4400);
	struct lines ls = { 0 };
	struct capture cap;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	both_stop(&ls, 300);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_OPEN);
	CHECK_INT(cap.got[0].closer_is_client, -1);
	CHECK(!cap.got[0].before_finish);
}

/* Streaming: many short connections never pile up in memory. */
static void test_memory_follows_open_connections(void)
{
	struct fw_corr_opts o = default_opts();
	struct capture cap;
	struct fw_corr *c;
	struct lines ls = { 0 };
	uint64_t peak;
	int i, k;

	memset(&cap, 0, sizeof(cap));
	c = fw_corr_new(&o, NULL, NULL);
	start_rec(&ls, "app1", 0, 0);
	start_rec(&ls, "db1", 0, 0);
	for (i = 0; i < ls.n; i++)
		fw_corr_feed_line(c, ls.line[i], strlen(ls.line[i]), NULL, 0);
	free_lines(&ls);
	for (k = 0; k < 2000; k++) {
		struct sk cl = client_sk(20000 + k, 10000 + (uint32_t)k,
					 90000 + (uint32_t)k);
		struct sk sv = server_sk(20000 + k, 10000 + (uint32_t)k,
					 90000 + (uint32_t)k);

		open_conn(&ls, &cl, &sv, 1 + k * 0.01);
		clean_close(&ls, &cl, &sv, 1.005 + k * 0.01, 3);
		for (i = 0; i < ls.n; i++)
			fw_corr_feed_line(c, ls.line[i], strlen(ls.line[i]),
					  NULL, 0);
		free_lines(&ls);
	}
	peak = fw_corr_stats(c)->open_peak;
	CHECK(peak <= 4);
	CHECK_INT(fw_corr_stats(c)->open_now, 0);
	CHECK_INT(fw_corr_stats(c)->verdicts[FW_V_OK], 2000);
	fw_corr_finish(c);
	fw_corr_free(c);
}

/* --follow: a lost FIN is reported while the logs still grow. */
static void test_follow_reports_before_the_end(void)
{
	struct sk cl = client_sk(40026, 4500, 4600),
		  sv = server_sk(40026, 4500, 4600);
	struct fw_corr_opts o = default_opts();
	struct lines ls = { 0 };
	struct capture cap;
	struct fw_corr *c;
	int i;

	o.follow = true;
	memset(&cap, 0, sizeof(cap));
	c = fw_corr_new(&o, capture_cb, &cap);
	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	lost_fin(&ls, &cl, 10, 3000, 4); /* dies at 16.2 s */
	host_rec(&ls, "db1", 0, 16.9, "snapshot_end", ",\"count\":0");
	host_rec(&ls, "app1", 0, 16.9, "snapshot_end", ",\"count\":0");
	sort_lines(&ls);
	for (i = 0; i < ls.n; i++)
		fw_corr_feed_line(c, ls.line[i], strlen(ls.line[i]), NULL, 0);
	/*
	 * ISN-calibrated: 16.2 s + 1 s of flight not reached yet, but the
	 * FIN was retransmitted 4 times and db1's log is current past the
	 * last try plus the allowance: named, provisionally.
	 */
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_LOST_FIN);
	CHECK(cap.got[0].provisional);
	CHECK(strstr(cap.got[0].evidence, "provisional") != NULL);
	free_lines(&ls);
	host_rec(&ls, "db1", 0, 20, "snapshot_end", ",\"count\":0");
	host_rec(&ls, "app1", 0, 20, "snapshot_end", ",\"count\":0");
	for (i = 0; i < ls.n; i++)
		fw_corr_feed_line(c, ls.line[i], strlen(ls.line[i]), NULL, 0);
	CHECK_INT(cap.n, 2);
	CHECK_INT(cap.got[1].verdict, FW_V_LOST_FIN);
	CHECK(!cap.got[1].provisional && cap.got[1].revision);
	CHECK_STR(cap.got[1].id, cap.got[0].id);
	fw_corr_finish(c);
	CHECK_INT(cap.n, 2);
	CHECK_INT(fw_corr_stats(c)->connections, 1);
	fw_corr_free(c);
	free_lines(&ls);
}

/* A late record of a decided socket must not make a ghost connection. */
static void test_late_destroy_record_is_ignored(void)
{
	struct sk cl = client_sk(40027, 4700, 4800),
		  sv = server_sk(40027, 4700, 4800);
	struct lines ls = { 0 };
	struct capture cap;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	clean_close(&ls, &cl, &sv, 5, 100);
	ev(&ls, &cl, 65, "close", "TIME_WAIT", "CLOSE", ",\"via\":\"destroy\"");
	ev(&ls, &sv, 5.01, "close", "CLOSE", "CLOSE", ",\"via\":\"destroy\"");
	both_stop(&ls, 300);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_OK);
}

/* The FIN is lost, but the server later writes and the RST tells it. */
static void test_lost_fin_then_rst_is_ok(void)
{
	struct sk cl = client_sk(40028, 4900, 5000),
		  sv = server_sk(40028, 4900, 5000);
	struct lines ls = { 0 };
	struct capture cap;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	lost_fin(&ls, &cl, 10, 3000, 3); /* client gone at 12.8 s */
	ev(&ls, &sv, 12.5, "reset_received", "ESTABLISHED", "ESTABLISHED", "");
	st(&ls, &sv, 12.5, "ESTABLISHED", "CLOSE");
	both_stop(&ls, 300);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_OK);
	CHECK(strstr(cap.got[0].evidence, "never reached") != NULL);
}

/* The client half-closed; the server's FIN is lost: FIN_WAIT2 survives. */
static void test_lost_fin_leaves_fin_wait2(void)
{
	struct sk cl = client_sk(40029, 5100, 5200),
		  sv = server_sk(40029, 5100, 5200);
	struct lines ls = { 0 };
	struct capture cap;
	const struct got *g;

	both_start(&ls);
	open_conn(&ls, &cl, &sv, 1);
	st(&ls, &cl, 10, "ESTABLISHED", "FIN_WAIT1");
	st(&ls, &sv, 10.001, "ESTABLISHED", "CLOSE_WAIT");
	st(&ls, &cl, 10.002, "FIN_WAIT1", "FIN_WAIT2");
	ev(&ls, &sv, 20, "state", "CLOSE_WAIT", "LAST_ACK",
	   ",\"last_recv_ms\":9998,\"last_send_ms\":12000");
	ev(&ls, &sv, 20.2, "retransmit", "LAST_ACK", "LAST_ACK",
	   ",\"tcp_flags\":\"FIN|ACK\"");
	ev(&ls, &sv, 20.6, "retransmit", "LAST_ACK", "LAST_ACK",
	   ",\"tcp_flags\":\"FIN|ACK\"");
	both_stop(&ls, 100);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	g = &cap.got[0];
	CHECK_INT(g->verdict, FW_V_LOST_FIN);
	CHECK_INT(g->closer_is_client, 0);
	CHECK_INT(g->close_time_ns, T0 + 20 * SEC);
	CHECK_INT(g->close_retrans, 2);
	CHECK_INT(g->idle_ms, 9998);
	CHECK_INT(g->surviving_state, FW_TCP_FIN_WAIT2);
}

/*
 * What the tracer really writes: the client's SYN_SENT before the port
 * is bound (lport 0, no ISNs), the server's SYN_RECV without ISNs, and
 * a reset_sent after the abort already moved the socket to CLOSE.
 */
static void test_tracer_quirks(void)
{
	struct sk cl = client_sk(40032, 0, 0), sv = server_sk(40032, 0, 0);
	struct lines ls = { 0 };
	struct capture cap;

	both_start(&ls);
	cl.lport = 0;
	st(&ls, &cl, 1, "CLOSE", "SYN_SENT");
	cl.lport = 40032;
	cl.isn_local = sv.isn_remote = 5300;
	cl.isn_remote = sv.isn_local = 5400;
	st(&ls, &cl, 1.001, "SYN_SENT", "ESTABLISHED");
	sv.isn_local = sv.isn_remote = 0;
	st(&ls, &sv, 1.0012, "LISTEN", "SYN_RECV");
	sv.isn_local = 5400;
	sv.isn_remote = 5300;
	st(&ls, &sv, 1.0015, "SYN_RECV", "ESTABLISHED");
	st(&ls, &sv, 5, "ESTABLISHED", "CLOSE");
	ev(&ls, &sv, 5, "reset_sent", "CLOSE", "CLOSE", "");
	ev(&ls, &cl, 5.001, "reset_received", "ESTABLISHED", "ESTABLISHED", "");
	st(&ls, &cl, 5.001, "ESTABLISHED", "CLOSE");
	ev(&ls, &sv, 5.002, "close", "CLOSE", "CLOSE", ",\"via\":\"destroy\"");
	ev(&ls, &cl, 5.003, "close", "CLOSE", "CLOSE", ",\"via\":\"destroy\"");
	both_stop(&ls, 100);
	run_default(&ls, &cap);
	CHECK_INT(cap.n, 1);
	CHECK_INT(cap.got[0].verdict, FW_V_OK);
	CHECK_STR(cap.got[0].client, "10.0.0.1:40032");
	CHECK_INT(cap.got[0].paired_by, FW_PAIR_ISN);
	CHECK_INT(cap.got[0].closer_is_client, 0);
	CHECK_INT(cap.got[0].kind, FW_CLOSE_RST);
}

/*
 * Only the client's log, peers unknown: closed ends are held for a peer
 * that might come later, but never more than the cap; the oldest are
 * judged alone, and every connection still gets its verdict.
 */
static void test_held_ends_are_bounded(void)
{
	struct fw_corr_opts o = default_opts();
	struct fw_corr *c = fw_corr_new(&o, NULL, NULL);
	const struct fw_corr_stats *stats = fw_corr_stats(c);
	struct lines ls = { 0 };
	int k, i, n = 70000;

	for (k = 0; k < n; k++) {
		struct sk cl = client_sk(1024 + k % 60000, 0, 0);

		cl.sock = 100000 + (uint64_t)k;
		cl.raddr = "192.0.2.9"; /* a host with no log */
		st(&ls, &cl, 1 + k * 0.001, "SYN_SENT", "ESTABLISHED");
		st(&ls, &cl, 1.0005 + k * 0.001, "ESTABLISHED", "FIN_WAIT1");
		st(&ls, &cl, 1.0006 + k * 0.001, "FIN_WAIT1", "FIN_WAIT2");
		st(&ls, &cl, 1.0007 + k * 0.001, "FIN_WAIT2", "TIME_WAIT");
		for (i = 0; i < ls.n; i++)
			fw_corr_feed_line(c, ls.line[i], strlen(ls.line[i]),
					  NULL, 0);
		free_lines(&ls);
	}
	CHECK(stats->open_peak <= 65536 + 2);
	CHECK_INT(stats->verdicts[FW_V_OK], n - 65536);
	fw_corr_finish(c);
	CHECK_INT(stats->verdicts[FW_V_OK], n);
	CHECK_INT(stats->open_now, 0);
	fw_corr_free(c);
}

int main(void)
{
	RUN_TEST(test_clean_close_is_ok);
	RUN_TEST(test_lost_fin_from_client);
	RUN_TEST(test_lost_fin_from_server);
	RUN_TEST(test_lost_rst);
	RUN_TEST(test_delivered_rst_is_ok);
	RUN_TEST(test_close_wait_leak);
	RUN_TEST(test_short_close_wait_is_not_a_leak);
	RUN_TEST(test_peer_vanished);
	RUN_TEST(test_peer_log_starting_late_is_not_vanished);
	RUN_TEST(test_unacked_fin_single_log);
	RUN_TEST(test_unacked_fin_to_untraced_peer);
	RUN_TEST(test_lost_events_make_incomplete);
	RUN_TEST(test_lost_events_elsewhere_do_not_matter);
	RUN_TEST(test_log_ending_early_is_incomplete);
	RUN_TEST(test_port_reuse_is_a_new_connection);
	RUN_TEST(test_port_reuse_without_isns_pairs_by_time);
	RUN_TEST(test_clock_skew_within_tolerance);
	RUN_TEST(test_isns_pair_whatever_the_skew);
	RUN_TEST(test_reordered_hosts);
	RUN_TEST(test_ipv6);
	RUN_TEST(test_nat_pairs_by_isn);
	RUN_TEST(test_one_host_two_namespaces);
	RUN_TEST(test_open_connection);
	RUN_TEST(test_memory_follows_open_connections);
	RUN_TEST(test_follow_reports_before_the_end);
	RUN_TEST(test_late_destroy_record_is_ignored);
	RUN_TEST(test_lost_fin_then_rst_is_ok);
	RUN_TEST(test_lost_fin_leaves_fin_wait2);
	RUN_TEST(test_tracer_quirks);
	RUN_TEST(test_held_ends_are_bounded);
	return CHECK_EXIT();
}
