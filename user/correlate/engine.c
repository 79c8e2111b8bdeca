// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's feed loop and its API (correlate.h): records in, each
 * teaching its socket's end, then the connections whose evidence or
 * waiting time changed are judged again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "timeline.h"

/* ---- memory: out of it, the engine stops for good ---- */

/* Tests: the allocation that fails, counting from 1; 0: none. */
static unsigned long fail_alloc_at;

void fw_corr_test_fail_alloc(unsigned long nth)
{
	fail_alloc_at = nth;
}

static bool alloc_refused(void)
{
	return fail_alloc_at && --fail_alloc_at == 0;
}

/*
 * The engine's allocators: NULL (or false) when memory ran out now or
 * before, and then c->failed is set for good. Their callers give up the
 * step at hand, leaving every structure as it was, and the engine judges
 * and reports nothing more: a verdict from half the evidence could be
 * false.
 */
void *corr_calloc(struct fw_corr *c, size_t n, size_t size)
{
	void *p = NULL;

	if (!c->failed && !alloc_refused())
		p = calloc(n, size);
	if (!p)
		c->failed = true;
	return p;
}

/* Resizes p to n elements; on failure p is left as it was. */
void *corr_realloc(struct fw_corr *c, void *p, size_t n, size_t size)
{
	void *q = NULL;

	if (!c->failed && !alloc_refused() && n <= SIZE_MAX / size)
		q = realloc(p, n * size);
	if (!q)
		c->failed = true;
	return q;
}

/*
 * Room for more in an array of *cap elements: twice as many, or first;
 * on failure arr is left as it was.
 */
void *corr_grow(struct fw_corr *c, void *arr, size_t *cap, size_t first,
		size_t size)
{
	size_t n = *cap ? *cap * 2 : first;
	void *p = corr_realloc(c, arr, n, size);

	if (p)
		*cap = n;
	return p;
}

bool corr_table_put(struct fw_corr *c, struct fw_table *t, uint64_t h, void *v)
{
	if (c->failed || alloc_refused() || fw_table_insert(t, h, v) < 0)
		c->failed = true;
	return !c->failed;
}

/* ---- judging, and judging again ---- */

/* The address book changed: held ends may know their peer's host now. */
static void reevaluate_held(struct fw_corr *c)
{
	struct conn *next;

	c->addr_changed = false;
	for (struct conn *cn = c->held.held_next; cn != &c->held; cn = next) {
		next = cn->held_next;
		conn_evaluate(c, cn, false);
	}
}

/* Re-judges the connections whose waiting time has come. */
static void run_clock(struct fw_corr *c)
{
	while (!c->failed && c->heap_len && c->heap[0]->wake_ns <= c->clock) {
		struct conn *cn = c->heap[0];

		heap_remove(c, cn);
		conn_evaluate(c, cn, false);
	}
}

/* A host stopped growing: anything may have become decidable. */
static void reevaluate_all(struct fw_corr *c)
{
	struct conn *next;

	clock_update(c);
	for (struct conn *cn = c->list.next; cn != &c->list; cn = next) {
		next = cn->next;
		conn_evaluate(c, cn, false);
	}
}

/* ---- records ---- */

static void feed_conn_record(struct fw_corr *c, struct host *h,
			     const struct fw_rec *r)
{
	struct end *e;
	bool is_new;
	unsigned int news = 0;

	if (is_listener(r))
		return; /* a listener is no connection */
	e = sock_find(c, h, r->netns, r->sock);
	is_new = !e;
	if (!e) {
		if (r->type != FW_REC_SNAPSHOT && is_epitaph(r))
			return;
		e = end_new(c, h, r);
		if (!e)
			return;
		e->from_snap = r->type == FW_REC_SNAPSHOT;
	}
	if (e->died_unseen)
		end_revive(e);
	if (!is_new)
		apply_addresses(c, e, r, &news);
	news |= apply_record(c, e, r);
	if (news & FW_NEW_ISN)
		e->pair_ns = r->time_ns;
	if (!e->conn->e[1] && !e->conn->reported && (is_new || news))
		try_pair(c, e);
	else if (news & FW_NEW_ISN)
		confirm_by_isn(c, e);
	conn_evaluate(c, e->conn, false);
}

