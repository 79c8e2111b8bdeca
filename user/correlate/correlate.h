/* SPDX-License-Identifier: GPL-2.0 */
/*
 * finwatch correlate: pairs the two ends of each TCP connection across the
 * JSON Lines logs of `finwatch trace --json` and tells, per connection,
 * whether a FIN or RST got lost on the way (docs/CORRELATE.md).
 *
 * The CLI is correlate_main(). The engine underneath is usable on its own:
 * feed it lines (or parsed records) in any order of hosts, collect the
 * findings through a callback, call fw_corr_finish() at the end.
 */
#ifndef FW_CORRELATE_H
#define FW_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema.h"

struct fw_rec;

/* `finwatch correlate ...`; argv[0] is "correlate". Returns the exit code. */
int correlate_main(int argc, char **argv);

enum fw_verdict {
	FW_V_LOST_FIN,
	FW_V_LOST_RST,
	FW_V_CLOSE_WAIT_LEAK,
	FW_V_PEER_VANISHED,
	FW_V_UNACKED_FIN,
	FW_V_INCOMPLETE,
	FW_V_OK,
	FW_V_OPEN, /* still open at the end of the logs, nothing wrong */
	FW_V_COUNT,
};

const char *fw_verdict_name(enum fw_verdict v);

enum fw_close_kind { FW_CLOSE_NONE, FW_CLOSE_FIN, FW_CLOSE_RST };

enum fw_paired_by {
	FW_PAIR_NONE,
	FW_PAIR_ISN,
	FW_PAIR_TUPLE,
	FW_PAIR_ISN_HALF, /* one direction's ISN, and the 4-tuple or timing:
			   * a middlebox rewrote the other's sequence numbers */
};

/* What killed a lost close (docs/CORRELATE.md, "Causes"). */
enum fw_cause {
	FW_CAUSE_NONE, /* no lost close in the finding */
	FW_CAUSE_CONNTRACK_INVALID,
	FW_CAUSE_FIREWALL_RULE,
	FW_CAUSE_DROPPED_ON_ARRIVAL,
	FW_CAUSE_HOST_DROP,
	FW_CAUSE_LOST_IN_NETWORK,
	FW_CAUSE_PEER_GONE,
	FW_CAUSE_UNKNOWN,
	FW_CAUSE_COUNT,
};

const char *fw_cause_name(enum fw_cause c);

/*
 * A lost close's cause and the host's own numbers it was told with
 * (FW_UNKNOWN: not in the logs).
 */
struct fw_cause_info {
	enum fw_cause cause;
	const char *host;   /* where it died; NULL: between the hosts, or
			     * not known */
	bool on_arrival;    /* the receiver's host dropped it */
	const char *reason; /* the kernel's drop reason, or NULL */
	uint64_t idle_ms;   /* the flow's idle before the close */
	/* that host's nf_conntrack_tcp_timeout_established (s), be_liberal */
	uint64_t ct_timeout_s, ct_be_liberal;
	uint64_t keepalive_time_s; /* its net.ipv4.tcp_keepalive_time */
	const char *text;	   /* the cause in words; NULL with NONE */
};

/* What the finding says of one end of the connection. */
struct fw_finding_end {
	bool present;	   /* this end's log has the socket */
	char endpoint[64]; /* "ip:port" or "[ip6]:port", as this end (or
			    * else its peer) sees it */
	const char *host;  /* the host of its log; when !present, the host
			    * that owns its address if known, else NULL */
	uint64_t netns;
	uint64_t sock;
	uint32_t pid;	    /* 0 when unknown */
	const char *comm;   /* "" when unknown */
	unsigned int state; /* last known enum fw_tcp_state */
	bool open;	    /* present and not closed when decided */
	uint64_t idle_ms;   /* last_recv_ms in its latest snapshot, or
			     * FW_UNKNOWN */
	int keepalive;	    /* SO_KEEPALIVE in a snapshot: 1, 0; -1 unknown */
	/* its keepalive settings in a snapshot, or FW_UNKNOWN */
	uint64_t keepalive_idle_s, keepalive_intvl_s, keepalive_cnt;
	uint64_t user_timeout_ms; /* 0: not set */
	/* present: its own addresses as its log has them (family 4 or 6,
	 * IPv4 in the first 4 bytes), and its ISNs when has_isn */
	uint8_t family;
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
	bool has_isn;
	uint32_t isn_local, isn_remote;
	uint64_t gap; /* its records the tracer lost (schema v2) */
};

