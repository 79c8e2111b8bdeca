/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The correlator's engine, private to its files (docs/CORRELATE.md): one
 * streaming pass over the records of all hosts. It keeps one struct end
 * per socket seen and one struct conn per connection (one or two ends),
 * pairs ends as their records arrive, and decides each connection's
 * verdict as soon as the evidence allows. A decided connection is
 * reported once and freed as soon as its sockets are gone, so memory
 * follows the number of connections open at once.
 *
 * Time: every host's records come in its own clock order. A host's
 * "watermark" is the time of its latest record: it has shown everything
 * up to there. Decisions about what a host did NOT record wait until its
 * watermark passes the moment in question plus the clock skew plus a
 * segment's flight time (FW_FLIGHT_NS).
 *
 *	hosts.c     hosts, clocks, lost windows, snapshot passes
 *	index.c     the address book, the socket indexes, the timer heap
 *	conn.c      connections and ends: lifetime, lists, counters
 *	apply.c     what one record teaches its end
 *	pair.c      pairing two ends into one connection
 *	judge.c     the judges: verdicts, and the facts behind them
 *	evidence.c  the words of a verdict, from those facts
 *	finding.c   a verdict as a struct fw_finding
 *	cause.c     what killed a lost close, in the host's own numbers
 *	engine.c    the feed loop and the fw_corr_* API
 */
#ifndef FW_CORRELATE_ENGINE_H
#define FW_CORRELATE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cause.h"
#include "correlate.h"
#include "record.h"
#include "schema.h"
#include "table.h"

#define UNSET	       FW_UNKNOWN
#define NOT_IN_HEAP    SIZE_MAX
#define AMBIGUOUS_HOST ((struct host *)1)
/*
 * Dead single ends whose peer's host is not known yet (its log may come
 * later in the input) are held for pairing, up to this many; beyond, the
 * oldest is judged alone.
 */
#define FW_HOLD_MAX 65536
/*
 * How long after a snapshot pass a record of its time may still come
 * (the tracer holds records a little to put them in time order).
 */
#define FW_LATE_NS 1000000000ull
/* A heartbeat this much later than its interval: the log is stalled. */
#define FW_STALL_MARGIN_NS 1000000000ull

/* Moves an end remembers with their times (end.hist). */
#define FW_END_HIST 4

/* What a record taught an end that may let it pair now. */
#define FW_NEW_ISN  1u
#define FW_NEW_ADDR 2u

struct lost_win {
	uint64_t from_ns, to_ns;
	uint64_t count; /* 0: the tracer was not running */
	/*
	 * Every record lost belongs to a socket that says so later (its
	 * next record's gap, or a snapshot pass): settled by the host's
	 * first complete pass that began after to_ns.
	 */
	bool pinned;
	size_t settled_by; /* index of that pass in host.snaps, or NO_PASS */
};

#define NO_PASS SIZE_MAX

/*
 * A snapshot pass of a host: every socket on the watched ports in the
 * namespaces it covers was listed between begin_ns and end_ns, so a
 * socket missing from it did not exist then.
 */
struct snap_pass {
	uint64_t begin_ns, end_ns;
	uint64_t *netns; /* NULL: all namespaces */
	size_t nnetns;
	/*
	 * Every socket it counted came (its count), and no record of the
	 * host was lost while it ran: a socket the log knew as open that
	 * it does not list is gone.
	 */
	bool complete;
	bool repair; /* run to settle a loss */
};

