/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turning findings into output: JSON Lines, or the text report (summary,
 * findings, advice). The text report needs every count before the first
 * finding, so its findings are spooled to a temporary file meanwhile.
 */
#ifndef FW_CORRELATE_REPORT_H
#define FW_CORRELATE_REPORT_H

#include "correlate.h"

#include <stdio.h>

struct fw_report;

struct fw_report_opts {
	bool json;
	bool all;    /* also ok and open connections */
	bool follow; /* text: print findings at once, summary at the end */
	FILE *out;
};

struct fw_report *fw_report_new(const struct fw_report_opts *opts);
/* A fw_finding_cb: give it the fw_report as ctx. */
void fw_report_finding(const struct fw_finding *f, void *ctx);
/* Prints the summary (and in text mode the findings and advice). */
void fw_report_finish(struct fw_report *r, const struct fw_corr_stats *st);
void fw_report_free(struct fw_report *r);

/* Writes s as a JSON string literal, quotes included. */
void fw_json_string(FILE *f, const char *s);

#endif
