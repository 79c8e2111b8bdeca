// SPDX-License-Identifier: GPL-2.0
/*
 * The report at the seed incident's scale (docs/CORRELATE.md): hundreds
 * of ghosts as one entry, singular and plural, idle holders, the timeline
 * of periodic snapshot passes with its growth rate and days left before
 * maxclients, the SVG chart (checked by xmllint) and the Prometheus
 * metrics (checked by promtool), and the CLI options behind them.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "test_correlate_helpers.h"
#include "correlate/report.h"
#include "correlate/timeline.h"

#define HOURS(h)  ((h)*3600.0)
#define NLIVE	  42
#define SEED_PASS 21600.0 /* every 6 h */

/* Feeds ls merged by time to the engine and a report made with ro. */
static char *run_report(struct lines *ls, struct fw_report_opts ro, int *rc)
{
	struct fw_corr_opts o = default_opts();
	struct fw_report *r;
	struct fw_corr *c;
	char *buf = NULL;
	size_t len = 0;

	ro.out = open_memstream(&buf, &len);
	r = fw_report_new(&ro);
	c = fw_corr_new(&o, fw_report_finding, r);
	sort_lines(ls);
	for (int i = 0; i < ls->n; i++)
		fw_corr_feed_line(c, ls->line[i], strlen(ls->line[i]), NULL, 0);
	fw_corr_finish(c);
	fw_report_timeline(r, fw_corr_timeline(c));
	*rc = fw_report_finish(r, fw_corr_stats(c));
	fw_corr_free(c);
	fw_report_free(r);
	fclose(ro.out);
	return buf;
}

