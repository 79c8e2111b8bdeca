// SPDX-License-Identifier: GPL-2.0
/*
 * The records a host saw lately (dedup.h): a FIFO of (time, hash) in the
 * order they came, and a set of the hashes in it (open addressing,
 * linear probing, deletion by shifting back, so no tombstones pile up).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "json.h"
#include "table.h"

struct seen {
	uint64_t t_ns;
	uint64_t hash;
};

struct fw_dedup {
	uint64_t window_ns;
	uint64_t newest_ns;
	struct seen *fifo; /* ring of cap entries, cap a power of 2 */
	size_t cap, head, n;
	uint64_t *set; /* hashes, 0 = empty slot; setcap a power of 2 */
	size_t setcap;
};

struct fw_dedup *fw_dedup_new(uint64_t window_ns)
{
	struct fw_dedup *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->window_ns = window_ns;
	return d;
}

void fw_dedup_free(struct fw_dedup *d)
{
	if (!d)
		return;
	free(d->fifo);
	free(d->set);
	free(d);
}

/* The two halves of a * b, folded: one multiplication mixes 16 bytes. */
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
	unsigned __int128 p = (unsigned __int128)a * b;

	return (uint64_t)p ^ (uint64_t)(p >> 64);
}

/* 16 bytes at s into one lane. */
static inline uint64_t lane_add(uint64_t h, const char *s, uint64_t k)
{
	return fold_mul(fwj_load64(s) ^ h, fwj_load64(s + 8) ^ k);
}

/*
 * Four lanes over 64-byte blocks, each lane one multiplication per 16
 * bytes: the lanes do not wait for each other, so a 500-byte record
 * hashes in some 10 multiplications' time. The keys are odd and have
 * bytes no UTF-8 text holds (0xf8 to 0xff), so a record's words do not
 * cancel them. The lanes are folded in order at the end.
 */
uint64_t fw_dedup_hash(const char *s, size_t len)
{
	static const uint64_t k[4] = { 0xff51afd7ed558ccdull,
				       0xc4ceb9fe1a85ec53ull,
				       0xf9e3779b97f4a7c1ull,
				       0xfb5ad4eceda1ce2bull };
	uint64_t h0 = 0x9e3779b97f4a7c15ull ^ (len * 0x100000001b3ull);
	uint64_t h1 = h0 ^ 0x243f6a8885a308d3ull,
		 h2 = h0 ^ 0x13198a2e03707344ull;
	uint64_t h3 = h0 ^ 0xa4093822299f31d0ull;
	char tail[16] = { 0 };

	for (; len >= 64; s += 64, len -= 64) {
		h0 = lane_add(h0, s, k[0]);
		h1 = lane_add(h1, s + 16, k[1]);
		h2 = lane_add(h2, s + 32, k[2]);
		h3 = lane_add(h3, s + 48, k[3]);
	}
	for (; len >= 16; s += 16, len -= 16)
		h0 = lane_add(h0, s, k[0]);
	memcpy(tail, s, len);
	h0 = lane_add(h0, tail, k[1]);
	h0 = fw_mix64(h0 ^ fw_mix64(h1 ^ fw_mix64(h2 ^ fw_mix64(h3))));
	return h0 ? h0 : 1; /* 0 marks an empty slot */
}

static size_t slot_of(const struct fw_dedup *d, uint64_t hash)
{
	return (size_t)(hash * 0x9e3779b97f4a7c15ull >> 20) & (d->setcap - 1);
}

static bool set_has(const struct fw_dedup *d, uint64_t hash)
{
	if (!d->setcap)
		return false;
	for (size_t i = slot_of(d, hash);; i = (i + 1) & (d->setcap - 1)) {
		if (d->set[i] == hash)
			return true;
		if (!d->set[i])
			return false;
	}
}

static void set_put(struct fw_dedup *d, uint64_t hash)
{
	size_t i = slot_of(d, hash);

	while (d->set[i] && d->set[i] != hash)
		i = (i + 1) & (d->setcap - 1);
	d->set[i] = hash;
}

/* Removes hash, shifting back the entries after it that may move. */
static void set_remove(struct fw_dedup *d, uint64_t hash)
{
	size_t mask = d->setcap - 1, i = slot_of(d, hash), j;

	while (d->set[i] != hash) {
		if (!d->set[i])
			return;
		i = (i + 1) & mask;
	}
	for (j = (i + 1) & mask; d->set[j]; j = (j + 1) & mask) {
		size_t home = slot_of(d, d->set[j]);

		/* j's entry may fill the hole at i unless home lies in (i, j]
		 */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			d->set[i] = d->set[j];
			i = j;
		}
	}
	d->set[i] = 0;
}

static int set_grow(struct fw_dedup *d)
{
	size_t old = d->setcap, cap = old ? old * 2 : 64;
	uint64_t *oldset = d->set;

	d->set = calloc(cap, sizeof(*d->set));
	if (!d->set) {
		d->set = oldset;
		return -1;
	}
	d->setcap = cap;
	for (size_t i = 0; i < old; i++)
		if (oldset[i])
			set_put(d, oldset[i]);
	free(oldset);
	return 0;
}

static int fifo_grow(struct fw_dedup *d)
{
	size_t cap = d->cap ? d->cap * 2 : 64;
	struct seen *f = malloc(cap * sizeof(*f));

	if (!f)
		return -1;
	for (size_t i = 0; i < d->n; i++)
		f[i] = d->fifo[(d->head + i) & (d->cap - 1)];
	free(d->fifo);
	d->fifo = f;
	d->cap = cap;
	d->head = 0;
	return 0;
}

static void prefetch_leaving(const struct fw_dedup *d);

static void forget_old(struct fw_dedup *d)
{
	while (d->n) {
		const struct seen *s = &d->fifo[d->head];

		if (d->newest_ns - s->t_ns <= d->window_ns)
			break;
		/* a jump in time forgets many: fetch ahead of the removals */
		prefetch_leaving(d);
		set_remove(d, s->hash);
		d->head = (d->head + 1) & (d->cap - 1);
		d->n--;
	}
}

/*
 * The set is far bigger than the caches and its slots are random: each
 * record's lookup, and the removal of the record that leaves the window
 * some records later, would wait for memory. Both are known early, so
 * their slots are fetched ahead (this one by fw_dedup_prefetch()).
 */
#define REMOVE_AHEAD 8

void fw_dedup_prefetch(const struct fw_dedup *d, uint64_t hash)
{
	if (d && d->setcap)
		__builtin_prefetch(&d->set[slot_of(d, hash)]);
}

static void prefetch_leaving(const struct fw_dedup *d)
{
	if (d->n > REMOVE_AHEAD)
		fw_dedup_prefetch(
			d,
			d->fifo[(d->head + REMOVE_AHEAD) & (d->cap - 1)].hash);
}

int fw_dedup_check_and_remember(struct fw_dedup *d, uint64_t t_ns,
				uint64_t hash)
{
	if (t_ns > d->newest_ns) {
		d->newest_ns = t_ns;
		forget_old(d);
	}
	prefetch_leaving(d);
	if (set_has(d, hash))
		return 1;
	if ((d->n + 1) * 2 > d->setcap && set_grow(d) < 0)
		return -1;
	if (d->n == d->cap && fifo_grow(d) < 0)
		return -1;
	set_put(d, hash);
	d->fifo[(d->head + d->n) & (d->cap - 1)] = (struct seen){ t_ns, hash };
	d->n++;
	return 0;
}

size_t fw_dedup_size(const struct fw_dedup *d)
{
	return d->n;
}
