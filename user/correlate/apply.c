// SPDX-License-Identifier: GPL-2.0
/*
 * What one record says about its socket: the moments of its life (the
 * FINs and RSTs it sent and received, CLOSE_WAIT, its death), its owner,
 * its addresses, the tries its host dropped, what a snapshot showed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* How long the record's socket had been idle: UNSET when not said. */
uint64_t rec_idle_ms(const struct fw_rec *r)
{
	uint64_t idle = UNSET;

	if (r->has & FW_HAS_LAST_RECV)
		idle = r->last_recv_ms;
	if (r->has & FW_HAS_LAST_SEND)
		idle = min_u64(idle, r->last_send_ms);
	return idle;
}

static void set_once(uint64_t *field, uint64_t t)
{
	if (!is_set(*field))
		*field = t;
}

/*
 * One transition of a socket: its own record's, or a step of a v2 path
 * carried by a later record (r). A step nobody saw happen (unseen) is
 * dated by r, the latest it can have been.
 */
struct step {
	uint8_t from, to;
	uint64_t t;
	bool unseen;
	uint64_t idle_ms; /* idle at the step, UNSET unknown */
	bool timed_out;	  /* a move to CLOSE of a socket that gave up */
};

static void note_fin_sent(struct end *e, uint64_t t, uint64_t idle_ms,
			  bool unseen)
{
	if (is_set(e->fin_sent_ns))
		return;
	e->fin_sent_ns = e->fin_last_tx_ns = t;
	e->fin_sent_unseen = unseen;
	if (!is_set(e->rst_sent_ns))
		e->idle_ms = idle_ms;
}

static void note_rst_sent(struct end *e, uint64_t t, uint64_t idle_ms,
			  bool unseen)
{
	e->rst_count++;
	if (is_set(e->rst_sent_ns))
		return;
	e->rst_sent_ns = t;
	e->rst_sent_unseen = unseen;
	if (!is_set(e->fin_sent_ns))
		e->idle_ms = idle_ms;
}

static void note_death(struct end *e, uint64_t t, bool unseen)
{
	if (is_set(e->died_ns))
		return;
	e->died_ns = t;
	e->died_at_bound = unseen;
}

static void apply_step(struct end *e, const struct step *s)
{
	uint8_t from = s->from, to = s->to;
	uint64_t t = s->t;

	if (to == FW_TCP_ESTABLISHED && !s->unseen &&
	    (from == FW_TCP_SYN_SENT || from == FW_TCP_SYN_RECV ||
	     from == FW_TCP_NEW_SYN_RECV))
		set_once(&e->est_ns, t); /* an unseen one cannot set a clock */
	if (to == FW_TCP_FIN_WAIT1 || to == FW_TCP_LAST_ACK)
		note_fin_sent(e, t, s->idle_ms, s->unseen);
	if (to == FW_TCP_CLOSE_WAIT) {
		set_once(&e->fin_recv_ns, t);
		set_once(&e->cw_ns, t);
	}
	if (from == FW_TCP_CLOSE_WAIT && to != FW_TCP_CLOSE_WAIT)
		set_once(&e->cw_left_ns, t);
	if (to == FW_TCP_CLOSING)
		set_once(&e->fin_recv_ns, t);
	if (to == FW_TCP_FIN_WAIT2)
		e->fin_acked = true;
	if (to == FW_TCP_TIME_WAIT) {
		/* from FIN_WAIT2 or FIN_WAIT1 it means the peer's FIN came */
		if (from != FW_TCP_CLOSING)
			set_once(&e->fin_recv_ns, t);
		if (from != FW_TCP_FIN_WAIT2)
			e->fin_acked = true;
		note_death(e, t, s->unseen);
	}
	if (to == FW_TCP_CLOSE) {
		/* LAST_ACK or CLOSING ends with the ACK, or in a time-out */
		if ((from == FW_TCP_LAST_ACK || from == FW_TCP_CLOSING) &&
		    !s->timed_out)
			e->fin_acked = true;
		/*
		 * An abort from an open state sends RST unless one came in,
		 * or the socket timed out (keepalive, retransmissions).
		 */
		if ((from == FW_TCP_ESTABLISHED || from == FW_TCP_CLOSE_WAIT) &&
		    !s->timed_out && !is_set(e->rst_recv_ns) &&
		    !is_set(e->rst_sent_ns))
			note_rst_sent(e, t, s->idle_ms, s->unseen);
		note_death(e, t, s->unseen);
	}
	if (to)
		e->state = to;
	if (to && to != FW_TCP_CLOSE && to != FW_TCP_TIME_WAIT)
		e->live_state = to;
	if (to)
		end_note_move(e, t, to);
}

