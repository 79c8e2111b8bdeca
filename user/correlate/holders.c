// SPDX-License-Identifier: GPL-2.0
/*
 * Who holds what, over the connections as they stood when decided:
 * holdings, the incident's own comparison (`ss` on the server and on the
 * client host: what the server holds that the client host does not are
 * ghosts), and idle holders, connections both ends hold that have been
 * idle longer than --idle (an application that never closes them, not
 * a lost close).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"
#include "schema.h"

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static size_t idle_bucket(uint64_t ms)
{
	static const uint64_t edge[3] = { 60000, 600000, 3600000 };
	size_t b = 0;

	while (b < 3 && ms >= edge[b])
		b++;
	return b;
}

/* Sorts ms[n] and sums it up; unknown is left to the caller. */
void idle_dist_of(uint64_t *ms, size_t n, struct idle_dist *d)
{
	memset(d, 0, sizeof(*d));
	d->min = d->median = d->max = FW_UNKNOWN;
	if (!n)
		return;
	qsort(ms, n, sizeof(*ms), by_u64);
	d->min = ms[0];
	d->median = ms[n / 2];
	d->max = ms[n - 1];
	for (size_t i = 0; i < n; i++)
		d->bucket[idle_bucket(ms[i])]++;
}

/* Appends v to *arr of *n (capacity *cap); false when out of memory. */
static bool push_u64(uint64_t **arr, size_t *n, size_t *cap, uint64_t v)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		uint64_t *p = realloc(*arr, c * sizeof(*p));

		if (!p)
			return false;
		*arr = p;
		*cap = c;
	}
	(*arr)[(*n)++] = v;
	return true;
}

/* ---- holdings ---- */

static bool established(const struct fw_finding_end *e)
{
	return e->present && e->open && e->state == FW_TCP_ESTABLISHED;
}

/*
 * The connections the server holds from a client host, and how many of
 * them the client host holds too. The rest are ghosts.
 */
void count_holding(struct fw_report *r, const struct fw_finding *f)
{
	const struct fw_finding_end *sv = &f->server, *cl = &f->client;
	struct group *g;
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
	/* out of memory, the distribution loses one */
	if (sv->idle_ms != FW_UNKNOWN)
		push_u64(&g->idle, &g->nidle, &g->capidle, sv->idle_ms);
}

void holding_dist(struct group *g, struct idle_dist *d)
{
	idle_dist_of(g->idle, g->nidle, d);
	d->unknown = g->held - g->held_by_peer - g->nidle;
}

void json_holdings(FILE *f, struct groups *g)
{
	struct idle_dist d;

	fputs(",\"holdings\":[", f);
	for (size_t i = 0; i < g->n; i++) {
		struct group *h = g->all[i];

		holding_dist(h, &d);
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

static void text_ghost_idle(FILE *f, const struct group *h,
			    const struct idle_dist *d)
{
	char a[32], b[32], c[32];

	if (d->min == FW_UNKNOWN)
		return;
	fmt_idle(a, sizeof(a), d->min);
	if (h->nidle == 1) {
		fprintf(f, "    the ghost's idle time: %s\n", a);
		return;
	}
	fmt_idle(b, sizeof(b), d->median);
	fmt_idle(c, sizeof(c), d->max);
	fprintf(f,
		"    ghosts idle: min %s, median %s, max %s; <1m %" PRIu64
		", 1-10m %" PRIu64 ", 10m-1h %" PRIu64 ", >1h %" PRIu64
		", unknown %" PRIu64 "\n",
		a, b, c, d->bucket[0], d->bucket[1], d->bucket[2], d->bucket[3],
		d->unknown);
}

static void text_holding(FILE *f, struct group *h)
{
	uint64_t ghosts = h->held - h->held_by_peer;
	struct idle_dist d;

	holding_dist(h, &d);
	fprintf(f,
		"  the server %s holds %" PRIu64 " %s from client host %s; "
		"%s holds %" PRIu64 " of them; %" PRIu64 " %s\n",
		h->host, h->held,
		report_plural(h->held, "connection", "connections"), h->name,
		h->name, h->held_by_peer, ghosts,
		report_plural(ghosts, "is a ghost", "are ghosts"));
	if (!ghosts)
		return;
	text_ghost_idle(f, h, &d);
	fprintf(f,
		"    %s keepalive: off %" PRIu64 " (never reaped), on %" PRIu64
		", unknown %" PRIu64 "\n",
		ghosts == 1 ? "the ghost's" : "ghosts'", h->ka[0], h->ka[1],
		h->ka[2]);
}

void text_holdings(FILE *f, struct groups *g)
{
	if (g->n)
		fputs("connections ESTABLISHED at the end, server against "
		      "client host:\n",
		      f);
	for (size_t i = 0; i < g->n; i++)
		text_holding(f, g->all[i]);
}

/* ---- idle holders ---- */

/* Both ends' idle time: the shorter of their last_recv_ms, or unknown. */
static uint64_t both_idle_ms(const struct fw_finding *f)
{
	uint64_t c = f->client.idle_ms, s = f->server.idle_ms;

	if (c == FW_UNKNOWN || s == FW_UNKNOWN)
		return FW_UNKNOWN;
	return c < s ? c : s;
}

static void holder_free(struct holder *h)
{
	free(h->key);
	free(h->client_host);
	free(h->comm);
	free(h->server_host);
	free(h->server);
	free(h->idle);
	free(h);
}

static struct holder *holder_new(const char *key, const struct fw_finding *f)
{
	struct holder *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->key = strdup(key);
	h->client_host = strdup(f->client.host);
	h->comm = strdup(f->client.comm);
	h->server_host = strdup(f->server.host);
	h->server = strdup(f->server.endpoint);
	h->pid = f->client.pid;
	if (h->key && h->client_host && h->comm && h->server_host && h->server)
		return h;
	holder_free(h);
	return NULL;
}

static struct holder *holder_get(struct holders *hs, const struct fw_finding *f)
{
	char key[1024];
	uint64_t hash;
	struct holder *h;

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%u\x1f%s\x1f%s", f->client.host,
		 f->client.comm, f->client.pid, f->server.host,
		 f->server.endpoint);
	hash = report_str_hash(key);
	h = fw_table_find(&hs->index, hash, report_key_match, key);
	if (h)
		return h;
	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 8;
		struct holder **all = realloc(hs->all, cap * sizeof(*all));

		if (!all)
			return NULL;
		hs->all = all;
		hs->cap = cap;
	}
	h = holder_new(key, f);
	if (!h)
		return NULL;
	if (fw_table_insert(&hs->index, hash, h) < 0) {
		holder_free(h);
		return NULL;
	}
	hs->all[hs->n++] = h;
	return h;
}

