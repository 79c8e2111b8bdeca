// SPDX-License-Identifier: GPL-2.0
/* Records put back in time order before they are written. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "reorder.h"
#include "util.h"

/*
 * How much older than the read a record must be to be written. A record
 * stamped earlier than that has reached its buffer by the time the
 * buffers were read (a BPF program runs without preemption: stamping and
 * writing are microseconds apart), so nothing older can come later.
 */
#define FW_REORDER_SLACK_NS 1000000ULL

struct fw_pending {
	struct fw_event ev;
};

int fw_reorder_add(struct fw_reorder *r, const void *ev)
{
	struct fw_pending *p;

	if (fw_grow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v)))
		return -1;
	p = &r->v[r->n++];
	memcpy(&p->ev, ev, sizeof(p->ev));
	return 0;
}

/* What the sort moves: a record's time and where it sits, not the
 * record itself (200-odd bytes). */
struct fw_order_key {
	uint64_t ts_ns;
	size_t i; /* index in arrival order, for records of the same ns */
};

static int cmp_key(const void *a, const void *b)
{
	const struct fw_order_key *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The ring buffer hands records over in nearly their time order: most
 * reads need no sort at all. */
static bool in_time_order(const struct fw_reorder *r)
{
	for (size_t i = 1; i < r->n; i++)
		if (r->v[i].ev.ts_ns < r->v[i - 1].ev.ts_ns)
			return false;
	return true;
}

/* Puts the records in time order, through a sort of their keys. Returns
 * 0, or -1 out of memory (then they stay in arrival order). */
static int sort_by_time(struct fw_reorder *r)
{
	struct fw_order_key *k = malloc(r->n * sizeof(*k));
	struct fw_pending *sorted = malloc(r->n * sizeof(*sorted));

	if (!k || !sorted) {
		free(k);
		free(sorted);
		return -1;
	}
	for (size_t i = 0; i < r->n; i++)
		k[i] = (struct fw_order_key){ r->v[i].ev.ts_ns, i };
	qsort(k, r->n, sizeof(*k), cmp_key);
	for (size_t i = 0; i < r->n; i++)
		sorted[i] = r->v[k[i].i];
	free(r->v);
	free(k);
	r->v = sorted;
	r->cap = r->n;
	return 0;
}

void fw_reorder_write_settled(struct fw_reorder *r, uint64_t read_ns,
			      fw_write_fn write, void *ctx)
{
	uint64_t before = read_ns == UINT64_MAX ? UINT64_MAX
						: read_ns - FW_REORDER_SLACK_NS;
	size_t n = 0;

	if (!r->n)
		return;
	/* Out of memory the records go in arrival order: each socket's
	 * are in order still where they came through one buffer. */
	if (!in_time_order(r))
		sort_by_time(r);
	while (n < r->n && r->v[n].ev.ts_ns < before &&
	       !write(ctx, &r->v[n].ev))
		n++;
	memmove(r->v, r->v + n, (r->n - n) * sizeof(*r->v));
	r->n -= n;
}

void fw_reorder_free(struct fw_reorder *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}