bool sk_err_timed_out(uint32_t err)
{
	return err == ETIMEDOUT || err == EHOSTUNREACH || err == ENETUNREACH ||
	       err == ECONNREFUSED || err == EPROTO;
}

/* A final record whose socket gave up (SCHEMA-v2 sk_err). */
static bool final_timed_out(const struct fw_rec *r)
{
	return r->final && sk_err_timed_out(r->sk_err);
}

static void apply_state(struct end *e, const struct fw_rec *r)
{
	struct step s = { r->oldstate, r->newstate,    r->time_ns,
			  false,       rec_idle_ms(r), final_timed_out(r) };

	apply_step(e, &s);
}

/*
 * The kernel stamps a socket's last send and receive in jiffies (10 ms at
 * HZ=100): an idle time this close to a step's age may be the step's own
 * segments (the FIN it sent, the peer's that followed).
 */
#define STEP_IDLE_MARGIN_MS 20

/*
 * The idle time at a path step, from the idle times of the record that
 * carries it: only when the step's time is known and nothing came or
 * went since, i.e. the last segment is surely older than the step.
 */
static uint64_t idle_at_step(const struct fw_rec *r, uint64_t t)
{
	uint64_t idle = rec_idle_ms(r), since;

	if (!is_set(idle) || !is_set(t) || t > r->time_ns)
		return UNSET;
	since = (r->time_ns - t) / 1000000;
	return idle > since + STEP_IDLE_MARGIN_MS ? idle - since : UNSET;
}

/* A v2 path: the steps that came before the record's own (SCHEMA-v2). */
static void apply_path(struct end *e, const struct fw_rec *r)
{
	for (unsigned int i = 0; i < r->npath; i++) {
		const struct fw_rec_step *p = &r->path[i];
		bool unseen = !is_set(p->time_ns) || p->time_ns > r->time_ns;
		struct step s = { p->from,
				  p->to,
				  unseen ? r->time_ns : p->time_ns,
				  unseen,
				  unseen ? UNSET : idle_at_step(r, p->time_ns),
				  final_timed_out(r) };

		apply_step(e, &s);
	}
}

/*
 * The state a final record's socket died from: tcp_reset() sets
 * ECONNRESET, or EPIPE in CLOSE_WAIT, for a reset received.
 */
static bool final_says_reset(const struct end *e, const struct fw_rec *r)
{
	uint8_t from = r->oldstate ? r->oldstate : e->state;

	if (!r->final)
		return false;
	if (r->sk_err == ECONNRESET)
		return true;
	for (unsigned int i = 0; i < r->npath; i++)
		if (r->path[i].to == FW_TCP_CLOSE)
			from = r->path[i].from;
	return r->sk_err == EPIPE && from == FW_TCP_CLOSE_WAIT;
}

static void apply_owner(struct end *e, const struct fw_rec *r)
{
	if (r->pid)
		e->pid = r->pid;
	if (r->comm[0])
		memcpy(e->comm, r->comm, sizeof(e->comm));
	if (r->has & FW_HAS_ACTIVE_OPEN) {
		e->active_known = true;
		e->active_open = r->active_open;
	}
	e->role_server = r->role_server;
	if ((r->has & FW_HAS_CLOSE_RETRANS) &&
	    r->close_retrans > e->close_retrans)
		e->close_retrans = r->close_retrans;
	if ((r->has & FW_HAS_CLOSE_DROPS) && r->close_drops > e->close_drops) {
		/* drop records lost: the counter still tells what happened */
		if (!e->close_drops && !end_fin_retrans(e))
			e->first_try_dropped = true;
		e->close_drops = r->close_drops;
	}
}