struct host {
	char *name;
	size_t len;
	uint64_t start_ns; /* first record */
	uint64_t wm_ns;	   /* latest record */
	bool done;	   /* its log will not grow any more */
	bool synced;	   /* off_ns is known */
	uint64_t off_ns;   /* its clock minus the reference clock (mod
			    * 2^64), learned from ISN-paired connections */
	struct lost_win *lost;
	size_t nlost, caplost;
	size_t nsettled; /* lost[0..nsettled) ended before a complete pass */
	struct snap_pass *snaps;
	size_t nsnaps, capsnaps;
	bool in_pass;	       /* snapshot records of a pass are coming */
	uint64_t pass_ns;      /* the first of them */
	uint64_t pass_snap;    /* its number: 1 is a trace's baseline */
	uint64_t pass_records; /* how many */
	uint64_t pass_wm;      /* the watermark before the first of them */
	bool restarted;	       /* the restart window may end at the baseline */
	uint64_t *watched;     /* the tracer's netns list (start), NULL: all */
	size_t nwatched;
	bool traced;	  /* a start record came: a trace, not a snapshot */
	bool v2;	  /* it writes schema v2: its passes show the dead */
	bool stopped;	  /* a stop record after its latest start */
	bool stalled;	  /* --follow: its heartbeats stopped coming */
	uint32_t tick_ms; /* its heartbeat interval, 0: none */
	char boot_id[FW_REC_BOOT_ID_MAX]; /* "" unknown */
	unsigned int boot_gen;	    /* boots seen before the current one */
	uint64_t boot_ns;	    /* a new boot started then (UNSET: none) */
	size_t unlisted_pass;	    /* a complete pass whose missing sockets
				     * are still to be looked for, or NO_PASS */
	struct fw_rec_facts *facts; /* per namespace (start, netns) */
	size_t nfacts, capfacts;
	bool attach_known; /* a start record listed its attach points */
	bool traces_drops; /* ... and they had the drop program */
	/*
	 * The end of its latest window of lost drop records ("scope":
	 * "drops"), 0: none. Such a loss hides no transition, so no
	 * verdict, but a FIN dropped in it was dropped unseen.
	 */
	uint64_t drops_lost_to_ns;
};

/* An unpaired end that could be this one's peer (pair.c). */
struct pair_doubt {
	bool client;
	const struct host *host;
	uint64_t sock, est_ns; /* est_ns UNSET: older than the logs */
};

struct end {
	struct conn *conn;
	struct host *host;
	uint64_t netns, sock;
	uint8_t family;
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
	bool role_server;
	bool active_known, active_open;
	bool has_isn;
	bool in_isns, in_tuples;
	bool fin_acked;
	uint32_t isn_local, isn_remote;
	uint32_t pid;
	uint8_t state;
	uint32_t fin_retrans;	/* retransmit records carrying FIN */
	uint32_t close_retrans; /* the tracer's own counter */
	uint32_t fin_drops;	/* its FINs its own host dropped (out) */
	uint32_t close_drops;	/* the tracer's own counter */
	uint32_t fin_drops_in;	/* the peer's FINs its host dropped (in) */
	bool first_try_dropped; /* the FIN never left: no retransmission
				 * came before the first drop */
	bool from_snap;		/* first seen in a snapshot */
	bool fin_from_snap;	/* fin_sent_ns is the snapshot that showed
				 * it closing, not the FIN itself */
	int8_t keepalive;	/* -1 unknown, else SO_KEEPALIVE */
	bool in_snap;		/* a snapshot listed it */
	uint8_t snap_state;	/* the closing state that snapshot showed */
	uint32_t rst_count;
	uint64_t pair_ns; /* a peer's records may pair until this+tol */
	uint64_t est_ns;  /* moved to ESTABLISHED */
	uint64_t fin_sent_ns, fin_last_tx_ns, fin_recv_ns;
	uint64_t rst_sent_ns, rst_recv_ns;
	uint64_t cw_ns, cw_left_ns; /* CLOSE_WAIT entered / left */
	uint64_t died_ns;	    /* CLOSE or TIME_WAIT */
	uint64_t idle_ms;	    /* idle before its FIN or RST */
	uint64_t seen_ns;	    /* it surely existed from then on */
	uint64_t snap_idle_ms;	    /* last_recv_ms in its latest snapshot */
	uint64_t fin_drop_in_ns;    /* the first of fin_drops_in */
	const char *drop_reason;    /* of its latest dropped FIN/RST */
	const char *drop_in_reason; /* of the latest dropped peer's FIN */
	struct end_cause cause;	    /* cause.c */
	struct pair_doubt *doubt;   /* pair.c; NULL mostly */
	char comm[FW_REC_COMM_MAX];
	/* schema v2 */
	uint64_t seq; /* creation order: the first end names the conn */
	unsigned int boot_gen; /* its host's boots seen before this one */
	uint64_t last_ns;      /* its latest record */
	uint64_t gap;	    /* its records the tracer lost (their steps came) */
	size_t listed_pass; /* 1 + the index of its host's latest pass that
			     * listed it; 0: none */
	/*
	 * When its records may be missing: its history between two records
	 * was cut (path_cut), or it died unseen after its last record.
	 */
	uint64_t unk_from, unk_to;
	bool died_unseen; /* gone from its host's pass (or boot),
			   * after died_lo, by died_ns */
	uint64_t died_lo;
	bool died_by_boot;    /* its host booted again */
	bool detached;	      /* out of the socket index (a new boot) */
	bool fin_sent_unseen; /* fin_sent_ns is only a latest time */
	bool rst_sent_unseen; /* likewise rst_sent_ns */
	bool rst_recv_unseen; /* a reset known from sk_err alone */
	bool died_at_bound;   /* died_ns is only a latest time */
	uint32_t sk_err;      /* of its final record */
	uint32_t probes_out;  /* of its final record, or UINT32_MAX */
	uint32_t rto_retrans; /* of its final record, or UINT32_MAX */
	uint8_t live_state;   /* its latest state before it died */
	bool traced;	      /* a record not of a snapshot came */
	/* its latest moves, oldest first: the state it was in at a time */
	struct {
		uint64_t t;
		uint8_t state;
	} hist[FW_END_HIST];
	uint8_t nhist;
};

