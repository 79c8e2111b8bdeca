/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turning findings into output: JSON Lines, or the text report (summary,
 * findings, advice), and on request Prometheus metrics and an SVG chart
 * of the timeline. The text report needs every count before the first
 * finding, so it keeps its findings meanwhile, identical ones as one
 * entry (docs/CORRELATE.md).
 */
#ifndef FW_CORRELATE_REPORT_H
#define FW_CORRELATE_REPORT_H

#include "correlate.h"
#include "timeline.h"

#include <stdio.h>

/* The "v" of the report's own JSON objects (findings and summary). */
#define FW_REPORT_VERSION 1

struct fw_report;

struct fw_report_opts {
	bool json;
	bool all;    /* also ok and open connections */
	bool follow; /* text: print findings at once, summary at the end */
	FILE *out;
	uint64_t idle_ns;      /* idle holders: idle longer than this (0: 1h) */
	uint64_t maxclients;   /* the servers' connection limit, 0 unknown */
	const char *prom_path; /* --prom FILE, or NULL */
	const char *chart_path; /* --chart FILE.svg, or NULL */
};

struct fw_report *fw_report_new(const struct fw_report_opts *opts);
/* A fw_finding_cb: give it the fw_report as ctx. */
void fw_report_finding(const struct fw_finding *f, void *ctx);
/* The timeline to report (fw_corr_timeline()); none when not given. */
void fw_report_timeline(struct fw_report *r, const struct fw_timeline *tl);
/*
 * Prints the summary (and in text mode the findings and advice), then
 * writes the --prom and --chart files. Returns 0, or -1 when one of
 * those could not be written (said on stderr).
 */
int fw_report_finish(struct fw_report *r, const struct fw_corr_stats *st);
void fw_report_free(struct fw_report *r);

/* Writes s as a JSON string literal, quotes included. */
void fw_json_string(FILE *f, const char *s);

#endif