static void feed_snapshot(struct fw_corr *c, struct host *h,
			  const struct fw_rec *r)
{
	host_begin_pass(c, h, r);
	/* a listener is no connection: nothing to pair, judge or count */
	if (r->newstate == FW_TCP_LISTEN)
		return;
	feed_conn_record(c, h, r);
	timeline_note_listed(c, h, r);
}

/*
 * A complete pass of h settles the pinned losses before it, and the
 * sockets it did not list died unseen if the log knew them as open.
 * Records the tracer wrote late (it holds them a little to put them in
 * time order) may still tell how some did, so both wait until h's log
 * has run FW_LATE_NS past the pass (or ends), and only then do the
 * decisions that waited for them go on.
 */
static void check_unlisted(struct fw_corr *c, struct host *h, bool now)
{
	size_t p = h->unlisted_pass;
	bool settled, gone = false;

	if (p == NO_PASS ||
	    (!now && h->wm_ns < add_sat(h->snaps[p].end_ns, FW_LATE_NS)))
		return;
	h->unlisted_pass = NO_PASS;
	settled = host_settle_windows(h, p);
	/*
	 * A v1 tracer's pass lists the sockets too, but its losses are not
	 * all told (evictions of its socket table): only a v2 pass says
	 * that a socket it does not list died unseen.
	 */
	if (h->v2)
		gone = ends_gone_from_pass(c, h, p) > 0;
	if (settled || gone)
		reevaluate_all(c);
}

/* A snapshot pass is over; if complete, what it shows is looked at soon. */
static void feed_pass_end(struct fw_corr *c, struct host *h,
			  const struct fw_rec *r)
{
	const struct snap_pass *p;

	check_unlisted(c, h, true);
	p = host_end_pass(c, h, r);
	if (p && p->complete)
		h->unlisted_pass = h->nsnaps - 1;
}

