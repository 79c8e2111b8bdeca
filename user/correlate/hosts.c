// SPDX-License-Identifier: GPL-2.0
/*
 * Hosts (one per log) and their clocks, the windows in which a host's
 * tracer lost events or was not running, and its snapshot passes.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct host *host_find(struct fw_corr *c, const char *name, size_t len)
{
	struct host *h = c->last_host;

	/* records of one host come in runs: try the last one first */
	if (h && h->len == len && memcmp(h->name, name, len) == 0)
		return h;
	for (size_t i = 0; i < c->nhosts; i++) {
		h = c->hosts[i];
		if (h->len == len && memcmp(h->name, name, len) == 0)
			return c->last_host = h;
	}
	return NULL;
}

struct host *host_get(struct fw_corr *c, const char *name, size_t len,
		      uint64_t now)
{
	struct host *h = host_find(c, name, len);

	if (h)
		return h;
	h = xcalloc(1, sizeof(*h));
	h->name = xcalloc(1, len + 1);
	memcpy(h->name, name, len);
	h->len = len;
	h->start_ns = now;
	h->wm_ns = now;
	/* the first host's clock is the reference for the others */
	h->synced = c->nhosts == 0;
	c->hosts = xrealloc(c->hosts, (c->nhosts + 1) * sizeof(*c->hosts));
	c->hosts[c->nhosts++] = h;
	c->stats.hosts = c->nhosts;
	return c->last_host = h;
}

void host_free(struct host *h)
{
	for (size_t i = 0; i < h->nsnaps; i++)
		free(h->snaps[i].netns);
	free(h->snaps);
	free(h->watched);
	free(h->name);
	free(h->lost);
	free(h);
}

/* ---- lost windows ---- */

void host_add_lost(struct host *h, uint64_t from, uint64_t to, uint64_t count)
{
	struct lost_win *last = h->nlost ? &h->lost[h->nlost - 1] : NULL;

	/* windows arrive in time order: merge one that touches the last */
	if (last && from <= last->to_ns) {
		last->from_ns = min_u64(last->from_ns, from);
		if (to > last->to_ns)
			last->to_ns = to;
		last->count += count;
		return;
	}
	if (h->nlost == h->caplost) {
		h->caplost = h->caplost ? h->caplost * 2 : 4;
		h->lost = xrealloc(h->lost, h->caplost * sizeof(*h->lost));
	}
	h->lost[h->nlost++] = (struct lost_win){from, to, count};
}

const struct lost_win *host_lost_in(const struct host *h, uint64_t from,
				    uint64_t to)
{
	for (size_t i = h->nlost; i-- > 0;)
		if (h->lost[i].from_ns <= to && h->lost[i].to_ns >= from)
			return &h->lost[i];
	return NULL;
}

static uint64_t *copy_netns(const struct fw_rec *r, size_t *n)
{
	uint64_t *v;

	*n = 0;
	if (!(r->has & FW_HAS_NETNS_LIST) || !r->n_netns)
		return NULL; /* all namespaces */
	v = xcalloc(r->n_netns, sizeof(*v));
	memcpy(v, r->netns_list, r->n_netns * sizeof(*v));
	*n = r->n_netns;
	return v;
}

/* A start record: the namespaces its tracer watches. */
void host_start(struct fw_corr *c, struct host *h, const struct fw_rec *r,
		bool first)
{
	free(h->watched);
	h->watched = copy_netns(r, &h->nwatched);
	/* a restarted tracer: what happened in between was not seen */
	if (!first && r->time_ns > h->wm_ns)
		host_add_lost(h, h->wm_ns, r->time_ns, 0);
	if (h->done) {
		h->done = false;
		clock_update(c);
	}
}

/* ---- clocks ---- */

/* The global clock: the least watermark of the hosts still growing. */
void clock_update(struct fw_corr *c)
{
	uint64_t t = UINT64_MAX;

	for (size_t i = 0; i < c->nhosts; i++)
		if (!c->hosts[i]->done &&
		    to_ref(c->hosts[i], c->hosts[i]->wm_ns) < t)
			t = to_ref(c->hosts[i], c->hosts[i]->wm_ns);
	c->clock = t;
}

