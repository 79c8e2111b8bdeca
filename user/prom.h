/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_PROM_H
#define FW_PROM_H

#include <stdint.h>
#include <stdio.h>

/*
 * Prometheus text-format metrics for node_exporter's textfile collector,
 * which reads every *.prom file of its directory at each scrape. The
 * metrics go to a temporary file beside the target (a name that does not
 * end in .prom, so the collector ignores it) and are renamed over it at
 * the end: a scrape sees the old file or the new one, never half of one.
 * Pure C over stdio, for the tracer, the snapshot and the correlator.
 */
struct fw_prom {
	FILE *f;
	char *path; /* the target */
	char *tmp;  /* the file being written */
};

/* A label of a sample: its name and its value (any bytes; escaped). */
struct fw_prom_label {
	const char *name;
	const char *value;
};

/* Opens the temporary file beside @path. Returns 0, or -1 with errno. */
int fw_prom_open(struct fw_prom *p, const char *path);

/* # HELP and # TYPE of a metric family; @type is "gauge" or "counter". */
void fw_prom_family(struct fw_prom *p, const char *name, const char *type,
		    const char *help);

/* name{labels...} value; @nlabels may be 0. */
void fw_prom_sample(struct fw_prom *p, const char *name,
		    const struct fw_prom_label *labels, size_t nlabels,
		    double value);

/* A family of one sample without labels. */
void fw_prom_single(struct fw_prom *p, const char *name, const char *type,
		    const char *help, double value);

/* Writes it out and renames it over the target (mode 0644). Returns 0,
 * or -1 with errno, the target as it was. Frees @p either way. */
int fw_prom_commit(struct fw_prom *p);

/* Drops the temporary file. */
void fw_prom_abort(struct fw_prom *p);

#endif