/* --follow: the wall clock. */
static uint64_t wall_now(const struct fw_corr *c)
{
	struct timespec ts;

	if (c->opts.now_ns)
		return c->opts.now_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The latest watermark of any host, in the reference clock. */
static uint64_t newest_watermark(const struct fw_corr *c)
{
	uint64_t t = 0;

	for (size_t i = 0; i < c->nhosts; i++)
		if (to_ref(c->hosts[i], c->hosts[i]->wm_ns) > t)
			t = to_ref(c->hosts[i], c->hosts[i]->wm_ns);
	return t;
}

/*
 * --follow: a traced host whose heartbeats stopped coming is stalled:
 * its latest record is older than its tick interval plus a margin, by
 * the wall clock less --skew. Its silence since proves nothing, and the
 * other hosts' decisions stop waiting for it. While the input still
 * comes, it must also lag the other hosts by that much: catching up on
 * old logs, every host looks old by the wall clock, and none is behind.
 */
static void update_stalls(struct fw_corr *c, bool at_end)
{
	uint64_t now = sub_sat(wall_now(c), c->opts.skew_ns);
	uint64_t newest = newest_watermark(c);
	bool changed = false;

	for (size_t i = 0; i < c->nhosts; i++) {
		struct host *h = c->hosts[i];
		uint64_t late =
			add_sat(h->tick_ms * 1000000ull, FW_STALL_MARGIN_NS);
		bool stalled =
			h->traced && !h->stopped && !h->done && h->tick_ms &&
			now > add_sat(h->wm_ns, late) &&
			(at_end ||
			 add_sat(to_ref(h, h->wm_ns),
				 add_sat(late, c->opts.skew_ns)) < newest);

		changed |= stalled != h->stalled;
		h->stalled = stalled;
	}
	if (changed)
		clock_update(c);
}

/* What any record of h may have changed: the clocks, the held ends. */
static void after_record(struct fw_corr *c, struct host *h,
			 const struct fw_rec *r, bool clock_moved)
{
	check_unlisted(c, h, false);
	if (c->opts.follow &&
	    (r->type == FW_REC_TICK || !(c->stats.records & 1023)))
		update_stalls(c, false);
	if (clock_moved)
		clock_update(c);
	if (c->addr_changed)
		reevaluate_held(c);
	run_clock(c);
	timeline_settle(c);
}

/*
 * What one record says, by its type. Returns false when it stopped its
 * host for good (--follow): everything was judged again already.
 */
static bool feed_record(struct fw_corr *c, struct host *h,
			const struct fw_rec *r)
{
	switch (r->type) {
	case FW_REC_STATE:
	case FW_REC_CLOSE:
	case FW_REC_RESET_SENT:
	case FW_REC_RESET_RECEIVED:
	case FW_REC_RETRANSMIT:
	case FW_REC_DROP:
		feed_conn_record(c, h, r);
		break;
	case FW_REC_SNAPSHOT:
		feed_snapshot(c, h, r);
		break;
	case FW_REC_SNAPSHOT_END:
		feed_pass_end(c, h, r);
		timeline_end_pass(c, h, r);
		break;
	case FW_REC_NETNS:
		host_learn_facts(c, h, r);
		break;
	case FW_REC_LOST:
		c->stats.lost_events += r->count;
		/*
		 * Skipped runs of the drop program hide only drop records,
		 * never a transition: the counters on the sockets' later
		 * records still count the drops.
		 */
		if (!r->drops_only)
			host_add_lost(c, h, r->from_ns, r->time_ns, r->count,
				      r->pinned);
		else if (r->time_ns > h->drops_lost_to_ns)
			h->drops_lost_to_ns = r->time_ns;
		break;
	case FW_REC_STOP:
		h->stopped = true;
		/*
		 * Following, a stopped tracer's log will not grow (unless it
		 * starts again). Otherwise the end of the file says so, and
		 * a later start in the same file is not a surprise.
		 */
		if (c->opts.follow) {
			check_unlisted(c, h, true);
			h->done = true;
			reevaluate_all(c);
			return false;
		}
		break;
	default:
		/* start and tick (a heartbeat) only move the clock */
		break;
	}
	return true;
}

void fw_corr_feed(struct fw_corr *c, const struct fw_rec *r)
{
	bool first, resumed = false;
	struct host *h;
	uint64_t old_wm;

	if (c->failed)
		return;
	h = host_find(c, r->host, r->host_len);
	first = !h;
	c->stats.records++;
	if (!h)
		h = host_get(c, r->host, r->host_len, r->time_ns);
	if (!h)
		return;
	old_wm = h->wm_ns;
	if (r->version >= 2)
		h->v2 = true;
	if (r->type == FW_REC_SNAPSHOT && !h->in_pass)
		h->pass_wm = h->wm_ns;
	if (r->type == FW_REC_START && host_start(c, h, r, first)) {
		ends_gone_with_boot(c, h);
		resumed = true; /* its old connections may be decided now */
	}
	if (h->stalled) {
		/* it was only late: what waited for it may go on */
		h->stalled = false;
		resumed = true;
	}
	if (r->time_ns > h->wm_ns)
		h->wm_ns = r->time_ns;
	if (!feed_record(c, h, r))
		return;
	after_record(
		c, h, r,
		first || resumed ||
			(h->wm_ns != old_wm && to_ref(h, old_wm) <= c->clock));
	if (resumed)
		reevaluate_all(c);
}

int fw_corr_feed_line(struct fw_corr *c, const char *line, size_t len,
		      char *why, size_t whysz)
{
	if (!c->failed) {
		int r = fw_rec_parse(line, len, &c->rec);

		if (r < 0) {
			c->stats.bad_lines++;
			if (why && whysz)
				snprintf(why, whysz, "%s", c->rec.why);
			return -1;
		}
		if (r == 0)
			fw_corr_feed(c, &c->rec);
		else
			c->stats.records++;
	}
	if (c->failed) {
		if (why && whysz)
			snprintf(why, whysz, "out of memory");
		return -1;
	}
	return 0;
}

void fw_corr_count_bad(struct fw_corr *c)
{
	c->stats.bad_lines++;
}

void fw_corr_count_ignored(struct fw_corr *c)
{
	c->stats.records++;
}

void fw_corr_count_duplicate(struct fw_corr *c)
{
	c->stats.duplicates++;
}

void fw_corr_host_done(struct fw_corr *c, const char *name)
{
	struct host *h = host_find(c, name, strlen(name));

	if (c->failed || !h || h->done)
		return;
	check_unlisted(c, h, true);
	h->done = true;
	reevaluate_all(c);
}

void fw_corr_finish(struct fw_corr *c)
{
	if (c->failed)
		return;
	if (c->opts.follow)
		update_stalls(c, true);
	for (size_t i = 0; i < c->nhosts; i++)
		check_unlisted(c, c->hosts[i], true);
	for (size_t i = 0; i < c->nhosts; i++)
		c->hosts[i]->done = true;
	clock_update(c);
	timeline_settle(c);
	/* the findings that waited for their survivors, as decided */
	while (!c->failed && c->kept.kept_next != &c->kept)
		conn_evaluate(c, c->kept.kept_next, true);
	/* with final set every connection is decided and freed */
	while (!c->failed && c->list.next != &c->list)
		conn_evaluate(c, c->list.next, true);
}

bool fw_corr_failed(const struct fw_corr *c)
{
	return c->failed;
}

const struct fw_corr_stats *fw_corr_stats(const struct fw_corr *c)
{
	return &c->stats;
}

uint64_t fw_corr_ref_time(struct fw_corr *c, const char *host, size_t len,
			  uint64_t t)
{
	struct host *h = host_find(c, host, len);

	return h ? to_ref(h, t) : t;
}

void fw_corr_prefetch(struct fw_corr *c, const struct fw_rec *rec)
{
	const struct host *h;

	if (!fw_rec_is_conn(rec->type))
		return;
	h = host_find(c, rec->host, rec->host_len);
	if (h)
		fw_table_prefetch(&c->socks,
				  sock_hash(h, rec->netns, rec->sock));
	if (!(rec->has & FW_HAS_ISN))
		return;
	/* the peer's ISNs looked up (pair.c), this end's indexed (index.c) */
	fw_table_prefetch(&c->isns, isn_hash(rec->isn_remote, rec->isn_local));
	fw_table_prefetch(&c->isns, isn_hash(rec->isn_local, rec->isn_remote));
	fw_table_prefetch(&c->isns, isn_half_hash(false, rec->isn_local));
	fw_table_prefetch(&c->isns, isn_half_hash(true, rec->isn_remote));
}

static bool table_init(struct fw_table *t, size_t slots)
{
	return !alloc_refused() && fw_table_init(t, slots) == 0;
}

struct fw_corr *fw_corr_new(const struct fw_corr_opts *opts, fw_finding_cb cb,
			    void *ctx)
{
	struct fw_corr *c = alloc_refused() ? NULL : calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->opts = *opts;
	c->cb = cb;
	c->ctx = ctx;
	c->list.next = c->list.prev = &c->list;
	c->held.held_next = c->held.held_prev = &c->held;
	c->kept.kept_next = c->kept.kept_prev = &c->kept;
	c->clock = UINT64_MAX;
	if (!table_init(&c->socks, 1024) || !table_init(&c->isns, 1024) ||
	    !table_init(&c->tuples, 1024) || !table_init(&c->addrs, 64)) {
		fw_corr_free(c);
		return NULL;
	}
	return c;
}

void fw_corr_free(struct fw_corr *c)
{
	if (!c)
		return;
	while (c->list.next != &c->list)
		conn_free(c, c->list.next);
	addr_free_all(c);
	for (size_t i = 0; i < c->nhosts; i++)
		host_free(c->hosts[i]);
	reasons_free(c);
	timeline_free(c);
	free(c->hosts);
	free(c->heap);
	fw_table_free(&c->socks);
	fw_table_free(&c->isns);
	fw_table_free(&c->tuples);
	fw_table_free(&c->addrs);
	free(c);
}
