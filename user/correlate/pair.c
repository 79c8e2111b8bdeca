// SPDX-License-Identifier: GPL-2.0
/*
 * Pairing: the two ends of one connection, found by their mirrored ISNs,
 * else by the mirrored 4-tuple close in time, else (a middlebox rewrote
 * one direction's sequence numbers: a SYN proxy, an ISN-randomising
 * firewall) by the ISN of the other direction with the mirrored 4-tuple
 * or, behind NAT, the timing. A lone end that an unpaired end could be
 * the peer of, with both directions rewritten, has no provable verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static bool pairable(const struct end *e, const struct end *cand)
{
	return cand != e && !cand->conn->e[1] && !cand->conn->reported;
}

static struct end *find_by_isn(struct fw_corr *c, const struct end *e)
{
	uint64_t h = isn_hash(e->isn_remote, e->isn_local);
	size_t it;

	for (struct end *cand = fw_table_first(&c->isns, h, &it); cand;
	     cand = fw_table_next(&c->isns, h, &it))
		if (cand->isn_local == e->isn_remote &&
		    cand->isn_remote == e->isn_local && pairable(e, cand))
			return cand;
	return NULL;
}

static uint64_t abs_diff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/*
 * A snapshot lists a socket that exists, however old: an open end with
 * the mirrored 4-tuple existed at the same time, so the two are one
 * connection whenever it was made.
 */
static bool both_open_at_snapshot(const struct end *a, const struct end *b)
{
	return (a->from_snap || b->from_snap) && !end_dead(a) && !end_dead(b);
}

/*
 * Without ISNs on both sides, the mirrored 4-tuple within the clock
 * tolerance; the closest in time wins, so a reused 4-tuple pairs with
 * its own generation.
 */
static struct end *find_by_tuple(struct fw_corr *c, const struct end *e)
{
	uint64_t h =
		tuple_hash(e->family, e->raddr, e->rport, e->laddr, e->lport);
	uint64_t best_d = UINT64_MAX, d;
	struct end *best = NULL;
	size_t it;

	for (struct end *cand = fw_table_first(&c->tuples, h, &it); cand;
	     cand = fw_table_next(&c->tuples, h, &it)) {
		if (cand->family != e->family || cand->lport != e->rport ||
		    cand->rport != e->lport ||
		    memcmp(cand->laddr, e->raddr, 16) != 0 ||
		    memcmp(cand->raddr, e->laddr, 16) != 0 ||
		    !pairable(e, cand))
			continue;
		if (cand->has_isn && e->has_isn)
			continue; /* both known and they differ */
		d = abs_diff(to_ref(cand->host, cand->pair_ns),
			     to_ref(e->host, e->pair_ns));
		if ((d <= tolerance(c) || both_open_at_snapshot(e, cand)) &&
		    d < best_d) {
			best = cand;
			best_d = d;
		}
	}
	return best;
}

static bool mirrored_tuple(const struct end *a, const struct end *b)
{
	return a->family == b->family && a->lport == b->rport &&
	       a->rport == b->lport && !memcmp(a->laddr, b->raddr, 16) &&
	       !memcmp(a->raddr, b->laddr, 16);
}

/* Both established within the clock tolerance of each other. */
static bool established_together(const struct fw_corr *c, const struct end *a,
				 const struct end *b)
{
	return is_set(a->est_ns) && is_set(b->est_ns) &&
	       abs_diff(to_ref(a->host, a->est_ns),
			to_ref(b->host, b->est_ns)) <= tolerance(c);
}

/* Exactly one direction's ISN the same at both ends. */
static bool isn_half_match(const struct end *a, const struct end *b)
{
	return a->has_isn && b->has_isn &&
	       (a->isn_local == b->isn_remote) !=
		       (a->isn_remote == b->isn_local);
}

/*
 * One direction's ISN matches and the other does not: a middlebox
 * rewrote the other's. The mirrored 4-tuple, or behind NAT the moment
 * both were established, backs the one match.
 */
static struct end *find_by_isn_half(struct fw_corr *c, const struct end *e)
{
	uint64_t keys[2] = { isn_half_hash(false, e->isn_remote),
			     isn_half_hash(true, e->isn_local) };
	size_t it;

	for (size_t k = 0; k < 2; k++) {
		for (struct end *cand = fw_table_first(&c->isns, keys[k], &it);
		     cand; cand = fw_table_next(&c->isns, keys[k], &it))
			if (pairable(e, cand) && isn_half_match(e, cand) &&
			    end_is_client(e) != end_is_client(cand) &&
			    (mirrored_tuple(e, cand) ||
			     established_together(c, e, cand)))
				return cand;
	}
	return NULL;
}

/* Moves peer's end into e's connection and drops peer's old one. */
static void pair_ends(struct fw_corr *c, struct end *e, struct end *peer,
		      enum fw_paired_by how)
{
	struct conn *old = peer->conn;

	unindex_pairing(c, e);
	unindex_pairing(c, peer);
	old->e[0] = NULL;
	conn_unlink(c, old);
	free(old);
	peer->conn = e->conn;
	e->conn->e[1] = peer;
	e->conn->paired_by = how;
	if (how == FW_PAIR_ISN)
		clock_sync(c, e, peer);
}

/*
 * Ends paired by tuple before both knew their ISNs (a server's SYN_RECV
 * has none): once the ISNs mirror, the pair is as good as an ISN pair.
 */