/* Room for a finding's id, "HOST:SOCK" (docs/CORRELATE.md). */
#define FW_FINDING_ID_MAX 288

struct fw_finding {
	enum fw_verdict verdict;
	struct fw_finding_end client, server;
	enum fw_paired_by paired_by;
	bool closer_is_client; /* valid when close_kind != FW_CLOSE_NONE */
	enum fw_close_kind close_kind;
	uint64_t close_time_ns;	       /* closer's clock, or FW_UNKNOWN */
	uint64_t close_retrans;	       /* or FW_UNKNOWN; FIN: resends,
					* those its host dropped included */
	uint64_t close_drops;	       /* tries of the close that a host
					* dropped itself (the sender's on the
					* way out, else the receiver's on
					* arrival), or FW_UNKNOWN */
	const char *drop_reason;       /* kernel drop reason, or NULL */
	uint64_t idle_before_close_ms; /* or FW_UNKNOWN */
	unsigned int surviving_state;  /* 0 when no end survives */
	const struct fw_finding_end *survivor; /* &client, &server or NULL */
	uint64_t close_wait_ns; /* close_wait_leak: time in CLOSE_WAIT */
	const char *evidence;
	const char *reason; /* incomplete only, else NULL */
	struct fw_cause_info cause;
	/*
	 * From this moment on, in the survivor's clock, its peer was surely
	 * closed or gone: the lost close, or the peer host's snapshot pass
	 * that lacked it, made early by the clocks' allowance. Whatever the
	 * survivor received after it came from someone else (`finwatch
	 * reap` checks that). FW_UNKNOWN when no moment proves it.
	 */
	uint64_t peer_gone_ns;
	/*
	 * One per connection, the same in every finding about it: the host
	 * and socket cookie of its end seen first ("app1:8195"; ":bN" after
	 * N new boots of that host).
	 */
	char id[FW_FINDING_ID_MAX];
	/*
	 * --follow: the truth so far, named before the final verdict; a
	 * finding with the same id follows.
	 */
	bool provisional;
	/* an earlier finding with this id went out: this one replaces it */
	bool revision;
	/*
	 * This is the connection's verdict as the stats count it: its
	 * first finding that is not provisional. Revised ones say more.
	 */
	bool counted;
	/*
	 * How the end that survived the lost close died later (NULL: it was
	 * still open when the logs ended, or no close was lost), and how
	 * long after the close (FW_UNKNOWN when not known).
	 */
	const char *reaped_by;
	uint64_t reaped_after_ms;
};

struct fw_corr_opts {
	uint64_t skew_ns;	/* largest clock difference between hosts */
	uint64_t close_wait_ns; /* CLOSE_WAIT longer than this is a leak */
	bool follow;		/* more input may come: never assume EOF */
	/*
	 * --follow: a FIN retransmitted this many times that the receiver's
	 * current log shows no sign of is named at once, provisionally
	 * (--live-retrans; 0: FW_DEFAULT_LIVE_RETRANS).
	 */
	unsigned int live_retrans;
	/* --follow: the wall clock, ns since the epoch (NULL: the system's) */
	uint64_t (*now_ns)(void);
};

#define FW_DEFAULT_LIVE_RETRANS 2

/* Default --skew and --close-wait. */
#define FW_DEFAULT_SKEW_NS	 2000000000ull
#define FW_DEFAULT_CLOSE_WAIT_NS 60000000000ull
/*
 * Allowance for a segment's flight between hosts, on top of the skew,
 * before the receiver's silence counts as the segment being lost.
 */
#define FW_FLIGHT_NS 1000000000ull

