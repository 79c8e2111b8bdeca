// SPDX-License-Identifier: GPL-2.0
/*
 * The text report's entries. Findings that differ only in the client's
 * port, the sockets, the processes' pids and the numbers that vary from
 * one connection to the next (times, idle times, retries) are one entry:
 * the count, the client ports as ranges, the pids, the spans of those
 * numbers, and one of them as the example. Hundreds of ghosts from one
 * pool read as one paragraph.
 * A finding like no other is printed as text_finding() wrote it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"
#include "schema.h"

#define INDENT	   "                "
#define LINE_WIDTH 79
#define PORTS_MAX  240 /* characters of port list, then "and N more" */
#define PORTS_COL  30  /* where the list starts: INDENT "client ports: " */

/* The processes of one end: up to PIDS_SHOWN of them, then "...". */
#define PIDS_SHOWN 3
struct pidset {
	uint32_t pid[PIDS_SHOWN];
	unsigned int n;
	bool more;
};

/* An end as the entry names it: "client 10.0.0.1 (app1 ruby[4242])". */
struct who {
	char *head; /* up to the process name: "client 10.0.0.1 (app1 ruby" */
	bool owner; /* a process is known: its pids follow, in [] */
	struct pidset pids;
};

struct entry {
	char *key;  /* first: report_key_match() compares it */
	char *text; /* the first finding, as text_finding() wrote it */
	struct who client, server; /* the client without its port */
	char *evidence;
	enum fw_verdict verdict;
	size_t seq;
	uint64_t count;
	uint16_t *ports;
	size_t nports, capports;
	uint16_t first_port; /* the example's: the lowest */
	/* the same in every finding of the entry (they are in its key) */
	enum fw_close_kind kind;
	bool closer_is_client;
	unsigned int surviving_state;
	const char *survivor_role;
	/* the spans of what varies */
	uint64_t t_min, t_max; /* the close */
	uint64_t retrans_min, retrans_max;
	uint64_t idle_min, idle_max; /* before the close, ms */
	uint64_t surv_min, surv_max; /* the survivor's, ms */
};

static uint64_t endpoint_port(const char *ep)
{
	const char *colon = strrchr(ep, ':');

	return colon ? strtoul(colon + 1, NULL, 10) : 0;
}

/* "10.0.0.1:40122" as "10.0.0.1", "[2001:db8::1]:80" as "[2001:db8::1]". */
static void endpoint_addr(char *out, size_t sz, const char *ep)
{
	const char *colon = strrchr(ep, ':');
	int len = colon ? (int)(colon - ep) : (int)strlen(ep);

	snprintf(out, sz, "%.*s", len, ep);
}

/* Digits as '#': texts that differ only in their numbers are the same. */
static void append_template(char *out, size_t sz, size_t *len, const char *s)
{
	for (; *s && *len + 1 < sz; s++) {
		bool digit = *s >= '0' && *s <= '9';

		if (digit && *len && out[*len - 1] == '#')
			continue;
		out[(*len)++] = digit ? '#' : *s;
	}
	out[*len] = '\0';
}

static void append_end_key(char *out, size_t sz, size_t *len,
			   const struct fw_finding_end *e, bool addr_only)
{
	char ep[64];

	if (addr_only)
		endpoint_addr(ep, sizeof(ep), e->endpoint);
	else
		snprintf(ep, sizeof(ep), "%s", e->endpoint);
	/* not the pid: a pool's connections may each have a process */
	*len += (size_t)snprintf(out + *len, sz - *len,
				 "\x1f%d\x1f%s\x1f%s\x1f%s\x1f%" PRIu64
				 "\x1f%u\x1f%d",
				 e->present, e->host ? e->host : "", e->comm,
				 ep, e->netns, e->state, e->open);
	if (*len >= sz)
		*len = sz - 1;
}

