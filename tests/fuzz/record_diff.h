/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Two struct fw_rec field by field, for the parsers' differential tests
 * (tests/fuzz/fuzz_record_diff.c: the fast path against the general
 * parser; bench/diff_parse.c: this tree's parser against an older one).
 * Every field a parse may set, its buffers up to their terminator only.
 */
#ifndef FW_TESTS_RECORD_DIFF_H
#define FW_TESTS_RECORD_DIFF_H

#include <string.h>

#include "correlate/record.h"

#define SAME(f)                                                                \
	do {                                                                   \
		if (a->f != b->f)                                              \
			return #f;                                             \
	} while (0)
#define SAME_BYTES(f, n)                                                       \
	do {                                                                   \
		if (memcmp(a->f, b->f, n))                                     \
			return #f;                                             \
	} while (0)
#define SAME_STR(f)                                                            \
	do {                                                                   \
		if (strcmp(a->f, b->f))                                        \
			return #f;                                             \
	} while (0)

static inline const char *diff_conn(const struct fw_rec *a,
				    const struct fw_rec *b)
{
	SAME(netns);
	SAME(sock);
	SAME(family);
	SAME_BYTES(laddr, 16);
	SAME_BYTES(raddr, 16);
	SAME(lport);
	SAME(rport);
	SAME(role_server);
	SAME(oldstate);
	SAME(newstate);
	SAME(pid);
	SAME(isn_local);
	SAME(isn_remote);
	SAME(active_open);
	SAME(keepalive);
	SAME(close_retrans);
	SAME(close_drops);
	SAME(last_recv_ms);
	SAME(last_send_ms);
	SAME(keepalive_idle_s);
	SAME(tcp_flags);
	SAME(drop_in);
	SAME_STR(reason);
	SAME(has);
	SAME_STR(comm);
	SAME(ct);
	SAME(ct_hooked);
	SAME_STR(drop_reason_last);
	SAME_STR(ct_last);
	SAME(keepalive_intvl_s);
	SAME(keepalive_cnt);
	SAME(user_timeout_ms);
	return NULL;
}

static inline const char *diff_v2(const struct fw_rec *a,
				  const struct fw_rec *b)
{
	SAME(npath);
	for (unsigned int i = 0; i < a->npath && i < FW_REC_PATH_MAX; i++) {
		SAME(path[i].from);
		SAME(path[i].to);
		SAME(path[i].time_ns);
	}
	SAME(path_cut);
	SAME(gap);
	SAME(final);
	SAME(sk_err);
	SAME(probes_out);
	SAME(rto_retrans);
	SAME(count);
	SAME(from_ns);
	SAME(pinned);
	SAME(drops_only);
	SAME(repair);
	SAME(version);
	SAME(tick_ms);
	SAME(reopen);
	SAME_STR(boot_id);
	SAME(snap);
	return NULL;
}

static inline const char *diff_lists(const struct fw_rec *a,
				     const struct fw_rec *b)
{
	SAME(n_netns);
	for (unsigned int i = 0; i < a->n_netns && i < FW_REC_NETNS_MAX; i++)
		SAME(netns_list[i]);
	SAME(netns_more);
	SAME(n_facts);
	for (unsigned int i = 0; i < a->n_facts && i < FW_REC_NETNS_MAX; i++) {
		SAME(facts[i].netns);
		for (unsigned int f = 0; f < FW_FACT_COUNT; f++)
			SAME(facts[i].v[f]);
	}
	SAME(facts_more);
	SAME(attach_drops);
	return NULL;
}

/* The first field that differs, NULL when none does. */
static inline const char *fw_rec_diff(const struct fw_rec *a,
				      const struct fw_rec *b)
{
	const char *d;

	SAME(type);
	SAME(time_ns);
	if (!a->host != !b->host)
		return "host";
	if (a->host && (a->host_len != b->host_len ||
			memcmp(a->host, b->host, a->host_len)))
		return "host";
	SAME_STR(why);
	if ((d = diff_conn(a, b)) || (d = diff_v2(a, b)) ||
	    (d = diff_lists(a, b)))
		return d;
	return NULL;
}

/* each(line, len) for each line of [p, end), without its newline. */
static inline void fw_rec_diff_lines(const char *p, const char *end,
				     void (*each)(const char *, size_t))
{
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			nl = end;
		each(p, (size_t)(nl - p));
		p = nl + 1;
	}
}

#endif
