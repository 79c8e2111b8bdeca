/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_REORDER_H
#define FW_REORDER_H

#include <stddef.h>
#include <stdint.h>

#include "finwatch.h"

/*
 * Records read but not written yet. The perf buffer is per CPU, so one
 * socket's records can arrive out of order; they are put back in time
 * order (arrival order for equal times) before they are written.
 */
struct fw_reorder {
	struct fw_pending *v;
	size_t n, cap; /* in arrival order until sorted */
};

/* Writes one record; nonzero stops the writing. */
typedef int (*fw_write_fn)(void *ctx, const struct fw_event *ev);

/* Holds a copy of @ev, a struct fw_event at any alignment (a perf
 * sample's payload sits 4 bytes off). Returns 0, or -1 out of memory. */
int fw_reorder_add(struct fw_reorder *r, const void *ev);

/*
 * Writes through @write, in time order, the records that can no longer
 * be overtaken: those stamped well before @read_ns, when the buffers
 * were read. With UINT64_MAX, all of them. Stops at the first that
 * @write refuses, which stays held.
 */
void fw_reorder_write_settled(struct fw_reorder *r, uint64_t read_ns,
			      fw_write_fn write, void *ctx);

void fw_reorder_free(struct fw_reorder *r);

#endif
