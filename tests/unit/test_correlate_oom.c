// SPDX-License-Identifier: GPL-2.0
/*
 * The correlator out of memory: every allocation of the engine in turn
 * fails, and the engine must stop cleanly (no crash, no leak under ASan
 * and valgrind), report that it failed, and have reported nothing but
 * what it would have reported anyway up to then.
 */
#include "check.h"
#include "test_correlate_helpers.h"
#include "correlate/engine.h"

/* A log that reaches every kind of allocation the engine makes. */
static void rich_log(struct lines *ls)
{
	struct sk cl1 = client_sk(43001, 1, 2), sv1 = server_sk(43001, 1, 2);
	struct sk cl2 = client_sk(43002, 3, 4), sv2 = server_sk(43002, 3, 4);
	struct sk cl3 = client_sk(43003, 5, 6), sv3 = server_sk(43003, 5, 6);
	struct sk cl4 = client_sk(43004, 7, 8), sv4 = server_sk(43004, 7, 8);
	struct sk cl5 = client_sk(43005, 9, 10), sv5 = server_sk(43005, 9, 10);

	both_start(ls);
	/* restarted: a netns list to copy, and a window it was not running */
	host_rec(ls, "app1", 0, 0.001, "start",
		 ",\"ports\":[6379],\"netns\":[4026531840],\"transport\":"
		 "\"ring\",\"version\":\"test\",\"attach\":[\"x\"]");
	open_conn(ls, &cl1, &sv1, 1);
	clean_close(ls, &cl1, &sv1, 5, 2000);
	open_conn(ls, &cl2, &sv2, 2);
	lost_fin(ls, &cl2, 10, 3000, 3);
	open_conn(ls, &cl3, &sv3, 3);
	/* a dropped FIN: a drop reason to intern */
	ev(ls, &cl3, 20, "state", "ESTABLISHED", "FIN_WAIT1", "");
	ev(ls, &cl3, 20.1, "drop", "FIN_WAIT1", "FIN_WAIT1",
	   ",\"close_retrans\":0,\"close_drops\":1,\"tcp_flags\":\"FIN|ACK\","
	   "\"direction\":\"out\",\"reason\":\"NETFILTER_DROP\"");
	open_conn(ls, &cl4, &sv4, 4);
	/* a CLOSE_WAIT that waits on the clock, then a lost window */
	st(ls, &sv4, 30, "ESTABLISHED", "CLOSE_WAIT");
	host_rec(ls, "db1", 0, 40, "lost",
		 ",\"count\":3,\"from_ns\":1795996839000000000,"
		 "\"transport\":\"ring\"");
	ev(ls, &sv1, 50, "snapshot", "ESTABLISHED", "ESTABLISHED",
	   ",\"close_retrans\":0,\"close_drops\":0,\"last_recv_ms\":5,"
	   "\"last_send_ms\":5,\"state\":\"ESTABLISHED\",\"snap\":1,"
	   "\"source\":\"iter\",\"keepalive\":false");
	/* a server end a pass lists: the timeline's allocations */
	open_conn(ls, &cl5, &sv5, 5);
	snap(ls, &sv5, 50.05, "ESTABLISHED", 5, false);
	host_rec(ls, "db1", 0, 50.1, "snapshot_end",
		 ",\"snap\":1,\"count\":1,\"netns\":[4026531840]");
	host_rec(ls, "app1", 0, 50.2, "snapshot_end",
		 ",\"snap\":2,\"count\":0");
	both_stop(ls, 200);
	sort_lines(ls);
}

static bool same_finding(const struct got *a, const struct got *b)
{
	return a->verdict == b->verdict && !strcmp(a->client, b->client) &&
	       !strcmp(a->evidence, b->evidence) &&
	       !strcmp(a->reason, b->reason);
}

static struct fw_corr *feed_all(struct lines *ls, struct capture *cap,
				const struct fw_corr_opts *o)
{
	struct fw_corr *c = fw_corr_new(o, capture_cb, cap);

	memset(cap, 0, sizeof(*cap));
	if (!c)
		return NULL;
	for (int i = 0; i < ls->n; i++)
		fw_corr_feed_line(c, ls->line[i], strlen(ls->line[i]), NULL, 0);
	cap->finishing = true;
	fw_corr_finish(c);
	return c;
}

static void test_every_allocation_may_fail(void)
{
	static struct capture full, cap;
	struct fw_corr_opts o = default_opts();
	struct lines ls = { 0 };
	unsigned long n;
	struct fw_corr *c;
	char why[64];

	rich_log(&ls);
	run_default(&ls, &full);
	CHECK_INT(full.n, 6);
	CHECK_INT(count_verdict(&full, FW_V_LOST_FIN), 2);
	/* the lost window, and the snapshot of a socket after its close */
	CHECK_INT(count_verdict(&full, FW_V_INCOMPLETE), 2);
	CHECK(find_client(&full, "10.0.0.1:43001") != NULL);
	rich_log(&ls);
	for (n = 1; n < 10000; n++) {
		fw_corr_test_fail_alloc(n);
		c = feed_all(&ls, &cap, &o);
		if (!c) {
			/* the engine itself and its four tables */
			CHECK(n <= 5);
			continue;
		}
		if (!fw_corr_failed(c)) {
			/* the nth allocation never came: all were tried */
			CHECK_INT(cap.n, full.n);
			fw_corr_free(c);
			break;
		}
		CHECK(n > 5);
		CHECK(cap.n <= full.n);
		for (int i = 0; i < cap.n && i < full.n; i++)
			CHECK(same_finding(&cap.got[i], &full.got[i]));
		CHECK_INT(fw_corr_feed_line(c, ls.line[0], strlen(ls.line[0]),
					    why, sizeof(why)),
			  -1);
		CHECK_STR(why, "out of memory");
		fw_corr_free(c);
	}
	fw_corr_test_fail_alloc(0);
	/* the log reaches more than the engine's own setup */
	CHECK(n > 30 && n < 10000);
	free_lines(&ls);
}

int main(void)
{
	RUN_TEST(test_every_allocation_may_fail);
	return CHECK_EXIT();
}
