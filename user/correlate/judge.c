// SPDX-License-Identifier: GPL-2.0
/*
 * The judges: from what the ends recorded and what their hosts' logs
 * cover, a connection's verdict, or the time to look again. A judge
 * leaves the verdict and every fact its words need in the judgement;
 * evidence.c writes the words. This file has what the judges share and
 * those of a connection with both ends; judge_alone.c those of a lone
 * end.
 */
#include <string.h>

#include "engine.h"

enum judge_status decide(struct judgement *j, enum fw_verdict v,
			 enum evidence what)
{
	j->verdict = v;
	j->ev.what = what;
	return JUDGE_DECIDED;
}

/* Look again once the reference clock reaches ref_ns. */
void wake_at(struct judgement *j, uint64_t ref_ns)
{
	j->wake = min_u64(j->wake, ref_ns);
}

/* ---- the facts the words need ---- */

void note_end(const struct fw_corr *c, struct end_facts *f, const struct end *e)
{
	bool dead = end_dead(e);

	f->end = e;
	f->client = end_is_client(e);
	f->host = e->host->name;
	/* a survivor that died since: as it was until then */
	f->state = dead && e->live_state ? e->live_state : e->state;
	f->log_end_ns = e->host->wm_ns;
	f->still_ns = !dead	       ? e->host->wm_ns
		      : e->died_unseen ? e->died_lo
				       : e->died_ns;
	f->log_cut = host_cut(c, e->host);
	f->stalled = c->opts.follow && e->host->stalled;
	f->gap = e->gap;
	f->died_unseen = e->died_unseen;
	f->by_boot = e->died_by_boot;
	f->last_ns = e->died_lo;
	f->gone_ns = e->died_ns;
	f->unk_from = e->unk_from;
	f->unk_to = e->unk_to;
}

/*
 * What the sender's side shows of its FIN: a closing state in a
 * snapshot, tries its own host dropped (the FIN never left), or
 * retransmissions on the wire.
 */
void note_fin(struct fin_facts *f, const struct end *s)
{
	f->drops = end_out_drops(s);
	f->retrans = end_fin_retrans(s);
	if (s->fin_from_snap && !f->drops && !f->retrans)
		f->story = FIN_IN_SNAPSHOT;
	else if (f->drops)
		f->story = FIN_DROPPED_BY_SENDER;
	else
		f->story = FIN_RETRANSMITTED;
	f->sent_ns = s->fin_sent_ns;
	f->sent_unseen = s->fin_sent_unseen;
	f->last_tx_ns = s->fin_last_tx_ns;
	f->snap_state = s->snap_state;
	f->drop_reason = s->drop_reason;
	f->then_died = end_dead(s) && !s->fin_from_snap;
	f->died_ns = s->died_ns;
	f->died_unseen = s->died_unseen || s->died_at_bound;
}

/* The receiving host dropped the peer's FIN on arrival: it came that far. */
void note_arrival(struct arrival_facts *f, const struct end *r)
{
	f->drops = r->fin_drops_in;
	f->reason = r->drop_in_reason;
	f->first_ns = r->fin_drop_in_ns;
}

/* ---- what the logs may lack ---- */

/*
 * Whether who's own history between from and to may lack records: its
 * steps were cut (path_cut), or it died unseen in that time.
 */
static enum evidence end_unknown(const struct end *who, uint64_t from,
				 uint64_t to)
{
	if (is_set(who->unk_from) && who->unk_from <= to && who->unk_to >= from)
		return EV_HISTORY_CUT;
	if (who->died_unseen && who->died_lo < to && who->died_ns >= from)
		return EV_DIED_UNSEEN;
	return EV_NONE;
}

static enum judge_status window_status(const struct fw_corr *c,
				       struct judgement *j,
				       const struct host *h,
				       const struct lost_win *w)
{
	(void)c;
	/* a pinned loss: the pass that settles it comes soon; wait */
	if (w->pinned && !j->final && !h->done)
		return JUDGE_UNDECIDED;
	j->ev.lost_host = h->name;
	j->ev.lost = *w;
	return decide(j, FW_V_INCOMPLETE, EV_LOST_WINDOW);
}

/*
 * Whether the records of h between from and to, on which a verdict
 * about its socket who rests, may be missing. JUDGE_PASSED: they are
 * all there. JUDGE_UNDECIDED: a pinned loss its next pass settles.
 * JUDGE_DECIDED: incomplete, and why.
 */
