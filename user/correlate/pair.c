// SPDX-License-Identifier: GPL-2.0
/*
 * Pairing: the two ends of one connection, found by their mirrored ISNs,
 * else by the mirrored 4-tuple close in time.
 */
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
	    !peer->has_isn || e->isn_local != peer->isn_remote ||
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
	if (peer) {
		pair_ends(c, e, peer, how);
		return;
	}
	index_pairing(c, e);
}
