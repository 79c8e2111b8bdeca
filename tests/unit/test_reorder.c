// SPDX-License-Identifier: GPL-2.0
/* The reorder buffer: records back in time order before they are written. */
#include <stdlib.h>

#include "check.h"
#include "reorder.h"

#define MS 1000000ULL

struct written {
	uint64_t ts[16];
	uint64_t id[16];
	int n;
	int refuse_after; /* -1: never */
};

static int write_one(void *ctx, const struct fw_event *ev)
{
	struct written *w = ctx;

	if (w->refuse_after >= 0 && w->n == w->refuse_after)
		return -1;
	w->ts[w->n] = ev->ts_ns;
	w->id[w->n] = ev->sock_id;
	w->n++;
	return 0;
}

/* Added the way a perf sample carries it: 4 bytes off alignment. */
static void add(struct fw_reorder *r, uint64_t ts, uint64_t id)
{
	static char buf[sizeof(struct fw_event) + 4];
	struct fw_event ev = { .ts_ns = ts, .sock_id = id };

	memcpy(buf + 4, &ev, sizeof(ev));
	CHECK_INT(fw_reorder_add(r, buf + 4), 0);
}

static void test_time_order_then_arrival(void)
{
	struct fw_reorder r = {};
	struct written w = { .refuse_after = -1 };

	add(&r, 30 * MS, 1);
	add(&r, 10 * MS, 2);
	add(&r, 30 * MS, 3);
	add(&r, 20 * MS, 4);
	fw_reorder_write_settled(&r, 100 * MS, write_one, &w);
	CHECK_INT(w.n, 4);
	CHECK_INT(w.id[0], 2);
	CHECK_INT(w.id[1], 4);
	CHECK_INT(w.id[2], 1); /* same ns: arrival order */
	CHECK_INT(w.id[3], 3);
	CHECK_INT(r.n, 0);
	fw_reorder_free(&r);
}

static void test_recent_ones_wait(void)
{
	struct fw_reorder r = {};
	struct written w = { .refuse_after = -1 };

	add(&r, 100 * MS, 1);
	add(&r, 98 * MS, 2);
	add(&r, 99 * MS + 500000, 3); /* within the slack of the read */
	fw_reorder_write_settled(&r, 100 * MS, write_one, &w);
	CHECK_INT(w.n, 1);
	CHECK_INT(w.id[0], 2);
	CHECK_INT(r.n, 2);
	add(&r, 99 * MS, 4); /* came late, still in time */
	fw_reorder_write_settled(&r, UINT64_MAX, write_one, &w);
	CHECK_INT(w.n, 4);
	CHECK_INT(w.id[1], 4);
	CHECK_INT(w.id[2], 3);
	CHECK_INT(w.id[3], 1);
	fw_reorder_free(&r);
}

static void test_refused_record_stays(void)
{
	struct fw_reorder r = {};
	struct written w = { .refuse_after = 1 };

	add(&r, 1 * MS, 1);
	add(&r, 2 * MS, 2);
	add(&r, 3 * MS, 3);
	fw_reorder_write_settled(&r, UINT64_MAX, write_one, &w);
	CHECK_INT(w.n, 1);
	CHECK_INT(r.n, 2);
	w.refuse_after = -1;
	fw_reorder_write_settled(&r, UINT64_MAX, write_one, &w);
	CHECK_INT(w.n, 3);
	CHECK_INT(w.id[1], 2);
	CHECK_INT(w.id[2], 3);
	fw_reorder_free(&r);
}

static void test_empty(void)
{
	struct fw_reorder r = {};
	struct written w = { .refuse_after = -1 };

	fw_reorder_write_settled(&r, UINT64_MAX, write_one, &w);
	CHECK_INT(w.n, 0);
	fw_reorder_free(&r);
}

int main(void)
{
	RUN_TEST(test_time_order_then_arrival);
	RUN_TEST(test_recent_ones_wait);
	RUN_TEST(test_refused_record_stays);
	RUN_TEST(test_empty);
	return CHECK_EXIT();
}
