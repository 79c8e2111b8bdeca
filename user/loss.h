/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_LOSS_H
#define FW_LOSS_H

#include <stdint.h>

#include "output.h"

/*
 * Records that went missing, as `lost` records. Both ways records go
 * missing are counted in the kernel: a full buffer (the transport's
 * count) and program runs the kernel skipped (the programs'). Each
 * increase becomes a `lost` record covering the time since the last
 * check, and a line on stderr.
 */
struct fw_loss {
	uint64_t buffer_full; /* reported so far */
	uint64_t recursion;
	uint64_t checked_ns; /* the last check: the next window starts here */
	const char *transport;
	const char *prog; /* for messages */
};

/* Reports what the totals @buffer_full and @recursion add to the last
 * ones, then starts a new window at now. */
void fw_loss_report(struct fw_loss *l, struct fw_output *out,
		    uint64_t buffer_full, uint64_t recursion);

#endif
