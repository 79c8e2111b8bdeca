/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_TRACER_H
#define FW_TRACER_H

/*
 * The loaded kernel side (tracer.c), shared by `trace` and `snapshot`:
 * probing the kernel, opening, configuring, loading and attaching the BPF
 * object along the program table (programs.h), and the snapshot pass
 * (owners first, then the tcp iterator in each namespace).
 */

#include <stdbool.h>
#include <stdint.h>

#include "finwatch.h"
#include "netns.h"
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
	bool trace;	 /* load the tracing programs, not just the iterators */
	bool all_states; /* a record per transition, not the folded stream */
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
	/* Called in each namespace a snapshot pass enters, before its
	 * sockets are read (optional). */
	int (*on_netns)(void *ctx, uint32_t netns);
	void *on_netns_ctx;
	uint64_t ct_hooks_checked_ns; /* the last look at /proc/kallsyms */
	bool ct_loaded; /* conntrack's hook functions were found there */
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
 * Walks the TCP sockets on the watched ports with the iterator, which names
 * their owners (found by the task_file iterator, else in /proc) and, in a
 * trace, gives each the state that later records carry. Calls @fn for
 * each socket. Returns the number of sockets or -1.
 */
int fw_tracer_snapshot(struct fw_tracer *t, fw_snapshot_fn fn, void *ctx);

/*
 * A drop record that says conntrack was not loaded when it happened (no
 * hook to find): conntrack may have been loaded since finwatch looked,
 * in which case the record cannot tell and says so (FW_CT_HOOK_UNKNOWN).
 */
void fw_tracer_check_drop_ct(struct fw_tracer *t, struct fw_event *ev);

void fw_tracer_close(struct fw_tracer *t);

#endif
