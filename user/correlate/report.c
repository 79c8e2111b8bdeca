// SPDX-License-Identifier: GPL-2.0
/*
 * Findings in, the report out: JSON Lines (every finding, then the
 * summary), or the text report (the summary, the findings as entries,
 * the advice). The parts live in files of their own (report_priv.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advice.h"
#include "record.h"
#include "report_priv.h"
#include "schema.h"
#include "table.h"

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
void json_u64_or_null(FILE *f, const char *key, uint64_t v)
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
	[FW_PAIR_ISN_HALF] = "isn_half",
};

static const char *const kind_names[] = {
	[FW_CLOSE_NONE] = NULL,
	[FW_CLOSE_FIN] = "fin",
	[FW_CLOSE_RST] = "rst",
};

static void json_finding(FILE *f, const struct fw_finding *fd)
{
	bool closed = fd->close_kind != FW_CLOSE_NONE;

	fprintf(f, "{\"type\":\"finding\",\"v\":%d,\"verdict\":\"%s\"",
		FW_REPORT_VERSION, fw_verdict_name(fd->verdict));
	json_str_or_null(f, "id", fd->id);
	fprintf(f, ",\"provisional\":%s,\"revision\":%s",
		fd->provisional ? "true" : "false",
		fd->revision ? "true" : "false");
	json_str_or_null(f, "client", fd->client.endpoint);
	json_str_or_null(f, "server", fd->server.endpoint);
	json_end(f, "client", &fd->client);
	json_end(f, "server", &fd->server);
	fprintf(f, ",\"paired_by\":\"%s\"", paired_names[fd->paired_by]);
	json_str_or_null(f, "cause",
			 fd->cause.cause ? fw_cause_name(fd->cause.cause)
					 : NULL);
	json_str_or_null(f, "cause_host", fd->cause.host);
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
	json_str_or_null(f, "reaped_by", fd->reaped_by);
	json_u64_or_null(f, "reaped_after_ms", fd->reaped_after_ms);
	json_u64_or_null(f, "client_gap",
			 fd->client.present ? fd->client.gap : FW_UNKNOWN);
	json_u64_or_null(f, "server_gap",
			 fd->server.present ? fd->server.gap : FW_UNKNOWN);
	json_str_or_null(f, "evidence", fd->evidence);
	json_str_or_null(f, "reason", fd->reason);
	fputs("}\n", f);
}

/* ---- text ---- */

void fmt_time(char *out, size_t sz, uint64_t ns)
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
	if (fd->cause.text)
		fprintf(f, "                cause %s: %s\n",
			fw_cause_name(fd->cause.cause), fd->cause.text);
}

/* ---- words ---- */

const char *report_plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* 3725000 ms as "1h02m", 95000 as "1m35s", 4200 as "4.2s", days as "3d04h". */
void fmt_idle(char *out, size_t sz, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(out, sz, "%" PRIu64 "d%02" PRIu64 "h", s / 86400,
			 s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, sz, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
			 s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, sz, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(out, sz, "%.1fs", (double)ms / 1e3);
}

void report_fmt_duration(char *out, size_t sz, uint64_t ns)
{
	static const struct {
		uint64_t s;
		char unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	uint64_t s = ns / 1000000000u;
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < 4 && len + 1 < sz; i++) {
		if (s < units[i].s)
			continue;
		len += (size_t)snprintf(out + len, sz - len, "%" PRIu64 "%c",
					s / units[i].s, units[i].unit);
		s %= units[i].s;
	}
	if (!out[0])
		snprintf(out, sz, "%" PRIu64 "ms", ns / 1000000);
}

uint64_t report_idle_ns(const struct fw_report *r)
{
	return r->opts.idle_ns ? r->opts.idle_ns : FW_DEFAULT_IDLE_NS;
}

/* ---- grouping ---- */

uint64_t report_str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return fw_mix64(h);
}

bool report_key_match(const void *val, const void *key)
{
	return !strcmp(*(char *const *)val, key);
}

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

struct group *group_get(struct groups *g, const char *host, const char *name)
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

static void keep_text_finding(struct fw_report *r, const struct fw_finding *f)
{
	char text[4096];
	FILE *m = fmemopen(text, sizeof(text), "w");

	if (!m) {
		r->entries.failed = true;
		return;
	}
	text_finding(m, f);
	/* a text too long for the buffer stays cut: nothing else is lost */
	if (fclose(m) != 0)
		text[sizeof(text) - 1] = '\0';
	entries_add(&r->entries, f, text);
}

