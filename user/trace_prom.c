// SPDX-License-Identifier: GPL-2.0
/*
 * The tracer's counters as Prometheus metrics: a tracer that loses
 * records is a tracer whose silence proves nothing, so the loss belongs
 * on the dashboard beside the connections.
 */
#include <time.h>

#include "cli_help.h"
#include "prom.h"
#include "trace_prom.h"

static void write_lost(struct fw_prom *p, const struct fw_loss_totals *t)
{
	static const char name[] = "finwatch_trace_lost_records_total";
	const struct {
		const char *reason;
		uint64_t v;
	} lost[] = {
		{ "buffer_full", t->buffer_full },
		{ "recursion", t->recursion },
		{ "unpinned", t->unpinned },
	};

	fw_prom_family(p, name, "counter",
		       "Records lost, by reason (docs/SCHEMA.md, lost): the "
		       "transport was full, the kernel skipped a program run, "
		       "or no socket was left to own up to a loss.");
	for (size_t i = 0; i < sizeof(lost) / sizeof(lost[0]); i++) {
		struct fw_prom_label l = { "reason", lost[i].reason };

		fw_prom_sample(p, name, &l, 1, (double)lost[i].v);
	}
	fw_prom_single(p, "finwatch_trace_recovered_records_total", "counter",
		       "Records lost at first and carried later after all.",
		       (double)t->recovered);
}

int fw_trace_prom_write(const char *path, const struct fw_trace_counts *c)
{
	struct fw_prom_label info[] = {
		{ "version", fw_version },
		{ "transport", c->transport },
		{ "stream", c->all_states ? "all-states" : "folded" },
	};
	struct fw_prom p;

	if (fw_prom_open(&p, path))
		return -1;
	fw_prom_single(&p, "finwatch_trace_events_total", "counter",
		       "Records read from the kernel.", (double)c->events);
	fw_prom_single(&p, "finwatch_trace_records_total", "counter",
		       "Records written to the log.", (double)c->records);
	fw_prom_single(&p, "finwatch_trace_snapshots_total", "counter",
		       "Snapshot passes of the open connections.",
		       (double)c->snapshots);
	write_lost(&p, &c->lost);
	fw_prom_single(&p, "finwatch_trace_start_time_seconds", "gauge",
		       "When the tracer started.", (double)c->start_s);
	fw_prom_single(&p, "finwatch_trace_timestamp_seconds", "gauge",
		       "When the tracer wrote these metrics.",
		       (double)time(NULL));
	fw_prom_family(&p, "finwatch_trace_info", "gauge",
		       "The running tracer: its version, transport, stream.");
	fw_prom_sample(&p, "finwatch_trace_info", info, 3, 1);
	return fw_prom_commit(&p);
}
