/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_LOSS_H
#define FW_LOSS_H

#include <stdbool.h>
#include <stdint.h>

#include "output.h"
#include "programs.h"

/*
 * Records that went missing, as `lost` records (docs/SCHEMA.md). The
 * kernel side counts them: records the transport had no room for,
 * watched sockets it could not give state to, runs of each program that
 * the kernel skipped. Each increase becomes a `lost` record covering the
 * time since the last check, and a line on stderr.
 *
 * A loss that a socket's own later records or a snapshot pass reveal is
 * "pinned" (the sockets that lost something own up to it), provided the
 * tracer can run such a pass; it then asks for one (repair_due).
 */
struct fw_loss {
	struct fw_loss_totals reported; /* what lost records said so far */
	uint64_t no_state;
	uint64_t missed[FW_MAX_PROGRAMS]; /* skipped runs, per table row */
	uint64_t checked_ns; /* the last check: the next window starts here */
	const char *transport;
	const char *prog; /* for messages */
	bool can_repair;  /* snapshot passes are possible (iter/tcp) */
	bool repair_due;  /* a pinned loss since the last pass */
};

/* The kernel side's counts, now. */
struct fw_loss_counts {
	uint64_t buffer_full;
	uint64_t unpinned;
	uint64_t no_state;
	uint64_t recovered;
	uint64_t missed[FW_MAX_PROGRAMS];
};

/* Reads the counts from the kernel side. */
struct fw_tracer;
void fw_loss_read_counts(const struct fw_tracer *t, uint64_t buffer_full,
			 struct fw_loss_counts *c);

/* Writes a `lost` record for each count that grew since the last check,
 * then starts a new window at now. */
void fw_loss_report(struct fw_loss *l, struct fw_output *out,
		    const struct fw_loss_counts *c);

#endif
