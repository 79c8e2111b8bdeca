// SPDX-License-Identifier: GPL-2.0
#include "report.h"
#include "record.h"
#include "table.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A client (host, process) or server (host, endpoint) and its verdicts. */
struct group {
	char *host;
	char *name;
	uint64_t counts[FW_V_COUNT];
	uint64_t problems; /* everything but ok and open */
};

struct groups {
	struct fw_table index;
	struct group **all;
	size_t n, cap;
};

struct fw_report {
	struct fw_report_opts opts;
	FILE *spool; /* text findings, until the summary is out */
	struct groups clients, servers;
	uint64_t lost_idle_min_ms;  /* shortest idle before a lost close */
	uint64_t clean_idle_max_ms; /* longest idle before a clean close */
	uint64_t lost_like;	    /* lost_fin, lost_rst, unacked_fin,
				     * peer_vanished */
	bool redis;		    /* a server looks like Redis */
	uint64_t shown;		    /* findings printed */
};

static bool problem(enum fw_verdict v)
{
	return v != FW_V_OK && v != FW_V_OPEN;
}

static bool shown(const struct fw_report *r, enum fw_verdict v)
{
	return r->opts.all || problem(v);
}

/* ---- JSON ---- */

void fw_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			putc(*p, f);
	}
	putc('"', f);
}

static void json_u64_or_null(FILE *f, const char *key, uint64_t v)
{
	if (v == FW_NO_VALUE)
		fprintf(f, ",\"%s\":null", key);
	else
		fprintf(f, ",\"%s\":%" PRIu64, key, v);
}

static void json_str_or_null(FILE *f, const char *key, const char *s)
{
	fprintf(f, ",\"%s\":", key);
	if (s)
		fw_json_string(f, s);
	else
		fputs("null", f);
}

static void json_end(FILE *f, const char *role, const struct fw_finding_end *e)
{
	char key[32];

	snprintf(key, sizeof(key), "%s_host", role);
	json_str_or_null(f, key, e->present ? e->host : NULL);
	snprintf(key, sizeof(key), "%s_netns", role);
	json_u64_or_null(f, key, e->present ? e->netns : FW_NO_VALUE);
	snprintf(key, sizeof(key), "%s_sock", role);
	json_u64_or_null(f, key, e->present ? e->sock : FW_NO_VALUE);
	snprintf(key, sizeof(key), "%s_pid", role);
	json_u64_or_null(f, key, e->present && e->pid ? e->pid : FW_NO_VALUE);
	snprintf(key, sizeof(key), "%s_comm", role);
	json_str_or_null(f, key, e->present ? e->comm : NULL);
	snprintf(key, sizeof(key), "%s_state", role);
	json_str_or_null(f, key, e->present ? fw_state_name(e->state) : NULL);
}

static const char *const paired_names[] = {
	[FW_PAIR_NONE] = "none",
	[FW_PAIR_ISN] = "isn",
	[FW_PAIR_TUPLE] = "tuple",
};

static const char *const kind_names[] = {
	[FW_CLOSE_NONE] = NULL,
	[FW_CLOSE_FIN] = "fin",
	[FW_CLOSE_RST] = "rst",
};

static void json_finding(FILE *f, const struct fw_finding *fd)
{
	bool closed = fd->close_kind != FW_CLOSE_NONE;

	fprintf(f, "{\"type\":\"finding\",\"verdict\":\"%s\"",
		fw_verdict_name(fd->verdict));
	json_str_or_null(f, "client", fd->client.endpoint);
	json_str_or_null(f, "server", fd->server.endpoint);
	json_end(f, "client", &fd->client);
	json_end(f, "server", &fd->server);
	fprintf(f, ",\"paired_by\":\"%s\"", paired_names[fd->paired_by]);
	json_str_or_null(f, "closer",
			 closed ? (fd->closer_is_client ? "client" : "server")
				: NULL);
	json_str_or_null(f, "close_kind", kind_names[fd->close_kind]);
	json_u64_or_null(f, "close_time_ns", fd->close_time_ns);
	json_u64_or_null(f, "close_retrans", fd->close_retrans);
	json_u64_or_null(f, "idle_before_close_ms", fd->idle_before_close_ms);
	json_u64_or_null(f, "close_wait_ms",
			 fd->close_wait_ns == FW_NO_VALUE
				 ? FW_NO_VALUE
				 : fd->close_wait_ns / 1000000);
	json_str_or_null(f, "surviving_state",
			 fd->surviving_state
				 ? fw_state_name(fd->surviving_state)
				 : NULL);
	json_str_or_null(f, "evidence", fd->evidence);
	json_str_or_null(f, "reason", fd->reason);
	fputs("}\n", f);
}

/* ---- text ---- */

