/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_TRANSPORT_H
#define FW_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * How records get from the kernel side to the reader: the BPF ring buffer,
 * or the per-CPU perf buffer where the kernel has no ring buffer. Neither
 * wakes the reader per record; the reader polls every
 * FW_TRANSPORT_POLL_MS and is woken early only when records pile up.
 */
enum fw_transport_kind {
	FW_TRANSPORT_AUTO, /* the ring buffer where the kernel has one */
	FW_TRANSPORT_PERF,
	FW_TRANSPORT_RING,
};

/* The longest a record waits in the buffer before the reader looks. */
#define FW_TRANSPORT_POLL_MS 100
/* The largest --buffer-pages. */
#define FW_TRANSPORT_MAX_PAGES (1u << 18)

struct finwatch_bpf;
struct fw_transport;

/* Called with each record, which may sit at any alignment. Nonzero
 * stops the read, which then fails. */
typedef int (*fw_record_fn)(void *ctx, const void *data, size_t size);

/* The transport a run uses for @want on a kernel that has the ring
 * buffer or not; a warning when the ring buffer was asked for in vain. */
enum fw_transport_kind fw_transport_choose(enum fw_transport_kind want,
					   bool kernel_has_ring,
					   const char *prog);

/* "ring" or "perf", as records and messages name the one in use. */
const char *fw_transport_name(enum fw_transport_kind kind);

/* --transport: "auto", "perf" or "ring". Returns 0, or -1 for anything
 * else. */
int fw_transport_parse(const char *s, enum fw_transport_kind *kind);

/*
 * Before the object is loaded: tells the kernel side which buffer to
 * write to and when to wake the reader, and sizes the buffers, @pages
 * (--buffer-pages; 0: the default) for the one in use. @reading is false
 * when no record will be written (a snapshot): the buffers shrink.
 */
void fw_transport_configure(struct finwatch_bpf *skel,
			    enum fw_transport_kind kind, unsigned int pages,
			    bool reading);

/* After the load: the reader of the buffer in use, or NULL with errno. */
struct fw_transport *fw_transport_open(struct finwatch_bpf *skel,
				       enum fw_transport_kind kind,
				       unsigned int pages, fw_record_fn fn,
				       void *ctx);

/*
 * Waits up to FW_TRANSPORT_POLL_MS for records, then hands @fn all there
 * are. *@read_ns is when reading began, after the wait: every record
 * stamped before it was in the buffer by then. Returns 0 (an interrupted
 * wait included) or a negative errno.
 */
int fw_transport_read(struct fw_transport *t, uint64_t *read_ns);

/* Records the buffer had no room for, since the start: the kernel side
 * counts them, the same way for both buffers. */
uint64_t fw_transport_lost(const struct fw_transport *t);

void fw_transport_free(struct fw_transport *t);

#endif
