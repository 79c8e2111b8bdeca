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
 *	judge.c     the judges: verdicts
 *	evidence.c  the words of a verdict
 *	finding.c   a verdict as a struct fw_finding
 *	engine.c    the feed loop and the fw_corr_* API
 */
#ifndef FW_CORRELATE_ENGINE_H
#define FW_CORRELATE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "correlate.h"
#include "finwatch.h"
#include "record.h"
#include "table.h"

#define UNSET	       FW_NO_VALUE
#define NOT_IN_HEAP    SIZE_MAX
#define AMBIGUOUS_HOST ((struct host *)1)
/*
 * Dead single ends whose peer's host is not known yet (its log may come
 * later in the input) are held for pairing, up to this many; beyond, the
 * oldest is judged alone.
 */
#define FW_HOLD_MAX 65536

/* What a record taught an end that may let it pair now. */
#define FW_NEW_ISN  1u
#define FW_NEW_ADDR 2u

struct lost_win {
	uint64_t from_ns, to_ns;
	uint64_t count; /* 0: the tracer was not running */
};

/*
 * A snapshot pass of a host: every socket on the watched ports in the
 * namespaces it covers was listed between begin_ns and end_ns, so a
 * socket missing from it did not exist then.
 */
struct snap_pass {
	uint64_t begin_ns, end_ns;
	uint64_t *netns; /* NULL: all namespaces */
	size_t nnetns;
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
	struct snap_pass *snaps;
	size_t nsnaps, capsnaps;
	bool in_pass;	   /* snapshot records of a pass are coming */
	uint64_t pass_ns;  /* the first of them */
	uint64_t *watched; /* the tracer's netns list (start), NULL: all */
	size_t nwatched;
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
	char comm[FW_REC_COMM_MAX];
};

struct conn {
	struct end *e[2]; /* e[1] NULL while unpaired */
	enum fw_paired_by paired_by;
	bool reported;
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
	size_t nheld;
	uint64_t clock;	   /* min watermark of hosts not done, in the
			    * reference clock */
	bool addr_changed; /* the address book learned something */
	bool evicting;	   /* judging a held end alone, no more waiting */
	struct fw_corr_stats stats;
	struct fw_rec rec;
	char **reasons; /* drop reasons seen, interned */
	size_t nreasons;
	char evidence[512];
	char reason[256];
	char story[256], story2[128]; /* parts of the evidence */
};

/* What a judge decided, and about which close. */
struct judgement {
	enum fw_verdict verdict;
	struct end *closer; /* NULL: no close involved */
	struct end *survivor;
	enum fw_close_kind kind;
	uint64_t close_ns;
	uint64_t cw_ns;
	struct end *fin_unseen; /* sent a FIN the peer did not record, but
				 * the peer closed anyway */
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
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
void table_put(struct fw_table *t, uint64_t h, void *v);
void conn_evaluate(struct fw_corr *c, struct conn *cn, bool final);

/* hosts.c */
struct host *host_find(struct fw_corr *c, const char *name, size_t len);
struct host *host_get(struct fw_corr *c, const char *name, size_t len,
		      uint64_t now);
void host_add_lost(struct host *h, uint64_t from, uint64_t to, uint64_t count);
const struct lost_win *host_lost_in(const struct host *h, uint64_t from,
				    uint64_t to);
void host_start(struct fw_corr *c, struct host *h, const struct fw_rec *r,
		bool first);
void host_begin_pass(struct host *h, uint64_t t);
void host_end_pass(struct host *h, const struct fw_rec *r);
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

/* index.c */
void addr_learn(struct fw_corr *c, const struct end *e);
struct host *addr_peer_host(struct fw_corr *c, const struct end *e);
bool addr_peer_netns(struct fw_corr *c, const struct end *e, uint64_t *ns);
void addr_free_all(struct fw_corr *c);
uint64_t sock_hash(const struct host *h, uint64_t netns, uint64_t sock);
uint64_t isn_hash(uint32_t local, uint32_t remote);
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
void conn_free(struct fw_corr *c, struct conn *cn);
bool conn_dead(const struct conn *cn);
void held_add(struct fw_corr *c, struct conn *cn);
void held_del(struct fw_corr *c, struct conn *cn);
bool end_is_client(const struct end *e);
uint64_t end_fin_retrans(const struct end *e);
uint64_t end_out_drops(const struct end *e);
uint64_t end_fin_resends(const struct end *e);

/* apply.c */
unsigned int apply_record(struct fw_corr *c, struct end *e,
			  const struct fw_rec *r);
void apply_addresses(struct fw_corr *c, struct end *e, const struct fw_rec *r,
		     unsigned int *news);
bool is_epitaph(const struct fw_rec *r);
void reasons_free(struct fw_corr *c);

/* pair.c */
void try_pair(struct fw_corr *c, struct end *e);
void confirm_by_isn(struct fw_corr *c, struct end *e);

/* judge.c: a verdict, or one of these */
enum { UNDECIDED = -1, PASSED = -2, DISCARD = -3 };
int judge_conn(struct fw_corr *c, struct conn *cn, struct judgement *j,
	       uint64_t *wake, bool final);

/* finding.c */
void finding_report(struct fw_corr *c, struct conn *cn,
		    const struct judgement *j);

#endif
