/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The settings of a network namespace that decide how a lost close
 * happens and how long its ghost lives: conntrack's TCP timeouts and
 * leniency, TCP keepalive and the orphan and retransmission limits. A
 * tracer writes them for each namespace it watches, so that the report
 * can name a cause with the host's own numbers.
 */
#ifndef FW_NETNS_FACTS_H
#define FW_NETNS_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema.h" /* enum fw_netns_fact and its keys */

/* A sysctl that could not be read (no conntrack, an older kernel). */
#define FW_FACT_UNKNOWN (-1LL)

struct fw_netns_facts {
	uint32_t netns;		    /* inode */
	long long v[FW_FACT_COUNT]; /* FW_FACT_UNKNOWN when unreadable */
};

/*
 * Reads the facts of the network namespace the calling thread is in now
 * (see fw_netns_foreach()); @netns is stored as its inode.
 */
void fw_netns_facts_read(struct fw_netns_facts *f, uint32_t netns);

/* The facts of the namespaces a trace has met, read once each. */
struct fw_facts_entry {
	struct fw_netns_facts facts;
	bool in_baseline; /* the latest baseline found watched sockets there */
	bool announced;	  /* the current log file has its facts */
};

struct fw_facts_cache {
	struct fw_facts_entry *v;
	size_t n, cap;
};

/* The entry of @netns, or NULL. */
struct fw_facts_entry *fw_facts_cache_find(struct fw_facts_cache *c,
					   uint32_t netns);
/* Reads the facts of the namespace the thread is in now, unless known.
 * Returns its entry, or NULL without memory. */
struct fw_facts_entry *fw_facts_cache_learn_here(struct fw_facts_cache *c,
						 uint32_t netns);
/* The same for a namespace met in a record: entered through a path that
 * names it (/run/netns, /proc/PID/ns/net). NULL when none does, or none
 * can be entered. */
struct fw_facts_entry *fw_facts_cache_learn(struct fw_facts_cache *c,
					    uint32_t netns);
/* A new log file: no namespace's facts are in it yet. */
void fw_facts_cache_forget_announced(struct fw_facts_cache *c);
void fw_facts_cache_free(struct fw_facts_cache *c);

#endif