/* Everything that makes two findings the same entry. */
static void entry_key(char *out, size_t sz, const struct fw_finding *f,
		      const char *text)
{
	const struct fw_finding_end *sv = f->survivor;
	size_t len = 0;

	len = (size_t)snprintf(
		out, sz,
		"%d\x1f%d\x1f%d\x1f%d\x1f%u\x1f%d\x1f%d"
		"\x1f%s",
		f->verdict, f->paired_by, f->close_kind,
		f->close_kind && f->closer_is_client, f->surviving_state,
		sv ? (sv == &f->client ? 1 : 2) : 0, sv ? sv->keepalive : -2,
		f->drop_reason ? f->drop_reason : "");
	if (len >= sz)
		len = sz - 1;
	append_end_key(out, sz, &len, &f->client, true);
	append_end_key(out, sz, &len, &f->server, false);
	if (len + 1 < sz)
		out[len++] = '\x1f';
	append_template(out, sz, &len, text);
}

/* Sets w from e; the client's address without its port. */
static bool who_set(struct who *w, const char *role,
		    const struct fw_finding_end *e, bool addr_only)
{
	char ep[64], head[512];

	if (addr_only)
		endpoint_addr(ep, sizeof(ep), e->endpoint);
	else
		snprintf(ep, sizeof(ep), "%s", e->endpoint);
	w->owner = e->present && (e->comm[0] || e->pid);
	if (!e->present)
		snprintf(head, sizeof(head), "%s %s (not in the logs", role,
			 ep[0] ? ep : "?");
	else
		snprintf(head, sizeof(head), "%s %s (%s%s%s", role,
			 ep[0] ? ep : "?", e->host, w->owner ? " " : "",
			 w->owner ? (e->comm[0] ? e->comm : "?") : "");
	w->head = strdup(head);
	return w->head != NULL;
}

static void pids_add(struct pidset *ps, uint32_t pid)
{
	for (unsigned int i = 0; i < ps->n; i++)
		if (ps->pid[i] == pid)
			return;
	if (ps->n < PIDS_SHOWN)
		ps->pid[ps->n++] = pid;
	else
		ps->more = true;
}

/* "client 10.0.0.1 (app1 ruby[4242, 4243, ...])" */
static void print_who(FILE *f, const struct who *w)
{
	fputs(w->head, f);
	if (w->owner) {
		fputc('[', f);
		for (unsigned int i = 0; i < w->pids.n; i++)
			fprintf(f, "%s%u", i ? ", " : "", w->pids.pid[i]);
		fputs(w->pids.more ? ", ...]" : "]", f);
	}
	fputc(')', f);
}

static void entry_free(struct entry *e)
{
	free(e->key);
	free(e->text);
	free(e->client.head);
	free(e->server.head);
	free(e->evidence);
	free(e->ports);
	free(e);
}

static struct entry *entry_new(const char *key, const struct fw_finding *f,
			       const char *text)
{
	struct entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->key = strdup(key);
	e->text = strdup(text);
	e->evidence = strdup(f->evidence ? f->evidence : "");
	e->first_port = (uint16_t)endpoint_port(f->client.endpoint);
	if (!e->key || !e->text || !e->evidence ||
	    !who_set(&e->client, "client", &f->client, true) ||
	    !who_set(&e->server, "server", &f->server, false)) {
		entry_free(e);
		return NULL;
	}
	e->verdict = f->verdict;
	e->kind = f->close_kind;
	e->closer_is_client = f->closer_is_client;
	e->surviving_state = f->surviving_state;
	if (f->survivor)
		e->survivor_role =
			f->survivor == &f->client ? "client" : "server";
	e->t_min = e->retrans_min = e->idle_min = e->surv_min = FW_UNKNOWN;
	e->t_max = e->retrans_max = e->idle_max = e->surv_max = FW_UNKNOWN;
	return e;
}

/* Widens [*lo, *hi] to v; FW_UNKNOWN is no value. */
static void span_add(uint64_t *lo, uint64_t *hi, uint64_t v)
{
	if (v == FW_UNKNOWN)
		return;
	if (*lo == FW_UNKNOWN || v < *lo)
		*lo = v;
	if (*hi == FW_UNKNOWN || v > *hi)
		*hi = v;
}