enum judge_status judge_window(const struct fw_corr *c, struct judgement *j,
			       const struct host *h, uint64_t from, uint64_t to,
			       const struct end *who)
{
	enum evidence unk = who ? end_unknown(who, from, to) : EV_NONE;
	const struct lost_win *w;

	if (unk != EV_NONE) {
		const struct end *other =
			who == j->closer ? j->survivor : j->closer;

		note_end(c, &j->ev.self, who);
		if (other && other != who)
			note_end(c, &j->ev.peer, other);
		return decide(j, FW_V_INCOMPLETE, unk);
	}
	w = host_lost_in(h, from, to, who != NULL, who ? who->netns : 0);
	return w ? window_status(c, j, h, w) : JUDGE_PASSED;
}

/*
 * The same for a socket of h that the logs may lack: the peer of e,
 * in the namespace that the address book says e's peer lives in.
 */
enum judge_status judge_peer_window(struct fw_corr *c, struct judgement *j,
				    const struct end *e, const struct host *h,
				    uint64_t from, uint64_t to)
{
	uint64_t ns = 0;
	bool known = addr_peer_netns(c, e, &ns);
	const struct lost_win *w = host_lost_in(h, from, to, known, ns);

	return w ? window_status(c, j, h, w) : JUDGE_PASSED;
}

/* ---- the judges of a close ---- */

/* A CLOSE_WAIT longer than --close-wait, as soon as it is that long. */
enum judge_status judge_close_wait(const struct fw_corr *c, struct end *e,
				   struct judgement *j)
{
	uint64_t until, limit = c->opts.close_wait_ns;
	bool growing = !is_set(e->cw_left_ns) && !e->died_unseen;
	enum judge_status st;

	if (!is_set(e->cw_ns))
		return JUDGE_PASSED;
	until = is_set(e->cw_left_ns) ? e->cw_left_ns
		: e->died_unseen      ? e->died_lo
				      : e->host->wm_ns;
	if (sub_sat(until, e->cw_ns) <= limit) {
		/* a host that stopped cannot make it longer */
		if (growing && !e->host->done)
			wake_at(j,
				to_ref(e->host, add_sat(e->cw_ns, limit)) + 1);
		return JUDGE_PASSED;
	}
	j->survivor = e;
	j->cw_ns = until - e->cw_ns;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = e->cw_ns;
	st = judge_window(c, j, e->host, e->cw_ns, add_sat(e->cw_ns, limit), e);
	if (st != JUDGE_PASSED)
		return st;
	note_end(c, &j->ev.self, e);
	j->ev.cw_since_ns = e->cw_ns;
	j->ev.cw_for_ns = j->cw_ns;
	j->ev.cw_through_end = growing;
	j->ev.limit_ns = limit;
	return decide(j, FW_V_CLOSE_WAIT_LEAK, EV_CLOSE_WAIT_LEAK);
}

/*
 * r's log has not reached deadline yet: wait for it while it may grow,
 * else the close in j cannot be judged.
 */
enum judge_status too_soon(const struct fw_corr *c, const struct end *r,
			   struct judgement *j, uint64_t deadline)
{
	if (!j->final && !r->host->done) {
		wake_at(j, to_ref(r->host, deadline));
		return JUDGE_UNDECIDED;
	}
	note_end(c, &j->ev.self, r);
	return decide(j, FW_V_INCOMPLETE, EV_LOG_TOO_SHORT);
}

/*
 * Where r stood when its silence about a close sent at sent (r's clock)
 * counts, at deadline (UNSET: not known yet).
 */
enum fate {
	R_OPEN,	    /* open through deadline: its silence counts */
	R_GONE,	    /* died before deadline, as its log shows */
	R_VANISHED, /* died unseen before the close was even sent */
	R_UNKNOWN,  /* died unseen around it: nobody can tell */
};

static enum fate fate_of(const struct end *r, uint64_t sent, uint64_t deadline,
			 uint64_t tol)
{
	if (!end_dead(r))
		return R_OPEN;
	if (!r->died_unseen)
		return is_set(deadline) && r->died_ns > deadline ? R_OPEN
								 : R_GONE;
	if (is_set(deadline) && r->died_lo >= deadline)
		return R_OPEN;
	if (add_sat(r->died_ns, tol) < sent)
		return R_VANISHED;
	return R_UNKNOWN;
}

/* The close in j cannot be told: r died unseen around it. */
static enum judge_status fate_unknown(const struct fw_corr *c, struct end *s,
				      struct end *r, struct judgement *j)
{
	note_end(c, &j->ev.self, r);
	note_end(c, &j->ev.peer, s);
	return decide(j, FW_V_INCOMPLETE, EV_DIED_UNSEEN);
}

