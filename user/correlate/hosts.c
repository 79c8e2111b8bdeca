// SPDX-License-Identifier: GPL-2.0
/*
 * Hosts (one per log) and their clocks, the windows in which a host's
 * tracer lost events or was not running, and its snapshot passes.
 */
#include <stdio.h>
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
	struct host *h = host_find(c, name, len), **hosts;
	char *copy;

	if (h)
		return h;
	h = corr_calloc(c, 1, sizeof(*h));
	copy = corr_calloc(c, 1, len + 1);
	hosts = corr_realloc(c, c->hosts, c->nhosts + 1, sizeof(*hosts));
	if (hosts)
		c->hosts = hosts;
	if (!h || !copy || !hosts) {
		free(h);
		free(copy);
		return NULL;
	}
	memcpy(copy, name, len);
	h->name = copy;
	h->len = len;
	h->start_ns = now;
	h->boot_ns = UNSET;
	h->unlisted_pass = NO_PASS;
	h->wm_ns = now;
	/* the first host's clock is the reference for the others */
	h->synced = c->nhosts == 0;
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
	free(h->facts);
	free(h->name);
	free(h->lost);
	free(h);
}

/* ---- lost windows ---- */

/* A window that overlaps a complete pass of h makes that pass unsure. */
static void passes_spoiled_by(struct host *h, uint64_t from)
{
	for (size_t i = h->nsnaps; i-- > 0 && h->snaps[i].end_ns >= from;)
		h->snaps[i].complete = false;
}

void host_add_lost(struct fw_corr *c, struct host *h, uint64_t from,
		   uint64_t to, uint64_t count, bool pinned)
{
	struct lost_win *last = h->nlost ? &h->lost[h->nlost - 1] : NULL;

	passes_spoiled_by(h, from);
	/* windows arrive in time order: merge one that touches the last */
	if (last && from <= last->to_ns) {
		last->from_ns = min_u64(last->from_ns, from);
		if (to > last->to_ns) {
			last->to_ns = to;
			last->settled_by = NO_PASS;
			if (h->nsettled == h->nlost)
				h->nsettled--;
		}
		last->count += count;
		last->pinned = last->pinned && pinned;
		return;
	}
	if (h->nlost == h->caplost) {
		struct lost_win *lost =
			corr_grow(c, h->lost, &h->caplost, 4, sizeof(*lost));

		if (!lost)
			return;
		h->lost = lost;
	}
	h->lost[h->nlost++] =
		(struct lost_win){ from, to, count, pinned, NO_PASS };
}

/*
 * Whether a complete pass of h that began after w covers namespace ns
 * (known, else only a pass of all namespaces will do): then every
 * socket of h in ns that lived through w has told what it lost.
 */
static bool window_settled(const struct host *h, const struct lost_win *w,
			   bool ns_known, uint64_t ns)
{
	if (!w->pinned || w->settled_by == NO_PASS)
		return false;
	for (size_t i = w->settled_by; i < h->nsnaps; i++) {
		const struct snap_pass *p = &h->snaps[i];

		if (p->complete && p->begin_ns > w->to_ns &&
		    pass_covers(p, ns_known, ns))
			return true;
	}
	return false;
}

/*
 * The latest window of h overlapping [from, to] that still counts for
 * a socket of h in namespace ns: unpinned, or pinned and not settled
 * for ns. Windows are in time order and do not overlap.
 */
const struct lost_win *host_lost_in(const struct host *h, uint64_t from,
				    uint64_t to, bool ns_known, uint64_t ns)
{
	for (size_t i = h->nlost; i-- > 0;) {
		const struct lost_win *w = &h->lost[i];

		if (w->to_ns < from)
			break;
		if (w->from_ns <= to && !window_settled(h, w, ns_known, ns))
			return w;
	}
	return NULL;
}

/* Pinned windows that ended before the pass p began are settled by it. */
bool host_settle_windows(struct host *h, size_t p)
{
	bool any = false;

	while (h->nsettled < h->nlost &&
	       h->lost[h->nsettled].to_ns < h->snaps[p].begin_ns) {
		struct lost_win *w = &h->lost[h->nsettled++];

		if (w->pinned && w->settled_by == NO_PASS) {
			w->settled_by = p;
			any = true;
		}
	}
	return any;
}