static void fmt_time(char *out, size_t sz, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (ns == FW_NO_VALUE || !gmtime_r(&s, &tm)) {
		snprintf(out, sz, "?");
		return;
	}
	snprintf(out, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (unsigned int)(ns / 1000000 % 1000));
}

static void text_end(FILE *f, const char *role, const struct fw_finding_end *e)
{
	fprintf(f, "%s %s", role, e->endpoint[0] ? e->endpoint : "?");
	if (!e->present) {
		fputs(" (not in the logs)", f);
		return;
	}
	fprintf(f, " (%s", e->host);
	if (e->comm[0] || e->pid)
		fprintf(f, " %s[%u]", e->comm[0] ? e->comm : "?", e->pid);
	fputc(')', f);
}

static void text_finding(FILE *f, const struct fw_finding *fd)
{
	char when[80];

	fprintf(f, "%-15s ", fw_verdict_name(fd->verdict));
	text_end(f, "client", &fd->client);
	fputs(" -> ", f);
	text_end(f, "server", &fd->server);
	fputc('\n', f);
	if (fd->close_kind != FW_CLOSE_NONE) {
		fmt_time(when, sizeof(when), fd->close_time_ns);
		fprintf(f, "                %s %s at %s",
			fd->closer_is_client ? "client" : "server",
			fd->close_kind == FW_CLOSE_FIN ? "FIN" : "RST", when);
		if (fd->close_retrans != FW_NO_VALUE && fd->close_retrans)
			fprintf(f, ", retransmitted %" PRIu64 "x",
				fd->close_retrans);
		if (fd->idle_before_close_ms != FW_NO_VALUE)
			fprintf(f, ", after %.1f s idle",
				(double)fd->idle_before_close_ms / 1e3);
		if (fd->surviving_state)
			fprintf(f, "; the other end is still %s",
				fw_state_name(fd->surviving_state));
		fputc('\n', f);
	}
	fprintf(f, "                %s\n", fd->evidence);
}

/* ---- grouping ---- */

static uint64_t str_hash(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ull;

	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ull;
	return fw_mix64(h);
}

static struct group *group_get(struct groups *g, const char *host,
			       const char *name)
{
	uint64_t h = str_hash(host, name);
	struct group *gr;
	size_t it;

	for (gr = fw_table_first(&g->index, h, &it); gr;
	     gr = fw_table_next(&g->index, h, &it))
		if (!strcmp(gr->host, host) && !strcmp(gr->name, name))
			return gr;
	gr = calloc(1, sizeof(*gr));
	if (!gr)
		return NULL;
	gr->host = strdup(host);
	gr->name = strdup(name);
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		struct group **all = realloc(g->all, cap * sizeof(*all));

		if (!all)
			goto fail;
		g->all = all;
		g->cap = cap;
	}
	if (!gr->host || !gr->name || fw_table_insert(&g->index, h, gr) < 0)
		goto fail;
	g->all[g->n++] = gr;
	return gr;
fail:
	free(gr->host);
	free(gr->name);
	free(gr);
	return NULL;
}

static void group_count(struct groups *g, const char *host, const char *name,
			enum fw_verdict v)
{
	struct group *gr = group_get(g, host, name);

	if (!gr)
		return; /* out of memory: the summary loses a line */
	gr->counts[v]++;
	if (problem(v))
		gr->problems++;
}

static void count_groups(struct fw_report *r, const struct fw_finding *f)
{
	const struct fw_finding_end *cl = &f->client, *sv = &f->server;

	group_count(&r->clients, cl->present ? cl->host : "(not in the logs)",
		    cl->present && cl->comm[0] ? cl->comm : "?", f->verdict);
	group_count(&r->servers, sv->present ? sv->host : "(not in the logs)",
		    sv->endpoint, f->verdict);
}

static void note_idle(struct fw_report *r, const struct fw_finding *f)
{
	uint64_t idle = f->idle_before_close_ms;
	enum fw_verdict v = f->verdict;

	if (v == FW_V_LOST_FIN || v == FW_V_LOST_RST || v == FW_V_UNACKED_FIN ||
	    v == FW_V_PEER_VANISHED)
		r->lost_like++;
	if (idle == FW_NO_VALUE)
		return;
	if (v == FW_V_LOST_FIN || v == FW_V_LOST_RST || v == FW_V_UNACKED_FIN) {
		if (idle < r->lost_idle_min_ms)
			r->lost_idle_min_ms = idle;
	} else if (v == FW_V_OK) {
		if (r->clean_idle_max_ms == FW_NO_VALUE ||
		    idle > r->clean_idle_max_ms)
			r->clean_idle_max_ms = idle;
	}
}