static enum judge_status judge_rst(struct fw_corr *c, struct end *s,
				   struct end *r, struct judgement *j)
{
	uint64_t t = s->rst_sent_ns;
	uint64_t t_r = clock_convert(s, r, t);
	uint64_t tol = clock_tolerance(c, s, r);
	uint64_t deadline = add_sat(t_r, tol);
	enum judge_status st;

	/*
	 * RSTs are not retransmitted, and one kills the socket it reaches:
	 * a reset that came later (its keepalive answered) is another one.
	 */
	if (is_set(r->rst_recv_ns) && r->rst_recv_ns <= deadline)
		return JUDGE_PASSED;
	j->closer = s;
	j->survivor = r;
	j->kind = FW_CLOSE_RST;
	j->close_ns = t;
	j->ev.close_unseen = s->rst_sent_unseen;
	switch (fate_of(r, t_r, deadline, tol)) {
	case R_GONE:
		return JUDGE_PASSED;
	case R_VANISHED:
	case R_UNKNOWN:
		return fate_unknown(c, s, r, j);
	default:
		break;
	}
	if (r->host->wm_ns < deadline)
		return too_soon(c, r, j, deadline);
	st = judge_window(c, j, r->host, sub_sat(t_r, c->opts.skew_ns),
			  deadline, r);
	if (st != JUDGE_PASSED)
		return st;
	note_end(c, &j->ev.self, s);
	note_end(c, &j->ev.peer, r);
	j->ev.peer.still_ns = j->survivor_at = deadline;
	return decide(j, FW_V_LOST_RST, EV_LOST_RST);
}

/* When r's silence about s's FIN counts: s's socket died, or its log ended. */
static uint64_t fin_deadline(struct fw_corr *c, const struct end *s,
			     const struct end *r, bool final)
{
	if (end_dead(s))
		return add_sat(clock_convert(s, r, s->died_ns),
			       clock_tolerance(c, s, r));
	/*
	 * s's log ended while it was still retransmitting: r staying open
	 * past the first FIN through the end of its own log is the lost
	 * FIN; the last retransmission in flight changes nothing.
	 */
	if (final || s->host->done)
		return add_sat(clock_convert(s, r, s->fin_sent_ns),
			       clock_tolerance(c, s, r));
	return UNSET;
}

/*
 * Until when s's own records must be all there for its FIN: through its
 * death, or, for one that died unseen, the FIN plus the allowance (seen
 * still trying then, what it did later cannot bring the FIN to r, whose
 * silence through s's death is what proves it lost).
 */
static uint64_t sender_known_until(struct fw_corr *c, const struct end *s)
{
	if (s->died_unseen)
		return add_sat(s->fin_sent_ns, clock_tolerance(c, s, s));
	return fin_deadline(c, s, s, true);
}

/* s's FIN, past its deadline, that r never recorded. */
static enum judge_status fin_unanswered(struct fw_corr *c, struct end *s,
					struct end *r, struct judgement *j,
					uint64_t deadline)
{
	uint64_t t = s->fin_sent_ns;
	enum judge_status st;

	st = judge_window(c, j, r->host,
			  sub_sat(clock_convert(s, r, t), c->opts.skew_ns),
			  deadline, r);
	if (st == JUDGE_PASSED)
		st = judge_window(c, j, s->host, t, sender_known_until(c, s),
				  s);
	if (st != JUDGE_PASSED)
		return st;
	note_end(c, &j->ev.self, s);
	note_end(c, &j->ev.peer, r);
	/* the moment its silence counts */
	j->ev.peer.still_ns = j->survivor_at = deadline;
	/*
	 * An acknowledged FIN the receiver never recorded means a record is
	 * missing, unless a snapshot showed both: the receiver listed as
	 * still open is evidence, not a gap (a proxy acknowledged it).
	 */
	if (s->fin_acked && !(s->fin_from_snap && r->in_snap))
		return decide(j, FW_V_INCOMPLETE, EV_FIN_ACKED_UNSEEN);
	note_fin(&j->ev.fin, s);
	note_arrival(&j->ev.arrival, r);
	return decide(j, FW_V_LOST_FIN, EV_LOST_FIN);
}

static enum judge_status judge_fin(struct fw_corr *c, struct end *s,
				   struct end *r, struct judgement *j)
{
	uint64_t tol = clock_tolerance(c, s, r), deadline;

