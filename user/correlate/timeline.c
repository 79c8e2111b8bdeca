// SPDX-License-Identifier: GPL-2.0
/*
 * The timeline's engine side: which server ends each snapshot pass listed
 * ESTABLISHED, and whether the client host still held each one's other
 * end at that moment. A pass is counted once every log has gone past it
 * by the allowance, so that the client host's records of that moment (a
 * pass of its own a little later, a close) are in; until then its ends
 * are remembered by socket, and looked up again then.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "timeline.h"

enum listed_status { LS_SKIP, LS_HELD, LS_GHOST, LS_UNKNOWN };

/* A server end a pass listed ESTABLISHED. */
struct listed {
	uint64_t netns, sock;
	struct host *client;	   /* its client's host, at the pass */
	enum listed_status status; /* as it stood at the pass's end */
};

/* The server ends of one host's pass, while it is under way. */
struct lister {
	struct host *h;
	struct listed *v;
	size_t n, cap;
};

/* A complete pass, waiting for the other logs to go past it. */
struct pass {
	struct host *server;
	uint64_t end_ns; /* the server's clock */
	uint64_t due;	 /* the reference clock: count it from then on */
	struct listed *v;
	size_t n;
};

struct series_key {
	struct host *server, *client;
};

struct timeline {
	struct fw_timeline pub;
	struct series_key *keys; /* keys[i] is pub.series[i]'s */
	size_t capkeys;
	struct lister *listers;
	size_t nlisters, caplisters;
	struct pass *pending;
	size_t npending, cappending;
	uint64_t next_due; /* the least due of pending ones */
};

static const struct fw_timeline empty_timeline;

const struct fw_timeline *fw_corr_timeline(const struct fw_corr *c)
{
	return c->timeline ? &c->timeline->pub : &empty_timeline;
}

static struct timeline *timeline_get(struct fw_corr *c)
{
	if (!c->timeline) {
		c->timeline = corr_calloc(c, 1, sizeof(*c->timeline));
		if (c->timeline)
			c->timeline->next_due = UINT64_MAX;
	}
	return c->timeline;
}

static struct lister *lister_get(struct fw_corr *c, struct timeline *tl,
				 struct host *h)
{
	struct lister *l;

	for (size_t i = 0; i < tl->nlisters; i++)
		if (tl->listers[i].h == h)
			return &tl->listers[i];
	if (tl->nlisters == tl->caplisters) {
		l = corr_grow(c, tl->listers, &tl->caplisters, 4, sizeof(*l));
		if (!l)
			return NULL;
		tl->listers = l;
	}
	l = &tl->listers[tl->nlisters++];
	memset(l, 0, sizeof(*l));
	l->h = h;
	return l;
}

/* ---- what the client host held at the pass ---- */

/* The other end of s's connection, or NULL. */
static const struct end *peer_of(const struct end *s)
{
	const struct conn *cn = s->conn;

	return cn->e[0] == s ? cn->e[1] : cn->e[0];
}

/*
 * Whether client end p still held the connection at t (in s's clock):
 * gone when it had sent its FIN or RST, or died, surely before t; not
 * known when its log does not reach t, or when only a later snapshot
 * showed it closing (the FIN may have gone out before t).
 */
static enum listed_status peer_status(struct fw_corr *c, const struct end *s,
				      const struct end *p, uint64_t t)
{
	uint64_t tp = clock_convert(s, p, t), tol = clock_tolerance(c, s, p);
	uint64_t left =
		min_u64(p->died_ns, min_u64(p->fin_sent_ns, p->rst_sent_ns));

	if (is_set(left) && add_sat(left, tol) < tp)
		return LS_GHOST;
	if (p->host->wm_ns < tp || (is_set(left) && p->fin_from_snap))
		return LS_UNKNOWN;
	return LS_HELD;
}

/*
 * The client host h's log shows no socket for lone server end s: its
 * log covered s's establishment, or it has a pass taken while s surely
 * existed and no later than t, which lists none (the judges' rules for
 * peer_vanished, with t as the end).
 */
