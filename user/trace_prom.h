/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_TRACE_PROM_H
#define FW_TRACE_PROM_H

#include <stdbool.h>
#include <stdint.h>

#include "output.h"

/* How often `finwatch trace --prom FILE` rewrites FILE. */
#define FW_TRACE_PROM_INTERVAL_NS (15 * 1000000000ULL)

/* What a running tracer has done, for its metrics. */
struct fw_trace_counts {
	uint64_t events;    /* records read from the kernel */
	uint64_t records;   /* records written to the log */
	uint64_t snapshots; /* snapshot passes */
	struct fw_loss_totals lost;
	uint64_t start_s; /* wall clock */
	const char *transport;
	bool all_states;
};

/* Writes them to @path atomically. Returns 0, or -1 with errno. */
int fw_trace_prom_write(const char *path, const struct fw_trace_counts *c);

#endif