/* A connection both ends hold, idle longer than --idle on both. */
void count_holder(struct fw_report *r, const struct fw_finding *f)
{
	uint64_t idle = both_idle_ms(f);
	struct holder *h;

	if (!established(&f->client) || !established(&f->server) ||
	    idle == FW_UNKNOWN || idle * 1000000 <= report_idle_ns(r))
		return;
	h = holder_get(&r->holders, f);
	if (h) /* out of memory, the list loses one */
		push_u64(&h->idle, &h->count, &h->cap, idle);
}

static int by_count(const void *a, const void *b)
{
	const struct holder *x = *(const struct holder *const *)a;
	const struct holder *y = *(const struct holder *const *)b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->key, y->key);
}

static void sort_holders(struct holders *hs)
{
	if (hs->n > 1)
		qsort(hs->all, hs->n, sizeof(*hs->all), by_count);
}

void json_holders(FILE *f, struct fw_report *r)
{
	struct holders *hs = &r->holders;
	struct idle_dist d;

	sort_holders(hs);
	fputs(",\"idle_holders\":[", f);
	for (size_t i = 0; i < hs->n; i++) {
		struct holder *h = hs->all[i];

		idle_dist_of(h->idle, h->count, &d);
		fputs(i ? ",{\"client_host\":" : "{\"client_host\":", f);
		fw_json_string(f, h->client_host);
		fputs(",\"comm\":", f);
		fw_json_string(f, h->comm);
		json_u64_or_null(f, "pid", h->pid ? h->pid : FW_UNKNOWN);
		fputs(",\"server_host\":", f);
		fw_json_string(f, h->server_host);
		fputs(",\"server\":", f);
		fw_json_string(f, h->server);
		fprintf(f,
			",\"count\":%zu,\"idle_ms\":{\"min\":%" PRIu64
			",\"median\":%" PRIu64 ",\"max\":%" PRIu64 "}}",
			h->count, d.min, d.median, d.max);
	}
	fputc(']', f);
}

/* "redis1:6379": the server's host and its port. */
static void host_port(char *out, size_t sz, const struct holder *h)
{
	const char *colon = strrchr(h->server, ':');

	snprintf(out, sz, "%s%s", h->server_host, colon ? colon : "");
}

void text_holders(FILE *f, struct fw_report *r)
{
	struct holders *hs = &r->holders;
	char over[32], to[320], a[32], b[32], c[32];
	struct idle_dist d;

	if (!hs->n)
		return;
	sort_holders(hs);
	report_fmt_duration(over, sizeof(over), report_idle_ns(r));
	fprintf(f, "idle connections that both ends hold (idle over %s):\n",
		over);
	for (size_t i = 0; i < hs->n; i++) {
		struct holder *h = hs->all[i];

		idle_dist_of(h->idle, h->count, &d);
		host_port(to, sizeof(to), h);
		fmt_idle(a, sizeof(a), d.min);
		fmt_idle(b, sizeof(b), d.median);
		fmt_idle(c, sizeof(c), d.max);
		fprintf(f, "  %s %s", h->client_host,
			h->comm[0] ? h->comm : "?");
		if (h->pid)
			fprintf(f, "[%u]", h->pid);
		fprintf(f, " holds %zu %s idle over %s to %s", h->count,
			report_plural(h->count, "connection", "connections"),
			over, to);
		if (h->count == 1)
			fprintf(f, " (idle %s)\n", a);
		else
			fprintf(f, " (idle min %s, median %s, max %s)\n", a, b,
				c);
	}
}

/* Connections held idle, all holders together. */
uint64_t holders_count(const struct holders *hs)
{
	uint64_t n = 0;

	for (size_t i = 0; i < hs->n; i++)
		n += hs->all[i]->count;
	return n;
}

int holders_init(struct holders *hs)
{
	memset(hs, 0, sizeof(*hs));
	return fw_table_init(&hs->index, 16);
}

void holders_free(struct holders *hs)
{
	for (size_t i = 0; i < hs->n; i++)
		holder_free(hs->all[i]);
	free(hs->all);
	fw_table_free(&hs->index);
}
