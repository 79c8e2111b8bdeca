// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's indexes: the address book (which host owns a local
 * address), the three socket indexes (by socket, by ISNs, by 4-tuple)
 * and the heap of connections waiting for time to pass.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* ---- the address book: which host owns a local address ---- */

struct addr_ent {
	uint8_t family;
	uint8_t addr[16];
	struct host *host; /* or AMBIGUOUS_HOST */
	uint64_t netns;	   /* of the sockets that use it */
	bool many_netns;   /* more than one namespace uses it */
};

static uint64_t addr_hash(uint8_t family, const uint8_t *a)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, a + 8, 8);
	return fw_mix64(x ^ fw_mix64(y ^ family));
}

static bool same_addr(const void *val, const void *key)
{
	const struct addr_ent *e = val, *k = key;

	return e->family == k->family && memcmp(e->addr, k->addr, 16) == 0;
}

static struct addr_ent *addr_find(struct fw_corr *c, uint8_t family,
				  const uint8_t *a)
{
	struct addr_ent key = { .family = family };

	memcpy(key.addr, a, 16);
	return fw_table_find(&c->addrs, addr_hash(family, a), same_addr, &key);
}

static bool is_loopback(uint8_t family, const uint8_t *a)
{
	static const uint8_t v6_lo[16] = { [15] = 1 };

	return family == 4 ? a[0] == 127 : memcmp(a, v6_lo, 16) == 0;
}

void addr_learn(struct fw_corr *c, const struct end *e)
{
	static const uint8_t unbound[16];
	struct addr_ent *ent;

	if (is_loopback(e->family, e->laddr) || !memcmp(e->laddr, unbound, 16))
		return;
	ent = addr_find(c, e->family, e->laddr);
	if (ent) {
		/* the same address on two hosts: we cannot tell which */
		if (ent->host != e->host && ent->host != AMBIGUOUS_HOST) {
			ent->host = AMBIGUOUS_HOST;
			c->addr_changed = true;
		}
		if (ent->netns != e->netns)
			ent->many_netns = true;
		return;
	}
	c->addr_changed = true;
	ent = corr_calloc(c, 1, sizeof(*ent));
	if (!ent)
		return;
	ent->family = e->family;
	memcpy(ent->addr, e->laddr, 16);
	ent->host = e->host;
	ent->netns = e->netns;
	if (!corr_table_put(c, &c->addrs, addr_hash(e->family, e->laddr), ent))
		free(ent);
}

/* The host whose log should show the peer of e, or NULL if unknown. */
struct host *addr_peer_host(struct fw_corr *c, const struct end *e)
{
	struct addr_ent *ent;

	if (is_loopback(e->family, e->raddr))
		return e->host;
	ent = addr_find(c, e->family, e->raddr);
	if (!ent || ent->host == AMBIGUOUS_HOST)
		return NULL;
	return ent->host;
}

/* The namespace e's peer lives in, from the sockets that use its address. */
bool addr_peer_netns(struct fw_corr *c, const struct end *e, uint64_t *ns)
{
	const struct addr_ent *ent;

	if (is_loopback(e->family, e->raddr)) {
		*ns = e->netns;
		return true;
	}
	ent = addr_find(c, e->family, e->raddr);
	if (!ent || ent->many_netns)
		return false;
	*ns = ent->netns;
	return true;
}

void addr_free_all(struct fw_corr *c)
{
	for (size_t i = 0; c->addrs.slots && i <= c->addrs.mask; i++)
		free(c->addrs.slots[i].val);
}

/* ---- keys of the three socket indexes ---- */

uint64_t sock_hash(const struct host *h, uint64_t netns, uint64_t sock)
{
	return fw_mix64(sock ^ fw_mix64(netns + (uintptr_t)h));
}

uint64_t isn_hash(uint32_t local, uint32_t remote)
{
	return fw_mix64((uint64_t)local << 32 | remote);
}

/* One ISN alone, the local or the remote one (pair.c's half pairing). */
uint64_t isn_half_hash(bool remote, uint32_t isn)
{
	return fw_mix64(((uint64_t)remote + 1) << 40 | isn);
}

uint64_t tuple_hash(uint8_t family, const uint8_t *la, uint16_t lp,
		    const uint8_t *ra, uint16_t rp)
{
	return fw_mix64(addr_hash(family, la) + ((uint64_t)lp << 16 | rp)) ^
	       addr_hash(family, ra);
}

struct sock_key {
	const struct host *host;
	uint64_t netns, sock;
};

