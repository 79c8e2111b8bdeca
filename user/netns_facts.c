// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"
#include "netns_facts.h"
#include "util.h"

/* Each fact's sysctl under /proc/sys/net (its key: schema.c). */
static const char *const fact_paths[FW_FACT_COUNT] = {
	[FW_FACT_CT_MAX] = "netfilter/nf_conntrack_max",
	[FW_FACT_CT_COUNT] = "netfilter/nf_conntrack_count",
	[FW_FACT_CT_TCP_ESTABLISHED] =
		"netfilter/nf_conntrack_tcp_timeout_established",
	[FW_FACT_CT_TCP_SYN_SENT] =
		"netfilter/nf_conntrack_tcp_timeout_syn_sent",
	[FW_FACT_CT_TCP_SYN_RECV] =
		"netfilter/nf_conntrack_tcp_timeout_syn_recv",
	[FW_FACT_CT_TCP_FIN_WAIT] =
		"netfilter/nf_conntrack_tcp_timeout_fin_wait",
	[FW_FACT_CT_TCP_CLOSE_WAIT] =
		"netfilter/nf_conntrack_tcp_timeout_close_wait",
	[FW_FACT_CT_TCP_LAST_ACK] =
		"netfilter/nf_conntrack_tcp_timeout_last_ack",
	[FW_FACT_CT_TCP_TIME_WAIT] =
		"netfilter/nf_conntrack_tcp_timeout_time_wait",
	[FW_FACT_CT_TCP_CLOSE] = "netfilter/nf_conntrack_tcp_timeout_close",
	[FW_FACT_CT_TCP_UNACKNOWLEDGED] =
		"netfilter/nf_conntrack_tcp_timeout_unacknowledged",
	[FW_FACT_CT_TCP_LOOSE] = "netfilter/nf_conntrack_tcp_loose",
	[FW_FACT_CT_TCP_BE_LIBERAL] = "netfilter/nf_conntrack_tcp_be_liberal",
	[FW_FACT_TCP_KEEPALIVE_TIME] = "ipv4/tcp_keepalive_time",
	[FW_FACT_TCP_KEEPALIVE_INTVL] = "ipv4/tcp_keepalive_intvl",
	[FW_FACT_TCP_KEEPALIVE_PROBES] = "ipv4/tcp_keepalive_probes",
	[FW_FACT_TCP_ORPHAN_RETRIES] = "ipv4/tcp_orphan_retries",
	[FW_FACT_TCP_RETRIES2] = "ipv4/tcp_retries2",
	[FW_FACT_TCP_FIN_TIMEOUT] = "ipv4/tcp_fin_timeout",
};

/* /proc/sys/net shows the namespace of whoever opens it. */
static long long read_sysctl(const char *rel)
{
	char path[128], buf[32], *end;
	long long v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/%s", rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return FW_FACT_UNKNOWN;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return FW_FACT_UNKNOWN;
	buf[n] = '\0';
	v = strtoll(buf, &end, 10);
	if (end == buf || v < 0)
		return FW_FACT_UNKNOWN;
	return v;
}

void fw_netns_facts_read(struct fw_netns_facts *f, uint32_t netns)
{
	f->netns = netns;
	for (int i = 0; i < FW_FACT_COUNT; i++)
		f->v[i] = read_sysctl(fact_paths[i]);
}

struct fw_facts_entry *fw_facts_cache_find(struct fw_facts_cache *c,
					   uint32_t netns)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].facts.netns == netns)
			return &c->v[i];
	return NULL;
}

struct fw_facts_entry *fw_facts_cache_learn_here(struct fw_facts_cache *c,
						 uint32_t netns)
{
	struct fw_facts_entry *e = fw_facts_cache_find(c, netns);

	if (e)
		return e;
	if (fw_grow((void **)&c->v, &c->cap, c->n + 1, sizeof(*c->v)))
		return NULL;
	e = &c->v[c->n++];
	memset(e, 0, sizeof(*e));
	fw_netns_facts_read(&e->facts, netns);
	return e;
}

struct learn_ctx {
	struct fw_facts_cache *cache;
	struct fw_facts_entry *found;
};

static int learn_in(void *arg, uint32_t netns)
{
	struct learn_ctx *lc = arg;

	lc->found = fw_facts_cache_learn_here(lc->cache, netns);
	return 0;
}

struct fw_facts_entry *fw_facts_cache_learn(struct fw_facts_cache *c,
					    uint32_t netns)
{
	struct learn_ctx lc = { c, fw_facts_cache_find(c, netns) };

	if (!lc.found)
		fw_netns_foreach(&netns, 1, learn_in, &lc);
	return lc.found;
}

void fw_facts_cache_forget_announced(struct fw_facts_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		c->v[i].announced = false;
}

void fw_facts_cache_free(struct fw_facts_cache *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}