/*
 * The first records of a socket may not know its addresses yet (a
 * SYN_SENT before the port is bound says lport 0): take them from the
 * first record that does. Returns true when they changed.
 */
static bool addresses_unknown(const struct end *e)
{
	static const uint8_t zero[16];

	return !e->lport || !e->rport || !memcmp(e->laddr, zero, 16) ||
	       !memcmp(e->raddr, zero, 16);
}

static bool learn_addresses(struct end *e, const struct fw_rec *r)
{
	if (!addresses_unknown(e) || !r->lport || !r->rport ||
	    r->family != e->family ||
	    (e->lport == r->lport && e->rport == r->rport &&
	     !memcmp(e->laddr, r->laddr, 16) &&
	     !memcmp(e->raddr, r->raddr, 16)))
		return false;
	memcpy(e->laddr, r->laddr, 16);
	memcpy(e->raddr, r->raddr, 16);
	e->lport = r->lport;
	e->rport = r->rport;
	return true;
}

/*
 * Drop reasons are a few kernel names repeated on every drop: each end
 * points to one copy, rather than holding its own.
 */
const char *intern_reason(struct fw_corr *c, const char *s)
{
	char **reasons, *copy;

	if (!s[0])
		s = "?";
	for (size_t i = 0; i < c->nreasons; i++)
		if (!strcmp(c->reasons[i], s))
			return c->reasons[i];
	reasons =
		corr_realloc(c, c->reasons, c->nreasons + 1, sizeof(*reasons));
	if (!reasons)
		return "?"; /* the engine has stopped: never shown */
	c->reasons = reasons;
	copy = corr_calloc(c, 1, strlen(s) + 1);
	if (!copy)
		return "?";
	memcpy(copy, s, strlen(s));
	return c->reasons[c->nreasons++] = copy;
}

/*
 * A FIN or RST the host dropped itself (skb:kfree_skb). Outgoing: TCP
 * does not count a FIN its own netfilter dropped as sent, so there are
 * no retransmit records, only one drop per try. Incoming: the peer's
 * FIN reached this host and died there, before the socket saw it.
 */
static void apply_drop(struct end *e, const struct fw_rec *r,
		       const char *reason)
{
	if (r->drop_in) {
		if (!(r->tcp_flags & FW_TCPF_FIN))
			return;
		e->fin_drops_in++;
		set_once(&e->fin_drop_in_ns, r->time_ns);
		e->drop_in_reason = reason;
		return;
	}
	if (r->tcp_flags & FW_TCPF_RST) {
		e->drop_reason = reason; /* counted in e->cause */
		return;
	}
	if (!(r->tcp_flags & FW_TCPF_FIN))
		return;
	if (!e->fin_drops && !end_fin_retrans(e))
		e->first_try_dropped = true;
	e->fin_drops++;
	e->drop_reason = reason;
	e->fin_last_tx_ns = r->time_ns;
	/* a FIN dropped before its state record */
	if (!is_set(e->fin_sent_ns))
		note_fin_sent(e, r->time_ns, rec_idle_ms(r), false);
}

/*
 * A snapshot lists a socket as it is, not how it got there: a closing
 * state means its FIN went out (or came in) some time before. Such a
 * FIN is dated by the snapshot, the latest it can have been sent.
 */