static bool same_sock(const void *val, const void *key)
{
	const struct end *e = val;
	const struct sock_key *k = key;

	return e->host == k->host && e->netns == k->netns && e->sock == k->sock;
}

struct end *sock_find(struct fw_corr *c, const struct host *h, uint64_t netns,
		      uint64_t sock)
{
	struct sock_key key = { h, netns, sock };

	return fw_table_find(&c->socks, sock_hash(h, netns, sock), same_sock,
			     &key);
}

void unindex_tuple(struct fw_corr *c, struct end *e)
{
	if (e->in_tuples)
		fw_table_remove(&c->tuples,
				tuple_hash(e->family, e->laddr, e->lport,
					   e->raddr, e->rport),
				e);
	e->in_tuples = false;
}

static void unindex_isns(struct fw_corr *c, struct end *e)
{
	fw_table_remove(&c->isns, isn_hash(e->isn_local, e->isn_remote), e);
	fw_table_remove(&c->isns, isn_half_hash(false, e->isn_local), e);
	fw_table_remove(&c->isns, isn_half_hash(true, e->isn_remote), e);
}

/* Under both ISNs, and under each alone for a middlebox that rewrote one. */
static bool index_isns(struct fw_corr *c, struct end *e)
{
	if (corr_table_put(c, &c->isns, isn_hash(e->isn_local, e->isn_remote),
			   e) &&
	    corr_table_put(c, &c->isns, isn_half_hash(false, e->isn_local),
			   e) &&
	    corr_table_put(c, &c->isns, isn_half_hash(true, e->isn_remote), e))
		return true;
	unindex_isns(c, e);
	return false;
}

void unindex_pairing(struct fw_corr *c, struct end *e)
{
	if (e->in_isns)
		unindex_isns(c, e);
	e->in_isns = false;
	unindex_tuple(c, e);
}

void index_pairing(struct fw_corr *c, struct end *e)
{
	if (e->has_isn && !e->in_isns)
		e->in_isns = index_isns(c, e);
	if (!e->in_tuples)
		e->in_tuples =
			corr_table_put(c, &c->tuples,
				       tuple_hash(e->family, e->laddr, e->lport,
						  e->raddr, e->rport),
				       e);
}

/* ---- the heap of connections waiting for time to pass ---- */

static void heap_swap(struct fw_corr *c, size_t i, size_t j)
{
	struct conn *t = c->heap[i];

	c->heap[i] = c->heap[j];
	c->heap[j] = t;
	c->heap[i]->heap_idx = i;
	c->heap[j]->heap_idx = j;
}

static void heap_up(struct fw_corr *c, size_t i)
{
	while (i && c->heap[(i - 1) / 2]->wake_ns > c->heap[i]->wake_ns) {
		heap_swap(c, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct fw_corr *c, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < c->heap_len &&
		    c->heap[l]->wake_ns < c->heap[m]->wake_ns)
			m = l;
		if (r < c->heap_len &&
		    c->heap[r]->wake_ns < c->heap[m]->wake_ns)
			m = r;
		if (m == i)
			return;
		heap_swap(c, i, m);
		i = m;
	}
}

void heap_remove(struct fw_corr *c, struct conn *cn)
{
	size_t i = cn->heap_idx;

	if (i == NOT_IN_HEAP)
		return;
	cn->heap_idx = NOT_IN_HEAP;
	if (i == --c->heap_len)
		return;
	c->heap[i] = c->heap[c->heap_len];
	c->heap[i]->heap_idx = i;
	heap_up(c, i);
	heap_down(c, c->heap[i]->heap_idx);
}

/* Wakes cn once the clock reaches wake (UNSET: only its records will). */
void heap_set(struct fw_corr *c, struct conn *cn, uint64_t wake)
{
	/*
	 * A wake time already past can only come from times near the ends
	 * of the u64 range (garbage input); waking again at once would
	 * loop, so such a connection waits for its records or the end.
	 */
	if (wake == UNSET || wake <= c->clock) {
		heap_remove(c, cn);
		return;
	}
	if (cn->heap_idx == NOT_IN_HEAP) {
		if (c->heap_len == c->heap_cap) {
			struct conn **heap = corr_grow(c, c->heap, &c->heap_cap,
						       64, sizeof(*heap));

			if (!heap)
				return;
			c->heap = heap;
		}
		cn->heap_idx = c->heap_len;
		c->heap[c->heap_len++] = cn;
		cn->wake_ns = wake;
		heap_up(c, cn->heap_idx);
		return;
	}
	cn->wake_ns = wake;
	heap_up(c, cn->heap_idx);
	heap_down(c, cn->heap_idx);
}