	if (is_set(r->fin_recv_ns))
		return JUDGE_PASSED;
	deadline = fin_deadline(c, s, r, j->final);
	switch (fate_of(r, clock_convert(s, r, s->fin_sent_ns), deadline,
			tol)) {
	case R_GONE:
		if (!j->fin_unseen)
			j->fin_unseen = s;
		return JUDGE_PASSED;
	case R_VANISHED:
	case R_UNKNOWN:
		j->kind = FW_CLOSE_FIN;
		j->close_ns = s->fin_sent_ns;
		j->closer = s;
		j->survivor = r;
		return fate_unknown(c, s, r, j);
	default:
		break;
	}
	j->closer = s;
	j->survivor = r;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = s->fin_sent_ns;
	j->ev.close_unseen = s->fin_sent_unseen;
	if (deadline == UNSET)
		return JUDGE_UNDECIDED; /* s is still trying */
	if (r->host->wm_ns < deadline)
		return too_soon(c, r, j, deadline);
	return fin_unanswered(c, s, r, j, deadline);
}

/* ---- a connection of two ends ---- */

struct action {
	struct end *s, *r;
	enum fw_close_kind kind;
	uint64_t t;
};

/* The FINs and RSTs the two ends sent, earliest first. */
static size_t list_actions(struct conn *cn, struct action *a)
{
	size_t n = 0;

	for (size_t i = 0; i < 2; i++) {
		struct end *s = cn->e[i], *r = cn->e[!i];

		if (is_set(s->fin_sent_ns))
			a[n++] = (struct action){ s, r, FW_CLOSE_FIN,
						  s->fin_sent_ns };
		if (is_set(s->rst_sent_ns))
			a[n++] = (struct action){ s, r, FW_CLOSE_RST,
						  s->rst_sent_ns };
	}
	/* at most four: an insertion sort */
	for (size_t i = 1; i < n; i++) {
		for (size_t k = i; k && a[k - 1].t > a[k].t; k--) {
			struct action tmp = a[k];

			a[k] = a[k - 1];
			a[k - 1] = tmp;
		}
	}
	return n;
}

static enum judge_status judge_actions(struct fw_corr *c, struct conn *cn,
				       struct judgement *j)
{
	struct action a[4];
	size_t n = list_actions(cn, a);
	enum judge_status st;

	for (size_t i = 0; i < n; i++) {
		if (a[i].kind == FW_CLOSE_FIN)
			st = judge_fin(c, a[i].s, a[i].r, j);
		else
			st = judge_rst(c, a[i].s, a[i].r, j);
		if (st != JUDGE_PASSED)
			return st;
	}
	if (n) {
		j->closer = a[0].s;
		j->kind = a[0].kind;
		j->close_ns = a[0].t;
	}
	return JUDGE_PASSED;
}

/*
 * e died unseen, and o had heard nothing of its close, nor closed
 * itself, by the time e was surely gone plus the allowance: o holds a
 * connection whose peer is gone (issue 15: a host that went dark).
 */
static enum judge_status judge_vanished(struct fw_corr *c, struct end *e,
					struct end *o, struct judgement *j)
{
	uint64_t tol = clock_tolerance(c, e, o);
	uint64_t limit = add_sat(clock_convert(e, o, e->died_ns), tol);
	uint64_t last = clock_convert(e, o, e->died_lo);
	uint64_t o_close =
		min_u64(min_u64(o->fin_sent_ns, o->rst_sent_ns), o->died_ns);
	enum judge_status st;

	/* a close e sent before it died is judged as such (judge_actions) */
	if (!e->died_unseen || is_set(e->fin_sent_ns) ||
	    is_set(e->rst_sent_ns) || is_set(o->fin_recv_ns) ||
	    (is_set(o->rst_recv_ns) && o->rst_recv_ns <= limit) ||
	    (is_set(o_close) && o_close <= limit))
		return JUDGE_PASSED;
	j->survivor = o;
	if (o->host->wm_ns < limit)
		return too_soon(c, o, j, limit);
	st = judge_window(c, j, o->host, sub_sat(last, c->opts.skew_ns), limit,
			  o);
	if (st != JUDGE_PASSED)
		return st;
	note_end(c, &j->ev.self, o);
	note_end(c, &j->ev.peer, e);
	j->ev.self.still_ns = j->survivor_at = limit;
	return decide(j, FW_V_PEER_VANISHED, EV_VANISHED_UNSEEN);
}

static struct end *still_in_close_wait(struct conn *cn)
{
	for (size_t i = 0; i < 2; i++)
		if (cn->e[i] && cn->e[i]->state == FW_TCP_CLOSE_WAIT &&
		    !end_dead(cn->e[i]))
			return cn->e[i];
	return NULL;
}

enum judge_status short_close_wait(const struct fw_corr *c, struct end *e,
				   struct judgement *j)
{
	j->survivor = e;
	note_end(c, &j->ev.self, e);
	j->ev.cw_for_ns = sub_sat(e->host->wm_ns, e->cw_ns);
	return decide(j, FW_V_INCOMPLETE, EV_SHORT_CLOSE_WAIT);
}

