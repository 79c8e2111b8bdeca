/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One line of `finwatch trace --json` decoded and type-checked into a fixed
 * struct (docs/SCHEMA.md). Strings point into the line or into the
 * record's own buffers; nothing is allocated.
 */
#ifndef FW_CORRELATE_RECORD_H
#define FW_CORRELATE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema.h"

#define FW_REC_HOST_MAX 256
#define FW_REC_COMM_MAX 64

/* fw_rec.has: which optional keys were present */
#define FW_HAS_ISN	     (1u << 0) /* both isn_local and isn_remote */
#define FW_HAS_ACTIVE_OPEN   (1u << 1)
#define FW_HAS_LAST_RECV     (1u << 2)
#define FW_HAS_LAST_SEND     (1u << 3)
#define FW_HAS_KEEPALIVE     (1u << 4)
#define FW_HAS_PID	     (1u << 5)
#define FW_HAS_COMM	     (1u << 6)
#define FW_HAS_CLOSE_RETRANS (1u << 7)
#define FW_HAS_CLOSE_DROPS   (1u << 8)
#define FW_HAS_SNAP	     (1u << 9)
#define FW_HAS_NETNS_LIST    (1u << 10) /* start, snapshot_end */
/* the stream's v2 keys */
#define FW_HAS_PROBES_OUT  (1u << 11) /* final records */
#define FW_HAS_RTO_RETRANS (1u << 12)
#define FW_HAS_TICK_MS	   (1u << 14) /* start */
#define FW_HAS_BOOT_ID	   (1u << 15) /* start */
#define FW_HAS_COUNT	   (1u << 16) /* lost, snapshot_end */
#define FW_HAS_PATH	   (1u << 17)
/* the causes' keys: high bits, clear of the stream's v2 ones */
#define FW_HAS_CT_HOOKED   (1u << 24) /* drop */
#define FW_HAS_KA_SETTINGS (1u << 25) /* snapshot: keepalive_* known */
#define FW_HAS_ATTACH	   (1u << 26) /* start */

/* Namespaces a start or snapshot_end record lists, at most. */
#define FW_REC_NETNS_MAX 64
/* Steps of a path kept (the tracer writes at most 6). */
#define FW_REC_PATH_MAX	   8
#define FW_REC_BOOT_ID_MAX 40

/* One transition of a v2 "path": [from, to, time_ns or null]. */
struct fw_rec_step {
	uint8_t from, to; /* enum fw_tcp_state, 0 if unknown */
	uint64_t time_ns; /* FW_UNKNOWN: no program saw it happen */
};

/* What conntrack had attached to a dropped segment (drop "ct"). */
enum fw_ct_view {
	FW_CTV_UNKNOWN = 0, /* not said */
	FW_CTV_NONE,	    /* no entry: INVALID, or conntrack did not look */
	FW_CTV_UNTRACKED,   /* a notrack rule exempted it */
	FW_CTV_TRACKED,	    /* conntrack knew the flow */
};

/* "none", "untracked", "tracked"; FW_CTV_UNKNOWN for anything else
 * (record_facts.c). */
enum fw_ct_view fw_ct_view(const char *s, size_t len);

/* A namespace's facts (schema.h, enum fw_netns_fact) as a log has them. */
struct fw_rec_facts {
	uint64_t netns;
	uint64_t v[FW_FACT_COUNT]; /* FW_UNKNOWN when absent */
};

struct fw_rec {
	enum fw_rec_type type;
	uint64_t time_ns;
	const char *host; /* NUL terminated, in host_buf */
	size_t host_len;

	/* connection records */
	uint64_t netns;
	uint64_t sock;
	uint8_t family;	   /* 4 or 6 */
	uint8_t laddr[16]; /* IPv4 in the first 4 bytes */
	uint8_t raddr[16];
	uint16_t lport, rport;
	bool role_server;
	uint8_t oldstate, newstate; /* enum fw_tcp_state, 0 if unknown */
	uint32_t pid;
	uint32_t isn_local, isn_remote;
	bool active_open;
	bool keepalive;
	uint32_t close_retrans;
	uint32_t close_drops; /* FIN/RST segments its own host dropped */
	uint32_t last_recv_ms, last_send_ms;
	uint32_t keepalive_idle_s;
	uint8_t tcp_flags; /* FW_TCPF_* */
	bool drop_in;	   /* drop: the peer's segment, dropped on arrival */
	char reason[32];   /* drop: kernel drop reason, "" when unknown */
	unsigned int has;  /* FW_HAS_* */
	char comm[FW_REC_COMM_MAX];