static enum listed_status lone_status(struct fw_corr *c, const struct end *s,
				      const struct host *h, uint64_t t)
{
	uint64_t tol = tolerance(c), skew = c->opts.skew_ns, ns;
	uint64_t from = add_sat(from_ref(h, to_ref(s->host, s->seen_ns)), tol);
	uint64_t until = add_sat(from_ref(h, to_ref(s->host, t)), tol);
	bool known = addr_peer_netns(c, s, &ns);

	if (is_set(s->est_ns)) {
		uint64_t est = from_ref(h, to_ref(s->host, s->est_ns));

		if (h->start_ns <= sub_sat(est, skew) &&
		    h->wm_ns >= add_sat(est, tol) &&
		    !host_lost_in(h, sub_sat(est, skew), add_sat(est, tol),
				  known, ns))
			return LS_GHOST;
	}
	for (size_t i = h->nsnaps; i-- > 0;) {
		const struct snap_pass *p = &h->snaps[i];

		if (p->begin_ns < from)
			break;
		if (p->end_ns > until)
			continue;
		if (!pass_covers(p, known, ns) ||
		    host_lost_in(h, p->begin_ns, p->end_ns, known, ns))
			break;
		return LS_GHOST;
	}
	return LS_UNKNOWN;
}

/* What server end s's client host held at t; sets *client. */
static enum listed_status classify(struct fw_corr *c, const struct end *s,
				   uint64_t t, struct host **client)
{
	const struct end *p = peer_of(s);

	*client = p ? p->host : addr_peer_host(c, s);
	if (!*client)
		return LS_SKIP; /* no host owns the client's address */
	return p ? peer_status(c, s, p, t) : lone_status(c, s, *client, t);
}

/* ---- the hooks ---- */

void timeline_note_listed(struct fw_corr *c, struct host *h,
			  const struct fw_rec *r)
{
	struct end *e;
	struct lister *l;
	struct timeline *tl;

	if (r->newstate != FW_TCP_ESTABLISHED)
		return;
	e = sock_find(c, h, r->netns, r->sock);
	if (!e || end_is_client(e) || end_dead(e))
		return;
	tl = timeline_get(c);
	l = tl ? lister_get(c, tl, h) : NULL;
	if (!l)
		return;
	if (l->n == l->cap) {
		struct listed *v = corr_grow(c, l->v, &l->cap, 64, sizeof(*v));

		if (!v)
			return;
		l->v = v;
	}
	l->v[l->n++] = (struct listed){ .netns = r->netns, .sock = r->sock };
}

static bool has_series_of(const struct timeline *tl, const struct host *h)
{
	for (size_t i = 0; i < tl->pub.n; i++)
		if (tl->keys[i].server == h)
			return true;
	return false;
}

void timeline_end_pass(struct fw_corr *c, struct host *h,
		       const struct fw_rec *r)
{
	struct timeline *tl = timeline_get(c);
	struct lister *l = tl ? lister_get(c, tl, h) : NULL;
	struct pass *p;

	if (!l || (!l->n && !has_series_of(tl, h)))
		return;
	if (tl->npending == tl->cappending) {
		p = corr_grow(c, tl->pending, &tl->cappending, 4, sizeof(*p));
		if (!p)
			return;
		tl->pending = p;
	}
	for (size_t i = 0; i < l->n; i++) {
		struct listed *x = &l->v[i];
		struct end *e = sock_find(c, h, x->netns, x->sock);

		x->status =
			e ? classify(c, e, r->time_ns, &x->client) : LS_SKIP;
	}
	p = &tl->pending[tl->npending++];
	*p = (struct pass){ h, r->time_ns,
			    add_sat(to_ref(h, r->time_ns), tolerance(c)), l->v,
			    l->n };
	if (p->due < tl->next_due)
		tl->next_due = p->due;
	l->v = NULL;
	l->n = l->cap = 0;
}

/* ---- counting a pass ---- */

static char *name_copy(struct fw_corr *c, const struct host *h)
{
	char *s = corr_calloc(c, h->len + 1, 1);

	if (s)
		memcpy(s, h->name, h->len);
	return s;
}

static struct fw_tl_series *series_get(struct fw_corr *c, struct timeline *tl,
				       struct host *server, struct host *client)
{
	struct fw_tl_series *s;
	struct series_key *k;