/*
 * Both ends of an ISN-paired connection were established at the same
 * moment, give or take half a round trip: the difference of their clocks
 * tells one host's offset from the other's.
 */
void clock_sync(struct fw_corr *c, struct end *a, struct end *b)
{
	uint64_t sample;

	if (a->host == b->host || !is_set(a->est_ns) || !is_set(b->est_ns) ||
	    a->host->synced == b->host->synced)
		return;
	sample = b->est_ns - a->est_ns;
	if (a->host->synced) {
		b->host->off_ns = a->host->off_ns + sample;
		b->host->synced = true;
	} else {
		a->host->off_ns = b->host->off_ns - sample;
		a->host->synced = true;
	}
	clock_update(c);
}

/*
 * Two ISN-paired ends established together, which calibrates them better
 * than any host-wide offset.
 */
static bool calibrated(const struct end *a, const struct end *b)
{
	return a->host == b->host ||
	       (a->conn == b->conn && a->conn->paired_by == FW_PAIR_ISN &&
		is_set(a->est_ns) && is_set(b->est_ns));
}

/* A time of a's clock in b's clock. */
uint64_t clock_convert(const struct end *a, const struct end *b, uint64_t t)
{
	if (a->host == b->host)
		return t;
	if (calibrated(a, b))
		return t - a->est_ns + b->est_ns;
	return from_ref(b->host, to_ref(a->host, t));
}

/*
 * The allowance between a moment on a's clock and b's record of it:
 * flight time, plus the skew unless the two ends are calibrated.
 */
uint64_t clock_tolerance(const struct fw_corr *c, const struct end *a,
			 const struct end *b)
{
	return calibrated(a, b) ? FW_FLIGHT_NS : tolerance(c);
}

/* ---- snapshot passes ---- */

/* A snapshot record: a pass is under way since the first of them. */
void host_begin_pass(struct host *h, uint64_t t)
{
	if (!h->in_pass) {
		h->in_pass = true;
		h->pass_ns = t;
	}
}

/*
 * A pass is complete: what it did not list did not exist then. Its
 * namespaces are its own list, else the tracer's (start), else all.
 */
void host_end_pass(struct host *h, const struct fw_rec *r)
{
	struct snap_pass *p;

	if (h->nsnaps == h->capsnaps) {
		h->capsnaps = h->capsnaps ? h->capsnaps * 2 : 4;
		h->snaps = xrealloc(h->snaps, h->capsnaps * sizeof(*h->snaps));
	}
	p = &h->snaps[h->nsnaps++];
	p->begin_ns = h->in_pass ? h->pass_ns : r->time_ns;
	p->end_ns = r->time_ns;
	if (r->has & FW_HAS_NETNS_LIST) {
		p->netns = copy_netns(r, &p->nnetns);
	} else if (h->watched) {
		p->netns = xcalloc(h->nwatched, sizeof(*p->netns));
		memcpy(p->netns, h->watched, h->nwatched * sizeof(*p->netns));
		p->nnetns = h->nwatched;
	} else {
		p->netns = NULL;
		p->nnetns = 0;
	}
	h->in_pass = false;
}

bool pass_covers(const struct snap_pass *p, bool known, uint64_t ns)
{
	if (!p->netns)
		return true;
	for (size_t i = 0; known && i < p->nnetns; i++)
		if (p->netns[i] == ns)
			return true;
	return false;
}

/*
 * The latest pass of h taken while e surely existed: after e was first
 * known to exist, and before e's log ended with it still open (each
 * give or take the allowance). Passes are in time order.
 */
const struct snap_pass *host_pass_while_open(struct fw_corr *c,
					     const struct host *h,
					     const struct end *e)
{
	uint64_t tol = tolerance(c);
	uint64_t from = from_ref(h, to_ref(e->host, e->seen_ns));
	uint64_t until = from_ref(h, to_ref(e->host, e->host->wm_ns));

	for (size_t i = h->nsnaps; i-- > 0;) {
		const struct snap_pass *p = &h->snaps[i];

		if (p->begin_ns < add_sat(from, tol))
			return NULL;
		if (p->end_ns <= add_sat(until, tol))
			return p;
	}
	return NULL;
}