struct conn {
	struct end *e[2]; /* e[1] NULL while unpaired */
	enum fw_paired_by paired_by;
	bool reported;		      /* its verdict is decided */
	bool emitted;		      /* a finding with its id went out */
	bool live_out;		      /* the latest one out was provisional */
	enum fw_verdict live_verdict; /* ... with this verdict */
	struct end *live_closer;      /* ... about this end's close */
	/*
	 * The decision, kept while its survivor lives, for the finding that
	 * says how it died (reaped_by): in batch mode that finding waits.
	 */
	struct judgement *kept;
	struct conn *kept_prev, *kept_next; /* c->kept, in decision order */
	bool held;
	size_t heap_idx;
	uint64_t wake_ns; /* in the reference clock */
	struct conn *prev, *next;
	struct conn *held_prev, *held_next;
};

struct fw_corr {
	struct fw_corr_opts opts;
	fw_finding_cb cb;
	void *ctx;
	struct host **hosts;
	size_t nhosts;
	struct host *last_host;
	struct fw_table socks, isns, tuples, addrs;
	struct conn **heap;
	size_t heap_len, heap_cap;
	struct conn list; /* sentinel of all live conns */
	struct conn held; /* sentinel of the held ones, oldest first */
	struct conn kept; /* sentinel of those with a decision kept */
	size_t nheld;
	uint64_t clock;	   /* min watermark of hosts not done, in the
			    * reference clock */
	bool addr_changed; /* the address book learned something */
	bool evicting;	   /* judging a held end alone, no more waiting */
	struct fw_corr_stats stats;
	struct fw_rec rec;
	char **reasons; /* drop reasons seen, interned */
	size_t nreasons;
	bool failed; /* out of memory: it does nothing any more */
	uint64_t next_seq;
	struct timeline *timeline;
};

/* How a judge ended: only DECIDED leaves a verdict in the judgement. */
enum judge_status {
	JUDGE_DECIDED,
	JUDGE_UNDECIDED, /* not yet: look again at *wake, or at a record */
	JUDGE_PASSED,	 /* not this judge's case: ask the next */
	JUDGE_DISCARD,	 /* nothing to report: free it (a snapshot's lone
			  * dead socket) */
};