static char *text_of(struct lines *ls, bool json)
{
	struct fw_report_opts ro = { .json = json };
	int rc;
	char *out = run_report(ls, ro, &rc);

	CHECK_INT(rc, 0);
	free_lines(ls);
	return out;
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Checks that text has want, and prints text when it has not. */
static void check_has(const char *text, const char *want)
{
	if (!strstr(text, want)) {
		printf("  missing:\n%s\n  in:\n%s\n", want, text);
		check_current_failed = 1;
	}
}

/* A live connection both ends list in a pass at t (the client 1 s on). */
static void live_pass(struct lines *ls, int port, double t, int idle_ms)
{
	struct sk cl = client_sk(port, 7000 + port, 9000 + port);
	struct sk sv = server_sk(port, 7000 + port, 9000 + port);

	snap(ls, &sv, t, "ESTABLISHED", idle_ms, false);
	snap(ls, &cl, t + 1, "ESTABLISHED", idle_ms, false);
}

/* A server socket whose client is gone, in db1's pass at t. */
static void ghost_pass(struct lines *ls, int port, double t, int idle_ms)
{
	struct sk sv = server_sk(port, 0, 0);

	snap(ls, &sv, t, "ESTABLISHED", idle_ms, false);
}

static void pass_ends(struct lines *ls, double t)
{
	snap_end(ls, "db1", t + 0.75, 0);
	snap_end(ls, "app1", t + 1.75, 0);
}

/* ---- grouping, singular and plural ---- */

/* The seed: db1 holds 342 connections from app1, which holds 42. */
static void test_ghosts_grouped_at_scale(void)
{
	struct lines ls = { 0 };
	char *t;

	for (int i = 0; i < NLIVE; i++)
		live_pass(&ls, 50000 + i, 100, 1000);
	for (int i = 0; i < 300; i++) {
		int port = i < 150 ? 40000 + i : i == 150 ? 40200 : 40150 + i;

		ghost_pass(&ls, port, 100, 3600000 + i * 60000);
	}
	pass_ends(&ls, 100);
	t = text_of(&ls, false);
	check_has(t, "the server db1 holds 342 connections from client host "
		     "app1; app1 holds 42 of them; 300 are ghosts\n");
	check_has(t, "\npeer_vanished   300 connections: client 10.0.0.1 (not "
		     "in the logs) -> server 10.0.0.2:6379 (db1 "
		     "redis-server[77])\n"
		     "                client ports: 40000-40149, 40200, "
		     "40301-40449\n"
		     "                the server ends idle 1h00m to 5h59m in "
		     "their snapshots\n"
		     "                e.g. port 40000: server on db1 is still "
		     "ESTABLISHED at ");
	CHECK_INT(count_of(t, "peer_vanished   "), 1);
	check_has(t, "The evidence points to the network: 300 peers gone "
		     "without their close arriving (peer_gone on app1)\n");
	free(t);
}

/* --json keeps every finding, each with the report's own "v". */
static void test_json_keeps_every_finding(void)
{
	struct lines ls = { 0 };
	char *j;

	for (int i = 0; i < 2; i++)
		live_pass(&ls, 50000 + i, 100, 1000);
	for (int i = 0; i < 120; i++)
		ghost_pass(&ls, 40000 + i, 100, 3600000);
	pass_ends(&ls, 100);
	j = text_of(&ls, true);
	CHECK_INT(count_of(j, "\"verdict\":\"peer_vanished\""), 120);
	CHECK_INT(count_of(j, "{\"type\":\"finding\",\"v\":1,"), 120);
	CHECK_INT(count_of(j, "{\"type\":\"summary\",\"v\":1,"), 1);
	free(j);
}

static void test_singular(void)
{
	struct lines ls = { 0 };
	char *t;

	live_pass(&ls, 50000, 100, 1000);
	ghost_pass(&ls, 40000, 100, 3600000);
	pass_ends(&ls, 100);
	t = text_of(&ls, false);
	check_has(t, "finwatch correlate: 5 records from 2 hosts, 0 bad lines, "
		     "0 events lost by the tracers, 2 connections\n");
	check_has(t, "the server db1 holds 2 connections from client host "
		     "app1; app1 holds 1 of them; 1 is a ghost\n"
		     "    the ghost's idle time: 1h00m\n"
		     "    the ghost's keepalive: off 1 (never reaped), on 0, "
		     "unknown 0\n");
	check_has(t, "1 peer gone without its close arriving");
	/* a finding like no other: as text_finding() writes it */
	check_has(t,
		  "\nfindings:\npeer_vanished   client 10.0.0.1:40000 (not "
		  "in the logs) -> server 10.0.0.2:6379 (db1 "
		  "redis-server[77])\n                server on db1 is still ");
	free(t);
	snap_end(&ls, "db1", 1, 0);
	t = text_of(&ls, false);
	check_has(t, "finwatch correlate: 1 record from 1 host, 0 bad lines, "
		     "0 events lost by the tracers, 0 connections\n");
	free(t);
}

/* Lost FINs of one pool, a process each: the close's span, the retries. */
static void test_lost_fins_grouped(void)
{
	struct lines ls = { 0 };
	char *t;

	both_start(&ls);
	for (int i = 0; i < 4; i++) {
		struct sk cl = client_sk(41000 + i, 10 + i, 20 + i);
		struct sk sv = server_sk(41000 + i, 10 + i, 20 + i);

		cl.pid = 4242 + i;
		open_conn(&ls, &cl, &sv, 1);
		lost_fin(&ls, &cl, 10 + i, 5000, 3);
	}
	both_stop(&ls, 100);
	t = text_of(&ls, false);
	check_has(t,
		  "\nlost_fin        4 connections: client 10.0.0.1 (app1 "
		  "ruby[4242, 4243, 4244, ...]) -> server 10.0.0.2:6379 (db1 "
		  "redis-server[77])\n"
		  "                client ports: 41000-41003\n"
		  "                client FINs from "
		  "2026-11-30T00:00:10.000Z to 2026-11-30T00:00:13.000Z, "
		  "retransmitted 3x, after 5.0s idle; the other ends are "
		  "still ESTABLISHED\n"
		  "                e.g. port 41000: client on app1 sent FIN "
		  "at ");
	free(t);
}

/* ---- idle holders ---- */

/* 40 pool connections idle 2h..5h15m on the client, 1 s less on db1. */
static void pool_logs(struct lines *ls)
{
	for (int i = 0; i < 40; i++) {
		int idle = (int)(HOURS(2) * 1000) + i * 300000;
		struct sk cl = client_sk(45000 + i, 300 + i, 400 + i);
		struct sk sv = server_sk(45000 + i, 300 + i, 400 + i);

		snap(ls, &sv, 100, "ESTABLISHED", idle - 1000, true);
		snap(ls, &cl, 101, "ESTABLISHED", idle, true);
	}
	for (int i = 0; i < 2; i++) /* busy ones */
		live_pass(ls, 46000 + i, 100, 600000);
	pass_ends(ls, 100);
}

static char *holders_report(bool json, uint64_t idle_ns)
{
	struct fw_report_opts ro = { .json = json, .idle_ns = idle_ns };
	struct lines ls = { 0 };
	char *out;
	int rc;

	pool_logs(&ls);
	out = run_report(&ls, ro, &rc);
	CHECK_INT(rc, 0);
	free_lines(&ls);
	return out;
}

static void test_idle_holders(void)
{
	char *t = holders_report(false, 0);

	check_has(t, "idle connections that both ends hold (idle over 1h):\n"
		     "  app1 ruby[4242] holds 40 connections idle over 1h to "
		     "db1:6379 (idle min 1h59m, median 3h39m, max 5h14m)\n");
	check_has(t, "The evidence points to the application: it never "
		     "closes idle connections (40 connections both ends hold, "
		     "idle over 1h)\n");
	free(t);
	t = holders_report(true, 0);
	check_has(t,
		  "\"idle_holders\":[{\"client_host\":\"app1\",\"comm\":"
		  "\"ruby\",\"pid\":4242,\"server_host\":\"db1\","
		  "\"server\":\"10.0.0.2:6379\",\"count\":40,\"idle_ms\":"
		  "{\"min\":7199000,\"median\":13199000,\"max\":18899000}}]");
	free(t);
	/* 5h10m: the last one alone (5h14m59s on db1) */
	t = holders_report(false, 18600 * SEC);
	check_has(t, "  app1 ruby[4242] holds 1 connection idle over 5h10m to "
		     "db1:6379 (idle 5h14m)\n");
	free(t);
	t = holders_report(true, 6 * 3600 * SEC);
	check_has(t, "\"idle_holders\":[]");
	free(t);
}

/* ---- the timeline ---- */

/*
 * The seed incident, traced on both hosts with a snapshot pass every
 * 6 h for 3 days: app1 keeps its 42 connections; 18 more lose their FIN
 * between two passes, so db1 keeps each as a ghost from the next pass on.
 */
static void seed_logs(struct lines *ls)
{
	both_start(ls);
	for (int k = 0; k <= 12; k++) {
		double p = 100 + k * SEED_PASS;

		for (int i = 0; i < NLIVE; i++)
			live_pass(ls, 50000 + i, p, 1000);
		for (int j = 0; j < 18 * k; j++) {
			struct sk sv = server_sk(40000 + j, 100 + j, 200 + j);

			snap(ls, &sv, p + 0.5, "ESTABLISHED", 60000, false);
		}
		pass_ends(ls, p);
	}
	for (int j = 0; j < 18 * 12; j++) {
		double est = 100 + (j / 18) * SEED_PASS + 300 + (j % 18) * 600;
		struct sk cl = client_sk(40000 + j, 100 + j, 200 + j);
		struct sk sv = server_sk(40000 + j, 100 + j, 200 + j);

		open_conn(ls, &cl, &sv, est);
		lost_fin(ls, &cl, est + 300, 290000, 3);
	}
	both_stop(ls, 100 + 12 * SEED_PASS + 10);
}

static void check_point(const struct fw_tl_point *p, uint64_t server,
			uint64_t client, uint64_t ghosts, uint64_t unknown)
{
	CHECK_INT(p->server_holds, server);
	CHECK_INT(p->client_holds, client);
	CHECK_INT(p->ghosts, ghosts);
	CHECK_INT(p->unknown, unknown);
}

static void test_timeline_points(void)
{
	struct fw_corr_opts o = default_opts();
	const struct fw_timeline *tl;
	struct lines ls = { 0 };
	struct fw_corr *c = fw_corr_new(&o, NULL, NULL);

	seed_logs(&ls);
	sort_lines(&ls);
	for (int i = 0; i < ls.n; i++)
		fw_corr_feed_line(c, ls.line[i], strlen(ls.line[i]), NULL, 0);
	fw_corr_finish(c);
	tl = fw_corr_timeline(c);
	CHECK_INT(tl->n, 1);
	if (tl->n == 1 && tl->series[0].n == 13) {
		const struct fw_tl_series *s = &tl->series[0];

		CHECK_STR(s->server_host, "db1");
		CHECK_STR(s->client_host, "app1");
		for (int k = 0; k <= 12; k++)
			check_point(&s->points[k], NLIVE + 18 * k, NLIVE,
				    18 * k, 0);
		CHECK_INT(s->points[12].time_ns,
			  T0 + (uint64_t)((100 + 12 * SEED_PASS + 0.75) * 1e9));
	} else {
		CHECK_INT(tl->n ? tl->series[0].n : 0, 13);
	}
	CHECK_INT(fw_corr_stats(c)->verdicts[FW_V_LOST_FIN], 216);
	fw_corr_free(c);
	free_lines(&ls);
}

static char *seed_report_max(uint64_t maxclients, bool json, const char *prom,
			     const char *chart)
{
	struct fw_report_opts ro = { .json = json,
				     .maxclients = maxclients,
				     .prom_path = prom,
				     .chart_path = chart };
	struct lines ls = { 0 };
	char *out;
	int rc;

	seed_logs(&ls);
	out = run_report(&ls, ro, &rc);
	CHECK_INT(rc, 0);
	free_lines(&ls);
	return out;
}

static char *seed_report(bool json, const char *prom, const char *chart)
{
	return seed_report_max(10000, json, prom, chart);
}

static void test_timeline_text_and_json(void)
{
	char *t = seed_report(false, NULL, NULL);

	check_has(t, "ghosts over time, server from client host (snapshot "
		     "passes):\n"
		     "  db1 from app1: ▁▂▂▃▃▄▅▅▆▆▇▇█ 0 -> 216 ghosts over 3.0 "
		     "days (13 passes): +72 ghosts per day\n"
		     "    at the last pass (2026-12-03T00:01:40.750Z) db1 held "
		     "258 connections from app1; app1 held 42 of them; 216 "
		     "were ghosts\n"
		     "  at that pace (+72 ghosts per day) db1 reaches "
		     "maxclients (10000) in 135 days\n");
	free(t);
	t = seed_report(true, NULL, NULL);
	check_has(t, "\"timeline\":[{\"server_host\":\"db1\",\"client_host\":"
		     "\"app1\",\"ghosts_per_day\":72.00,\"days_to_maxclients\":"
		     "135.3,\"points\":[{\"time_ns\":1795996900750000000,"
		     "\"server_holds\":42,\"client_holds\":42,\"ghosts\":0,"
		     "\"unknown\":0},{\"time_ns\":1796018500750000000,"
		     "\"server_holds\":60,\"client_holds\":42,\"ghosts\":18,");
	free(t);
}

/* Less than a day left: in the unit that fits, never "0.0 hours". */
static void test_timeline_maxclients_within_a_day(void)
{
	char *t = seed_report_max(260, false, NULL, NULL);

	/* 258 held, 2 to go at 72 a day: 40 minutes */
	check_has(t, "  at that pace (+72 ghosts per day) db1 reaches "
		     "maxclients (260) in 40 minutes\n");
	free(t);
}

/*
 * The seed as it was found: ghosts older than the logs, which only db1's
 * passes list, one a day; app1's passes a second later lack them.
 */
static void test_timeline_of_old_ghosts(void)
{
	struct lines ls = { 0 };
	char *t;

	for (int k = 0; k < 3; k++) {
		double p = 100 + k * 86400.0;

		for (int i = 0; i < NLIVE; i++)
			live_pass(&ls, 50000 + i, p, 1000);
		for (int j = 0; j < 74 * k; j++)
			ghost_pass(&ls, 40000 + j, p, 7200000);
		pass_ends(&ls, p);
	}
	t = text_of(&ls, false);
	check_has(t, "  db1 from app1: ▁▅█ 0 -> 148 ghosts over 2.0 days (3 "
		     "passes): +74 ghosts per day\n");
	free(t);
}

/* app1's only pass came before db1's socket surely existed: unknown. */
static void test_timeline_unknown(void)
{
	struct sk sv = server_sk(42200, 500, 600), cl = client_sk(42201, 7, 8);
	struct lines ls = { 0 };
	char *t;

	snap(&ls, &cl, 99, "ESTABLISHED", 1000, true);
	snap_end(&ls, "app1", 99.01, 1);
	snap(&ls, &sv, 100, "ESTABLISHED", 50, false);
	snap_end(&ls, "db1", 100.01, 1);
	t = text_of(&ls, false);
	check_has(t,
		  "  db1 from app1: ▁ 0 -> 0 ghosts (1 pass: no growth "
		  "rate yet)\n    at the last pass (2026-11-30T00:01:40.010Z) "
		  "db1 held 1 connection from app1; app1 held 0 of them; 0 "
		  "were ghosts; 1 the logs cannot tell\n");
	free(t);
}

/* ---- the chart and the metrics, checked by their own tools ---- */

static int run_tool(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Whether the test machine has tool; says what to install when not. */
static bool have_tool(const char *tool, const char *package)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null", tool);
	if (run_tool(cmd) == 0)
		return true;
	printf("  %s is missing: install Debian's %s (scripts/deps.sh)\n", tool,
	       package);
	check_current_failed = 1;
	return false;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (f) {
		if (getdelim(&buf, &len, '\0', f) < 0) {
			free(buf);
			buf = NULL;
		}
		fclose(f);
	}
	return buf ? buf : strdup("");
}

/* The files in dir but "." and "..". */
static int files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void test_chart_svg(void)
{
	char dir[] = "/tmp/fwchart.XXXXXX", path[64], cmd[128], *svg, *line;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/ghosts.svg", dir);
	free(seed_report(false, NULL, path));
	svg = slurp(path);
	if (have_tool("xmllint", "libxml2-utils")) {
		snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
		CHECK_INT(run_tool(cmd), 0);
	}
	check_has(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"");
	check_has(svg, "<g id=\"x-axis\"");
	check_has(svg, ">12-01 00:00</text>");
	check_has(svg, ">time (UTC)</text>");
	check_has(svg, "<g id=\"legend\">");
	check_has(svg, ">db1 from app1</text>");
	for (int m = 0; m < 3; m++) {
		static const char *const cls[] = { "server_holds",
						   "client_holds", "ghosts" };
		char want[96];

		snprintf(want, sizeof(want),
			 "<polyline class=\"%s\" data-server=\"db1\" "
			 "data-client=\"app1\"",
			 cls[m]);
		line = strstr(svg, want);
		CHECK(line != NULL);
		/* one point per pass: 13 "x,y" pairs */
		if (line)
			CHECK_INT(count_of(strstr(line, "points=\""), ",") -
					  count_of(strchr(line, '\n'), ","),
				  13);
	}
	CHECK_INT(files_in(dir), 1);
	unlink(path);
	rmdir(dir);
	free(svg);
}

/* Host names that XML and Prometheus must escape. */
static void odd_names(struct lines *ls)
{
	struct sk sv = server_sk(40000, 0, 0), cl = client_sk(50000, 1, 2);

	sv.host = "db<1>&\\\"co\\\"";
	snap(ls, &sv, 100, "ESTABLISHED", 3600000, false);
	snap(ls, &cl, 101, "ESTABLISHED", 1000, false);
	snap_end(ls, sv.host, 100.9, 1);
	snap_end(ls, "app1", 101.9, 1);
}

static void test_chart_escapes(void)
{
	char path[] = "/tmp/fwchart.XXXXXX", cmd[128];
	struct fw_report_opts ro = { .chart_path = path };
	struct lines ls = { 0 };
	int fd = mkstemp(path), rc;

	close(fd);
	odd_names(&ls);
	free(run_report(&ls, ro, &rc));
	free_lines(&ls);
	CHECK_INT(rc, 0);
	if (have_tool("xmllint", "libxml2-utils")) {
		snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
		CHECK_INT(run_tool(cmd), 0);
	}
	unlink(path);
}

/* promtool check metrics: its lint too (names, units, help). */
static void check_promtool(const char *path)
{
	char cmd[160];

	if (!have_tool("promtool", "prometheus"))
		return;
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	CHECK_INT(run_tool(cmd), 0);
}

static void test_prom_metrics(void)
{
	char dir[] = "/tmp/fwprom.XXXXXX", path[64], *prom;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/finwatch.prom", dir);
	free(seed_report(false, path, NULL));
	prom = slurp(path);
	check_promtool(path);
	check_has(prom, "# TYPE finwatch_verdicts gauge\n"
			"finwatch_verdicts{verdict=\"lost_fin\"} 216\n");
	check_has(prom, "finwatch_verdicts{verdict=\"open\"} 42\n");
	check_has(prom, "# TYPE finwatch_ghosts gauge\n"
			"finwatch_ghosts{server_host=\"db1\",client_host="
			"\"app1\"} 216\n");
	check_has(prom, "finwatch_server_holds{server_host=\"db1\","
			"client_host=\"app1\"} 258\n");
	check_has(prom, "finwatch_client_holds{server_host=\"db1\","
			"client_host=\"app1\"} 42\n");
	check_has(prom, "finwatch_ghosts_growth_per_day{server_host=\"db1\","
			"client_host=\"app1\"} 72.000\n");
	check_has(prom, "finwatch_timeline_ghosts{server_host=\"db1\","
			"client_host=\"app1\"} 216\n");
	check_has(prom, "finwatch_maxclients_left_seconds{server_host=\"db1\"} "
			"11690400\n");
	check_has(prom, "\nfinwatch_correlate_hosts 2\n");
	/* written beside itself and renamed: nothing else is left */
	CHECK_INT(files_in(dir), 1);
	free(prom);
	unlink(path);
	rmdir(dir);
}

static void test_prom_escapes_and_holders(void)
{
	char path[] = "/tmp/fwprom.XXXXXX";
	struct fw_report_opts ro = { .prom_path = path };
	struct lines ls = { 0 };
	int fd = mkstemp(path), rc;
	char *prom;

	close(fd);
	odd_names(&ls);
	pool_logs(&ls);
	free(run_report(&ls, ro, &rc));
	free_lines(&ls);
	CHECK_INT(rc, 0);
	prom = slurp(path);
	check_promtool(path);
	check_has(prom, "finwatch_ghosts{server_host=\"db<1>&\\\"co\\\"\","
			"client_host=\"app1\"} 1\n");
	check_has(prom, "finwatch_idle_holders{client_host=\"app1\",comm="
			"\"ruby\",pid=\"4242\",server_host=\"db1\",server="
			"\"10.0.0.2:6379\"} 40\n");
	free(prom);
	unlink(path);
}

/* ---- the CLI ---- */

/* The lines of host in a file of their own; returns its path. */
static char *host_file(const struct lines *ls, const char *host)
{
	char path[] = "/tmp/fwlog.XXXXXX", want[80];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	snprintf(want, sizeof(want), "\"host\":\"%s\"", host);
	for (int i = 0; f && i < ls->n; i++)
		if (strstr(ls->line[i], want))
			fprintf(f, "%s\n", ls->line[i]);
	if (f)
		fclose(f);
	return strdup(path);
}

/* Runs `finwatch correlate ARGS... app1.log db1.log`, output to /dev/null. */
static int cli_run(char **args, int nargs, const char *a, const char *b)
{
	char *argv[16] = { "correlate" };
	int argc = 1, rc, save_out = dup(1), save_err = dup(2);
	int null = open("/dev/null", O_WRONLY);

	for (int i = 0; i < nargs && argc < 13; i++)
		argv[argc++] = args[i];
	argv[argc++] = (char *)a;
	argv[argc++] = (char *)b;
	fflush(stdout);
	dup2(null, 1);
	dup2(null, 2);
	rc = correlate_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(save_out, 1);
	dup2(save_err, 2);
	close(save_out);
	close(save_err);
	close(null);
	return rc;
}

static void test_cli_options(void)
{
	char dir[] = "/tmp/fwcli.XXXXXX", prom[64], svg[64], *a, *b, *text;
	struct lines ls = { 0 };

	seed_logs(&ls);
	a = host_file(&ls, "app1");
	b = host_file(&ls, "db1");
	free_lines(&ls);
	if (!mkdtemp(dir))
		return;
	snprintf(prom, sizeof(prom), "%s/f.prom", dir);
	snprintf(svg, sizeof(svg), "%s/f.svg", dir);
	{
		char *args[] = { "--prom", prom,  "--chart",	  svg,
				 "--idle", "30m", "--maxclients", "10000" };

		CHECK_INT(cli_run(args, 8, a, b), 0);
	}
	text = slurp(prom);
	check_has(text, "finwatch_maxclients_left_seconds{server_host=\"db1\"} "
			"11690400\n");
	free(text);
	text = slurp(svg);
	check_has(text, "</svg>\n");
	free(text);
	CHECK_INT(files_in(dir), 2);
	{
		char *zero[] = { "--maxclients", "0" };
		char *word[] = { "--idle", "soon" };
		char *nodir[] = { "--prom", "/nonexistent/dir/f.prom" };

		CHECK_INT(cli_run(zero, 2, a, b), 2);
		CHECK_INT(cli_run(word, 2, a, b), 2);
		CHECK_INT(cli_run(nodir, 2, a, b), 2);
	}
	unlink(prom);
	unlink(svg);
	rmdir(dir);
	unlink(a);
	unlink(b);
	free(a);
	free(b);
}

int main(void)
{
	RUN_TEST(test_ghosts_grouped_at_scale);
	RUN_TEST(test_json_keeps_every_finding);
	RUN_TEST(test_singular);
	RUN_TEST(test_lost_fins_grouped);
	RUN_TEST(test_idle_holders);
	RUN_TEST(test_timeline_points);
	RUN_TEST(test_timeline_text_and_json);
	RUN_TEST(test_timeline_maxclients_within_a_day);
	RUN_TEST(test_timeline_of_old_ghosts);
	RUN_TEST(test_timeline_unknown);
	RUN_TEST(test_chart_svg);
	RUN_TEST(test_chart_escapes);
	RUN_TEST(test_prom_metrics);
	RUN_TEST(test_prom_escapes_and_holders);
	RUN_TEST(test_cli_options);
	return CHECK_EXIT();
}