static void apply_snap_state(struct end *e, const struct fw_rec *r)
{
	uint8_t st = r->newstate;
	uint64_t t = r->time_ns;

	if (st == FW_TCP_FIN_WAIT1 || st == FW_TCP_FIN_WAIT2 ||
	    st == FW_TCP_CLOSING || st == FW_TCP_LAST_ACK ||
	    st == FW_TCP_TIME_WAIT) {
		if (!is_set(e->fin_sent_ns)) {
			e->fin_from_snap = true;
			e->snap_state = st;
		}
		note_fin_sent(e, t, rec_idle_ms(r), false);
	}
	if (st == FW_TCP_FIN_WAIT2 || st == FW_TCP_TIME_WAIT)
		e->fin_acked = true;
	if (st == FW_TCP_CLOSE_WAIT || st == FW_TCP_CLOSING ||
	    st == FW_TCP_LAST_ACK || st == FW_TCP_TIME_WAIT)
		set_once(&e->fin_recv_ns, t);
	if (st == FW_TCP_CLOSE_WAIT)
		set_once(&e->cw_ns, t);
	if (st == FW_TCP_TIME_WAIT || st == FW_TCP_CLOSE)
		note_death(e, t, false);
	if (st && st != e->state)
		end_note_move(e, t, st);
	if (st)
		e->state = st;
	if (st && st != FW_TCP_CLOSE && st != FW_TCP_TIME_WAIT)
		e->live_state = st;
}

static void apply_snapshot(struct end *e, const struct fw_rec *r)
{
	uint64_t age = 0;

	if (end_dead(e))
		return;
	apply_snap_state(e, r);
	e->in_snap = true;
	/* the pass under way will be the host's next one */
	e->listed_pass = e->host->nsnaps + 1;
	if (r->has & FW_HAS_LAST_RECV) {
		e->snap_idle_ms = r->last_recv_ms;
		age = r->last_recv_ms;
	}
	if ((r->has & FW_HAS_LAST_SEND) && r->last_send_ms > age)
		age = r->last_send_ms;
	/* it received or sent something age ms ago: it existed then */
	e->seen_ns = min_u64(e->seen_ns, sub_sat(r->time_ns, age * 1000000));
	if (r->has & FW_HAS_KEEPALIVE)
		e->keepalive = r->keepalive;
}

/* Widens e's interval of records that may be missing to [from, to]. */
static void note_unknown(struct end *e, uint64_t from, uint64_t to)
{
	e->unk_from = is_set(e->unk_from) ? min_u64(e->unk_from, from) : from;
	e->unk_to = is_set(e->unk_to) && e->unk_to > to ? e->unk_to : to;
}

/*
 * What a v2 record says before its own step: records of the socket
 * lost (gap; their steps are in path), steps that did not fit
 * (path_cut: its history since its previous record is not whole), a
 * reset received that only the final record's error tells.
 */
static void apply_before(struct end *e, const struct fw_rec *r)
{
	e->gap += r->gap;
	if (r->path_cut)
		note_unknown(e, is_set(e->last_ns) ? e->last_ns : 0,
			     r->time_ns);
	if (final_says_reset(e, r) && !is_set(e->rst_recv_ns)) {
		e->rst_recv_ns = r->time_ns;
		e->rst_recv_unseen = true;
	}
	if (!e->state && r->npath)
		e->state = r->path[0].from;
	apply_path(e, r);
}

/* A final record's facts: the socket is gone after it, and how. */
static void apply_final(struct end *e, const struct fw_rec *r)
{
	note_death(e, r->time_ns, false);
	e->sk_err = r->sk_err;
	e->probes_out =
		(r->has & FW_HAS_PROBES_OUT) ? r->probes_out : UINT32_MAX;
	e->rto_retrans =
		(r->has & FW_HAS_RTO_RETRANS) ? r->rto_retrans : UINT32_MAX;
	if (r->has & FW_HAS_KEEPALIVE)
		e->keepalive = r->keepalive;
}

/*
 * The latest dropped FIN/RST's reason (v2), which stands for drop
 * records that were lost (its conntrack view: cause.c).
 */
static void apply_drop_last(struct fw_corr *c, struct end *e,
			    const struct fw_rec *r)
{
	if (r->drop_reason_last[0] && !e->drop_reason)
		e->drop_reason = intern_reason(c, r->drop_reason_last);
}