/*
 * Which words tell the verdict (evidence.c), one per way of deciding:
 * the reason of an incomplete verdict, else its evidence.
 */
enum evidence {
	EV_NONE, /* not decided */
	/* incomplete */
	EV_LOST_WINDOW,	       /* a lost-event window of lost_host */
	EV_LOG_TOO_SHORT,      /* self's log ends before the close's deadline */
	EV_FIN_ACKED_UNSEEN,   /* self's FIN acknowledged, peer recorded none */
	EV_SHORT_CLOSE_WAIT,   /* self in CLOSE_WAIT, under the limit */
	EV_FIN_UNACKED_AT_END, /* a lone end's FIN, retried to the end */
	EV_NO_PASS_WHILE_OPEN, /* other has no snapshot while self existed */
	EV_PASS_MISSES_NETNS,  /* other's snapshot misses the peer's netns */
	EV_PEER_UNPROVEN,      /* an unpaired end could be self's peer */
	EV_HISTORY_CUT,	       /* self's steps did not all come (path_cut) */
	EV_DIED_UNSEEN,	       /* self died unseen: did the close reach it? */
	EV_DIED_UNSEEN_ALONE,  /* self died unseen, no peer: how it closed */
	EV_LOG_CUT,	       /* self open when its log ended, no stop */
	EV_LIVE_UNDONE,	       /* provisional: an earlier one is undone */
	/* every other verdict */
	EV_CLOSE_WAIT_LEAK,    /* self stayed in CLOSE_WAIT */
	EV_LOST_RST,	       /* self's RST, peer still open */
	EV_LOST_FIN,	       /* self's FIN (fin), peer still open (arrival) */
	EV_DROPPED_ON_ARRIVAL, /* self's host dropped the peer's FIN */
	EV_UNACKED_FIN,	       /* self's FIN (fin) never acknowledged */
	EV_PEER_VANISHED,      /* other's log covers self's birth, no peer */
	EV_SNAPSHOT_VANISHED,  /* other's snapshot lists no peer of self */
	EV_VANISHED_UNSEEN,    /* self's peer died unseen, self never knew */
	EV_LIVE_FIN,	       /* provisional: self's FIN not there (yet) */
	EV_LIVE_RST,	       /* provisional: self's RST never left */
	EV_FIN_UNSEEN,	       /* both closed, self's FIN unseen */
	EV_BOTH_CLOSED,
	EV_CLOSE_IN_FLIGHT, /* the logs ended during the close */
	EV_BOTH_OPEN,
	EV_CLOSED_ALONE,
	EV_OPEN_ALONE,
};

/* How the sender's side shows its FIN. */
enum fin_story {
	FIN_IN_SNAPSHOT,       /* a closing state in a snapshot */
	FIN_DROPPED_BY_SENDER, /* its own host dropped it: it never left */
	FIN_RETRANSMITTED,     /* on the wire, retransmitted */
};

/* What the words say of an end, as it was when judged. */
struct end_facts {
	const struct end *end; /* while the connection lives */
	bool client;
	const char *host;
	uint8_t state;
	uint64_t log_end_ns; /* its host's watermark */
	uint64_t still_ns;   /* it was still in state then (a survivor
			      * that died since: until it died) */
	bool log_cut;	     /* its host's log ends without a stop record */
	bool stalled;	     /* ... it stopped growing (--follow) */
	uint64_t gap;	     /* its records the tracer lost */
	/* died unseen: last heard of, surely gone by, and why */
	bool died_unseen, by_boot;
	uint64_t last_ns, gone_ns;
	/* a stretch of its history that did not all come (path_cut) */
	uint64_t unk_from, unk_to;
};

