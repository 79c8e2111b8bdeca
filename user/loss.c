// SPDX-License-Identifier: GPL-2.0
/* Counts of records that went missing, written as `lost` records. */
#include <stdio.h>

#include "loss.h"
#include "util.h"

static void report_increase(struct fw_loss *l, struct fw_output *out,
			    uint64_t total, uint64_t *reported,
			    const char *reason, uint64_t now)
{
	uint64_t n = total - *reported;

	if (total <= *reported)
		return;
	fprintf(stderr, "%s: lost %llu records (%s, %s)\n", l->prog,
		(unsigned long long)n, l->transport, reason);
	fw_out_lost(out, n, l->checked_ns, now, l->transport, reason);
	*reported = total;
}

void fw_loss_report(struct fw_loss *l, struct fw_output *out,
		    uint64_t buffer_full, uint64_t recursion)
{
	uint64_t now = fw_now_monotonic_ns();

	report_increase(l, out, buffer_full, &l->buffer_full, "buffer_full",
			now);
	report_increase(l, out, recursion, &l->recursion, "recursion", now);
	l->checked_ns = now;
}