	/* what tells the cause of a lost close */
	uint8_t ct;		   /* drop: enum fw_ct_view */
	bool ct_hooked;		   /* drop: FW_HAS_CT_HOOKED */
	char drop_reason_last[32]; /* of its latest dropped FIN/RST, "" */
	char ct_last[16];	   /* conntrack's view of that drop, "" */
	/* snapshot: with keepalive_idle_s, FW_HAS_KA_SETTINGS */
	uint32_t keepalive_intvl_s, keepalive_cnt;
	uint32_t user_timeout_ms; /* snapshot: TCP_USER_TIMEOUT, 0 none */

	/* v2 connection records (docs/SCHEMA.md) */
	struct fw_rec_step path[FW_REC_PATH_MAX]; /* before its own step */
	unsigned int npath;
	bool path_cut;	 /* more steps were waiting than path holds */
	uint64_t gap;	 /* its records lost since its previous one */
	bool final;	 /* the socket's last record */
	uint32_t sk_err; /* final: the pending errno, 0 none */
	uint32_t probes_out, rto_retrans; /* final: FW_HAS_PROBES_OUT, ... */

	/* lost, snapshot_end (count) */
	uint64_t count;
	uint64_t from_ns;
	bool pinned;	 /* lost: every record lost belongs to a socket that
			  * will say so (its next record's gap) */
	bool drops_only; /* lost: "scope":"drops", only drop records */
	bool repair;	 /* snapshot_end: a pass run to settle a loss */

	/* start */
	uint64_t version; /* the record's "v" */
	uint32_t tick_ms; /* heartbeat interval, 0 none (FW_HAS_TICK_MS) */
	bool reopen;	  /* the same trace, continued in a new file */
	char boot_id[FW_REC_BOOT_ID_MAX]; /* FW_HAS_BOOT_ID */

	/* snapshot, snapshot_end: the pass */
	uint64_t snap;
	/*
	 * start, snapshot_end: the namespaces listed (FW_HAS_NETNS_LIST);
	 * none listed means all. A list longer than FW_REC_NETNS_MAX keeps
	 * its first ones and sets netns_more.
	 */
	uint64_t netns_list[FW_REC_NETNS_MAX];
	unsigned int n_netns;
	bool netns_more;
	/*
	 * start: netns_facts, one per namespace (as many as netns_list
	 * holds); netns: facts[0]. start: FW_HAS_ATTACH, and whether the
	 * drop program (skb:kfree_skb) is among the attach points.
	 */
	struct fw_rec_facts facts[FW_REC_NETNS_MAX];
	unsigned int n_facts;
	bool facts_more;
	bool attach_drops;

	char host_buf[FW_REC_HOST_MAX];
	char why[128]; /* set when fw_rec_parse() returns -1 */
};

/*
 * Parses one line (without its newline). Returns 0 for a record to use,
 * 1 for a valid record of a type to ignore, -1 for a bad line (rec->why).
 */
int fw_rec_parse(const char *line, size_t len, struct fw_rec *rec);
/*
 * The same through the general parser alone (the tokenizer and its
 * checks), without the fast path for the tracer's own form: what the
 * differential fuzzer (tests/fuzz/fuzz_record_diff.c) compares it with.
 */
int fw_rec_parse_general(const char *line, size_t len, struct fw_rec *rec);

/*
 * record_facts.c: a namespace's facts from a JSON object (an element of
 * netns_facts, or a whole netns record), and the text of a netns_facts
 * array into rec->facts; -1 with rec->why for bad input.
 */
int fw_rec_parse_facts(struct fw_rec *rec, const char *s, size_t len,
		       struct fw_rec_facts *f);
int fw_rec_parse_facts_list(struct fw_rec *rec, const char *s, size_t len);

/*
 * record_v2.c: the text of a "path" array into rec->path, -1 with
 * rec->why when bad; an errno's name as its number (UINT32_MAX for one
 * it does not know).
 */
int fw_rec_parse_path(const char *s, size_t len, struct fw_rec *rec);

/*
 * record_addr.c: an address text to its 16 bytes (IPv4 in the first 4);
 * whether a text is IPv6; IPv4 as ::ffff:a.b.c.d back to IPv4.
 */
bool fw_rec_parse_addr(const char *s, size_t len, uint8_t *out);
bool fw_rec_is_v6_text(const char *text, size_t len);
void fw_rec_unmap_v4(uint8_t *a, const char *text, size_t len);
uint32_t fw_errno_lookup(const char *s, size_t len);

#endif