/* The example is the finding of the lowest port, which the list starts with. */
static void entry_keep_example(struct entry *e, const struct fw_finding *f,
			       uint16_t port)
{
	char *ev;

	if (port >= e->first_port)
		return;
	ev = strdup(f->evidence ? f->evidence : "");
	if (!ev)
		return; /* out of memory: the example stays the one it was */
	free(e->evidence);
	e->evidence = ev;
	e->first_port = port;
}

static bool entry_note(struct entry *e, const struct fw_finding *f)
{
	uint16_t port = (uint16_t)endpoint_port(f->client.endpoint);

	if (e->nports == e->capports) {
		size_t cap = e->capports ? e->capports * 2 : 8;
		uint16_t *p = realloc(e->ports, cap * sizeof(*p));

		if (!p)
			return false;
		e->ports = p;
		e->capports = cap;
	}
	e->ports[e->nports++] = port;
	e->count++;
	pids_add(&e->client.pids, f->client.pid);
	pids_add(&e->server.pids, f->server.pid);
	entry_keep_example(e, f, port);
	if (f->close_kind != FW_CLOSE_NONE) {
		span_add(&e->t_min, &e->t_max, f->close_time_ns);
		span_add(&e->retrans_min, &e->retrans_max, f->close_retrans);
		span_add(&e->idle_min, &e->idle_max, f->idle_before_close_ms);
	}
	if (f->survivor)
		span_add(&e->surv_min, &e->surv_max, f->survivor->idle_ms);
	return true;
}

static bool entries_grow(struct entries *es)
{
	size_t cap;
	struct entry **all;

	if (es->n < es->cap)
		return true;
	cap = es->cap ? es->cap * 2 : 64;
	all = realloc(es->all, cap * sizeof(*all));
	if (!all)
		return false;
	es->all = all;
	es->cap = cap;
	return true;
}

void entries_add(struct entries *es, const struct fw_finding *f,
		 const char *text)
{
	char key[4096];
	struct entry *e;
	uint64_t h;

	entry_key(key, sizeof(key), f, text);
	h = report_str_hash(key);
	e = fw_table_find(&es->index, h, report_key_match, key);
	if (!e) {
		e = entries_grow(es) ? entry_new(key, f, text) : NULL;
		if (e && fw_table_insert(&es->index, h, e) < 0) {
			entry_free(e);
			e = NULL;
		}
		if (!e) {
			es->failed = true;
			return;
		}
		e->seq = es->n;
		es->all[es->n++] = e;
	}
	if (!entry_note(e, f))
		es->failed = true;
}

/* ---- printing ---- */

static int by_port(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Prints "a-b" or "a", wrapping the line; false when the list is full. */
static bool print_range(FILE *f, unsigned int a, unsigned int b, int *col,
			size_t *used, bool first)
{
	char item[16];
	int n = a == b ? snprintf(item, sizeof(item), "%u", a)
		       : snprintf(item, sizeof(item), "%u-%u", a, b);

	if (*used + (size_t)n > PORTS_MAX)
		return false;
	if (!first) {
		fputc(',', f);
		if (*col + n + 2 > LINE_WIDTH) {
			fprintf(f, "\n%*s", PORTS_COL, "");
			*col = PORTS_COL;
		} else {
			fputc(' ', f);
			*col += 2;
		}
	}
	fputs(item, f);
	*col += n;
	*used += (size_t)n + 2;
	return true;
}

/* Sorts and dedups the ports (a port may be reused); returns how many. */
static size_t unique_ports(struct entry *e)
{
	size_t n = 0;

	qsort(e->ports, e->nports, sizeof(*e->ports), by_port);
	for (size_t i = 0; i < e->nports; i++)
		if (!n || e->ports[i] != e->ports[n - 1])
			e->ports[n++] = e->ports[i];
	return e->nports = n;
}

/* "client ports: 40122-40160, 40200 and 12 more" */
static void print_ports(FILE *f, struct entry *e)
{
	size_t n = unique_ports(e), shown = 0, used = 0;
	int col = PORTS_COL;

	fputs(INDENT "client ports: ", f);
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n && e->ports[j + 1] == e->ports[j] + 1)
			j++;
		if (!print_range(f, e->ports[i], e->ports[j], &col, &used,
				 i == 0))
			break;
		shown = j + 1;
		i = j + 1;
	}
	if (n > shown)
		fprintf(f, " and %zu more", n - shown);
	fputc('\n', f);
}

