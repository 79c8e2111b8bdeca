/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_OUTPUT_H
#define FW_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "finwatch.h"
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
/* @netns: the namespaces the pass covered (@nnetns 0: all of them). */
int fw_out_snapshot_end(struct fw_output *o, unsigned int snap,
			unsigned int count, const uint32_t *netns, int nnetns,
			uint64_t mono_ns);
/* @reason: "buffer_full" (records the transport could not take) or
 * "recursion" (program runs the kernel skipped). */
int fw_out_lost(struct fw_output *o, uint64_t count, uint64_t from_mono_ns,
		uint64_t to_mono_ns, const char *transport, const char *reason);
int fw_out_start(struct fw_output *o, const uint16_t *ports, int nports,
		 const uint32_t *netns, int nnetns, const char *transport,
		 const char *const *attach, int nattach);
int fw_out_stop(struct fw_output *o, uint64_t events, uint64_t lost_buffer,
		uint64_t lost_recursion);

/* "4m12s", "350ms": short, for tables. @buf needs 16 bytes. */
const char *fw_format_age(uint32_t ms, char *buf, size_t len);

/* Test hook: format without writing. Returns the length, or -1. */
int fw_format_event(const struct fw_output *o, const struct fw_event *ev,
		    char *buf, size_t len);

#endif
