// SPDX-License-Identifier: GPL-2.0
/*
 * The judges: from what the ends recorded and what their hosts' logs
 * cover, a connection's verdict, or the time to look again. A judge
 * leaves the verdict and every fact its words need in the judgement;
 * evidence.c writes the words.
 */
#include <string.h>

#include "engine.h"

static enum judge_status decide(struct judgement *j, enum fw_verdict v,
				enum evidence what)
{
	j->verdict = v;
	j->ev.what = what;
	return JUDGE_DECIDED;
}

/* ---- the facts the words need ---- */

static void note_end(struct end_facts *f, const struct end *e)
{
	f->client = end_is_client(e);
	f->host = e->host->name;
	f->state = e->state;
	f->log_end_ns = e->host->wm_ns;
}

/*
 * What the sender's side shows of its FIN: a closing state in a
 * snapshot, tries its own host dropped (the FIN never left), or
 * retransmissions on the wire.
 */
static void note_fin(struct fin_facts *f, const struct end *s)
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
	f->snap_state = s->snap_state;
	f->drop_reason = s->drop_reason;
	f->then_died = end_dead(s) && !s->fin_from_snap;
	f->died_ns = s->died_ns;
}

/* The receiving host dropped the peer's FIN on arrival: it came that far. */
static void note_arrival(struct arrival_facts *f, const struct end *r)
{
	f->drops = r->fin_drops_in;
	f->reason = r->drop_in_reason;
	f->first_ns = r->fin_drop_in_ns;
}

/* Incomplete because of a lost-event window; true if there was one. */
static bool lost_window(struct judgement *j, const struct host *h,
			uint64_t from, uint64_t to)
{
	const struct lost_win *w = host_lost_in(h, from, to);

	if (!w)
		return false;
	j->ev.lost_host = h->name;
	j->ev.lost = *w;
	decide(j, FW_V_INCOMPLETE, EV_LOST_WINDOW);
	return true;
}

/* ---- the judges of a close ---- */

/* A CLOSE_WAIT longer than --close-wait, as soon as it is that long. */
static enum judge_status judge_close_wait(struct fw_corr *c, struct end *e,
					  struct judgement *j, uint64_t *wake)
{
	uint64_t until, limit = c->opts.close_wait_ns;

	if (!is_set(e->cw_ns))
		return JUDGE_PASSED;
	until = is_set(e->cw_left_ns) ? e->cw_left_ns : e->host->wm_ns;
	if (sub_sat(until, e->cw_ns) <= limit) {
		/* a host that stopped cannot make it longer */
		if (!is_set(e->cw_left_ns) && !e->host->done)
			*wake = min_u64(
				*wake,
				to_ref(e->host, add_sat(e->cw_ns, limit)) + 1);
		return JUDGE_PASSED;
	}
	j->survivor = e;
	j->cw_ns = until - e->cw_ns;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = e->cw_ns;
	if (lost_window(j, e->host, e->cw_ns, add_sat(e->cw_ns, limit)))
		return JUDGE_DECIDED;
	note_end(&j->ev.self, e);
	j->ev.cw_since_ns = e->cw_ns;
	j->ev.cw_for_ns = j->cw_ns;
	j->ev.cw_through_end = !is_set(e->cw_left_ns);
	j->ev.limit_ns = limit;
	return decide(j, FW_V_CLOSE_WAIT_LEAK, EV_CLOSE_WAIT_LEAK);
}

/*
 * r's log has not reached deadline yet: wait for it while it may grow,
 * else the close in j cannot be judged.
 */
static enum judge_status too_soon(const struct end *r, struct judgement *j,
				  uint64_t deadline, uint64_t *wake, bool final)
{
	if (!final && !r->host->done) {
		*wake = min_u64(*wake, to_ref(r->host, deadline));
		return JUDGE_UNDECIDED;
	}
	note_end(&j->ev.self, r);
	return decide(j, FW_V_INCOMPLETE, EV_LOG_TOO_SHORT);
}