struct fw_corr_stats {
	uint64_t records; /* lines that parsed, of any type */
	uint64_t bad_lines;
	uint64_t duplicates;  /* records seen before in another input */
	uint64_t lost_events; /* sum of the tracers' "lost" counts */
	uint64_t connections; /* findings emitted, all verdicts */
	uint64_t verdicts[FW_V_COUNT];
	uint64_t hosts;
	uint64_t open_now; /* connections held in memory right now */
	uint64_t open_peak;
	uint64_t provisional; /* --follow: provisional findings */
	uint64_t revisions;   /* findings that replaced an earlier one */
};

struct fw_corr;

/*
 * Called once per decided connection (and, with --follow, for its
 * provisional and revised findings: the same id); the finding lives
 * until it returns.
 */
typedef void (*fw_finding_cb)(const struct fw_finding *f, void *ctx);

/*
 * A correlation; cb may be NULL. NULL when out of memory. Not thread-safe:
 * parse on one thread at a time (the record parser's key-order cache and
 * address memo are process-wide; used that way they only affect speed).
 */
struct fw_corr *fw_corr_new(const struct fw_corr_opts *opts, fw_finding_cb cb,
			    void *ctx);
void fw_corr_free(struct fw_corr *c);

/*
 * Whether the engine ran out of memory. It then stops for good rather
 * than guess: no finding is reported any more (those reported before
 * stand), and feeding, fw_corr_host_*() and fw_corr_finish() do nothing.
 * The stats stay as they were. Check it after feeding and finishing;
 * fw_corr_free() is still needed.
 */
bool fw_corr_failed(const struct fw_corr *c);

/* Feeds one parsed record (see record.h). */
void fw_corr_feed(struct fw_corr *c, const struct fw_rec *rec);

/*
 * Parses and feeds one line (no newline). Returns 0, or -1 for a bad line,
 * which is counted and described in why (whysz bytes; why may be NULL),
 * or when the engine is out of memory (fw_corr_failed(), not counted).
 */
int fw_corr_feed_line(struct fw_corr *c, const char *line, size_t len,
		      char *why, size_t whysz);

/* Counts a bad line found outside fw_corr_feed_line (too long, say). */
void fw_corr_count_bad(struct fw_corr *c);
/* Counts a valid record of a type the correlator ignores. */
void fw_corr_count_ignored(struct fw_corr *c);
/* Counts a record left out as a copy of one already fed. */
void fw_corr_count_duplicate(struct fw_corr *c);

/*
 * host's log will not grow any more (the end of the last file holding it,
 * when not following): what it did not record by now, it never will.
 */
void fw_corr_host_done(struct fw_corr *c, const char *host);

/*
 * A host's time in the reference clock, corrected by the offset learned
 * from ISN-paired connections; the CLI merges its files in this order.
 */
uint64_t fw_corr_ref_time(struct fw_corr *c, const char *host, size_t len,
			  uint64_t t);

/*
 * A hint that rec will be fed soon: the index slot its socket is looked
 * up at is fetched into the cache meanwhile (the index is larger than
 * the caches when many connections are open). Changes nothing else.
 */
void fw_corr_prefetch(struct fw_corr *c, const struct fw_rec *rec);

/* End of all input: decides every connection still undecided. */
void fw_corr_finish(struct fw_corr *c);

const struct fw_corr_stats *fw_corr_stats(const struct fw_corr *c);

/*
 * Reads the logs in files[] as `finwatch correlate` does (merged by time,
 * "-" for stdin, .gz through zlib, the line formats and duplicates it
 * knows, each bad line a "FILE:LINE: why" warning on stderr) into a
 * correlation with opts whose findings go to cb. prog names the program
 * in messages. Returns 0; or after one line 2 (a file that cannot be
 * opened or read, out of memory) or 3 (no usable record, or more than
 * 1% of the lines bad).
 */
int fw_corr_read_files(const struct fw_corr_opts *opts, char *const *files,
		       size_t nfiles, fw_finding_cb cb, void *ctx,
		       const char *prog);

#endif
