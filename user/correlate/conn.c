// SPDX-License-Identifier: GPL-2.0
/*
 * Connections and their ends: birth, the list of live connections, the
 * list of held ones, death; and what an end's counters add up to.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static struct conn *conn_new(struct fw_corr *c)
{
	struct conn *cn = corr_calloc(c, 1, sizeof(*cn));

	if (!cn)
		return NULL;
	cn->heap_idx = NOT_IN_HEAP;
	cn->next = c->list.next;
	cn->prev = &c->list;
	c->list.next->prev = cn;
	c->list.next = cn;
	if (++c->stats.open_now > c->stats.open_peak)
		c->stats.open_peak = c->stats.open_now;
	return cn;
}

/* A new socket, in a connection of its own until it pairs; NULL: no memory. */
struct end *end_new(struct fw_corr *c, struct host *h, const struct fw_rec *r)
{
	struct end *e = corr_calloc(c, 1, sizeof(*e));

	if (!e)
		return NULL;
	e->host = h;
	e->netns = r->netns;
	e->sock = r->sock;
	e->family = r->family;
	memcpy(e->laddr, r->laddr, 16);
	memcpy(e->raddr, r->raddr, 16);
	e->lport = r->lport;
	e->rport = r->rport;
	e->pair_ns = r->time_ns;
	e->est_ns = e->fin_sent_ns = e->fin_last_tx_ns = UNSET;
	e->fin_recv_ns = e->rst_sent_ns = e->rst_recv_ns = UNSET;
	e->cw_ns = e->cw_left_ns = e->died_ns = e->idle_ms = UNSET;
	e->snap_idle_ms = e->fin_drop_in_ns = UNSET;
	e->last_ns = e->unk_from = e->unk_to = e->died_lo = UNSET;
	e->probes_out = e->rto_retrans = UINT32_MAX;
	e->seq = c->next_seq++;
	e->boot_gen = h->boot_gen;
	e->seen_ns = r->time_ns;
	e->keepalive = -1;
	cause_end_init(&e->cause);
	e->conn = conn_new(c);
	if (!e->conn) {
		free(e);
		return NULL;
	}
	e->conn->e[0] = e;
	if (!corr_table_put(c, &c->socks, sock_hash(h, r->netns, r->sock), e)) {
		conn_free(c, e->conn);
		return NULL;
	}
	addr_learn(c, e);
	return e;
}

void held_del(struct fw_corr *c, struct conn *cn)
{
	if (!cn->held)
		return;
	cn->held_prev->held_next = cn->held_next;
	cn->held_next->held_prev = cn->held_prev;
	cn->held = false;
	c->nheld--;
}

/* Holds cn for pairing; beyond FW_HOLD_MAX, judges the oldest alone. */
void held_add(struct fw_corr *c, struct conn *cn)
{
	struct conn *oldest;

	if (cn->held)
		return;
	cn->held = true;
	cn->held_prev = c->held.held_prev;
	cn->held_next = &c->held;
	c->held.held_prev->held_next = cn;
	c->held.held_prev = cn;
	if (++c->nheld <= FW_HOLD_MAX)
		return;
	oldest = c->held.held_next;
	c->evicting = true;
	conn_evaluate(c, oldest, false);
	c->evicting = false;
}

void conn_unlink(struct fw_corr *c, struct conn *cn)
{
	held_del(c, cn);
	heap_remove(c, cn);
	cn->prev->next = cn->next;
	cn->next->prev = cn->prev;
	c->stats.open_now--;
}

static void end_free(struct fw_corr *c, struct end *e)
{
	unindex_pairing(c, e);
	if (!e->detached)
		fw_table_remove(&c->socks,
				sock_hash(e->host, e->netns, e->sock), e);
	free(e->doubt);
	free(e);
}

void conn_free(struct fw_corr *c, struct conn *cn)
{
	conn_unlink(c, cn);
	if (cn->kept) {
		cn->kept_prev->kept_next = cn->kept_next;
		cn->kept_next->kept_prev = cn->kept_prev;
		free(cn->kept);
	}
	if (cn->e[0])
		end_free(c, cn->e[0]);
	if (cn->e[1])
		end_free(c, cn->e[1]);
	free(cn);
}