static enum judge_status judge_rst(struct fw_corr *c, struct end *s,
				   struct end *r, struct judgement *j,
				   uint64_t *wake, bool final)
{
	uint64_t t = s->rst_sent_ns;
	uint64_t t_r = clock_convert(s, r, t);
	uint64_t deadline = add_sat(t_r, clock_tolerance(c, s, r));

	if (is_set(r->rst_recv_ns) || end_dead(r))
		return JUDGE_PASSED;
	j->closer = s;
	j->survivor = r;
	j->kind = FW_CLOSE_RST;
	j->close_ns = t;
	if (r->host->wm_ns < deadline)
		return too_soon(r, j, deadline, wake, final);
	if (lost_window(j, r->host, sub_sat(t_r, c->opts.skew_ns), deadline))
		return JUDGE_DECIDED;
	note_end(&j->ev.self, s);
	note_end(&j->ev.peer, r);
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

/* s's FIN, past its deadline, that r never recorded. */
static enum judge_status fin_unanswered(struct fw_corr *c, struct end *s,
					struct end *r, struct judgement *j,
					uint64_t deadline)
{
	uint64_t t = s->fin_sent_ns;

	if (lost_window(j, r->host,
			sub_sat(clock_convert(s, r, t), c->opts.skew_ns),
			deadline) ||
	    lost_window(j, s->host, t, fin_deadline(c, s, s, true)))
		return JUDGE_DECIDED;
	note_end(&j->ev.self, s);
	note_end(&j->ev.peer, r);
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
				   struct end *r, struct judgement *j,
				   uint64_t *wake, bool final)
{
	uint64_t deadline;

	if (is_set(r->fin_recv_ns))
		return JUDGE_PASSED;
	if (end_dead(r)) {
		if (!j->fin_unseen)
			j->fin_unseen = s;
		return JUDGE_PASSED;
	}
	j->closer = s;
	j->survivor = r;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = s->fin_sent_ns;
	deadline = fin_deadline(c, s, r, final);
	if (deadline == UNSET)
		return JUDGE_UNDECIDED; /* s is still trying */
	if (r->host->wm_ns < deadline)
		return too_soon(r, j, deadline, wake, final);
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
				       struct judgement *j, uint64_t *wake,
				       bool final)
{
	struct action a[4];
	size_t n = list_actions(cn, a);
	enum judge_status st;

	for (size_t i = 0; i < n; i++) {
		if (a[i].kind == FW_CLOSE_FIN)
			st = judge_fin(c, a[i].s, a[i].r, j, wake, final);
		else
			st = judge_rst(c, a[i].s, a[i].r, j, wake, final);
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

static struct end *still_in_close_wait(struct conn *cn)
{
	for (size_t i = 0; i < 2; i++)
		if (cn->e[i] && cn->e[i]->state == FW_TCP_CLOSE_WAIT &&
		    !end_dead(cn->e[i]))
			return cn->e[i];
	return NULL;
}

static enum judge_status short_close_wait(struct end *e, struct judgement *j)
{
	j->survivor = e;
	note_end(&j->ev.self, e);
	j->ev.cw_for_ns = sub_sat(e->host->wm_ns, e->cw_ns);
	return decide(j, FW_V_INCOMPLETE, EV_SHORT_CLOSE_WAIT);
}

/* Every close was judged and received: how the connection ended. */
static enum judge_status judge_pair_end(struct conn *cn, struct judgement *j,
					bool final)
{
	struct end *cw;

	if (conn_dead(cn) && j->fin_unseen) {
		note_end(&j->ev.self, j->fin_unseen);
		return decide(j, FW_V_OK, EV_FIN_UNSEEN);
	}
	if (conn_dead(cn))
		return decide(j, FW_V_OK, EV_BOTH_CLOSED);
	if (!final)
		return JUDGE_UNDECIDED;
	cw = still_in_close_wait(cn);
	if (cw)
		return short_close_wait(cw, j);
	if (j->closer)
		return decide(j, FW_V_OK, EV_CLOSE_IN_FLIGHT);
	j->survivor = cn->e[0];
	return decide(j, FW_V_OPEN, EV_BOTH_OPEN);
}

static enum judge_status judge_pair(struct fw_corr *c, struct conn *cn,
				    struct judgement *j, uint64_t *wake,
				    bool final)
{
	enum judge_status st;

	for (size_t i = 0; i < 2; i++) {
		st = judge_close_wait(c, cn->e[i], j, wake);
		if (st != JUDGE_PASSED) {
			j->closer = cn->e[!i];
			if (is_set(j->closer->fin_sent_ns))
				j->close_ns = j->closer->fin_sent_ns;
			return st;
		}
	}
	st = judge_actions(c, cn, j, wake, final);
	if (st != JUDGE_PASSED)
		return st;
	return judge_pair_end(cn, j, final);
}

/* ---- a connection of one end ---- */

/*
 * One end, whose FIN went unacknowledged until its socket died, or that
 * its own host dropped (then it never left: decisive even while the
 * socket still tries).
 */
static enum judge_status judge_unacked(struct end *e, struct judgement *j)
{
	uint64_t until = end_dead(e) ? e->died_ns : e->host->wm_ns;

	j->closer = e;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = e->fin_sent_ns;
	if (!end_dead(e))
		j->survivor = e;
	if (lost_window(j, e->host, e->fin_sent_ns, until))
		return JUDGE_DECIDED;
	note_end(&j->ev.self, e);
	note_fin(&j->ev.fin, e);
	return decide(j, FW_V_UNACKED_FIN, EV_UNACKED_FIN);
}

/* A lone open end whose host dropped its peer's FIN on arrival. */
static enum judge_status judge_dropped_arrival(struct end *e,
					       struct judgement *j)
{
	j->survivor = e;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = e->fin_drop_in_ns;
	if (lost_window(j, e->host, e->fin_drop_in_ns, e->host->wm_ns))
		return JUDGE_DECIDED;
	note_end(&j->ev.self, e);
	note_arrival(&j->ev.arrival, e);
	return decide(j, FW_V_LOST_FIN, EV_DROPPED_ON_ARRIVAL);
}

/* An open end whose peer host's log covers its start yet has no peer. */
static enum judge_status judge_peer_vanished(struct fw_corr *c, struct end *e,
					     struct judgement *j)
{
	struct host *h = addr_peer_host(c, e);
	uint64_t tol = tolerance(c), est;

	if (!h || !is_set(e->est_ns))
		return JUDGE_PASSED;
	est = from_ref(h, to_ref(e->host, e->est_ns)); /* in h's clock */
	if (h->start_ns > sub_sat(est, c->opts.skew_ns) ||
	    h->wm_ns < add_sat(est, tol))
		return JUDGE_PASSED;
	j->survivor = e;
	if (lost_window(j, h, sub_sat(est, c->opts.skew_ns), add_sat(est, tol)))
		return JUDGE_DECIDED;
	note_end(&j->ev.self, e);
	j->ev.est_ns = e->est_ns;
	j->ev.other = h->name;
	j->ev.other_start_ns = h->start_ns;
	j->ev.other_end_ns = h->wm_ns;
	return decide(j, FW_V_PEER_VANISHED, EV_PEER_VANISHED);
}

/*
 * An established end (perhaps older than the logs) whose peer's host
 * listed its sockets while this end surely existed, and listed none for
 * it: the peer is gone without a trace (its FIN or RST lost long ago).
 */
static enum judge_status judge_snap_vanished(struct fw_corr *c, struct end *e,
					     struct judgement *j)
{
	struct host *h = addr_peer_host(c, e);
	const struct snap_pass *p;
	uint64_t ns = 0;
	bool known;

	if (!h || e->state != FW_TCP_ESTABLISHED ||
	    (!h->nsnaps && !e->from_snap))
		return JUDGE_PASSED;
	j->survivor = e;
	note_end(&j->ev.self, e);
	j->ev.other = h->name;
	p = host_pass_while_open(c, h, e);
	if (!p) {
		j->ev.seen_ns = e->seen_ns;
		return decide(j, FW_V_INCOMPLETE, EV_NO_PASS_WHILE_OPEN);
	}
	j->ev.pass_ns = p->end_ns;
	known = addr_peer_netns(c, e, &ns);
	if (!pass_covers(p, known, ns))
		return decide(j, FW_V_INCOMPLETE, EV_PASS_MISSES_NETNS);
	if (lost_window(j, h, p->begin_ns, p->end_ns))
		return JUDGE_DECIDED;
	j->ev.idle_ms = e->snap_idle_ms;
	j->ev.keepalive = e->keepalive;
	return decide(j, FW_V_PEER_VANISHED, EV_SNAPSHOT_VANISHED);
}

static enum judge_status judge_single_open(struct fw_corr *c, struct end *e,
					   struct judgement *j)
{
	enum judge_status st;

	j->survivor = e;
	if (is_set(e->fin_sent_ns) && !e->fin_acked && end_out_drops(e) &&
	    !is_set(e->fin_recv_ns) && !is_set(e->rst_recv_ns))
		return judge_unacked(e, j);
	if (e->fin_drops_in && !is_set(e->fin_recv_ns) &&
	    !is_set(e->rst_recv_ns))
		return judge_dropped_arrival(e, j);
	if (is_set(e->fin_sent_ns) && !e->fin_acked) {
		j->closer = e;
		j->kind = FW_CLOSE_FIN;
		j->close_ns = e->fin_sent_ns;
		note_fin(&j->ev.fin, e);
		return decide(j, FW_V_INCOMPLETE, EV_FIN_UNACKED_AT_END);
	}
	if (e->state == FW_TCP_CLOSE_WAIT)
		return short_close_wait(e, j);
	st = judge_peer_vanished(c, e, j);
	if (st == JUDGE_PASSED)
		st = judge_snap_vanished(c, e, j);
	if (st != JUDGE_PASSED)
		return st;
	note_end(&j->ev.self, e);
	return decide(j, FW_V_OPEN, EV_OPEN_ALONE);
}

/*
 * Whether e's peer can no longer show up: its host's log has gone past
 * e's establishment (plus tolerance) without it. While the peer's host
 * is unknown, dead ends are held for pairing, open ones just wait; once
 * known, an end is held no more.
 */
static bool alone_else_hold(struct fw_corr *c, struct conn *cn, uint64_t *wake)
{
	struct end *e = cn->e[0];
	struct host *h = addr_peer_host(c, e);
	uint64_t until;

	if (!h) {
		if (end_dead(e))
			held_add(c, cn);
		return false;
	}
	held_del(c, cn);
	until = add_sat(from_ref(h, to_ref(e->host, e->pair_ns)), tolerance(c));
	if (h->wm_ns >= until || h->done)
		return true;
	*wake = min_u64(*wake, to_ref(h, until));
	return false;
}

/* A lone dead end: its own story is all there is. */
static enum judge_status judge_single_dead(struct end *e, struct judgement *j)
{
	if (is_set(e->fin_sent_ns) && !e->fin_acked &&
	    !is_set(e->fin_recv_ns) && !is_set(e->rst_recv_ns) &&
	    (end_fin_retrans(e) > 0 || end_out_drops(e) > 0))
		return judge_unacked(e, j);
	/*
	 * A socket a snapshot found already closing, with no peer to tell
	 * whether its close arrived: history from before the logs, no
	 * connection of theirs.
	 */
	if (e->from_snap)
		return JUDGE_DISCARD;
	if (is_set(e->fin_sent_ns) || is_set(e->rst_sent_ns)) {
		j->closer = e;
		j->kind = is_set(e->fin_sent_ns) ? FW_CLOSE_FIN : FW_CLOSE_RST;
		j->close_ns = j->kind == FW_CLOSE_FIN ? e->fin_sent_ns
						      : e->rst_sent_ns;
	}
	note_end(&j->ev.self, e);
	return decide(j, FW_V_OK, EV_CLOSED_ALONE);
}

static enum judge_status judge_single(struct fw_corr *c, struct conn *cn,
				      struct judgement *j, uint64_t *wake,
				      bool final)
{
	struct end *e = cn->e[0];
	enum judge_status st;

	st = judge_close_wait(c, e, j, wake);
	if (st != JUDGE_PASSED)
		return st;
	if (!final && !c->evicting && !alone_else_hold(c, cn, wake))
		return JUDGE_UNDECIDED;
	if (end_dead(e))
		return judge_single_dead(e, j);
	if (!final)
		return JUDGE_UNDECIDED;
	return judge_single_open(c, e, j);
}

/* With JUDGE_UNDECIDED, *wake is when to look again (UNSET: at a record). */
enum judge_status judge_conn(struct fw_corr *c, struct conn *cn,
			     struct judgement *j, uint64_t *wake, bool final)
{
	enum judge_status st;

	if (cn->e[1])
		return judge_pair(c, cn, j, wake, final);
	st = judge_single(c, cn, j, wake, final);
	if (st == JUDGE_DECIDED)
		pair_check_unproven(c, cn->e[0], j);
	return st;
}
