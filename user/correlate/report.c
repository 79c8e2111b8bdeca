// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"
#include "report.h"
#include "schema.h"
#include "table.h"

/* A client (host, process) or server (host, endpoint) and its verdicts. */
struct group {
	char *host;
	char *name;
	uint64_t counts[FW_V_COUNT];
	uint64_t problems; /* everything but ok and open */
	/* holdings: host = server host, name = client host */
	uint64_t held;	       /* ESTABLISHED on the server */
	uint64_t held_by_peer; /* ... and on the client */
	uint64_t ka[3];	       /* ghosts' keepalive: off, on, unknown */
	uint64_t *idle;	       /* ghosts' known idle times, ms */
	size_t nidle, capidle;
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
	struct groups holdings; /* per (server host, client host) */
	uint64_t host_drops;	/* lost closes a host dropped itself */
	char drop_reason[32];
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
	size_t len = strlen(s);
	char buf[256];

	putc('"', f);
	while (len) {
		size_t used,
			n = fw_json_escape(buf, sizeof(buf), s, len, &used);

		fwrite(buf, 1, n, f);
		s += used;
		len -= used;
	}
	putc('"', f);
}

/* ,"key":v or ,"key":null; a NULL key writes the value alone. */
static void json_u64_or_null(FILE *f, const char *key, uint64_t v)
{
	if (key)
		fprintf(f, ",\"%s\":", key);
	if (v == FW_UNKNOWN)
		fputs("null", f);
	else
		fprintf(f, "%" PRIu64, v);
}

static void json_str_or_null(FILE *f, const char *key, const char *s)
{
	fprintf(f, ",\"%s\":", key);
	if (s)
		fw_json_string(f, s);
	else
		fputs("null", f);
}

static void json_bool_or_null(FILE *f, const char *key, int b)
{
	fprintf(f, ",\"%s\":%s", key, b < 0 ? "null" : b ? "true" : "false");
}

static void json_end(FILE *f, const char *role, const struct fw_finding_end *e)
{
	char key[32];

	snprintf(key, sizeof(key), "%s_host", role);
	json_str_or_null(f, key, e->present ? e->host : NULL);
	snprintf(key, sizeof(key), "%s_netns", role);
	json_u64_or_null(f, key, e->present ? e->netns : FW_UNKNOWN);
	snprintf(key, sizeof(key), "%s_sock", role);
	json_u64_or_null(f, key, e->present ? e->sock : FW_UNKNOWN);
	snprintf(key, sizeof(key), "%s_pid", role);
	json_u64_or_null(f, key, e->present && e->pid ? e->pid : FW_UNKNOWN);
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
	json_u64_or_null(f, "close_drops", fd->close_drops);
	json_str_or_null(f, "drop_reason", fd->drop_reason);
	json_u64_or_null(f, "idle_before_close_ms", fd->idle_before_close_ms);
	json_u64_or_null(f, "close_wait_ms",
			 fd->close_wait_ns == FW_UNKNOWN
				 ? FW_UNKNOWN
				 : fd->close_wait_ns / 1000000);
	json_str_or_null(f, "surviving_state",
			 fd->surviving_state
				 ? fw_state_name(fd->surviving_state)
				 : NULL);
	json_u64_or_null(f, "idle_ms",
			 fd->survivor ? fd->survivor->idle_ms : FW_UNKNOWN);
	json_bool_or_null(f, "keepalive",
			  fd->survivor ? fd->survivor->keepalive : -1);
	json_str_or_null(f, "evidence", fd->evidence);
	json_str_or_null(f, "reason", fd->reason);
	fputs("}\n", f);
}

/* ---- text ---- */