bool conn_dead(const struct conn *cn)
{
	return (!cn->e[0] || end_dead(cn->e[0])) &&
	       (!cn->e[1] || end_dead(cn->e[1]));
}

bool end_is_client(const struct end *e)
{
	return e->active_known ? e->active_open : !e->role_server;
}

uint64_t end_fin_retrans(const struct end *e)
{
	return e->fin_retrans > e->close_retrans ? e->fin_retrans
						 : e->close_retrans;
}

/* Tries of its FIN (or RST) that its own host dropped on the way out. */
uint64_t end_out_drops(const struct end *e)
{
	return e->fin_drops > e->close_drops ? e->fin_drops : e->close_drops;
}

/*
 * Resends of its FIN: those that reached the wire and those its own host
 * dropped, less the first try when that was dropped (it was the FIN,
 * not a resend).
 */
uint64_t end_fin_resends(const struct end *e)
{
	uint64_t n = end_fin_retrans(e) + end_out_drops(e);

	return e->first_try_dropped && n ? n - 1 : n;
}

/* Remembers a move of e to state at t; the oldest is forgotten. */
void end_note_move(struct end *e, uint64_t t, uint8_t state)
{
	if (e->nhist == FW_END_HIST) {
		memmove(e->hist, e->hist + 1, sizeof(e->hist[0]) * --e->nhist);
	}
	e->hist[e->nhist].t = t;
	e->hist[e->nhist].state = state;
	e->nhist++;
}

/*
 * The state e was in at t, as far as its remembered moves tell (the
 * folded stream tells some moves late); its current state else.
 */
uint8_t end_state_at(const struct end *e, uint64_t t)
{
	for (size_t i = e->nhist; i-- > 0;)
		if (e->hist[i].t <= t)
			return e->hist[i].state;
	return e->state;
}

/* e is gone, unseen: after its latest record, by gone_ns. */
static void end_gone_unseen(struct end *e, uint64_t gone_ns)
{
	e->died_unseen = true;
	e->died_lo = e->last_ns;
	e->died_ns = gone_ns;
	e->died_at_bound = true;
}

/*
 * A complete pass of h listed every socket of h alive while it ran, in
 * the namespaces it covers: an end the log knew as open before it began,
 * and not heard of after it, that it does not list died unseen. Returns
 * how many.
 */
size_t ends_gone_from_pass(struct fw_corr *c, struct host *h, size_t pass)
{
	const struct snap_pass *p = &h->snaps[pass];
	size_t n = 0;

	for (struct conn *cn = c->list.next; cn != &c->list; cn = cn->next) {
		for (size_t i = 0; i < 2; i++) {
			struct end *e = cn->e[i];

			if (!e || e->host != h || end_dead(e) || e->detached ||
			    e->listed_pass == pass + 1 ||
			    !pass_covers(p, true, e->netns) ||
			    e->seen_ns >= p->begin_ns || e->last_ns > p->end_ns)
				continue;
			end_gone_unseen(e, p->end_ns);
			n++;
		}
	}
	return n;
}

/*
 * h booted again: none of the sockets its earlier logs knew exists any
 * more, and the new boot's cookies may reuse theirs, so they leave the
 * socket index.
 */
void ends_gone_with_boot(struct fw_corr *c, struct host *h)
{
	for (struct conn *cn = c->list.next; cn != &c->list; cn = cn->next) {
		for (size_t i = 0; i < 2; i++) {
			struct end *e = cn->e[i];

			if (!e || e->host != h || e->detached)
				continue;
			fw_table_remove(&c->socks,
					sock_hash(h, e->netns, e->sock), e);
			e->detached = true;
			if (end_dead(e))
				continue;
			end_gone_unseen(e, h->boot_ns);
			e->died_by_boot = true;
		}
	}
}

/*
 * A record of an end taken for dead unseen came after all (written
 * late): it was not. Its own records say how it goes on.
 */
void end_revive(struct end *e)
{
	if (e->died_by_boot || e->conn->reported)
		return;
	e->died_unseen = false;
	e->died_ns = e->died_lo = UNSET;
	e->died_at_bound = false;
}