/* "4.0s" or "4.0s to 9.0s" */
static void print_ms_span(FILE *f, uint64_t lo, uint64_t hi)
{
	char a[32], b[32];

	fmt_idle(a, sizeof(a), lo);
	fmt_idle(b, sizeof(b), hi);
	if (!strcmp(a, b))
		fputs(a, f);
	else
		fprintf(f, "%s to %s", a, b);
}

/* "client FINs from T1 to T2, retransmitted 3-7x, after 4.0 s idle" */
static void print_close_span(FILE *f, const struct entry *e)
{
	char a[40], b[40];

	fmt_time(a, sizeof(a), e->t_min);
	fmt_time(b, sizeof(b), e->t_max);
	fprintf(f, INDENT "%s %s", e->closer_is_client ? "client" : "server",
		e->kind == FW_CLOSE_FIN ? "FINs" : "RSTs");
	if (!strcmp(a, b))
		fprintf(f, " at %s", a);
	else
		fprintf(f, " from %s to %s", a, b);
	if (e->retrans_max != FW_UNKNOWN && e->retrans_max) {
		if (e->retrans_min == e->retrans_max)
			fprintf(f, ", retransmitted %" PRIu64 "x",
				e->retrans_max);
		else
			fprintf(f, ", retransmitted %" PRIu64 "-%" PRIu64 "x",
				e->retrans_min, e->retrans_max);
	}
	if (e->idle_min != FW_UNKNOWN) {
		fputs(", after ", f);
		print_ms_span(f, e->idle_min, e->idle_max);
		fputs(" idle", f);
	}
	if (e->surviving_state)
		fprintf(f, "; the other ends are still %s",
			fw_state_name(e->surviving_state));
	fputc('\n', f);
}

static void print_group(FILE *f, struct entry *e)
{
	fprintf(f,
		"%-15s %" PRIu64 " connections: ", fw_verdict_name(e->verdict),
		e->count);
	print_who(f, &e->client);
	fputs(" -> ", f);
	print_who(f, &e->server);
	fputc('\n', f);
	print_ports(f, e);
	if (e->kind != FW_CLOSE_NONE)
		print_close_span(f, e);
	if (e->surv_min != FW_UNKNOWN && e->survivor_role) {
		fprintf(f, INDENT "the %s ends idle ", e->survivor_role);
		print_ms_span(f, e->surv_min, e->surv_max);
		fputs(" in their snapshots\n", f);
	}
	fprintf(f, INDENT "e.g. port %u: %s\n", e->first_port, e->evidence);
}

/* The worst verdicts first, then the largest entries, then in order. */
static int by_weight(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;

	if (x->verdict != y->verdict)
		return x->verdict < y->verdict ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void entries_print(struct entries *es, FILE *f)
{
	if (es->n > 1)
		qsort(es->all, es->n, sizeof(*es->all), by_weight);
	for (size_t i = 0; i < es->n; i++) {
		if (es->all[i]->count == 1)
			fputs(es->all[i]->text, f);
		else
			print_group(f, es->all[i]);
	}
	if (es->failed)
		fputs("(out of memory: some findings are missing here; "
		      "--json lists every one)\n",
		      f);
}

int entries_init(struct entries *es)
{
	memset(es, 0, sizeof(*es));
	return fw_table_init(&es->index, 64);
}

void entries_free(struct entries *es)
{
	for (size_t i = 0; i < es->n; i++)
		entry_free(es->all[i]);
	free(es->all);
	fw_table_free(&es->index);
}