static void note_redis(struct fw_report *r, const struct fw_finding *f)
{
	const char *ep = f->server.endpoint;
	size_t n = strlen(ep);

	if ((f->server.present && strstr(f->server.comm, "redis")) ||
	    (n > 5 && !strcmp(ep + n - 5, ":6379")))
		r->redis = true;
}

void fw_report_finding(const struct fw_finding *f, void *ctx)
{
	struct fw_report *r = ctx;

	count_groups(r, f);
	note_idle(r, f);
	if (problem(f->verdict))
		note_redis(r, f);
	if (!shown(r, f->verdict))
		return;
	r->shown++;
	if (r->opts.json)
		json_finding(r->opts.out, f);
	else
		text_finding(r->spool ? r->spool : r->opts.out, f);
}

/* ---- summary ---- */

static int by_problems(const void *a, const void *b)
{
	const struct group *x = *(const struct group *const *)a;
	const struct group *y = *(const struct group *const *)b;
	int c;

	if (x->problems != y->problems)
		return x->problems < y->problems ? 1 : -1;
	c = strcmp(x->host, y->host);
	return c ? c : strcmp(x->name, y->name);
}

static void json_counts(FILE *f, const uint64_t *counts)
{
	int v;

	fputc('{', f);
	for (v = 0; v < FW_V_COUNT; v++)
		fprintf(f, "%s\"%s\":%" PRIu64, v ? "," : "",
			fw_verdict_name((enum fw_verdict)v), counts[v]);
	fputc('}', f);
}

static void json_groups(FILE *f, const char *key, const char *name_key,
			const struct groups *g)
{
	size_t i;

	fprintf(f, ",\"%s\":[", key);
	for (i = 0; i < g->n; i++) {
		fputs(i ? ",{\"host\":" : "{\"host\":", f);
		fw_json_string(f, g->all[i]->host);
		fprintf(f, ",\"%s\":", name_key);
		fw_json_string(f, g->all[i]->name);
		fputs(",\"verdicts\":", f);
		json_counts(f, g->all[i]->counts);
		fputc('}', f);
	}
	fputc(']', f);
}

static void json_summary(struct fw_report *r, const struct fw_corr_stats *st)
{
	FILE *f = r->opts.out;

	fprintf(f,
		"{\"type\":\"summary\",\"records\":%" PRIu64
		",\"bad_lines\":%" PRIu64 ",\"lost_events\":%" PRIu64
		",\"hosts\":%" PRIu64 ",\"connections\":%" PRIu64
		",\"open_peak\":%" PRIu64 ",\"verdicts\":",
		st->records, st->bad_lines, st->lost_events, st->hosts,
		st->connections, st->open_peak);
	json_counts(f, st->verdicts);
	json_groups(f, "clients", "comm", &r->clients);
	json_groups(f, "servers", "server", &r->servers);
	json_u64_or_null(f, "lost_idle_min_ms",
			 r->lost_like ? r->lost_idle_min_ms : FW_NO_VALUE);
	json_u64_or_null(f, "clean_idle_max_ms", r->clean_idle_max_ms);
	fputs("}\n", f);
}

static void text_counts(FILE *f, const uint64_t *counts)
{
	int v;

	for (v = 0; v < FW_V_COUNT; v++)
		if (counts[v])
			fprintf(f, " %s %" PRIu64,
				fw_verdict_name((enum fw_verdict)v), counts[v]);
	fputc('\n', f);
}

static void text_groups(FILE *f, const char *title, const struct groups *g)
{
	size_t i;

	fprintf(f, "%s:\n", title);
	for (i = 0; i < g->n; i++) {
		fprintf(f, "  %s %s:", g->all[i]->host, g->all[i]->name);
		text_counts(f, g->all[i]->counts);
	}
}

static void text_summary(struct fw_report *r, const struct fw_corr_stats *st)
{
	FILE *f = r->opts.out;

	fprintf(f,
		"finwatch correlate: %" PRIu64 " records from %" PRIu64
		" hosts, %" PRIu64 " bad lines, %" PRIu64
		" events lost by the tracers, %" PRIu64 " connections\n",
		st->records, st->hosts, st->bad_lines, st->lost_events,
		st->connections);
	fputs("verdicts:", f);
	text_counts(f, st->verdicts);
	text_groups(f, "by client (host process)", &r->clients);
	text_groups(f, "by server (host endpoint)", &r->servers);
}

static void copy_spool(struct fw_report *r)
{
	char buf[65536];
	size_t n;

	if (!r->spool)
		return;
	rewind(r->spool);
	while ((n = fread(buf, 1, sizeof(buf), r->spool)) > 0)
		fwrite(buf, 1, n, r->opts.out);
}

/*
 * Keepalive idle time to suggest: half the shortest idle after which a
 * close got lost, so probes come well before the middlebox forgets.
 */