/* The FIN self sent. */
struct fin_facts {
	enum fin_story story;
	uint64_t sent_ns; /* the snapshot's time for FIN_IN_SNAPSHOT */
	bool sent_unseen; /* sent_ns is only the latest it can have been */
	uint8_t snap_state;
	uint64_t drops; /* tries its own host dropped */
	const char *drop_reason;
	uint64_t retrans;
	uint64_t last_tx_ns; /* its latest try */
	bool then_died;	     /* its socket died afterwards */
	uint64_t died_ns;
	bool died_unseen; /* died_ns is only the latest it can have been */
};

/* The peer's FINs an end's host dropped on arrival. */
struct arrival_facts {
	uint32_t drops;
	const char *reason;
	uint64_t first_ns;
};

/* How the survivor of a lost close died later (issue 15). */
enum reaper {
	REAPED_NOT, /* still open when the logs end */
	REAPED_KEEPALIVE,
	REAPED_USER_TIMEOUT,
	REAPED_RETRANSMIT_TIMEOUT,
	REAPED_REDIS_TIMEOUT,
	REAPED_APP_CLOSE,
	REAPED_RESET,
	REAPED_UNKNOWN, /* it died unseen, or as nothing above tells */
};

/* Every fact the words need, beyond the decision itself. */
struct evidence_facts {
	enum evidence what;
	struct end_facts self; /* the end the words are about */
	struct end_facts peer; /* the other end they name */
	struct fin_facts fin;
	struct arrival_facts arrival;
	bool close_unseen; /* the close's time is only a latest time */
	/* EV_LOST_WINDOW: the window, and whose */
	const char *lost_host;
	struct lost_win lost;
	/* the host whose log should show self's peer, and what it covers */
	const char *other;
	uint64_t other_start_ns, other_end_ns;
	uint64_t pass_ns; /* the end of other's snapshot pass */
	uint64_t est_ns;  /* self was established */
	uint64_t seen_ns; /* self surely existed from then on */
	uint64_t idle_ms; /* self's in its snapshot, or UNSET */
	int8_t keepalive; /* -1 unknown */
	/* self's CLOSE_WAIT: entered, how long, to the end of its log */
	uint64_t cw_since_ns, cw_for_ns;
	bool cw_through_end;
	uint64_t limit_ns;	 /* --close-wait */
	struct pair_doubt doubt; /* EV_PEER_UNPROVEN: that end */
	/* provisional: the receiver's log is current through then */
	uint64_t live_through_ns;
	enum fw_verdict undone; /* EV_LIVE_UNDONE: the verdict undone */
	/* the survivor's death (reaped_ns in its clock), after the close */
	enum reaper reaped_by;
	uint64_t reaped_ns, reaped_after_ns;
};

/* What a judge decided, about which close, and what tells it. */
struct judgement {
	enum fw_verdict verdict;
	bool provisional;   /* --follow: the truth so far, not the last word */
	struct end *closer; /* NULL: no close involved */
	struct end *survivor;
	enum fw_close_kind kind;
	uint64_t close_ns;
	uint64_t cw_ns;
	struct end *fin_unseen;	 /* sent a FIN the peer did not record, but
				  * the peer closed anyway */
	struct end *vanished;	 /* died unseen before the other's close */
	uint8_t surviving_state; /* the survivor's, at survivor_at */
	uint64_t survivor_at;	 /* in its clock; UNSET: when decided */
	struct evidence_facts ev;
	/* while judging: the end of all input; when to look again */
	bool final;
	uint64_t wake; /* in the reference clock; UNSET: at a record */
};

static inline bool is_set(uint64_t t)
{
	return t != UNSET;
}

static inline uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX - 1 : a + b;
}

