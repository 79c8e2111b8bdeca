/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The advice's own header, shared by advice.c (the tally and the advice)
 * and answer.c (the summary's causes, the answer, the JSON keys).
 */
#ifndef FW_CORRELATE_ADVICE_PRIV_H
#define FW_CORRELATE_ADVICE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "advice.h"

/* Keepalive below this is no fix to paste: something else is wrong. */
#define KEEPALIVE_FLOOR_S 10
/* nf_conntrack_tcp_timeout_established's default: 5 days. */
#define CT_DEFAULT_TIMEOUT_S 432000

/* The lost closes of one cause on one host. */
struct cause_group {
	enum fw_cause cause;
	char *host; /* "" when none */
	uint64_t count;
	uint64_t idle_min_ms, idle_max_ms; /* FW_UNKNOWN: none known */
	uint64_t ct_timeout_s, be_liberal;
	uint64_t over_timeout, under_timeout; /* idle against ct_timeout_s */
	bool on_arrival;
	char reason[32];
};

/* The keepalive of the servers that hold connections whose close died. */
struct server_keepalive {
	uint64_t on, off, unknown;
	uint64_t idle_max_s; /* of those on, FW_UNKNOWN */
	uint64_t life_max_s; /* the longest a ghost lives with them */
	char host[64];	     /* one of those servers' hosts */
};

struct fw_advice {
	struct cause_group *groups;
	size_t ngroups, capgroups;
	uint64_t lost, gone; /* lost closes; peers gone (peer_vanished) */
	uint64_t close_wait_leaks, incomplete;
	uint64_t net_lost;	  /* closes no traced host dropped */
	uint64_t net_idle_min_ms; /* the shortest idle before one */
	uint64_t clean_idle_max_ms;
	struct server_keepalive ka;
	bool redis;
};

static inline unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

static inline const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static inline const char *were(uint64_t n)
{
	return n == 1 ? "was" : "were";
}

/* "it" or "they", "it" or "them", as n asks */
static inline const char *they(uint64_t n)
{
	return n == 1 ? "it" : "they";
}

static inline const char *them(uint64_t n)
{
	return n == 1 ? "it" : "them";
}

static inline bool is_known(uint64_t v)
{
	return v != FW_UNKNOWN;
}

static inline uint64_t min_known(uint64_t a, uint64_t b)
{
	return !is_known(a) || (is_known(b) && b < a) ? b : a;
}

static inline uint64_t max_known(uint64_t a, uint64_t b)
{
	return !is_known(a) || (is_known(b) && b > a) ? b : a;
}

/* answer.c: " after 5.0 s to 7.0 s idle", or "" when not known. */
void advice_idle_range(char *buf, size_t sz, uint64_t lo_ms, uint64_t hi_ms);

#endif