static void fmt_time(char *out, size_t sz, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (ns == FW_UNKNOWN || !gmtime_r(&s, &tm)) {
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
		if (fd->close_retrans != FW_UNKNOWN && fd->close_retrans)
			fprintf(f, ", retransmitted %" PRIu64 "x",
				fd->close_retrans);
		if (fd->idle_before_close_ms != FW_UNKNOWN)
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

static bool same_group(const void *val, const void *key)
{
	const struct group *g = val, *k = key;

	return !strcmp(g->host, k->host) && !strcmp(g->name, k->name);
}

static struct group *group_get(struct groups *g, const char *host,
			       const char *name)
{
	struct group key = { .host = (char *)host, .name = (char *)name };
	uint64_t h = str_hash(host, name);
	struct group *gr = fw_table_find(&g->index, h, same_group, &key);

	if (gr)
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

static bool established(const struct fw_finding_end *e)
{
	return e->present && e->open && e->state == FW_TCP_ESTABLISHED;
}

/*
 * The incident's own comparison, `ss` on both hosts: the connections
 * the server holds from a client host, and how many of them the client
 * host holds too. The rest are ghosts.
 */
static void count_holding(struct fw_report *r, const struct fw_finding *f)
{
	const struct fw_finding_end *sv = &f->server, *cl = &f->client;
	struct group *g;
	uint64_t *idle;
	int ka;

	if (!established(sv) || !cl->host)
		return;
	g = group_get(&r->holdings, sv->host, cl->host);
	if (!g)
		return;
	g->held++;
	if (established(cl)) {
		g->held_by_peer++;
		return;
	}
	ka = sv->keepalive < 0 ? 2 : sv->keepalive;
	g->ka[ka]++;
	if (sv->idle_ms == FW_UNKNOWN)
		return;
	if (g->nidle == g->capidle) {
		size_t cap = g->capidle ? g->capidle * 2 : 16;

		idle = realloc(g->idle, cap * sizeof(*idle));
		if (!idle)
			return; /* out of memory: the distribution loses one */
		g->idle = idle;
		g->capidle = cap;
	}
	g->idle[g->nidle++] = sv->idle_ms;
}

static void note_idle(struct fw_report *r, const struct fw_finding *f)
{
	uint64_t idle = f->idle_before_close_ms;
	enum fw_verdict v = f->verdict;

	if (v == FW_V_LOST_FIN || v == FW_V_LOST_RST || v == FW_V_UNACKED_FIN ||
	    v == FW_V_PEER_VANISHED)
		r->lost_like++;
	/*
	 * A close its host dropped itself says nothing of a middlebox's
	 * idle timeout: keep it out of the bounds.
	 */
	if (f->close_drops != FW_UNKNOWN && f->close_drops && problem(v)) {
		r->host_drops++;
		if (f->drop_reason)
			snprintf(r->drop_reason, sizeof(r->drop_reason), "%s",
				 f->drop_reason);
		return;
	}
	if (idle == FW_UNKNOWN)
		return;
	if (v == FW_V_LOST_FIN || v == FW_V_LOST_RST || v == FW_V_UNACKED_FIN) {
		if (idle < r->lost_idle_min_ms)
			r->lost_idle_min_ms = idle;
	} else if (v == FW_V_OK) {
		if (r->clean_idle_max_ms == FW_UNKNOWN ||
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
	count_holding(r, f);
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
	fputc('{', f);
	for (int v = 0; v < FW_V_COUNT; v++)
		fprintf(f, "%s\"%s\":%" PRIu64, v ? "," : "",
			fw_verdict_name((enum fw_verdict)v), counts[v]);
	fputc('}', f);
}

static void json_groups(FILE *f, const char *key, const char *name_key,
			const struct groups *g)
{
	fprintf(f, ",\"%s\":[", key);
	for (size_t i = 0; i < g->n; i++) {
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

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The ghosts' idle times: sorted, and counted in buckets. */
struct idle_dist {
	uint64_t min, median, max; /* FW_UNKNOWN when none is known */
	uint64_t bucket[4];	   /* <1m, 1-10m, 10m-1h, >=1h */
	uint64_t unknown;
};

static size_t idle_bucket(uint64_t ms)
{
	static const uint64_t edge[3] = { 60000, 600000, 3600000 };
	size_t b = 0;

	while (b < 3 && ms >= edge[b])
		b++;
	return b;
}

static void idle_dist(struct group *g, struct idle_dist *d)
{
	memset(d, 0, sizeof(*d));
	d->min = d->median = d->max = FW_UNKNOWN;
	d->unknown = g->held - g->held_by_peer - g->nidle;
	if (!g->nidle)
		return;
	qsort(g->idle, g->nidle, sizeof(*g->idle), by_u64);
	d->min = g->idle[0];
	d->median = g->idle[g->nidle / 2];
	d->max = g->idle[g->nidle - 1];
	for (size_t i = 0; i < g->nidle; i++)
		d->bucket[idle_bucket(g->idle[i])]++;
}

static void json_holdings(FILE *f, struct groups *g)
{
	struct idle_dist d;

	fputs(",\"holdings\":[", f);
	for (size_t i = 0; i < g->n; i++) {
		struct group *h = g->all[i];

		idle_dist(h, &d);
		fputs(i ? ",{\"server_host\":" : "{\"server_host\":", f);
		fw_json_string(f, h->host);
		fputs(",\"client_host\":", f);
		fw_json_string(f, h->name);
		fprintf(f,
			",\"server_holds\":%" PRIu64
			",\"client_holds\":%" PRIu64 ",\"ghosts\":%" PRIu64
			",\"ghost_idle_ms\":{\"min\":",
			h->held, h->held_by_peer, h->held - h->held_by_peer);
		json_u64_or_null(f, NULL, d.min);
		json_u64_or_null(f, "median", d.median);
		json_u64_or_null(f, "max", d.max);
		fprintf(f,
			"},\"ghost_idle\":{\"under_1m\":%" PRIu64
			",\"1m_10m\":%" PRIu64 ",\"10m_1h\":%" PRIu64
			",\"over_1h\":%" PRIu64 ",\"unknown\":%" PRIu64
			"},\"ghost_keepalive\":{\"on\":%" PRIu64
			",\"off\":%" PRIu64 ",\"unknown\":%" PRIu64 "}}",
			d.bucket[0], d.bucket[1], d.bucket[2], d.bucket[3],
			d.unknown, h->ka[1], h->ka[0], h->ka[2]);
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
	json_holdings(f, &r->holdings);
	json_u64_or_null(f, "lost_idle_min_ms",
			 r->lost_like ? r->lost_idle_min_ms : FW_UNKNOWN);
	json_u64_or_null(f, "clean_idle_max_ms", r->clean_idle_max_ms);
	fputs("}\n", f);
}

static void text_counts(FILE *f, const uint64_t *counts)
{
	for (int v = 0; v < FW_V_COUNT; v++)
		if (counts[v])
			fprintf(f, " %s %" PRIu64,
				fw_verdict_name((enum fw_verdict)v), counts[v]);
	fputc('\n', f);
}

static void text_groups(FILE *f, const char *title, const struct groups *g)
{
	fprintf(f, "%s:\n", title);
	for (size_t i = 0; i < g->n; i++) {
		fprintf(f, "  %s %s:", g->all[i]->host, g->all[i]->name);
		text_counts(f, g->all[i]->counts);
	}
}

/* 3725000 ms as "1h02m", 95000 as "1m35s", 4200 as "4.2s". */
static void fmt_idle(char *out, size_t sz, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s >= 3600)
		snprintf(out, sz, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
			 s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, sz, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(out, sz, "%.1fs", (double)ms / 1e3);
}

static void text_holding(FILE *f, struct group *h)
{
	char a[32], b[32], c[32];
	struct idle_dist d;

	idle_dist(h, &d);
	fprintf(f,
		"  the server %s holds %" PRIu64 " connections from client "
		"host %s; %s holds %" PRIu64 " of them; %" PRIu64
		" are ghosts\n",
		h->host, h->held, h->name, h->name, h->held_by_peer,
		h->held - h->held_by_peer);
	if (h->held == h->held_by_peer)
		return;
	if (d.min != FW_UNKNOWN) {
		fmt_idle(a, sizeof(a), d.min);
		fmt_idle(b, sizeof(b), d.median);
		fmt_idle(c, sizeof(c), d.max);
		fprintf(f,
			"    ghosts idle: min %s, median %s, max %s; <1m "
			"%" PRIu64 ", 1-10m %" PRIu64 ", 10m-1h %" PRIu64
			", >1h %" PRIu64 ", unknown %" PRIu64 "\n",
			a, b, c, d.bucket[0], d.bucket[1], d.bucket[2],
			d.bucket[3], d.unknown);
	}
	fprintf(f,
		"    ghosts' keepalive: off %" PRIu64
		" (never reaped), on %" PRIu64 ", unknown %" PRIu64 "\n",
		h->ka[0], h->ka[1], h->ka[2]);
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
	if (r->holdings.n)
		fputs("connections ESTABLISHED at the end, server against "
		      "client host:\n",
		      f);
	for (size_t i = 0; i < r->holdings.n; i++)
		text_holding(f, r->holdings.all[i]);
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

/* Rounds seconds down to a unit a person would type: 5 s, 1 min, 10 min. */
static uint64_t round_down_s(uint64_t s)
{
	if (s >= 3600)
		return s / 600 * 600;
	if (s >= 120)
		return s / 60 * 60;
	if (s >= 10)
		return s / 5 * 5;
	return s ? s : 1;
}

/*
 * Keepalive idle time to suggest: half the shortest idle after which a
 * close got lost, so the probes come well before the middlebox forgets
 * the flow. That is at least 10 s whenever the bound is at least 20 s;
 * below, text_advice() says how odd it is.
 */
static uint64_t suggest_keepalive_s(const struct fw_report *r)
{
	if (r->lost_idle_min_ms == FW_UNKNOWN)
		return 60;
	return round_down_s(r->lost_idle_min_ms / 2000);
}

static bool idle_known(const struct fw_report *r)
{
	return r->lost_like && r->lost_idle_min_ms != FW_UNKNOWN;
}

static void text_middlebox(struct fw_report *r, FILE *f)
{
	double lo = (double)r->clean_idle_max_ms / 1e3;
	double hi = (double)r->lost_idle_min_ms / 1e3;

	if (!idle_known(r)) {
		fputs("  The logs do not say how long the lost connections had "
		      "been idle, so they imply no timeout; the values below "
		      "are generic.\n",
		      f);
		return;
	}
	if (r->clean_idle_max_ms == FW_UNKNOWN) {
		fprintf(f,
			"  The shortest idle before a lost close was %.1f s "
			"-> a middlebox (conntrack, NAT, firewall, load "
			"balancer) forgets idle flows after at most %.1f s. No "
			"clean close with a known idle time was seen, so there "
			"is no lower bound: the timeout may be much shorter.\n",
			hi, hi);
		return;
	}
	if (r->clean_idle_max_ms < r->lost_idle_min_ms) {
		fprintf(f,
			"  The shortest idle before a lost close was %.1f s, "
			"the longest idle before a clean close was %.1f s -> "
			"a middlebox (conntrack, NAT, firewall, load balancer) "
			"forgets idle flows after between %.1f and %.1f s.%s\n",
			hi, lo, lo, hi,
			r->clean_idle_max_ms * 4 < r->lost_idle_min_ms
				? " The lower bound is loose: no clean close "
				  "came after a long idle."
				: "");
		return;
	}
	fprintf(f,
		"  Closes were lost after as little as %.1f s idle, yet "
		"others went through after %.1f s: no single idle timeout "
		"explains the losses, so the bounds are uncertain.\n",
		hi, lo);
}

/* A bound below 20 s is no usual idle timeout: say so, not just a number. */
static void text_short_bound(struct fw_report *r, FILE *f, uint64_t k)
{
	if (!idle_known(r) || r->lost_idle_min_ms >= 20000)
		return;
	fprintf(f,
		"  Closes were lost after only %.1f s idle: an idle timeout "
		"that short is unusual, and so is the keepalive it would take "
		"(%" PRIu64 " s, below the usual 10 s floor). Look first for "
		"something else dropping closes: a firewall rule on a host "
		"(drop records), or a middlebox with a tiny timeout.\n",
		(double)r->lost_idle_min_ms / 1e3, k);
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
	if (r->host_drops)
		fprintf(f,
			"  %" PRIu64 " lost closes were dropped by the sending "
			"or receiving host itself (%s): check that host's "
			"firewall rules (nft list ruleset); keepalive does not "
			"help those.\n",
			r->host_drops,
			r->drop_reason[0] ? r->drop_reason : "?");
	text_middlebox(r, f);
	text_short_bound(r, f, k);
	if (r->redis)
		fprintf(f,
			"  Redis: `CONFIG SET tcp-keepalive %" PRIu64 "` "
			"(probes keep the middlebox's state alive and detect "
			"dead peers), and `CONFIG SET timeout N` with N above "
			"your clients' longest legitimate idle (e.g. 3600) to "
			"reap the clients that are already dead; `timeout 0` "
			"keeps idle clients forever. Persist both in "
			"redis.conf.\n",
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
	for (size_t i = 0; i < g->n; i++) {
		free(g->all[i]->host);
		free(g->all[i]->name);
		free(g->all[i]->idle);
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
	r->lost_idle_min_ms = r->clean_idle_max_ms = FW_UNKNOWN;
	if (groups_init(&r->clients) < 0 || groups_init(&r->servers) < 0 ||
	    groups_init(&r->holdings) < 0)
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
	groups_free(&r->holdings);
	free(r);
}