static uint64_t suggest_keepalive_s(const struct fw_report *r)
{
	if (r->lost_idle_min_ms == FW_NO_VALUE)
		return 60;
	return r->lost_idle_min_ms / 2000 ? r->lost_idle_min_ms / 2000 : 1;
}

static void text_middlebox(struct fw_report *r, FILE *f)
{
	double lo = (double)r->clean_idle_max_ms / 1e3;
	double hi = (double)r->lost_idle_min_ms / 1e3;

	if (r->lost_idle_min_ms == FW_NO_VALUE) {
		fputs("  The logs do not say how long the lost connections had "
		      "been idle.\n",
		      f);
		return;
	}
	if (r->clean_idle_max_ms == FW_NO_VALUE) {
		fprintf(f,
			"  The shortest idle before a lost close was %.1f s "
			"-> a middlebox (conntrack, NAT, firewall, load "
			"balancer) forgets idle flows after at most %.1f s.\n",
			hi, hi);
		return;
	}
	if (r->clean_idle_max_ms < r->lost_idle_min_ms) {
		fprintf(f,
			"  The shortest idle before a lost close was %.1f s, "
			"the longest idle before a clean close was %.1f s -> "
			"a middlebox (conntrack, NAT, firewall, load balancer) "
			"forgets idle flows after between %.1f and %.1f s.\n",
			hi, lo, lo, hi);
		return;
	}
	fprintf(f,
		"  Closes were lost after as little as %.1f s idle, yet "
		"others went through after %.1f s: no single idle timeout "
		"explains the losses.\n",
		hi, lo);
}

static void text_advice(struct fw_report *r)
{
	FILE *f = r->opts.out;
	uint64_t k = suggest_keepalive_s(r);
	uint64_t intvl = k / 3 ? (k / 3 < 75 ? k / 3 : 75) : 1;

	if (!r->lost_like)
		return;
	fputs("\nadvice:\n", f);
	fputs("  FINs/RSTs were lost, or peers vanished, while servers held "
	      "the connections open. A server without TCP keepalive never "
	      "notices and keeps such connections forever.\n",
	      f);
	text_middlebox(r, f);
	if (r->redis)
		fprintf(f,
			"  Redis: `CONFIG SET tcp-keepalive %" PRIu64 "` "
			"(probes keep the middlebox's state alive and detect "
			"dead peers), and `CONFIG SET timeout N` with N above "
			"your clients' longest legitimate idle (e.g. 3600) to "
			"reap what is already dead; `timeout 0` keeps idle "
			"clients forever. Persist both in redis.conf.\n",
			k);
	fprintf(f,
		"  OS keepalive (for sockets with SO_KEEPALIVE, both ends): "
		"sysctl -w net.ipv4.tcp_keepalive_time=%" PRIu64
		" net.ipv4.tcp_keepalive_intvl=%" PRIu64
		" net.ipv4.tcp_keepalive_probes=3\n",
		k, intvl);
}

static void sort_groups(struct groups *g)
{
	if (g->n > 1)
		qsort(g->all, g->n, sizeof(*g->all), by_problems);
}

void fw_report_finish(struct fw_report *r, const struct fw_corr_stats *st)
{
	sort_groups(&r->clients);
	sort_groups(&r->servers);
	if (r->opts.json) {
		json_summary(r, st);
	} else {
		if (r->opts.follow)
			fputc('\n', r->opts.out);
		text_summary(r, st);
		if (r->spool) {
			fprintf(r->opts.out, "\nfindings:%s\n",
				r->shown ? "" : " none");
			copy_spool(r);
		}
		text_advice(r);
	}
	fflush(r->opts.out);
}

static int groups_init(struct groups *g)
{
	memset(g, 0, sizeof(*g));
	return fw_table_init(&g->index, 64);
}

static void groups_free(struct groups *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->all[i]->host);
		free(g->all[i]->name);
		free(g->all[i]);
	}
	free(g->all);
	fw_table_free(&g->index);
}

struct fw_report *fw_report_new(const struct fw_report_opts *opts)
{
	struct fw_report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->opts = *opts;
	r->lost_idle_min_ms = r->clean_idle_max_ms = FW_NO_VALUE;
	if (groups_init(&r->clients) < 0 || groups_init(&r->servers) < 0)
		goto fail;
	if (!opts->json && !opts->follow) {
		r->spool = tmpfile();
		if (!r->spool)
			goto fail;
	}
	return r;
fail:
	fw_report_free(r);
	return NULL;
}

void fw_report_free(struct fw_report *r)
{
	if (!r)
		return;
	if (r->spool)
		fclose(r->spool);
	groups_free(&r->clients);
	groups_free(&r->servers);
	free(r);
}
