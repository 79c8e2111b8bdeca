/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_OUTPUT_H
#define FW_OUTPUT_H

/*
 * The tracer's writer (output.c): every record `finwatch trace` and
 * `finwatch snapshot` write, as JSON Lines through the schema's line
 * builder (docs/SCHEMA.md) or as the text tables, one write(2) per line
 * or per batch of whole lines.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "finwatch.h"
#include "netns_facts.h"
#include "schema.h"

/*
 * Where records go, and how. Each record is formatted into one buffer and
 * written with one write(2), so that lines stay whole in a file that
 * several writers append to, and `| logger` sees each line at once.
 */
struct fw_output {
	int fd;
	bool json;
	const char *host;
	int64_t clock_offset_ns; /* CLOCK_MONOTONIC -> wall clock */
	bool header_done;
	bool socket_table; /* text: the `snapshot` table, not the event one */
	uint64_t records;
	int error; /* errno of the first failed write; nothing after it */
	/* A one-shot listing may batch its writes; a live stream may not.
	 * fw_out_flush() writes what is held. */
	char *hold;
	size_t held, hold_size;
};

int fw_out_flush(struct fw_output *o);

/* The record type of an fw_event.type; TCP flag and address texts are
 * the schema's (fw_tcp_flags_str, fw_addr_str). */
const char *fw_event_type_name(unsigned int type);

int fw_out_event(struct fw_output *o, const struct fw_event *ev);
int fw_out_snapshot(struct fw_output *o, const struct fw_sock_info *si,
		    unsigned int snap, const char *source);
/* @netns: the namespaces the pass covered (@nnetns 0: all of them);
 * @repair: a pass run to settle a loss (docs/SCHEMA.md). */
int fw_out_snapshot_end(struct fw_output *o, unsigned int snap,
			unsigned int count, const uint32_t *netns, int nnetns,
			uint64_t mono_ns, bool repair);

/* Running totals of what went missing, for tick and stop records. */
struct fw_loss_totals {
	uint64_t buffer_full; /* records the transport could not take */
	uint64_t recursion;   /* program runs the kernel skipped */
	uint64_t unpinned;    /* lost, and no socket left to own up to them */
	uint64_t recovered;   /* lost at first, carried later after all */
};

/* A window in which records went missing (docs/SCHEMA.md, lost). */
struct fw_lost_window {
	uint64_t count;
	uint64_t from_mono_ns, to_mono_ns;
	const char *transport;
	const char *reason;  /* buffer_full, recursion, unpinned */
	const char *program; /* recursion: whose runs; else NULL */
	bool pinned;	     /* each loss shows on its own socket later */
	const char *scope;   /* "all", or "drops": only drop records */
};

int fw_out_lost(struct fw_output *o, const struct fw_lost_window *w);

/* What the start record says of a trace. */
struct fw_trace_desc {
	const uint16_t *ports;
	int nports;
	const uint32_t *netns; /* the --netns filter; none: all */
	int nnetns;
	const char *transport;
	const char *const *attach;
	int nattach;
	bool all_states;
	unsigned int tick_ms;
	bool reopen; /* the same trace, going on in a new file */
	const char *boot_id;
	const struct fw_netns_facts *facts;
	int nfacts;
};

int fw_out_start(struct fw_output *o, const struct fw_trace_desc *t);
/* The facts of a namespace first seen after the start record. */
int fw_out_netns(struct fw_output *o, const struct fw_netns_facts *f);
/* A heartbeat: nothing happened up to @mono_ns. */
int fw_out_tick(struct fw_output *o, const struct fw_loss_totals *t,
		uint64_t mono_ns);
int fw_out_stop(struct fw_output *o, uint64_t events,
		const struct fw_loss_totals *t, unsigned int tick_ms);

/* "4m12s", "350ms": short, for tables. @buf needs 16 bytes. */
const char *fw_format_age(uint32_t ms, char *buf, size_t len);

/* Test hook: format without writing. Returns the length, or -1. */
int fw_format_event(const struct fw_output *o, const struct fw_event *ev,
		    char *buf, size_t len);

#endif