static inline uint64_t sub_sat(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t tolerance(const struct fw_corr *c)
{
	return add_sat(c->opts.skew_ns, FW_FLIGHT_NS);
}

/* Host clock to reference clock and back (wrapping, like the offset). */
static inline uint64_t to_ref(const struct host *h, uint64_t t)
{
	return t - h->off_ns;
}

static inline uint64_t from_ref(const struct host *h, uint64_t t)
{
	return t + h->off_ns;
}

static inline bool end_dead(const struct end *e)
{
	return is_set(e->died_ns);
}

/* engine.c */
void *corr_calloc(struct fw_corr *c, size_t n, size_t size);
void *corr_realloc(struct fw_corr *c, void *p, size_t n, size_t size);
void *corr_grow(struct fw_corr *c, void *arr, size_t *cap, size_t first,
		size_t size);
bool corr_table_put(struct fw_corr *c, struct fw_table *t, uint64_t h, void *v);
/* Tests only: the nth allocation from now fails (1: the next); 0: none. */
void fw_corr_test_fail_alloc(unsigned long nth);

/* verdict.c */
void conn_evaluate(struct fw_corr *c, struct conn *cn, bool final);

/* reap.c */
bool judgement_reapable(const struct judgement *j);
void reap_note(const struct fw_corr *c, struct judgement *j);

/* live.c */
uint64_t live_judge(struct fw_corr *c, struct conn *cn);

/* hosts.c */
struct host *host_find(struct fw_corr *c, const char *name, size_t len);
struct host *host_get(struct fw_corr *c, const char *name, size_t len,
		      uint64_t now);
void host_add_lost(struct fw_corr *c, struct host *h, uint64_t from,
		   uint64_t to, uint64_t count, bool pinned);
const struct lost_win *host_lost_in(const struct host *h, uint64_t from,
				    uint64_t to, bool ns_known, uint64_t ns);
bool host_start(struct fw_corr *c, struct host *h, const struct fw_rec *r,
		bool first);
void host_learn_facts(struct fw_corr *c, struct host *h,
		      const struct fw_rec *r);
const struct fw_rec_facts *host_facts(const struct host *h, uint64_t netns);
void host_begin_pass(struct fw_corr *c, struct host *h, const struct fw_rec *r);
const struct snap_pass *host_end_pass(struct fw_corr *c, struct host *h,
				      const struct fw_rec *r);
bool host_settle_windows(struct host *h, size_t p);
const struct snap_pass *host_pass_while_open(struct fw_corr *c,
					     const struct host *h,
					     const struct end *e);
bool pass_covers(const struct snap_pass *p, bool known, uint64_t ns);
void host_free(struct host *h);
void clock_update(struct fw_corr *c);
void clock_sync(struct fw_corr *c, struct end *a, struct end *b);
uint64_t clock_convert(const struct end *a, const struct end *b, uint64_t t);
uint64_t clock_tolerance(const struct fw_corr *c, const struct end *a,
			 const struct end *b);
bool host_cut(const struct fw_corr *c, const struct host *h);

/* index.c */
void addr_learn(struct fw_corr *c, const struct end *e);
struct host *addr_peer_host(struct fw_corr *c, const struct end *e);
bool addr_peer_netns(struct fw_corr *c, const struct end *e, uint64_t *ns);
void addr_free_all(struct fw_corr *c);
uint64_t sock_hash(const struct host *h, uint64_t netns, uint64_t sock);
uint64_t isn_hash(uint32_t local, uint32_t remote);
uint64_t isn_half_hash(bool remote, uint32_t isn);
uint64_t tuple_hash(uint8_t family, const uint8_t *la, uint16_t lp,
		    const uint8_t *ra, uint16_t rp);
struct end *sock_find(struct fw_corr *c, const struct host *h, uint64_t netns,
		      uint64_t sock);
void index_pairing(struct fw_corr *c, struct end *e);
void unindex_pairing(struct fw_corr *c, struct end *e);
void unindex_tuple(struct fw_corr *c, struct end *e);
void heap_remove(struct fw_corr *c, struct conn *cn);
void heap_set(struct fw_corr *c, struct conn *cn, uint64_t wake);

/* conn.c */
struct end *end_new(struct fw_corr *c, struct host *h, const struct fw_rec *r);
void conn_unlink(struct fw_corr *c, struct conn *cn);
size_t ends_gone_from_pass(struct fw_corr *c, struct host *h, size_t pass);
void ends_gone_with_boot(struct fw_corr *c, struct host *h);
void end_revive(struct end *e);
void conn_free(struct fw_corr *c, struct conn *cn);
bool conn_dead(const struct conn *cn);
void held_add(struct fw_corr *c, struct conn *cn);
void held_del(struct fw_corr *c, struct conn *cn);
bool end_is_client(const struct end *e);
uint64_t end_fin_retrans(const struct end *e);
uint64_t end_out_drops(const struct end *e);
uint64_t end_fin_resends(const struct end *e);
void end_note_move(struct end *e, uint64_t t, uint8_t state);
uint8_t end_state_at(const struct end *e, uint64_t t);

/* apply.c */
unsigned int apply_record(struct fw_corr *c, struct end *e,
			  const struct fw_rec *r);
void apply_addresses(struct fw_corr *c, struct end *e, const struct fw_rec *r,
		     unsigned int *news);
bool is_epitaph(const struct fw_rec *r);
bool is_listener(const struct fw_rec *r);
uint64_t rec_idle_ms(const struct fw_rec *r);
/*
 * Whether a socket's final error says its own timers gave up (keepalive,
 * retransmissions, TCP_USER_TIMEOUT): ETIMEDOUT, or the ICMP error one of
 * its probes or retransmissions got meanwhile, which tcp_write_err()
 * reports instead (sk_err_soft): a peer host powered off answers no
 * probe, its router says it is unreachable.
 */
bool sk_err_timed_out(uint32_t err);
const char *intern_reason(struct fw_corr *c, const char *s);
void reasons_free(struct fw_corr *c);

/* pair.c */
void try_pair(struct fw_corr *c, struct end *e);
void confirm_by_isn(struct fw_corr *c, struct end *e);
void pair_note_evidence(const struct conn *cn, char *buf, size_t sz);
void pair_check_unproven(struct fw_corr *c, struct end *e, struct judgement *j);

/* judge.c: the judges; judge_alone.c those of a lone end */
enum judge_status judge_conn(struct fw_corr *c, struct conn *cn,
			     struct judgement *j, bool final);
void judgement_refresh(struct judgement *j);
enum judge_status decide(struct judgement *j, enum fw_verdict v,
			 enum evidence what);
void note_end(const struct fw_corr *c, struct end_facts *f,
	      const struct end *e);
void note_fin(struct fin_facts *f, const struct end *s);
void note_arrival(struct arrival_facts *f, const struct end *r);
void wake_at(struct judgement *j, uint64_t ref_ns);
enum judge_status judge_window(const struct fw_corr *c, struct judgement *j,
			       const struct host *h, uint64_t from, uint64_t to,
			       const struct end *who);
enum judge_status judge_peer_window(struct fw_corr *c, struct judgement *j,
				    const struct end *e, const struct host *h,
				    uint64_t from, uint64_t to);
enum judge_status too_soon(const struct fw_corr *c, const struct end *r,
			   struct judgement *j, uint64_t deadline);
enum judge_status judge_close_wait(const struct fw_corr *c, struct end *e,
				   struct judgement *j);
enum judge_status short_close_wait(const struct fw_corr *c, struct end *e,
				   struct judgement *j);
enum judge_status judge_single(struct fw_corr *c, struct conn *cn,
			       struct judgement *j);

/* evidence.c: the finding's text, written from the judgement alone */
#define FW_EVIDENCE_MAX 768
#define FW_REASON_MAX	384
void evidence_write_reason(const struct judgement *j, char *buf, size_t sz);
void evidence_write(const struct judgement *j, const char *reason, char *buf,
		    size_t sz);

/* finding.c */
enum report_kind {
	REPORT_PROVISIONAL, /* --follow: the truth so far */
	REPORT_FINAL,	    /* the verdict, counted */
	REPORT_REVISED,	    /* the verdict again, with how it ended */
};
void finding_report(struct fw_corr *c, struct conn *cn,
		    const struct judgement *j, enum report_kind how);

#endif
