// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "table.h"

int fw_table_init(struct fw_table *t, size_t min_slots)
{
	size_t n = 16;

	while (n < min_slots)
		n <<= 1;
	t->slots = calloc(n, sizeof(*t->slots));
	if (!t->slots)
		return -1;
	t->mask = n - 1;
	t->used = 0;
	return 0;
}

void fw_table_free(struct fw_table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->mask = 0;
	t->used = 0;
}

static void put(struct fw_slot *slots, size_t mask, uint64_t hash, void *val)
{
	size_t i = hash & mask;

	while (slots[i].val)
		i = (i + 1) & mask;
	slots[i].hash = hash;
	slots[i].val = val;
}

/* Doubles the table; keeps the load under one half so probes stay short. */
static int grow(struct fw_table *t)
{
	size_t n = (t->mask + 1) * 2, i;
	struct fw_slot *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	for (i = 0; i <= t->mask; i++)
		if (t->slots[i].val)
			put(slots, n - 1, t->slots[i].hash, t->slots[i].val);
	free(t->slots);
	t->slots = slots;
	t->mask = n - 1;
	return 0;
}

int fw_table_insert(struct fw_table *t, uint64_t hash, void *val)
{
	if ((t->used + 1) * 2 > t->mask + 1 && grow(t) < 0)
		return -1;
	put(t->slots, t->mask, hash, val);
	t->used++;
	return 0;
}

/* Whether the entry at j, whose home slot is h, may move back into hole i. */
static int may_fill(size_t i, size_t j, size_t h)
{
	/* h must not lie cyclically in (i, j] */
	if (i <= j)
		return h <= i || h > j;
	return h <= i && h > j;
}

void fw_table_remove(struct fw_table *t, uint64_t hash, const void *val)
{
	size_t i = hash & t->mask, j;

	/* an end may be stored under several hashes: remove this one */
	while (t->slots[i].val &&
	       (t->slots[i].val != val || t->slots[i].hash != hash))
		i = (i + 1) & t->mask;
	if (!t->slots[i].val)
		return;
	t->used--;
	j = i;
	for (;;) {
		t->slots[i].val = NULL;
		do {
			j = (j + 1) & t->mask;
			if (!t->slots[j].val)
				return;
		} while (!may_fill(i, j, t->slots[j].hash & t->mask));
		t->slots[i] = t->slots[j];
		i = j;
	}
}

void *fw_table_next(const struct fw_table *t, uint64_t hash, size_t *it)
{
	size_t i = *it;

	for (;;) {
		i = (i + 1) & t->mask;
		if (!t->slots[i].val)
			return NULL;
		if (t->slots[i].hash == hash) {
			*it = i;
			return t->slots[i].val;
		}
	}
}

void *fw_table_first(const struct fw_table *t, uint64_t hash, size_t *it)
{
	size_t i = hash & t->mask;

	if (!t->slots[i].val)
		return NULL;
	if (t->slots[i].hash == hash) {
		*it = i;
		return t->slots[i].val;
	}
	*it = i;
	return fw_table_next(t, hash, it);
}
