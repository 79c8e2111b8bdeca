/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_PROGRAMS_H
#define FW_PROGRAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel_features.h"

/*
 * The BPF programs of finwatch's object, one row each (programs.c):
 * everything the loader does with a program walks that table. Adding a
 * program to bpf/ means adding its row (and, if it needs one, a probe in
 * kernel_features.c).
 */

/* Which runs need a program. */
enum fw_prog_use {
	FW_PROG_TRACE, /* tracing: `trace` only */
	FW_PROG_ITER,  /* an iterator: `snapshot`, and trace's baselines */
};

/* What a skipped run of a program can hide. */
enum fw_skip_scope {
	FW_SKIP_NOTHING, /* never skipped: an iterator, run from read(2) */
	/* A socket's record: its next record or the next snapshot pass
	 * shows the transition nobody saw (the socket's continuity) or
	 * carries the counters, so a pass settles the loss. */
	FW_SKIP_SOCKET,
	/* A drop record: where a FIN died may go unsaid (the cause), never
	 * what happened to the connection. */
	FW_SKIP_DROPS,
};

struct fw_program {
	const char *name;   /* the program's name in the BPF object */
	const char *attach; /* its section, as --verbose and "attach" say */
	enum fw_feature feature; /* the probe that says the kernel has it */
	enum fw_prog_use use;
	bool required; /* no run without it */
	/* What its runs that the kernel skipped (recursion_misses) can
	 * hide, and so how they are reported (docs/SCHEMA.md, lost). */
	enum fw_skip_scope skipped;
	/* Its probe can pass and its load still fail: then the object is
	 * loaded again without it. */
	bool may_fail_load;
	/* Said when the kernel lacks it: a warning, or for a required one
	 * the error. NULL: whoever needs it says so. */
	const char *missing;
};

#define FW_MAX_PROGRAMS 16

extern const struct fw_program fw_programs[];
extern const int fw_nprograms;

struct bpf_link;
struct bpf_object;
struct bpf_program;

/* The table's programs in one opened BPF object, and their links, each
 * array parallel to the table. */
struct fw_program_set {
	struct bpf_program *prog[FW_MAX_PROGRAMS];
	struct bpf_link *link[FW_MAX_PROGRAMS];
	/* The attach points of the programs attached, in table order. */
	const char *attached[FW_MAX_PROGRAMS];
	int nattached;
};

/*
 * Says what the kernel lacks of what a run needs (@trace: a trace; else
 * a snapshot): a warning per missing optional program, each text once.
 * Returns -1 after printing the error when a required one is missing.
 */
int fw_programs_check_features(const struct fw_features *f, bool trace,
			       const char *prog);

/*
 * Finds each row's program in @obj by name, and sets it to load when the
 * run needs it and the kernel has it. Returns -1 after printing one line
 * when the table and the object disagree (a program missing on either
 * side, or in another section).
 */
int fw_programs_find(struct fw_program_set *ps, struct bpf_object *obj,
		     const struct fw_features *f, bool trace, const char *prog);

/*
 * After a failed load: turns off the features of the programs that were
 * to load although they may fail to (see may_fail_load), with a warning
 * each. Returns whether there were any, so that a retry can do better.
 */
bool fw_programs_drop_unsure(struct fw_features *f, bool trace,
			     const char *prog);

/*
 * Attaches every loaded program. An optional one that fails gives a
 * warning (an iterator: nothing, its user says so). Returns -1 after
 * printing one line when a required one fails.
 */
int fw_programs_attach(struct fw_program_set *ps, const char *prog);

/* The link of the program named @name, NULL when it is not attached. */
struct bpf_link *fw_programs_link(const struct fw_program_set *ps,
				  const char *name);

/*
 * The runs the kernel skipped of the program in row @row: a tracing
 * program that fires again on a CPU where it is already running (a
 * softirq interrupting it) is not run again, only counted
 * (bpf_prog_info.recursion_misses, 5.12+). Each skipped run may or may
 * not have been about a watched socket. 0 for a program not loaded.
 */
uint64_t fw_programs_missed_runs(const struct fw_program_set *ps, int row);

/* Destroys the links; the programs go with their object. */
void fw_programs_detach(struct fw_program_set *ps);

#endif