/* Whether h lost records between from and to (pinned or not). */
static bool host_lost_any(const struct host *h, uint64_t from, uint64_t to)
{
	for (size_t i = h->nlost; i-- > 0 && h->lost[i].to_ns >= from;)
		if (h->lost[i].from_ns <= to)
			return true;
	return false;
}

/* A copy of n namespaces; NULL for none, meaning all of them. */
static uint64_t *copy_netns(struct fw_corr *c, const uint64_t *netns, size_t n)
{
	uint64_t *v;

	if (!n)
		return NULL;
	v = corr_calloc(c, n, sizeof(*v));
	if (v)
		memcpy(v, netns, n * sizeof(*v));
	return v;
}

/* The netns list of a start or a snapshot_end record (NULL: all). */
static uint64_t *copy_rec_netns(struct fw_corr *c, const struct fw_rec *r,
				size_t *n)
{
	uint64_t *v = NULL;

	if (r->has & FW_HAS_NETNS_LIST)
		v = copy_netns(c, r->netns_list, r->n_netns);
	*n = v ? r->n_netns : 0;
	return v;
}

/* A new boot_id: the host booted since its previous trace. */
static bool note_boot(struct host *h, const struct fw_rec *r)
{
	bool rebooted;

	if (!(r->has & FW_HAS_BOOT_ID) || !r->boot_id[0])
		return false;
	rebooted = h->boot_id[0] && strcmp(h->boot_id, r->boot_id) != 0;
	snprintf(h->boot_id, sizeof(h->boot_id), "%s", r->boot_id);
	if (rebooted) {
		h->boot_gen++;
		h->boot_ns = r->time_ns;
	}
	return rebooted;
}

/*
 * A restarted tracer attaches its programs, then takes its baseline,
 * then writes its start record, stamped after the baseline's records:
 * it was running by the time its baseline began at t, so the window in
 * which it was not ends there, and the baseline pass is whole.
 */
static void restart_seen_by_pass(struct host *h, uint64_t t)
{
	struct lost_win *w = h->nlost ? &h->lost[h->nlost - 1] : NULL;

	h->restarted = false;
	if (!w || w->count || t <= w->from_ns || t > w->to_ns)
		return;
	w->to_ns = t - 1;
}

/*
 * A start record: the namespaces its tracer watches, its heartbeats,
 * its boot. Returns true when the host booted since its previous trace:
 * none of the sockets that trace knew exists any more.
 */
/*
 * A pass its tracer never finished (killed in the middle of it) ends
 * here, incomplete: it proves nothing, and the new trace's baseline is
 * a pass of its own.
 */
static void abandon_pass(struct fw_corr *c, struct host *h)
{
	struct fw_rec cut;

	memset(&cut, 0, sizeof(cut));
	cut.time_ns = h->wm_ns;
	host_end_pass(c, h, &cut);
}

bool host_start(struct fw_corr *c, struct host *h, const struct fw_rec *r,
		bool first)
{
	bool rebooted = note_boot(h, r);
	/*
	 * Its baseline's records (pass 1), older than the start record,
	 * may have come first (in time order): they are the new trace's.
	 * Any other pass still open is the previous tracer's, cut short.
	 */
	bool baseline_first = h->in_pass && !first && h->pass_snap == 1 &&
			      r->time_ns < add_sat(h->pass_ns, FW_LATE_NS);
	uint64_t last = baseline_first ? h->pass_wm : h->wm_ns;

	if (h->in_pass && !first && !baseline_first) {
		/* what it read before that pass began is all it surely read */
		last = h->pass_wm;
		abandon_pass(c, h);
	}

	free(h->watched);
	h->watched = copy_rec_netns(c, r, &h->nwatched);
	host_learn_facts(c, h, r);
	h->traced = true;
	h->stopped = false;
	h->stalled = false;
	h->tick_ms = (r->has & FW_HAS_TICK_MS) ? r->tick_ms : 0;
	/*
	 * A restarted tracer: what happened in between was not seen. A
	 * reopened file (log rotation) continues the same trace.
	 */
	if (!first && r->time_ns > last && !r->reopen) {
		host_add_lost(c, h, last, r->time_ns, 0, false);
		h->restarted = true;
		if (baseline_first)
			restart_seen_by_pass(h, h->pass_ns);
	}
	if (h->done) {
		h->done = false;
		clock_update(c);
	}
	return rebooted;
}

/* ---- the facts of its namespaces, and what its tracer traced ---- */