/* An end that died unseen: what the judges passed, it may still hide. */
static struct end *died_unseen(struct conn *cn)
{
	for (size_t i = 0; i < 2; i++)
		if (cn->e[i] && cn->e[i]->died_unseen)
			return cn->e[i];
	return NULL;
}

/* An end still open on a host whose log proves nothing after its end. */
static struct end *open_on_cut_log(const struct fw_corr *c, struct conn *cn)
{
	for (size_t i = 0; i < 2; i++)
		if (cn->e[i] && !end_dead(cn->e[i]) &&
		    host_cut(c, cn->e[i]->host))
			return cn->e[i];
	return NULL;
}

/* Every close was judged and received: how the connection ended. */
static enum judge_status judge_pair_end(struct fw_corr *c, struct conn *cn,
					struct judgement *j)
{
	struct end *e = died_unseen(cn);

	if (e && (conn_dead(cn) || j->final)) {
		note_end(c, &j->ev.self, e);
		return decide(j, FW_V_INCOMPLETE, EV_DIED_UNSEEN_ALONE);
	}
	if (conn_dead(cn) && j->fin_unseen) {
		note_end(c, &j->ev.self, j->fin_unseen);
		return decide(j, FW_V_OK, EV_FIN_UNSEEN);
	}
	if (conn_dead(cn))
		return decide(j, FW_V_OK, EV_BOTH_CLOSED);
	if (!j->final)
		return JUDGE_UNDECIDED;
	e = still_in_close_wait(cn);
	if (e)
		return short_close_wait(c, e, j);
	if (j->closer)
		return decide(j, FW_V_OK, EV_CLOSE_IN_FLIGHT);
	j->survivor = cn->e[0];
	e = open_on_cut_log(c, cn);
	if (e) {
		j->survivor = e;
		note_end(c, &j->ev.self, e);
		return decide(j, FW_V_INCOMPLETE, EV_LOG_CUT);
	}
	return decide(j, FW_V_OPEN, EV_BOTH_OPEN);
}

static enum judge_status judge_pair(struct fw_corr *c, struct conn *cn,
				    struct judgement *j)
{
	enum judge_status st;

	for (size_t i = 0; i < 2; i++) {
		st = judge_close_wait(c, cn->e[i], j);
		if (st != JUDGE_PASSED) {
			j->closer = cn->e[!i];
			if (is_set(j->closer->fin_sent_ns))
				j->close_ns = j->closer->fin_sent_ns;
			return st;
		}
	}
	for (size_t i = 0; i < 2; i++) {
		st = judge_vanished(c, cn->e[i], cn->e[!i], j);
		if (st != JUDGE_PASSED)
			return st;
	}
	st = judge_actions(c, cn, j);
	if (st != JUDGE_PASSED)
		return st;
	return judge_pair_end(c, cn, j);
}

/*
 * What the words say of the ends that later records may still tell: the
 * survivor's state as it was when it mattered (the folded stream tells
 * some of its moves late), the records lost. Done again when the words
 * are written.
 */
void judgement_refresh(struct judgement *j)
{
	const struct end *s = j->survivor;
	uint8_t st;

	/* records lost that a later record owned up to count too */
	if (j->ev.self.end)
		j->ev.self.gap = j->ev.self.end->gap;
	if (j->ev.peer.end)
		j->ev.peer.gap = j->ev.peer.end->gap;
	if (!s)
		return;
	st = is_set(j->survivor_at) ? end_state_at(s, j->survivor_at)
	     : end_dead(s)	    ? s->live_state
				    : s->state;
	j->surviving_state = st;
	if (j->ev.self.end == s && st)
		j->ev.self.state = st;
	if (j->ev.peer.end == s && st)
		j->ev.peer.state = st;
}

/* With JUDGE_UNDECIDED, j->wake is when to look again (UNSET: at a record). */
enum judge_status judge_conn(struct fw_corr *c, struct conn *cn,
			     struct judgement *j, bool final)
{
	enum judge_status st;

	j->final = final;
	j->wake = UNSET;
	j->survivor_at = UNSET;
	j->ev.reaped_ns = j->ev.reaped_after_ns = UNSET;
	if (cn->e[1]) {
		st = judge_pair(c, cn, j);
	} else {
		st = judge_single(c, cn, j);
		if (st == JUDGE_DECIDED)
			pair_check_unproven(c, cn->e[0], j);
	}
	if (st == JUDGE_DECIDED)
		judgement_refresh(j);
	return st;
}
