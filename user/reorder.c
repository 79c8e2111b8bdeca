// SPDX-License-Identifier: GPL-2.0
/* Records put back in time order before they are written. */
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
	uint64_t seq; /* arrival order, for records of the same ns */
};

int fw_reorder_add(struct fw_reorder *r, const void *ev)
{
	struct fw_pending *p;

	if (fw_grow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v)))
		return -1;
	p = &r->v[r->n++];
	memcpy(&p->ev, ev, sizeof(p->ev));
	p->seq = r->seq++;
	return 0;
}

static int cmp_pending(const void *a, const void *b)
{
	const struct fw_pending *x = a, *y = b;

	if (x->ev.ts_ns != y->ev.ts_ns)
		return x->ev.ts_ns < y->ev.ts_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void fw_reorder_write_settled(struct fw_reorder *r, uint64_t read_ns,
			      fw_write_fn write, void *ctx)
{
	uint64_t before = read_ns == UINT64_MAX ? UINT64_MAX
						: read_ns - FW_REORDER_SLACK_NS;
	size_t n = 0;

	if (!r->n)
		return;
	qsort(r->v, r->n, sizeof(*r->v), cmp_pending);
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
