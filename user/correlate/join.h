/* SPDX-License-Identifier: GPL-2.0 */
/* Internal helpers of the correlator engine beyond correlate.h. */
#ifndef FW_CORRELATE_JOIN_H
#define FW_CORRELATE_JOIN_H

#include "correlate.h"

/*
 * A host's time in the reference clock, corrected by the offset learned
 * from ISN-paired connections; the CLI merges its files in this order.
 */
uint64_t fw_corr_ref_time(struct fw_corr *c, const char *host, size_t len,
			  uint64_t t);

/*
 * --follow: host's log has nothing new, and its tracer flushes every
 * record at once, so it has seen nothing up to until_ns (its own clock).
 * Moves its watermark there, so decisions about silence can be made.
 */
void fw_corr_host_alive(struct fw_corr *c, const char *host, uint64_t until_ns);

#endif
