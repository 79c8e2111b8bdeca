// SPDX-License-Identifier: GPL-2.0
/*
 * The judges of a connection of which one end is in the logs: its own
 * story (a FIN unacknowledged, or dropped by its own host; its host
 * dropping the peer's FIN), and what the peer's host shows of the peer
 * (no socket while its log covered the birth, none in a snapshot pass).
 */
#include "engine.h"

/*
 * One end, whose FIN went unacknowledged until its socket died, or that
 * its own host dropped (then it never left: decisive even while the
 * socket still tries).
 */
static enum judge_status judge_unacked(const struct fw_corr *c, struct end *e,
				       struct judgement *j)
{
	uint64_t until = end_dead(e) ? e->died_ns : e->host->wm_ns;
	enum judge_status st;

	j->closer = e;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = e->fin_sent_ns;
	j->ev.close_unseen = e->fin_sent_unseen;
	if (!end_dead(e))
		j->survivor = e;
	st = judge_window(c, j, e->host, e->fin_sent_ns, until, e);
	if (st != JUDGE_PASSED)
		return st;
	note_end(c, &j->ev.self, e);
	note_fin(&j->ev.fin, e);
	return decide(j, FW_V_UNACKED_FIN, EV_UNACKED_FIN);
}

/* A lone open end whose host dropped its peer's FIN on arrival. */
static enum judge_status judge_dropped_arrival(const struct fw_corr *c,
					       struct end *e,
					       struct judgement *j)
{
	enum judge_status st;

	j->survivor = e;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = e->fin_drop_in_ns;
	st = judge_window(c, j, e->host, e->fin_drop_in_ns, e->host->wm_ns, e);
	if (st != JUDGE_PASSED)
		return st;
	note_end(c, &j->ev.self, e);
	note_arrival(&j->ev.arrival, e);
	return decide(j, FW_V_LOST_FIN, EV_DROPPED_ON_ARRIVAL);
}

/* An open end whose peer host's log covers its start yet has no peer. */
static enum judge_status judge_peer_vanished(struct fw_corr *c, struct end *e,
					     struct judgement *j)
{
	struct host *h = addr_peer_host(c, e);
	uint64_t tol = tolerance(c), est;
	enum judge_status st;

	if (!h || !is_set(e->est_ns))
		return JUDGE_PASSED;
	est = from_ref(h, to_ref(e->host, e->est_ns)); /* in h's clock */
	if (h->start_ns > sub_sat(est, c->opts.skew_ns) ||
	    h->wm_ns < add_sat(est, tol))
		return JUDGE_PASSED;
	j->survivor = e;
	st = judge_peer_window(c, j, e, h, sub_sat(est, c->opts.skew_ns),
			       add_sat(est, tol));
	if (st != JUDGE_PASSED)
		return st;
	note_end(c, &j->ev.self, e);
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
	enum judge_status st;
	uint64_t ns = 0;
	bool known;

	if (!h || e->state != FW_TCP_ESTABLISHED ||
	    (!h->nsnaps && !e->from_snap))
		return JUDGE_PASSED;
	j->survivor = e;
	note_end(c, &j->ev.self, e);
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
	st = judge_peer_window(c, j, e, h, p->begin_ns, p->end_ns);
	if (st != JUDGE_PASSED)
		return st;
	j->ev.idle_ms = e->snap_idle_ms;
	j->ev.keepalive = e->keepalive;
	return decide(j, FW_V_PEER_VANISHED, EV_SNAPSHOT_VANISHED);
}

/* Open, nothing wrong seen: unless its log proves nothing after its end. */
static enum judge_status open_alone(const struct fw_corr *c, struct end *e,
				    struct judgement *j)
{
	note_end(c, &j->ev.self, e);
	if (host_cut(c, e->host))
		return decide(j, FW_V_INCOMPLETE, EV_LOG_CUT);
	return decide(j, FW_V_OPEN, EV_OPEN_ALONE);
}

static enum judge_status judge_single_open(struct fw_corr *c, struct end *e,
					   struct judgement *j)
{
	enum judge_status st;

	j->survivor = e;
	if (is_set(e->fin_sent_ns) && !e->fin_acked && end_out_drops(e) &&
	    !is_set(e->fin_recv_ns) && !is_set(e->rst_recv_ns))
		return judge_unacked(c, e, j);
	if (e->fin_drops_in && !is_set(e->fin_recv_ns) &&
	    !is_set(e->rst_recv_ns))
		return judge_dropped_arrival(c, e, j);
	if (is_set(e->fin_sent_ns) && !e->fin_acked) {
		j->closer = e;
		j->kind = FW_CLOSE_FIN;
		j->close_ns = e->fin_sent_ns;
		note_fin(&j->ev.fin, e);
		return decide(j, FW_V_INCOMPLETE, EV_FIN_UNACKED_AT_END);
	}
	if (e->state == FW_TCP_CLOSE_WAIT)
		return short_close_wait(c, e, j);
	st = judge_peer_vanished(c, e, j);
	if (st == JUDGE_PASSED)
		st = judge_snap_vanished(c, e, j);
	if (st != JUDGE_PASSED)
		return st;
	return open_alone(c, e, j);
}

/*
 * Whether e's peer can no longer show up: its host's log has gone past
 * e's establishment (plus tolerance) without it. While the peer's host
 * is unknown, dead ends are held for pairing, open ones just wait; once
 * known, an end is held no more.
 */
static bool alone_else_hold(struct fw_corr *c, struct conn *cn,
			    struct judgement *j)
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
	wake_at(j, to_ref(h, until));
	return false;
}

/* A lone dead end: its own story is all there is. */
static enum judge_status judge_single_dead(const struct fw_corr *c,
					   struct end *e, struct judgement *j)
{
	/*
	 * Gone from its host's snapshot unseen: how it closed is not
	 * known; a socket only ever seen in snapshots is none of the
	 * trace's business, like the closing ones below.
	 */
	if (e->died_unseen) {
		if (!e->traced)
			return JUDGE_DISCARD;
		note_end(c, &j->ev.self, e);
		return decide(j, FW_V_INCOMPLETE, EV_DIED_UNSEEN_ALONE);
	}
	if (is_set(e->fin_sent_ns) && !e->fin_acked &&
	    !is_set(e->fin_recv_ns) && !is_set(e->rst_recv_ns) &&
	    (end_fin_retrans(e) > 0 || end_out_drops(e) > 0))
		return judge_unacked(c, e, j);
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
	note_end(c, &j->ev.self, e);
	return decide(j, FW_V_OK, EV_CLOSED_ALONE);
}

enum judge_status judge_single(struct fw_corr *c, struct conn *cn,
			       struct judgement *j)
{
	struct end *e = cn->e[0];
	enum judge_status st;

	st = judge_close_wait(c, e, j);
	if (st != JUDGE_PASSED)
		return st;
	if (!j->final && !c->evicting && !alone_else_hold(c, cn, j))
		return JUDGE_UNDECIDED;
	if (end_dead(e))
		return judge_single_dead(c, e, j);
	if (!j->final)
		return JUDGE_UNDECIDED;
	return judge_single_open(c, e, j);
}