	for (size_t i = 0; i < tl->pub.n; i++)
		if (tl->keys[i].server == server &&
		    tl->keys[i].client == client)
			return &tl->pub.series[i];
	if (tl->pub.n == tl->pub.cap) {
		size_t cap = tl->pub.cap;

		s = corr_grow(c, tl->pub.series, &cap, 4, sizeof(*s));
		if (!s)
			return NULL;
		tl->pub.series = s;
		k = corr_realloc(c, tl->keys, cap, sizeof(*k));
		if (!k)
			return NULL;
		tl->keys = k;
		tl->pub.cap = tl->capkeys = cap;
	}
	s = &tl->pub.series[tl->pub.n];
	memset(s, 0, sizeof(*s));
	s->server_host = name_copy(c, server);
	s->client_host = name_copy(c, client);
	if (!s->server_host || !s->client_host) {
		free(s->server_host);
		free(s->client_host);
		return NULL;
	}
	tl->keys[tl->pub.n++] = (struct series_key){ server, client };
	return s;
}

/* s's point for the pass that ended at t, new if need be. */
static struct fw_tl_point *point_get(struct fw_corr *c, struct fw_tl_series *s,
				     uint64_t t)
{
	struct fw_tl_point *pt;

	if (s->n && s->points[s->n - 1].time_ns == t)
		return &s->points[s->n - 1];
	if (s->n == s->cap) {
		pt = corr_grow(c, s->points, &s->cap, 16, sizeof(*pt));
		if (!pt)
			return NULL;
		s->points = pt;
	}
	pt = &s->points[s->n++];
	*pt = (struct fw_tl_point){ .time_ns = t };
	return pt;
}

static void count_listed(struct fw_corr *c, struct timeline *tl,
			 const struct pass *p, struct listed *x)
{
	struct end *e = sock_find(c, p->server, x->netns, x->sock);
	struct fw_tl_series *s;
	struct fw_tl_point *pt;

	/* still here: what the other logs have shown since counts too */
	if (e && !end_is_client(e))
		x->status = classify(c, e, p->end_ns, &x->client);
	if (x->status == LS_SKIP)
		return;
	s = series_get(c, tl, p->server, x->client);
	pt = s ? point_get(c, s, p->end_ns) : NULL;
	if (!pt)
		return;
	pt->server_holds++;
	if (x->status == LS_HELD)
		pt->client_holds++;
	else if (x->status == LS_GHOST)
		pt->ghosts++;
	else
		pt->unknown++;
}

/* One point for every pair of p's server, zero when it listed none. */
static void count_pass(struct fw_corr *c, struct timeline *tl,
		       const struct pass *p)
{
	for (size_t i = 0; i < tl->pub.n; i++)
		if (tl->keys[i].server == p->server)
			point_get(c, &tl->pub.series[i], p->end_ns);
	for (size_t i = 0; i < p->n && !c->failed; i++)
		count_listed(c, tl, p, &p->v[i]);
}

void timeline_settle(struct fw_corr *c)
{
	struct timeline *tl = c->timeline;
	size_t kept = 0;

	if (!tl || tl->next_due > c->clock || c->failed)
		return;
	tl->next_due = UINT64_MAX;
	/* in order: a host's passes come due in the order they ended */
	for (size_t i = 0; i < tl->npending; i++) {
		struct pass *p = &tl->pending[i];

		if (p->due > c->clock) {
			if (p->due < tl->next_due)
				tl->next_due = p->due;
			tl->pending[kept++] = *p;
			continue;
		}
		count_pass(c, tl, p);
		free(p->v);
	}
	tl->npending = kept;
}

void timeline_free(struct fw_corr *c)
{
	struct timeline *tl = c->timeline;

	if (!tl)
		return;
	for (size_t i = 0; i < tl->pub.n; i++) {
		free(tl->pub.series[i].server_host);
		free(tl->pub.series[i].client_host);
		free(tl->pub.series[i].points);
	}
	for (size_t i = 0; i < tl->nlisters; i++)
		free(tl->listers[i].v);
	for (size_t i = 0; i < tl->npending; i++)
		free(tl->pending[i].v);
	free(tl->pub.series);
	free(tl->keys);
	free(tl->listers);
	free(tl->pending);
	free(tl);
	c->timeline = NULL;
}
