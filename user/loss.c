// SPDX-License-Identifier: GPL-2.0
/* Counts of records that went missing, written as `lost` records. */
#include <stdio.h>
#include <bpf/libbpf.h>

#include "finwatch.skel.h"
#include "loss.h"
#include "percpu.h"
#include "tracer.h"
#include "util.h"

void fw_loss_read_counts(const struct fw_tracer *t, uint64_t buffer_full,
			 struct fw_loss_counts *c)
{
	int fd = bpf_map__fd(t->skel->maps.fw_counters);

	c->buffer_full = buffer_full;
	c->unpinned = fw_percpu_sum(fd, FW_CNT_LOST_UNPINNED);
	c->no_state = fw_percpu_sum(fd, FW_CNT_NO_STATE);
	c->recovered = fw_percpu_sum(fd, FW_CNT_RECOVERED);
	for (int i = 0; i < fw_nprograms; i++)
		c->missed[i] = fw_programs_missed_runs(&t->progs, i);
}

/* One window: what a count grew by since the last check. */
static void write_window(struct fw_loss *l, struct fw_output *out,
			 uint64_t grew, const char *reason, const char *program,
			 enum fw_skip_scope scope, uint64_t now)
{
	bool drops = scope == FW_SKIP_DROPS;
	struct fw_lost_window w = {
		.count = grew,
		.from_mono_ns = l->checked_ns,
		.to_mono_ns = now,
		.transport = l->transport,
		.reason = reason,
		.program = program,
		.pinned = l->can_repair && !drops,
		.scope = drops ? "drops" : "all",
	};

	fprintf(stderr, "%s: lost %llu records (%s, %s%s%s)\n", l->prog,
		(unsigned long long)grew, l->transport, reason,
		program ? " of " : "", program ? program : "");
	fw_out_lost(out, &w);
	if (w.pinned)
		l->repair_due = true;
}

static void report_skipped_runs(struct fw_loss *l, struct fw_output *out,
				const struct fw_loss_counts *c, uint64_t now)
{
	for (int i = 0; i < fw_nprograms; i++) {
		const struct fw_program *p = &fw_programs[i];

		if (p->skipped == FW_SKIP_NOTHING ||
		    c->missed[i] <= l->missed[i])
			continue;
		write_window(l, out, c->missed[i] - l->missed[i], "recursion",
			     p->name, p->skipped, now);
		/* Only the skips that may hide a socket's record count in
		 * the totals: the drop program's are mostly other packets. */
		if (p->skipped == FW_SKIP_SOCKET)
			l->reported.recursion += c->missed[i] - l->missed[i];
		l->missed[i] = c->missed[i];
	}
}

void fw_loss_report(struct fw_loss *l, struct fw_output *out,
		    const struct fw_loss_counts *c)
{
	uint64_t now = fw_now_monotonic_ns();

	if (c->buffer_full > l->reported.buffer_full) {
		write_window(l, out, c->buffer_full - l->reported.buffer_full,
			     "buffer_full", NULL, FW_SKIP_SOCKET, now);
		l->reported.buffer_full = c->buffer_full;
	}
	if (c->no_state > l->no_state) {
		write_window(l, out, c->no_state - l->no_state, "no_state",
			     NULL, FW_SKIP_SOCKET, now);
		l->no_state = c->no_state;
	}
	report_skipped_runs(l, out, c, now);
	l->reported.unpinned = c->unpinned + c->no_state;
	l->reported.recovered = c->recovered;
	l->checked_ns = now;
}