void fw_report_finding(const struct fw_finding *f, void *ctx)
{
	struct fw_report *r = ctx;

	/* a connection counts once; provisional and revised ones are shown */
	if (f->counted) {
		count_groups(r, f);
		count_holding(r, f);
		count_holder(r, f);
		fw_advice_note(r->advice, f);
	}
	if (!shown(r, f->verdict) && !f->revision)
		return;
	r->shown++;
	if (r->opts.json)
		json_finding(r->opts.out, f);
	else if (r->opts.follow)
		text_finding(r->opts.out, f);
	else
		keep_text_finding(r, f);
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

/* The idle holders, for the causes' answer to "network or app?". */
static void app_side(struct fw_report *r, struct fw_app_side *app, char *words,
		     size_t sz)
{
	char over[32];

	app->idle_held = holders_count(&r->holders);
	report_fmt_duration(over, sizeof(over), report_idle_ns(r));
	snprintf(words, sz,
		 "it never closes idle connections (%" PRIu64
		 " %s both ends hold, idle over %s)",
		 app->idle_held,
		 report_plural(app->idle_held, "connection", "connections"),
		 over);
	app->idle_words = words;
}

static void json_summary(struct fw_report *r, const struct fw_corr_stats *st)
{
	struct fw_app_side app;
	FILE *f = r->opts.out;
	char words[160];

	fprintf(f,
		"{\"type\":\"summary\",\"v\":%d,\"records\":%" PRIu64
		",\"bad_lines\":%" PRIu64 ",\"duplicates\":%" PRIu64
		",\"lost_events\":%" PRIu64 ",\"hosts\":%" PRIu64
		",\"connections\":%" PRIu64 ",\"open_peak\":%" PRIu64
		",\"verdicts\":",
		FW_REPORT_VERSION, st->records, st->bad_lines, st->duplicates,
		st->lost_events, st->hosts, st->connections, st->open_peak);
	json_counts(f, st->verdicts);
	json_groups(f, "clients", "comm", &r->clients);
	json_groups(f, "servers", "server", &r->servers);
	json_holdings(f, &r->holdings);
	json_holders(f, r);
	json_timeline(f, r);
	app_side(r, &app, words, sizeof(words));
	fw_advice_json(r->advice, &app, f);
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

/* "12 records", "1 host": n and its noun. */
static void text_count(FILE *f, const char *sep, uint64_t n, const char *one,
		       const char *many)
{
	fprintf(f, "%s%" PRIu64 " %s", sep, n, report_plural(n, one, many));
}

/* The causes of the lost closes, and what the evidence points to. */
static void text_diagnosis(struct fw_report *r)
{
	struct fw_app_side app;
	char words[160];

	app_side(r, &app, words, sizeof(words));
	fw_advice_write_causes(r->advice, &app, r->opts.out);
}

static void text_summary(struct fw_report *r, const struct fw_corr_stats *st)
{
	FILE *f = r->opts.out;

	text_count(f, "finwatch correlate: ", st->records, "record", "records");
	text_count(f, " from ", st->hosts, "host", "hosts");
	text_count(f, ", ", st->bad_lines, "bad line", "bad lines");
	text_count(f, ", ", st->lost_events, "event", "events");
	fputs(" lost by the tracers", f);
	text_count(f, ", ", st->connections, "connection", "connections");
	if (st->duplicates)
		text_count(f, ", ", st->duplicates, "duplicate record",
			   "duplicate records");
	fputs("\nverdicts:", f);
	text_counts(f, st->verdicts);
	text_diagnosis(r);
	text_groups(f, "by client (host process)", &r->clients);
	text_groups(f, "by server (host endpoint)", &r->servers);
	text_holdings(f, &r->holdings);
	text_holders(f, r);
	text_timeline(f, r);
}

static void sort_groups(struct groups *g)
{
	if (g->n > 1)
		qsort(g->all, g->n, sizeof(*g->all), by_problems);
}

static void write_prom(FILE *f, void *ctx)
{
	void **args = ctx;

	prom_write(f, args[0], args[1]);
}

static void write_chart(FILE *f, void *ctx)
{
	chart_write(f, ctx);
}

/* --prom and --chart: each file whole or not at all. */
static int write_files(struct fw_report *r, const struct fw_corr_stats *st)
{
	void *args[2] = { r, (void *)st };
	int ret = 0;

	if (r->opts.prom_path && write_file_atomic(r->opts.prom_path, "--prom",
						   write_prom, args) < 0)
		ret = -1;
	if (r->opts.chart_path &&
	    write_file_atomic(r->opts.chart_path, "--chart", write_chart,
			      (void *)r->timeline) < 0)
		ret = -1;
	return ret;
}

void fw_report_timeline(struct fw_report *r, const struct fw_timeline *tl)
{
	r->timeline = tl;
}

int fw_report_finish(struct fw_report *r, const struct fw_corr_stats *st)
{
	static const struct fw_timeline none;

	if (!r->timeline)
		r->timeline = &none;
	sort_groups(&r->clients);
	sort_groups(&r->servers);
	if (r->opts.json) {
		json_summary(r, st);
	} else {
		if (r->opts.follow)
			fputc('\n', r->opts.out);
		text_summary(r, st);
		if (!r->opts.follow) {
			fprintf(r->opts.out, "\nfindings:%s\n",
				r->shown ? "" : " none");
			entries_print(&r->entries, r->opts.out);
		}
		fw_advice_write(r->advice, r->opts.out);
	}
	fflush(r->opts.out);
	return write_files(r, st);
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
	r->advice = fw_advice_new();
	if (!r->advice)
		goto fail;
	if (groups_init(&r->clients) < 0 || groups_init(&r->servers) < 0 ||
	    groups_init(&r->holdings) < 0 || holders_init(&r->holders) < 0 ||
	    entries_init(&r->entries) < 0)
		goto fail;
	return r;
fail:
	fw_report_free(r);
	return NULL;
}

void fw_report_free(struct fw_report *r)
{
	if (!r)
		return;
	entries_free(&r->entries);
	groups_free(&r->clients);
	groups_free(&r->servers);
	groups_free(&r->holdings);
	holders_free(&r->holders);
	fw_advice_free(r->advice);
	free(r);
}
