/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report's own header, shared by its files (report.h is the API):
 *
 *	report.c    findings in, the summary, JSON and text, the advice
 *	holders.c   who holds what: holdings (server against client host)
 *		    and idle holders (both ends hold, idle over --idle)
 *	entries.c   the text report's entries: identical findings as one
 *	growth.c    the timeline in words: sparkline, growth, maxclients
 *	chart.c     the timeline as an SVG chart (--chart)
 *	prom.c      Prometheus metrics (--prom), files written atomically
 */
#ifndef FW_CORRELATE_REPORT_PRIV_H
#define FW_CORRELATE_REPORT_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"
#include "table.h"
#include "timeline.h"

#define FW_DEFAULT_IDLE_NS 3600000000000ull /* --idle: 1 h */

/* A client (host, process) or server (host, endpoint) and its verdicts. */
struct group {
	char *host;
	char *name;
	uint64_t counts[FW_V_COUNT];
	uint64_t problems; /* everything but ok and open */
	/* holdings: host = server host, name = client host */
	uint64_t held;	       /* ESTABLISHED on the server */
	uint64_t held_by_peer; /* ... and on the client */
	uint64_t ka[3];	       /* ghosts' keepalive: off, on, unknown */
	uint64_t *idle;	       /* ghosts' known idle times, ms */
	size_t nidle, capidle;
};

struct groups {
	struct fw_table index;
	struct group **all;
	size_t n, cap;
};

/* A client process holding idle connections to one server endpoint. */
struct holder {
	char *key; /* first: report_key_match() compares it */
	char *client_host, *comm, *server_host, *server;
	uint32_t pid;
	size_t count;	/* connections */
	uint64_t *idle; /* ms, one per connection */
	size_t cap;
};

struct holders {
	struct fw_table index;
	struct holder **all;
	size_t n, cap;
};

/* The text report's entries (entries.c). */
struct entries {
	struct fw_table index;
	struct entry **all;
	size_t n, cap;
	bool failed; /* out of memory: some findings are missing */
};

struct fw_report {
	struct fw_report_opts opts;
	struct entries entries; /* text findings, until the summary is out */
	struct groups clients, servers;
	struct groups holdings; /* per (server host, client host) */
	struct holders holders; /* idle connections both ends hold */
	const struct fw_timeline *timeline;
	struct fw_advice *advice; /* advice.c: causes, answer, advice */
	uint64_t shown;		  /* findings printed */
};

/* A distribution of idle times: sorted, and counted in buckets. */
struct idle_dist {
	uint64_t min, median, max; /* FW_UNKNOWN when none is known */
	uint64_t bucket[4];	   /* <1m, 1-10m, 10m-1h, >=1h */
	uint64_t unknown;
};

/* report.c */
/* "connection" or "connections", as n asks */
const char *report_plural(uint64_t n, const char *one, const char *many);
void fmt_time(char *out, size_t sz, uint64_t ns);
void fmt_idle(char *out, size_t sz, uint64_t ms);
/* A threshold as a person would type it: "1h", "90m", "30s", "1h30m". */
void report_fmt_duration(char *out, size_t sz, uint64_t ns);
void json_u64_or_null(FILE *f, const char *key, uint64_t v);
uint64_t report_str_hash(const char *s);
/* For fw_table_find(): val's first member is a char * equal to key. */
bool report_key_match(const void *val, const void *key);
struct group *group_get(struct groups *g, const char *host, const char *name);
uint64_t report_idle_ns(const struct fw_report *r);

/* holders.c */
void idle_dist_of(uint64_t *ms, size_t n, struct idle_dist *d);
void count_holding(struct fw_report *r, const struct fw_finding *f);
void holding_dist(struct group *g, struct idle_dist *d);
void json_holdings(FILE *f, struct groups *g);
void text_holdings(FILE *f, struct groups *g);
void count_holder(struct fw_report *r, const struct fw_finding *f);
void json_holders(FILE *f, struct fw_report *r);
void text_holders(FILE *f, struct fw_report *r);
uint64_t holders_count(const struct holders *hs);
int holders_init(struct holders *h);
void holders_free(struct holders *h);

/* entries.c */
int entries_init(struct entries *es);
/* f, and text: how text_finding() wrote it */
void entries_add(struct entries *es, const struct fw_finding *f,
		 const char *text);
void entries_print(struct entries *es, FILE *f);
void entries_free(struct entries *es);

/* growth.c: the ghosts' trend, from the series' points */
struct growth {
	bool known;	   /* two passes or more, apart in time */
	double per_day;	   /* ghosts, least squares */
	uint64_t first_ns; /* the first and last pass */
	uint64_t last_ns;
	uint64_t last_held; /* the server's holds at its latest pass */
};
void growth_of(const struct fw_tl_series *s, struct growth *g);
/* Days until the server host of s holds maxclients, or < 0: never. */
double days_to_maxclients(const struct fw_timeline *tl, const char *server,
			  uint64_t maxclients, double *per_day);
void text_timeline(FILE *f, const struct fw_report *r);
void json_timeline(FILE *f, const struct fw_report *r);

/* chart.c */
void chart_write(FILE *f, const struct fw_timeline *tl);

/* prom.c */
void prom_write(FILE *f, struct fw_report *r, const struct fw_corr_stats *st);
/*
 * Writes path whole or not at all: into a temporary file beside it,
 * then renamed over it. Returns 0, or -1 with one line on stderr that
 * names it by what (the option).
 */
int write_file_atomic(const char *path, const char *what,
		      void (*write)(FILE *, void *), void *ctx);

#endif