/* The facts of a namespace replace what was known of it before. */
static void host_put_facts(struct fw_corr *c, struct host *h,
			   const struct fw_rec_facts *f)
{
	for (size_t i = 0; i < h->nfacts; i++) {
		if (h->facts[i].netns == f->netns) {
			h->facts[i] = *f;
			return;
		}
	}
	if (h->nfacts == h->capfacts) {
		struct fw_rec_facts *facts =
			corr_grow(c, h->facts, &h->capfacts, 2, sizeof(*facts));

		if (!facts)
			return;
		h->facts = facts;
	}
	h->facts[h->nfacts++] = *f;
}

/* A start or netns record: the namespaces' facts, the attach points. */
void host_learn_facts(struct fw_corr *c, struct host *h, const struct fw_rec *r)
{
	for (unsigned int i = 0; i < r->n_facts; i++)
		host_put_facts(c, h, &r->facts[i]);
	if (r->has & FW_HAS_ATTACH) {
		h->attach_known = true;
		h->traces_drops = r->attach_drops;
	}
}

/* What h's tracer read of namespace netns, or NULL. */
const struct fw_rec_facts *host_facts(const struct host *h, uint64_t netns)
{
	for (size_t i = 0; i < h->nfacts; i++)
		if (h->facts[i].netns == netns)
			return &h->facts[i];
	return NULL;
}

/* ---- clocks ---- */

/*
 * The global clock: the least watermark of the hosts still growing. A
 * stalled host's is left out: waiting for it would hold up every other
 * host's decisions, and its own wait for its records anyway.
 */
void clock_update(struct fw_corr *c)
{
	uint64_t t = UINT64_MAX;

	for (size_t i = 0; i < c->nhosts; i++) {
		const struct host *h = c->hosts[i];

		if (!h->done && !h->stalled && to_ref(h, h->wm_ns) < t)
			t = to_ref(h, h->wm_ns);
	}
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

/*
 * h's log ended (following: stalled) without a stop record: it proves
 * nothing after its last record. A log without a start record is a
 * snapshot, which only ever says how things stood.
 */
bool host_cut(const struct fw_corr *c, const struct host *h)
{
	if (!h->traced || h->stopped)
		return false;
	return c->opts.follow ? h->stalled : h->done;
}

/* ---- snapshot passes ---- */

/* A snapshot record: a pass is under way since the first of them. */
void host_begin_pass(struct fw_corr *c, struct host *h, const struct fw_rec *r)
{
	/* another pass begins: the open one's tracer never finished it */
	if (h->in_pass && r->snap != h->pass_snap)
		abandon_pass(c, h);
	if (!h->in_pass) {
		if (h->restarted)
			restart_seen_by_pass(h, r->time_ns);
		h->in_pass = true;
		h->pass_ns = r->time_ns;
		h->pass_snap = r->snap;
		h->pass_records = 0;
	}
	h->pass_records++;
}

/*
 * A pass is over: what it did not list did not exist then. Its
 * namespaces are its own list, else the tracer's (start), else all.
 * It is complete when every socket it counted came and no record of the
 * host was lost meanwhile. Returns the pass, or NULL (no memory). What
 * it settles, it settles later (host_settle_windows), together with the
 * sockets it shows gone.
 */
const struct snap_pass *host_end_pass(struct fw_corr *c, struct host *h,
				      const struct fw_rec *r)
{
	uint64_t records = h->in_pass ? h->pass_records : 0;
	struct snap_pass *p;

	h->in_pass = false;
	if (h->nsnaps == h->capsnaps) {
		struct snap_pass *snaps =
			corr_grow(c, h->snaps, &h->capsnaps, 4, sizeof(*snaps));

		if (!snaps)
			return NULL;
		h->snaps = snaps;
	}
	p = &h->snaps[h->nsnaps++];
	p->begin_ns = records ? h->pass_ns : r->time_ns;
	p->end_ns = r->time_ns;
	if (r->has & FW_HAS_NETNS_LIST) {
		p->netns = copy_rec_netns(c, r, &p->nnetns);
	} else {
		p->netns = copy_netns(c, h->watched, h->nwatched);
		p->nnetns = p->netns ? h->nwatched : 0;
	}
	p->repair = r->repair;
	p->complete = (r->has & FW_HAS_COUNT) && r->count == records &&
		      !r->netns_more &&
		      !host_lost_any(h, p->begin_ns, p->end_ns);
	return p;
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