/* The record's own content, after its path. */
static void apply_own(struct fw_corr *c, struct end *e, const struct fw_rec *r)
{
	switch (r->type) {
	case FW_REC_STATE:
		apply_state(e, r);
		break;
	case FW_REC_CLOSE:
		if (r->oldstate == FW_TCP_CLOSE ||
		    r->oldstate == FW_TCP_TIME_WAIT)
			note_death(e, r->time_ns, false);
		break;
	case FW_REC_RESET_SENT:
		note_rst_sent(e, r->time_ns, rec_idle_ms(r), false);
		break;
	case FW_REC_RESET_RECEIVED:
		set_once(&e->rst_recv_ns, r->time_ns);
		break;
	case FW_REC_DROP:
		apply_drop(e, r, intern_reason(c, r->reason));
		break;
	case FW_REC_SNAPSHOT:
		apply_snapshot(e, r);
		break;
	case FW_REC_RETRANSMIT:
		if (r->tcp_flags & FW_TCPF_FIN) {
			e->fin_retrans++;
			e->fin_last_tx_ns = r->time_ns;
			/* a FIN retransmitted before its state record */
			if (!is_set(e->fin_sent_ns))
				note_fin_sent(e, r->time_ns, rec_idle_ms(r),
					      false);
		}
		break;
	default:
		break;
	}
}

/* Returns what is new for pairing: FW_NEW_ISN, FW_NEW_ADDR. */
unsigned int apply_record(struct fw_corr *c, struct end *e,
			  const struct fw_rec *r)
{
	unsigned int new_isn = 0;

	apply_owner(e, r);
	if ((r->has & FW_HAS_ISN) && !e->has_isn) {
		e->has_isn = true;
		e->isn_local = r->isn_local;
		e->isn_remote = r->isn_remote;
		new_isn = FW_NEW_ISN;
	}
	if (r->type != FW_REC_SNAPSHOT)
		e->traced = true;
	apply_before(e, r);
	if (!e->state && r->oldstate)
		e->state = e->live_state = r->oldstate;
	apply_own(c, e, r);
	apply_drop_last(c, e, r);
	if (r->final)
		apply_final(e, r);
	if (!is_set(e->last_ns) || r->time_ns > e->last_ns)
		e->last_ns = r->time_ns;
	cause_apply_record(c, e, r);
	return new_isn;
}

void apply_addresses(struct fw_corr *c, struct end *e, const struct fw_rec *r,
		     unsigned int *news)
{
	bool indexed = e->in_tuples;

	/* nearly always: nothing to learn, and the tuple index stays */
	if (!addresses_unknown(e))
		return;
	unindex_tuple(c, e);
	if (!learn_addresses(e, r)) {
		if (indexed)
			index_pairing(c, e);
		return;
	}
	*news |= FW_NEW_ADDR;
	addr_learn(c, e);
	if (indexed)
		index_pairing(c, e);
}

/*
 * A record of an unknown socket that was already closed (a reset sent
 * after the abort, the destroy after TIME_WAIT) belongs to a connection
 * decided and freed: it teaches nothing. CLOSE -> SYN_SENT is a birth.
 */
bool is_epitaph(const struct fw_rec *r)
{
	bool dead_before =
		r->oldstate == FW_TCP_CLOSE || r->oldstate == FW_TCP_TIME_WAIT;

	/* a v2 record that carries steps or lost records is a history */
	if (r->npath || r->gap)
		return false;
	if (r->type == FW_REC_STATE)
		return dead_before && r->newstate == FW_TCP_CLOSE;
	return dead_before;
}

/*
 * A record of a listening socket (listen(), the listener closed, its
 * RSTs): a listener is no connection. A child's first move,
 * LISTEN -> SYN_RECV, is the birth of a connection's end.
 */
bool is_listener(const struct fw_rec *r)
{
	if (r->newstate == FW_TCP_LISTEN)
		return true;
	return r->oldstate == FW_TCP_LISTEN && r->newstate != FW_TCP_SYN_RECV &&
	       r->newstate != FW_TCP_NEW_SYN_RECV;
}

void reasons_free(struct fw_corr *c)
{
	for (size_t i = 0; i < c->nreasons; i++)
		free(c->reasons[i]);
	free(c->reasons);
}
