/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_TRACER_H
#define FW_TRACER_H

#include <stdbool.h>
#include <stdint.h>

#include "finwatch.h"
#include "kernel_features.h"
#include "programs.h"
#include "transport.h"

struct fw_config {
	uint16_t ports[FW_MAX_PORTS];
	int nports;
	uint32_t netns[FW_MAX_NETNS];
	int nnetns;
	uint32_t pid;
	const char *btf_path;
	enum fw_transport_kind transport;
	bool verbose;
	bool trace; /* load the tracing programs, not just the iterators */
	/* Transport size in pages: the ring buffer's, or the perf buffer's
	 * per CPU. 0: the transport's default (transport.c). */
	unsigned int buffer_pages;
};

struct finwatch_bpf;

/* The loaded kernel side, shared by `trace` and `snapshot`. */
struct fw_tracer {
	struct finwatch_bpf *skel;
	struct fw_features feat;
	struct fw_program_set progs;
	enum fw_transport_kind transport; /* in use: ring or perf */
	const char *prog;		  /* for messages */
	uint32_t netns[FW_MAX_NETNS];	  /* the --netns filter; none: all */
	int nnetns;
	bool trace;
};

typedef int (*fw_snapshot_fn)(void *ctx, const struct fw_sock_info *si);

/*
 * Probes the kernel, loads the programs the config asks for, and attaches
 * them. Optional attach points that are missing give a warning. Returns
 * 0, or -1 after printing one line that says why.
 */
int fw_tracer_open(struct fw_tracer *t, const struct fw_config *c,
		   const char *prog);

/*
 * Walks the TCP sockets on the watched ports with the iterator, names
 * their owners (the task_file iterator, else /proc), and tells the kernel
 * side about them so later events carry the owner. Calls @fn for each socket.
 * Returns the number of sockets or -1.
 */
int fw_tracer_snapshot(struct fw_tracer *t, fw_snapshot_fn fn, void *ctx);

void fw_tracer_close(struct fw_tracer *t);

#endif
