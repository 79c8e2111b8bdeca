/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What to do about the lost closes, from their causes (advice.c): the
 * summary's lines on the causes, its one-line answer to "network or
 * app?", the text report's advice, and their keys in the JSON summary.
 * Fed one finding at a time, like the report.
 */
#ifndef FW_CORRELATE_ADVICE_H
#define FW_CORRELATE_ADVICE_H

#include <stdint.h>
#include <stdio.h>

#include "correlate.h"

struct fw_advice;

/* What the report knows of the application's side of the answer. */
struct fw_app_side {
	uint64_t idle_held;	/* connections both ends hold idle over
				 * --idle (the report's idle holders) */
	const char *idle_words; /* them in words ("it never closes idle
				 * connections (40 connections both ends
				 * hold, idle over 1h)"), or NULL */
};

/* NULL when out of memory. */
struct fw_advice *fw_advice_new(void);
void fw_advice_free(struct fw_advice *a);
void fw_advice_note(struct fw_advice *a, const struct fw_finding *f);

/*
 * The one-line answer: "The evidence points to the network: 24 closes
 * lost after 5.0 s idle (conntrack_invalid on app1)", "... to the
 * application: ...", "... to both ...". app may be NULL.
 */
void fw_advice_answer(const struct fw_advice *a, const struct fw_app_side *app,
		      char *buf, size_t sz);

/* The summary's lines: each cause with its words, then the answer. */
void fw_advice_write_causes(const struct fw_advice *a,
			    const struct fw_app_side *app, FILE *f);
/* The text report's advice section (nothing when nothing was lost). */
void fw_advice_write(const struct fw_advice *a, FILE *f);
/*
 * The JSON summary's keys, each with its leading comma: lost_idle_min_ms,
 * clean_idle_max_ms, causes, answer, answer_text.
 */
void fw_advice_json(const struct fw_advice *a, const struct fw_app_side *app,
		    FILE *f);

#endif
