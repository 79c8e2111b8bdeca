/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CLI's private header: cli.c (options, exit status) and sources.c
 * (the input files, their lines, the hosts in them, the merge by time).
 */
#ifndef FW_CORRELATE_CLI_H
#define FW_CORRELATE_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "correlate.h"
#include "input.h"
#include "record.h"
#include "report.h"

#define EXIT_USAGE 2 /* bad usage, an unreadable input, --strict */
#define EXIT_INPUT 3 /* read, but no usable record or too many bad lines */

/* A host of the input, across files. */
struct cli_host {
	char *name;
	struct fw_dedup *seen; /* its recent records */
	uint64_t last_ns;      /* time of its last record fed */
	bool fed;	       /* any record fed */
	bool gap;	       /* records may be missing before its next */
};

struct source {
	struct fw_input in;
	struct fw_rec rec;     /* the next record, when has_rec */
	struct cli_host *host; /* rec's host */
	uint64_t key;	       /* its time in the reference clock */
	uint64_t hash;	       /* of its text, for duplicates */
	bool ignored;	       /* of a type the correlator ignores */
	bool keyed;	       /* key (and host) done for this record */
	bool has_rec;
	bool done;
	bool gap;     /* records may be missing before the next one */
	char **hosts; /* names of the hosts this file has records of
		       * (each a cli_host's name) */
	size_t nhosts;
	unsigned long warnings;
	char *msg; /* a decoded journal MESSAGE */
};

struct cli {
	const char *prog; /* names it in messages */
	struct fw_corr_opts opts;
	struct fw_report_opts ropts;
	bool strict;
	bool help;	      /* --help or --usage was given */
	double max_bad_share; /* of the lines read, at most this many bad */
	char **files;
	size_t nfiles;
	struct source *src;
	struct cli_host **hosts;
	size_t nhosts;
	struct fw_corr *corr;
	struct fw_report *report;
	uint64_t fed;	     /* records fed to the engine */
	uint64_t duplicates; /* records seen before, not fed */
	int status;
};

extern volatile sig_atomic_t fw_cli_stop;

/* sources.c */
int fw_cli_open_sources(struct cli *cli);
void fw_cli_close_sources(struct cli *cli);
/* Reads s up to its next record; false when there is none now. */
bool fw_cli_fill(struct cli *cli, struct source *s);
/* s has ended: its hosts that no other file holds are done. */
void fw_cli_source_finished(struct cli *cli, struct source *s);
/* Feeds s's record (or counts it: ignored, a duplicate) and takes it. */
void fw_cli_feed(struct cli *cli, struct source *s);
void fw_cli_out_of_memory(struct cli *cli);

#endif