void confirm_by_isn(struct fw_corr *c, struct end *e)
{
	struct conn *cn = e->conn;
	struct end *peer = cn->e[0] == e ? cn->e[1] : cn->e[0];

	if (!peer || cn->paired_by != FW_PAIR_TUPLE || !e->has_isn ||
	    !peer->has_isn)
		return;
	if (isn_half_match(e, peer)) {
		cn->paired_by = FW_PAIR_ISN_HALF;
		return;
	}
	if (e->isn_local != peer->isn_remote ||
	    e->isn_remote != peer->isn_local)
		return;
	cn->paired_by = FW_PAIR_ISN;
	clock_sync(c, e, peer);
}

void try_pair(struct fw_corr *c, struct end *e)
{
	struct end *peer = NULL;
	enum fw_paired_by how = FW_PAIR_ISN;

	if (e->has_isn)
		peer = find_by_isn(c, e);
	if (!peer) {
		peer = find_by_tuple(c, e);
		how = FW_PAIR_TUPLE;
	}
	if (!peer && e->has_isn) {
		peer = find_by_isn_half(c, e);
		how = FW_PAIR_ISN_HALF;
	}
	if (peer) {
		pair_ends(c, e, peer, how);
		return;
	}
	index_pairing(c, e);
}

/* ---- what the words say of a weaker pairing ---- */

/* Appends to the evidence how a pair by one ISN stands. */
void pair_note_evidence(const struct conn *cn, char *buf, size_t sz)
{
	const struct end *a = cn->e[0], *b = cn->e[1];
	const struct end *rewritten;
	size_t len = strlen(buf);

	if (cn->paired_by != FW_PAIR_ISN_HALF || !b || len + 1 >= sz)
		return;
	/* a's ISN reached b intact: b's sequence numbers were rewritten */
	rewritten = a->isn_local == b->isn_remote ? b : a;
	snprintf(buf + len, sz - len,
		 "; paired by one direction's ISN only: the sequence numbers "
		 "of the %s on %s were rewritten on the way (a SYN proxy, or "
		 "a firewall randomising ISNs), so the pairing is weaker than "
		 "by both ISNs",
		 end_is_client(rewritten) ? "client" : "server",
		 rewritten->host->name);
}

/* ---- pairings that cannot be proven ---- */

static bool lifetimes_overlap(const struct fw_corr *c, const struct end *a,
			      const struct end *b)
{
	uint64_t a0 = to_ref(a->host, a->seen_ns),
		 b0 = to_ref(b->host, b->seen_ns);
	uint64_t a1 =
		to_ref(a->host, end_dead(a) ? a->died_ns : a->host->wm_ns);
	uint64_t b1 =
		to_ref(b->host, end_dead(b) ? b->died_ns : b->host->wm_ns);

	return a0 <= add_sat(b1, tolerance(c)) &&
	       b0 <= add_sat(a1, tolerance(c));
}

/*
 * Whether cand, unpaired, could be e's peer with both directions' ISNs
 * rewritten behind NAT: the other role, the same server port, made at
 * the same time (or, for ends older than the logs, alive together), and
 * its own peer's address not another traced host's.
 */
static bool could_be_peer(struct fw_corr *c, const struct end *e,
			  const struct end *cand)
{
	const struct end *cl = end_is_client(e) ? e : cand;
	const struct end *sv = cl == e ? cand : e;
	struct host *h;

	if (cand == e || cand->conn->e[1] || cand->family != e->family ||
	    end_is_client(cand) == end_is_client(e) || cl->rport != sv->lport)
		return false;
	if (is_set(e->est_ns) && is_set(cand->est_ns)
		    ? !established_together(c, e, cand)
		    : !lifetimes_overlap(c, e, cand))
		return false;
	h = addr_peer_host(c, cand);
	return !h || h == e->host;
}

/* e's verdict cannot be proven: other could be its peer. */
static bool note_doubt(struct fw_corr *c, struct end *e,
		       const struct end *other)
{
	if (!e->doubt)
		e->doubt = corr_calloc(c, 1, sizeof(*e->doubt));
	if (!e->doubt)
		return false;
	e->doubt->host = other->host;
	e->doubt->sock = other->sock;
	e->doubt->client = end_is_client(other);
	e->doubt->est_ns = other->est_ns;
	return true;
}

static bool rests_on_absent_peer(enum fw_verdict v)
{
	return v == FW_V_LOST_FIN || v == FW_V_LOST_RST ||
	       v == FW_V_UNACKED_FIN || v == FW_V_PEER_VANISHED;
}

/*
 * A lone end judged lost or vanished: that verdict says its peer is in
 * no log. If an unpaired end could be that peer, nothing proves it is
 * not: incomplete, with that end in the reason. Both are marked, since
 * the other may be judged after this one is freed.
 */
void pair_check_unproven(struct fw_corr *c, struct end *e, struct judgement *j)
{
	if (!rests_on_absent_peer(j->verdict))
		return;
	for (struct conn *cn = c->list.next; !e->doubt && cn != &c->list;
	     cn = cn->next)
		if (cn->e[0] && could_be_peer(c, e, cn->e[0]) &&
		    note_doubt(c, e, cn->e[0]) && !cn->e[0]->doubt)
			note_doubt(c, cn->e[0], e);
	if (!e->doubt)
		return;
	j->verdict = FW_V_INCOMPLETE;
	j->ev.what = EV_PEER_UNPROVEN;
	j->ev.doubt = *e->doubt;
}
