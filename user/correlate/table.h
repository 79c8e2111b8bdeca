/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An open-addressing hash multimap from a 64-bit hash to pointers. The
 * caller hashes and compares its own keys: lookups walk the entries that
 * share a hash. Linear probing with backward-shift deletion, so there are
 * no tombstones and the table never degrades.
 */
#ifndef FW_CORRELATE_TABLE_H
#define FW_CORRELATE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fw_slot {
	uint64_t hash;
	void *val; /* NULL: empty slot */
};

struct fw_table {
	struct fw_slot *slots;
	size_t mask;
	size_t used;
};

int fw_table_init(struct fw_table *t, size_t min_slots);
void fw_table_free(struct fw_table *t);
/* Returns 0, or -1 when growing the table failed. */
int fw_table_insert(struct fw_table *t, uint64_t hash, void *val);
/* Removes the entry holding exactly val under hash; nothing if absent. */
void fw_table_remove(struct fw_table *t, uint64_t hash, const void *val);

/*
 * Iterates the values stored under hash:
 *	for (v = fw_table_first(t, h, &it); v; v = fw_table_next(t, h, &it))
 * The table must not change during the walk.
 */
void *fw_table_first(const struct fw_table *t, uint64_t hash, size_t *it);
void *fw_table_next(const struct fw_table *t, uint64_t hash, size_t *it);

/*
 * The first value stored under hash that match(value, key) accepts, or
 * NULL: the one lookup every keyed index needs. Inline, so that match
 * is too.
 */
static inline void *
fw_table_find(const struct fw_table *t, uint64_t hash,
	      bool (*match)(const void *val, const void *key), const void *key)
{
	void *v;
	size_t it;

	for (v = fw_table_first(t, hash, &it); v;
	     v = fw_table_next(t, hash, &it))
		if (match(v, key))
			return v;
	return NULL;
}

/* A hint: the slot a lookup of hash starts at, fetched into the cache. */
static inline void fw_table_prefetch(const struct fw_table *t, uint64_t hash)
{
	if (t->slots)
		__builtin_prefetch(&t->slots[hash & t->mask]);
}

/* A cheap, good 64-bit mixer (the murmur3 finalizer). */
static inline uint64_t fw_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

#endif
