// SPDX-License-Identifier: GPL-2.0
/*
 * The correlator's engine: one streaming pass over the records of all
 * hosts. It keeps one struct end per socket seen and one struct conn per
 * connection (one or two ends), pairs ends as their records arrive, and
 * decides each connection's verdict as soon as the evidence allows. A
 * decided connection is reported once and freed as soon as its sockets
 * are gone, so memory follows the number of connections open at once.
 *
 * Time: every host's records come in its own clock order. A host's
 * "watermark" is the time of its latest record: it has shown everything
 * up to there. Decisions about what a host did NOT record wait until its
 * watermark passes the moment in question plus the clock skew plus a
 * segment's flight time (FW_FLIGHT_NS).
 */
#include "correlate.h"
#include "join.h"
#include "record.h"
#include "table.h"
#include "finwatch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNSET	       UINT64_MAX
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

struct addr_ent {
	uint8_t family;
	uint8_t addr[16];
	struct host *host; /* or AMBIGUOUS_HOST */
	uint64_t netns;	   /* of the sockets that use it */
	bool many_netns;   /* more than one namespace uses it */
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

static bool is_set(uint64_t t)
{
	return t != UNSET;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX - 1 : a + b;
}

static uint64_t sub_sat(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t tolerance(const struct fw_corr *c)
{
	return add_sat(c->opts.skew_ns, FW_FLIGHT_NS);
}

static bool calibrated(const struct end *a, const struct end *b);

/*
 * The allowance between a moment on a's clock and b's record of it:
 * flight time, plus the skew unless convert() calibrates the two ends.
 */
static uint64_t tolerance_between(const struct fw_corr *c, const struct end *a,
				  const struct end *b)
{
	return calibrated(a, b) ? FW_FLIGHT_NS : tolerance(c);
}

const char *fw_verdict_name(enum fw_verdict v)
{
	static const char *const names[FW_V_COUNT] = {
		[FW_V_LOST_FIN] = "lost_fin",
		[FW_V_LOST_RST] = "lost_rst",
		[FW_V_CLOSE_WAIT_LEAK] = "close_wait_leak",
		[FW_V_PEER_VANISHED] = "peer_vanished",
		[FW_V_UNACKED_FIN] = "unacked_fin",
		[FW_V_INCOMPLETE] = "incomplete",
		[FW_V_OK] = "ok",
		[FW_V_OPEN] = "open",
	};

	return (unsigned int)v < FW_V_COUNT ? names[v] : "?";
}

/* ---- memory that must not fail silently ---- */

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "finwatch correlate: out of memory\n");
		exit(2);
	}
	return p;
}

static void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (!p) {
		fprintf(stderr, "finwatch correlate: out of memory\n");
		exit(2);
	}
	return p;
}

static void table_put(struct fw_table *t, uint64_t h, void *v)
{
	if (fw_table_insert(t, h, v) < 0) {
		fprintf(stderr, "finwatch correlate: out of memory\n");
		exit(2);
	}
}

/* ---- hosts ---- */

static struct host *host_find(struct fw_corr *c, const char *name, size_t len)
{
	struct host *h = c->last_host;
	size_t i;

	/* records of one host come in runs: try the last one first */
	if (h && h->len == len && memcmp(h->name, name, len) == 0)
		return h;
	for (i = 0; i < c->nhosts; i++) {
		h = c->hosts[i];
		if (h->len == len && memcmp(h->name, name, len) == 0)
			return c->last_host = h;
	}
	return NULL;
}

static struct host *host_get(struct fw_corr *c, const char *name, size_t len,
			     uint64_t now)
{
	struct host *h = host_find(c, name, len);

	if (h)
		return h;
	h = xcalloc(1, sizeof(*h));
	h->name = xcalloc(1, len + 1);
	memcpy(h->name, name, len);
	h->len = len;
	h->start_ns = now;
	h->wm_ns = now;
	/* the first host's clock is the reference for the others */
	h->synced = c->nhosts == 0;
	c->hosts = xrealloc(c->hosts, (c->nhosts + 1) * sizeof(*c->hosts));
	c->hosts[c->nhosts++] = h;
	c->stats.hosts = c->nhosts;
	return c->last_host = h;
}

static void host_add_lost(struct host *h, uint64_t from, uint64_t to,
			  uint64_t count)
{
	struct lost_win *last = h->nlost ? &h->lost[h->nlost - 1] : NULL;

	/* windows arrive in time order: merge one that touches the last */
	if (last && from <= last->to_ns) {
		last->from_ns = min_u64(last->from_ns, from);
		if (to > last->to_ns)
			last->to_ns = to;
		last->count += count;
		return;
	}
	if (h->nlost == h->caplost) {
		h->caplost = h->caplost ? h->caplost * 2 : 4;
		h->lost = xrealloc(h->lost, h->caplost * sizeof(*h->lost));
	}
	h->lost[h->nlost++] = (struct lost_win){from, to, count};
}

static const struct lost_win *host_lost_in(const struct host *h, uint64_t from,
					   uint64_t to)
{
	size_t i;

	for (i = h->nlost; i-- > 0;)
		if (h->lost[i].from_ns <= to && h->lost[i].to_ns >= from)
			return &h->lost[i];
	return NULL;
}

/* Host clock to reference clock and back (wrapping, like the offset). */
static uint64_t to_ref(const struct host *h, uint64_t t)
{
	return t - h->off_ns;
}

static uint64_t from_ref(const struct host *h, uint64_t t)
{
	return t + h->off_ns;
}

/* The global clock: the least watermark of the hosts still growing. */
static void update_clock(struct fw_corr *c)
{
	uint64_t t = UINT64_MAX;
	size_t i;

	for (i = 0; i < c->nhosts; i++)
		if (!c->hosts[i]->done &&
		    to_ref(c->hosts[i], c->hosts[i]->wm_ns) < t)
			t = to_ref(c->hosts[i], c->hosts[i]->wm_ns);
	c->clock = t;
}

/* ---- the address book: which host owns a local address ---- */

static uint64_t addr_hash(uint8_t family, const uint8_t *a)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, a + 8, 8);
	return fw_mix64(x ^ fw_mix64(y ^ family));
}

static bool same_addr(const void *val, const void *key)
{
	const struct addr_ent *e = val, *k = key;

	return e->family == k->family && memcmp(e->addr, k->addr, 16) == 0;
}

static struct addr_ent *addr_find(struct fw_corr *c, uint8_t family,
				  const uint8_t *a)
{
	struct addr_ent key = {.family = family};

	memcpy(key.addr, a, 16);
	return fw_table_find(&c->addrs, addr_hash(family, a), same_addr, &key);
}

static bool is_loopback(uint8_t family, const uint8_t *a)
{
	static const uint8_t v6_lo[16] = {[15] = 1};

	return family == 4 ? a[0] == 127 : memcmp(a, v6_lo, 16) == 0;
}

static void addr_learn(struct fw_corr *c, const struct end *e)
{
	struct addr_ent *ent;

	static const uint8_t unbound[16];

	if (is_loopback(e->family, e->laddr) || !memcmp(e->laddr, unbound, 16))
		return;
	ent = addr_find(c, e->family, e->laddr);
	if (ent) {
		/* the same address on two hosts: we cannot tell which */
		if (ent->host != e->host && ent->host != AMBIGUOUS_HOST) {
			ent->host = AMBIGUOUS_HOST;
			c->addr_changed = true;
		}
		if (ent->netns != e->netns)
			ent->many_netns = true;
		return;
	}
	c->addr_changed = true;
	ent = xcalloc(1, sizeof(*ent));
	ent->family = e->family;
	memcpy(ent->addr, e->laddr, 16);
	ent->host = e->host;
	ent->netns = e->netns;
	table_put(&c->addrs, addr_hash(e->family, e->laddr), ent);
}

/* The host whose log should show the peer of e, or NULL if unknown. */
static struct host *peer_host(struct fw_corr *c, const struct end *e)
{
	struct addr_ent *ent;

	if (is_loopback(e->family, e->raddr))
		return e->host;
	ent = addr_find(c, e->family, e->raddr);
	if (!ent || ent->host == AMBIGUOUS_HOST)
		return NULL;
	return ent->host;
}

/* ---- keys of the three socket indexes ---- */

static uint64_t sock_hash(const struct host *h, uint64_t netns, uint64_t sock)
{
	return fw_mix64(sock ^ fw_mix64(netns + (uintptr_t)h));
}

static uint64_t isn_hash(uint32_t local, uint32_t remote)
{
	return fw_mix64((uint64_t)local << 32 | remote);
}

static uint64_t tuple_hash(uint8_t family, const uint8_t *la, uint16_t lp,
			   const uint8_t *ra, uint16_t rp)
{
	return fw_mix64(addr_hash(family, la) + ((uint64_t)lp << 16 | rp)) ^
	       addr_hash(family, ra);
}

struct sock_key {
	const struct host *host;
	uint64_t netns, sock;
};

static bool same_sock(const void *val, const void *key)
{
	const struct end *e = val;
	const struct sock_key *k = key;

	return e->host == k->host && e->netns == k->netns && e->sock == k->sock;
}

static struct end *sock_find(struct fw_corr *c, const struct host *h,
			     uint64_t netns, uint64_t sock)
{
	struct sock_key key = {h, netns, sock};

	return fw_table_find(&c->socks, sock_hash(h, netns, sock), same_sock,
			     &key);
}

static void unindex_pairing(struct fw_corr *c, struct end *e)
{
	if (e->in_isns)
		fw_table_remove(&c->isns, isn_hash(e->isn_local, e->isn_remote),
				e);
	if (e->in_tuples)
		fw_table_remove(&c->tuples,
				tuple_hash(e->family, e->laddr, e->lport,
					   e->raddr, e->rport),
				e);
	e->in_isns = e->in_tuples = false;
}

static void index_pairing(struct fw_corr *c, struct end *e)
{
	if (e->has_isn && !e->in_isns) {
		table_put(&c->isns, isn_hash(e->isn_local, e->isn_remote), e);
		e->in_isns = true;
	}
	if (!e->in_tuples) {
		table_put(&c->tuples,
			  tuple_hash(e->family, e->laddr, e->lport, e->raddr,
				     e->rport),
			  e);
		e->in_tuples = true;
	}
}

/* ---- the heap of connections waiting for time to pass ---- */

static void heap_swap(struct fw_corr *c, size_t i, size_t j)
{
	struct conn *t = c->heap[i];

	c->heap[i] = c->heap[j];
	c->heap[j] = t;
	c->heap[i]->heap_idx = i;
	c->heap[j]->heap_idx = j;
}

static void heap_up(struct fw_corr *c, size_t i)
{
	while (i && c->heap[(i - 1) / 2]->wake_ns > c->heap[i]->wake_ns) {
		heap_swap(c, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct fw_corr *c, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < c->heap_len &&
		    c->heap[l]->wake_ns < c->heap[m]->wake_ns)
			m = l;
		if (r < c->heap_len &&
		    c->heap[r]->wake_ns < c->heap[m]->wake_ns)
			m = r;
		if (m == i)
			return;
		heap_swap(c, i, m);
		i = m;
	}
}

static void heap_remove(struct fw_corr *c, struct conn *cn)
{
	size_t i = cn->heap_idx;

	if (i == NOT_IN_HEAP)
		return;
	cn->heap_idx = NOT_IN_HEAP;
	if (i == --c->heap_len)
		return;
	c->heap[i] = c->heap[c->heap_len];
	c->heap[i]->heap_idx = i;
	heap_up(c, i);
	heap_down(c, c->heap[i]->heap_idx);
}

/* Wakes cn once the clock reaches wake (UNSET: only its records will). */
static void heap_set(struct fw_corr *c, struct conn *cn, uint64_t wake)
{
	/*
	 * A wake time already past can only come from times near the ends
	 * of the u64 range (garbage input); waking again at once would
	 * loop, so such a connection waits for its records or the end.
	 */
	if (wake == UNSET || wake <= c->clock) {
		heap_remove(c, cn);
		return;
	}
	if (cn->heap_idx == NOT_IN_HEAP) {
		if (c->heap_len == c->heap_cap) {
			c->heap_cap = c->heap_cap ? c->heap_cap * 2 : 64;
			c->heap = xrealloc(c->heap,
					   c->heap_cap * sizeof(*c->heap));
		}
		cn->heap_idx = c->heap_len;
		c->heap[c->heap_len++] = cn;
		cn->wake_ns = wake;
		heap_up(c, cn->heap_idx);
		return;
	}
	cn->wake_ns = wake;
	heap_up(c, cn->heap_idx);
	heap_down(c, cn->heap_idx);
}

/* ---- connections and ends ---- */

static struct conn *conn_new(struct fw_corr *c)
{
	struct conn *cn = xcalloc(1, sizeof(*cn));

	cn->heap_idx = NOT_IN_HEAP;
	cn->next = c->list.next;
	cn->prev = &c->list;
	c->list.next->prev = cn;
	c->list.next = cn;
	if (++c->stats.open_now > c->stats.open_peak)
		c->stats.open_peak = c->stats.open_now;
	return cn;
}

static void held_del(struct fw_corr *c, struct conn *cn)
{
	if (!cn->held)
		return;
	cn->held_prev->held_next = cn->held_next;
	cn->held_next->held_prev = cn->held_prev;
	cn->held = false;
	c->nheld--;
}

static void conn_unlink(struct fw_corr *c, struct conn *cn)
{
	held_del(c, cn);
	heap_remove(c, cn);
	cn->prev->next = cn->next;
	cn->next->prev = cn->prev;
	c->stats.open_now--;
}

static void end_free(struct fw_corr *c, struct end *e)
{
	unindex_pairing(c, e);
	fw_table_remove(&c->socks, sock_hash(e->host, e->netns, e->sock), e);
	free(e);
}

static void conn_free(struct fw_corr *c, struct conn *cn)
{
	conn_unlink(c, cn);
	if (cn->e[0])
		end_free(c, cn->e[0]);
	if (cn->e[1])
		end_free(c, cn->e[1]);
	free(cn);
}

static struct end *end_new(struct fw_corr *c, struct host *h,
			   const struct fw_rec *r)
{
	struct end *e = xcalloc(1, sizeof(*e));

	e->host = h;
	e->netns = r->netns;
	e->sock = r->sock;
	e->family = r->family;
	memcpy(e->laddr, r->laddr, 16);
	memcpy(e->raddr, r->raddr, 16);
	e->lport = r->lport;
	e->rport = r->rport;
	e->pair_ns = r->time_ns;
	e->est_ns = e->fin_sent_ns = e->fin_last_tx_ns = UNSET;
	e->fin_recv_ns = e->rst_sent_ns = e->rst_recv_ns = UNSET;
	e->cw_ns = e->cw_left_ns = e->died_ns = e->idle_ms = UNSET;
	e->snap_idle_ms = e->fin_drop_in_ns = UNSET;
	e->seen_ns = r->time_ns;
	e->keepalive = -1;
	e->conn = conn_new(c);
	e->conn->e[0] = e;
	table_put(&c->socks, sock_hash(h, r->netns, r->sock), e);
	addr_learn(c, e);
	return e;
}

/*
 * A time of a's clock in b's clock. Two ISN-paired ends established
 * together, which calibrates them better than any host-wide offset.
 */
static bool calibrated(const struct end *a, const struct end *b)
{
	return a->host == b->host ||
	       (a->conn == b->conn && a->conn->paired_by == FW_PAIR_ISN &&
		is_set(a->est_ns) && is_set(b->est_ns));
}

static uint64_t convert(const struct end *a, const struct end *b, uint64_t t)
{
	if (a->host == b->host)
		return t;
	if (calibrated(a, b))
		return t - a->est_ns + b->est_ns;
	return from_ref(b->host, to_ref(a->host, t));
}

static bool end_dead(const struct end *e)
{
	return is_set(e->died_ns);
}

static bool conn_dead(const struct conn *cn)
{
	return (!cn->e[0] || end_dead(cn->e[0])) &&
	       (!cn->e[1] || end_dead(cn->e[1]));
}

static bool is_client(const struct end *e)
{
	return e->active_known ? e->active_open : !e->role_server;
}

/* ---- what one record says about its socket ---- */

static uint64_t fin_retrans(const struct end *e)
{
	return e->fin_retrans > e->close_retrans ? e->fin_retrans
						 : e->close_retrans;
}

/* Tries of its FIN (or RST) that its own host dropped on the way out. */
static uint64_t out_drops(const struct end *e)
{
	return e->fin_drops > e->close_drops ? e->fin_drops : e->close_drops;
}

/*
 * Resends of its FIN: those that reached the wire and those its own host
 * dropped, less the first try when that was dropped (it was the FIN,
 * not a resend).
 */
static uint64_t fin_resends(const struct end *e)
{
	uint64_t n = fin_retrans(e) + out_drops(e);

	return e->first_try_dropped && n ? n - 1 : n;
}

static uint64_t idle_of(const struct fw_rec *r)
{
	uint64_t idle = UNSET;

	if (r->has & FW_HAS_LAST_RECV)
		idle = r->last_recv_ms;
	if (r->has & FW_HAS_LAST_SEND)
		idle = min_u64(idle, r->last_send_ms);
	return idle;
}

static void set_once(uint64_t *field, uint64_t t)
{
	if (!is_set(*field))
		*field = t;
}

static void note_fin_sent(struct end *e, const struct fw_rec *r)
{
	if (is_set(e->fin_sent_ns))
		return;
	e->fin_sent_ns = e->fin_last_tx_ns = r->time_ns;
	if (!is_set(e->rst_sent_ns))
		e->idle_ms = idle_of(r);
}

static void note_rst_sent(struct end *e, const struct fw_rec *r)
{
	e->rst_count++;
	if (is_set(e->rst_sent_ns))
		return;
	e->rst_sent_ns = r->time_ns;
	if (!is_set(e->fin_sent_ns))
		e->idle_ms = idle_of(r);
}

static void apply_state(struct end *e, const struct fw_rec *r)
{
	uint8_t from = r->oldstate, to = r->newstate;
	uint64_t t = r->time_ns;

	if (to == FW_TCP_ESTABLISHED &&
	    (from == FW_TCP_SYN_SENT || from == FW_TCP_SYN_RECV ||
	     from == FW_TCP_NEW_SYN_RECV))
		set_once(&e->est_ns, t);
	if (to == FW_TCP_FIN_WAIT1 || to == FW_TCP_LAST_ACK)
		note_fin_sent(e, r);
	if (to == FW_TCP_CLOSE_WAIT) {
		set_once(&e->fin_recv_ns, t);
		set_once(&e->cw_ns, t);
	}
	if (from == FW_TCP_CLOSE_WAIT && to != FW_TCP_CLOSE_WAIT)
		set_once(&e->cw_left_ns, t);
	if (to == FW_TCP_CLOSING)
		set_once(&e->fin_recv_ns, t);
	if (to == FW_TCP_FIN_WAIT2)
		e->fin_acked = true;
	if (to == FW_TCP_TIME_WAIT) {
		/* from FIN_WAIT2 or FIN_WAIT1 it means the peer's FIN came */
		if (from != FW_TCP_CLOSING)
			set_once(&e->fin_recv_ns, t);
		if (from != FW_TCP_FIN_WAIT2)
			e->fin_acked = true;
		set_once(&e->died_ns, t);
	}
	if (to == FW_TCP_CLOSE) {
		if (from == FW_TCP_LAST_ACK || from == FW_TCP_CLOSING)
			e->fin_acked = true;
		/* an abort from an open state sends RST unless one came in */
		if ((from == FW_TCP_ESTABLISHED || from == FW_TCP_CLOSE_WAIT) &&
		    !is_set(e->rst_recv_ns) && !is_set(e->rst_sent_ns))
			note_rst_sent(e, r);
		set_once(&e->died_ns, t);
	}
	if (to)
		e->state = to;
}

static void apply_owner(struct end *e, const struct fw_rec *r)
{
	if (r->pid)
		e->pid = r->pid;
	if (r->comm[0])
		memcpy(e->comm, r->comm, sizeof(e->comm));
	if (r->has & FW_HAS_ACTIVE_OPEN) {
		e->active_known = true;
		e->active_open = r->active_open;
	}
	e->role_server = r->role_server;
	if ((r->has & FW_HAS_CLOSE_RETRANS) &&
	    r->close_retrans > e->close_retrans)
		e->close_retrans = r->close_retrans;
	if ((r->has & FW_HAS_CLOSE_DROPS) && r->close_drops > e->close_drops) {
		/* drop records lost: the counter still tells what happened */
		if (!e->close_drops && !fin_retrans(e))
			e->first_try_dropped = true;
		e->close_drops = r->close_drops;
	}
}

/* Returns true when the record gave the end its ISNs just now. */
/*
 * The first records of a socket may not know its addresses yet (a
 * SYN_SENT before the port is bound says lport 0): take them from the
 * first record that does. Returns true when they changed.
 */
static bool addresses_unknown(const struct end *e)
{
	static const uint8_t zero[16];

	return !e->lport || !e->rport || !memcmp(e->laddr, zero, 16) ||
	       !memcmp(e->raddr, zero, 16);
}

static bool learn_addresses(struct end *e, const struct fw_rec *r)
{
	if (!addresses_unknown(e) || !r->lport || !r->rport ||
	    r->family != e->family ||
	    (e->lport == r->lport && e->rport == r->rport &&
	     !memcmp(e->laddr, r->laddr, 16) &&
	     !memcmp(e->raddr, r->raddr, 16)))
		return false;
	memcpy(e->laddr, r->laddr, 16);
	memcpy(e->raddr, r->raddr, 16);
	e->lport = r->lport;
	e->rport = r->rport;
	return true;
}

/*
 * Drop reasons are a few kernel names repeated on every drop: each end
 * points to one copy, rather than holding its own.
 */
static const char *intern_reason(struct fw_corr *c, const char *s)
{
	size_t i;

	if (!s[0])
		s = "?";
	for (i = 0; i < c->nreasons; i++)
		if (!strcmp(c->reasons[i], s))
			return c->reasons[i];
	c->reasons =
		xrealloc(c->reasons, (c->nreasons + 1) * sizeof(*c->reasons));
	c->reasons[c->nreasons] = xcalloc(1, strlen(s) + 1);
	memcpy(c->reasons[c->nreasons], s, strlen(s));
	return c->reasons[c->nreasons++];
}

/*
 * A FIN or RST the host dropped itself (skb:kfree_skb). Outgoing: TCP
 * does not count a FIN its own netfilter dropped as sent, so there are
 * no retransmit records, only one drop per try. Incoming: the peer's
 * FIN reached this host and died there, before the socket saw it.
 */
static void apply_drop(struct end *e, const struct fw_rec *r,
		       const char *reason)
{
	if (r->drop_in) {
		if (!(r->tcp_flags & FW_TCPF_FIN))
			return;
		e->fin_drops_in++;
		set_once(&e->fin_drop_in_ns, r->time_ns);
		e->drop_in_reason = reason;
		return;
	}
	if (r->tcp_flags & FW_TCPF_RST) {
		e->drop_reason = reason;
		return;
	}
	if (!(r->tcp_flags & FW_TCPF_FIN))
		return;
	if (!e->fin_drops && !fin_retrans(e))
		e->first_try_dropped = true;
	e->fin_drops++;
	e->drop_reason = reason;
	e->fin_last_tx_ns = r->time_ns;
	/* a FIN dropped before its state record */
	if (!is_set(e->fin_sent_ns))
		note_fin_sent(e, r);
}

/*
 * A snapshot lists a socket as it is, not how it got there: a closing
 * state means its FIN went out (or came in) some time before. Such a
 * FIN is dated by the snapshot, the latest it can have been sent.
 */
static void apply_snap_state(struct end *e, const struct fw_rec *r)
{
	uint8_t st = r->newstate;
	uint64_t t = r->time_ns;

	if (st == FW_TCP_FIN_WAIT1 || st == FW_TCP_FIN_WAIT2 ||
	    st == FW_TCP_CLOSING || st == FW_TCP_LAST_ACK ||
	    st == FW_TCP_TIME_WAIT) {
		if (!is_set(e->fin_sent_ns)) {
			e->fin_from_snap = true;
			e->snap_state = st;
		}
		note_fin_sent(e, r);
	}
	if (st == FW_TCP_FIN_WAIT2 || st == FW_TCP_TIME_WAIT)
		e->fin_acked = true;
	if (st == FW_TCP_CLOSE_WAIT || st == FW_TCP_CLOSING ||
	    st == FW_TCP_LAST_ACK || st == FW_TCP_TIME_WAIT)
		set_once(&e->fin_recv_ns, t);
	if (st == FW_TCP_CLOSE_WAIT)
		set_once(&e->cw_ns, t);
	if (st == FW_TCP_TIME_WAIT || st == FW_TCP_CLOSE)
		set_once(&e->died_ns, t);
	if (st)
		e->state = st;
}

static void apply_snapshot(struct end *e, const struct fw_rec *r)
{
	uint64_t age = 0;

	if (end_dead(e))
		return;
	apply_snap_state(e, r);
	e->in_snap = true;
	if (r->has & FW_HAS_LAST_RECV) {
		e->snap_idle_ms = r->last_recv_ms;
		age = r->last_recv_ms;
	}
	if ((r->has & FW_HAS_LAST_SEND) && r->last_send_ms > age)
		age = r->last_send_ms;
	/* it received or sent something age ms ago: it existed then */
	e->seen_ns = min_u64(e->seen_ns, sub_sat(r->time_ns, age * 1000000));
	if (r->has & FW_HAS_KEEPALIVE)
		e->keepalive = r->keepalive;
}

/* Returns what is new for pairing: FW_NEW_ISN, FW_NEW_ADDR. */
static unsigned int apply_record(struct fw_corr *c, struct end *e,
				 const struct fw_rec *r)
{
	unsigned int new_isn = 0;

	apply_owner(e, r);
	if ((r->has & FW_HAS_ISN) && !e->has_isn) {
		e->has_isn = true;
		e->isn_local = r->isn_local;
		e->isn_remote = r->isn_remote;
		new_isn = FW_NEW_ISN;
	}
	if (!e->state && r->oldstate)
		e->state = r->oldstate;
	switch (r->type) {
	case FW_REC_STATE:
		apply_state(e, r);
		break;
	case FW_REC_CLOSE:
		if (r->oldstate == FW_TCP_CLOSE ||
		    r->oldstate == FW_TCP_TIME_WAIT)
			set_once(&e->died_ns, r->time_ns);
		break;
	case FW_REC_RESET_SENT:
		note_rst_sent(e, r);
		break;
	case FW_REC_RESET_RECEIVED:
		set_once(&e->rst_recv_ns, r->time_ns);
		break;
	case FW_REC_DROP:
		apply_drop(e, r, intern_reason(c, r->reason));
		break;
	case FW_REC_SNAPSHOT:
		apply_snapshot(e, r);
		break;
	case FW_REC_RETRANSMIT:
		if (r->tcp_flags & FW_TCPF_FIN) {
			e->fin_retrans++;
			e->fin_last_tx_ns = r->time_ns;
			/* a FIN retransmitted before its state record */
			if (!is_set(e->fin_sent_ns))
				note_fin_sent(e, r);
		}
		break;
	default:
		break;
	}
	return new_isn;
}

static void feed_addresses(struct fw_corr *c, struct end *e,
			   const struct fw_rec *r, unsigned int *news)
{
	bool indexed = e->in_tuples;

	/* nearly always: nothing to learn, and the tuple index stays */
	if (!addresses_unknown(e))
		return;
	if (indexed)
		fw_table_remove(&c->tuples,
				tuple_hash(e->family, e->laddr, e->lport,
					   e->raddr, e->rport),
				e);
	e->in_tuples = false;
	if (!learn_addresses(e, r)) {
		if (indexed)
			index_pairing(c, e);
		return;
	}
	*news |= FW_NEW_ADDR;
	addr_learn(c, e);
	if (indexed)
		index_pairing(c, e);
}

/*
 * A record of an unknown socket that was already closed (a reset sent
 * after the abort, the destroy after TIME_WAIT) belongs to a connection
 * decided and freed: it teaches nothing. CLOSE -> SYN_SENT is a birth.
 */
static bool is_epitaph(const struct fw_rec *r)
{
	bool dead_before =
		r->oldstate == FW_TCP_CLOSE || r->oldstate == FW_TCP_TIME_WAIT;

	if (r->type == FW_REC_STATE)
		return dead_before && r->newstate == FW_TCP_CLOSE;
	return dead_before;
}

/* ---- pairing ---- */

static bool pairable(const struct end *e, const struct end *cand)
{
	return cand != e && !cand->conn->e[1] && !cand->conn->reported;
}

static struct end *find_by_isn(struct fw_corr *c, const struct end *e)
{
	uint64_t h = isn_hash(e->isn_remote, e->isn_local);
	struct end *cand;
	size_t it;

	for (cand = fw_table_first(&c->isns, h, &it); cand;
	     cand = fw_table_next(&c->isns, h, &it))
		if (cand->isn_local == e->isn_remote &&
		    cand->isn_remote == e->isn_local && pairable(e, cand))
			return cand;
	return NULL;
}

static uint64_t abs_diff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/*
 * A snapshot lists a socket that exists, however old: an open end with
 * the mirrored 4-tuple existed at the same time, so the two are one
 * connection whenever it was made.
 */
static bool both_open_at_snapshot(const struct end *a, const struct end *b)
{
	return (a->from_snap || b->from_snap) && !end_dead(a) && !end_dead(b);
}

/*
 * Without ISNs on both sides, the mirrored 4-tuple within the clock
 * tolerance; the closest in time wins, so a reused 4-tuple pairs with
 * its own generation.
 */
static struct end *find_by_tuple(struct fw_corr *c, const struct end *e)
{
	uint64_t h =
		tuple_hash(e->family, e->raddr, e->rport, e->laddr, e->lport);
	uint64_t best_d = UINT64_MAX, d;
	struct end *cand, *best = NULL;
	size_t it;

	for (cand = fw_table_first(&c->tuples, h, &it); cand;
	     cand = fw_table_next(&c->tuples, h, &it)) {
		if (cand->family != e->family || cand->lport != e->rport ||
		    cand->rport != e->lport ||
		    memcmp(cand->laddr, e->raddr, 16) != 0 ||
		    memcmp(cand->raddr, e->laddr, 16) != 0 ||
		    !pairable(e, cand))
			continue;
		if (cand->has_isn && e->has_isn)
			continue; /* both known and they differ */
		d = abs_diff(to_ref(cand->host, cand->pair_ns),
			     to_ref(e->host, e->pair_ns));
		if ((d <= tolerance(c) || both_open_at_snapshot(e, cand)) &&
		    d < best_d) {
			best = cand;
			best_d = d;
		}
	}
	return best;
}

/*
 * Both ends of an ISN-paired connection were established at the same
 * moment, give or take half a round trip: the difference of their clocks
 * tells one host's offset from the other's.
 */
static void sync_clocks(struct fw_corr *c, struct end *a, struct end *b)
{
	uint64_t sample;

	if (a->host == b->host || !is_set(a->est_ns) || !is_set(b->est_ns) ||
	    a->host->synced == b->host->synced)
		return;
	sample = b->est_ns - a->est_ns;
	if (a->host->synced) {
		b->host->off_ns = a->host->off_ns + sample;
		b->host->synced = true;
	} else {
		a->host->off_ns = b->host->off_ns - sample;
		a->host->synced = true;
	}
	update_clock(c);
}

/* Moves peer's end into e's connection and drops peer's old one. */
static void pair_ends(struct fw_corr *c, struct end *e, struct end *peer,
		      enum fw_paired_by how)
{
	struct conn *old = peer->conn;

	unindex_pairing(c, e);
	unindex_pairing(c, peer);
	old->e[0] = NULL;
	conn_unlink(c, old);
	free(old);
	peer->conn = e->conn;
	e->conn->e[1] = peer;
	e->conn->paired_by = how;
	if (how == FW_PAIR_ISN)
		sync_clocks(c, e, peer);
}

/*
 * Ends paired by tuple before both knew their ISNs (a server's SYN_RECV
 * has none): once the ISNs mirror, the pair is as good as an ISN pair.
 */
static void confirm_by_isn(struct fw_corr *c, struct end *e)
{
	struct conn *cn = e->conn;
	struct end *peer = cn->e[0] == e ? cn->e[1] : cn->e[0];

	if (!peer || cn->paired_by != FW_PAIR_TUPLE || !e->has_isn ||
	    !peer->has_isn || e->isn_local != peer->isn_remote ||
	    e->isn_remote != peer->isn_local)
		return;
	cn->paired_by = FW_PAIR_ISN;
	sync_clocks(c, e, peer);
}

static void try_pair(struct fw_corr *c, struct end *e)
{
	struct end *peer = NULL;
	enum fw_paired_by how = FW_PAIR_ISN;

	if (e->has_isn)
		peer = find_by_isn(c, e);
	if (!peer) {
		peer = find_by_tuple(c, e);
		how = FW_PAIR_TUPLE;
	}
	if (peer) {
		pair_ends(c, e, peer, how);
		return;
	}
	index_pairing(c, e);
}

/* ---- judging ---- */

static void say(char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static const char *role_name(const struct end *e)
{
	return is_client(e) ? "client" : "server";
}

/* Incomplete because of a lost-event window; true if there was one. */
static bool lost_window(struct fw_corr *c, struct judgement *j,
			const struct host *h, uint64_t from, uint64_t to)
{
	const struct lost_win *w = host_lost_in(h, from, to);

	if (!w)
		return false;
	j->verdict = FW_V_INCOMPLETE;
	if (w->count)
		say(c->reason, sizeof(c->reason),
		    "tracer on %s lost %llu events between %llu and %llu",
		    h->name, (unsigned long long)w->count,
		    (unsigned long long)w->from_ns,
		    (unsigned long long)w->to_ns);
	else
		say(c->reason, sizeof(c->reason),
		    "tracer on %s was not running between %llu and %llu",
		    h->name, (unsigned long long)w->from_ns,
		    (unsigned long long)w->to_ns);
	return true;
}

/*
 * What the sender's side shows of its FIN: a closing state in a
 * snapshot, tries its own host dropped (the FIN never left), or
 * retransmissions on the wire.
 */
static void fin_story(const struct end *s, char *buf, size_t sz)
{
	char tail[64] = "";

	if (end_dead(s) && !s->fin_from_snap)
		snprintf(tail, sizeof(tail), ", then its socket died");
	if (s->fin_from_snap && !out_drops(s) && !fin_retrans(s)) {
		say(buf, sz, "%s on %s was in %s in its snapshot at %llu",
		    role_name(s), s->host->name, fw_state_name(s->snap_state),
		    (unsigned long long)s->fin_sent_ns);
		return;
	}
	if (out_drops(s)) {
		say(buf, sz,
		    "%s on %s sent FIN at %llu; the sender's own host dropped "
		    "it %llu times (%s), so it never left%s%s",
		    role_name(s), s->host->name,
		    (unsigned long long)s->fin_sent_ns,
		    (unsigned long long)out_drops(s),
		    s->drop_reason ? s->drop_reason : "?",
		    fin_retrans(s) ? " (plus retransmissions on the wire)" : "",
		    tail);
		return;
	}
	say(buf, sz, "%s on %s sent FIN at %llu, retransmitted %llu times%s",
	    role_name(s), s->host->name, (unsigned long long)s->fin_sent_ns,
	    (unsigned long long)fin_retrans(s), tail);
}

/* The receiving host dropped the FIN on arrival: it came that far. */
static void arrival_story(const struct end *r, char *buf, size_t sz)
{
	buf[0] = '\0';
	if (r->fin_drops_in)
		say(buf, sz,
		    " (it arrived at %s, which dropped it %u times: %s)",
		    r->host->name, r->fin_drops_in, r->drop_in_reason);
}

/* DISCARD: nothing to report, free it (a snapshot's lone dead socket) */
enum { UNDECIDED = -1, PASSED = -2, DISCARD = -3 };

/*
 * A CLOSE_WAIT longer than --close-wait, as soon as it is that long.
 * Returns the verdict, or UNDECIDED with *wake set while it might become
 * one, or PASSED.
 */
static int judge_close_wait(struct fw_corr *c, struct end *e,
			    struct judgement *j, uint64_t *wake)
{
	uint64_t until, limit = c->opts.close_wait_ns;

	if (!is_set(e->cw_ns))
		return PASSED;
	until = is_set(e->cw_left_ns) ? e->cw_left_ns : e->host->wm_ns;
	if (sub_sat(until, e->cw_ns) <= limit) {
		/* a host that stopped cannot make it longer */
		if (!is_set(e->cw_left_ns) && !e->host->done)
			*wake = min_u64(
				*wake,
				to_ref(e->host, add_sat(e->cw_ns, limit)) + 1);
		return PASSED;
	}
	j->survivor = e;
	j->cw_ns = until - e->cw_ns;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = e->cw_ns;
	if (lost_window(c, j, e->host, e->cw_ns, add_sat(e->cw_ns, limit)))
		return j->verdict;
	say(c->evidence, sizeof(c->evidence),
	    "%s on %s received the FIN at %llu and stayed in CLOSE_WAIT "
	    "%.1f s%s (limit %.1f s): its application never closed",
	    role_name(e), e->host->name, (unsigned long long)e->cw_ns,
	    secs(j->cw_ns),
	    is_set(e->cw_left_ns) ? "" : " through the end of its log",
	    secs(limit));
	return j->verdict = FW_V_CLOSE_WAIT_LEAK;
}

/*
 * r's log has not reached deadline yet: wait for it while it may grow,
 * else the close at t (of kind what) cannot be judged.
 */
static int too_soon(struct fw_corr *c, const struct end *r, struct judgement *j,
		    uint64_t deadline, const char *what, uint64_t t,
		    uint64_t *wake, bool final)
{
	if (!final && !r->host->done) {
		*wake = min_u64(*wake, to_ref(r->host, deadline));
		return UNDECIDED;
	}
	say(c->reason, sizeof(c->reason),
	    "%s's log (%s) ends at %llu, too soon after the %s at %llu",
	    role_name(r), r->host->name, (unsigned long long)r->host->wm_ns,
	    what, (unsigned long long)t);
	return j->verdict = FW_V_INCOMPLETE;
}

static int judge_rst(struct fw_corr *c, struct end *s, struct end *r,
		     struct judgement *j, uint64_t *wake, bool final)
{
	uint64_t t = s->rst_sent_ns;
	uint64_t t_r = convert(s, r, t);
	uint64_t deadline = add_sat(t_r, tolerance_between(c, s, r));

	if (is_set(r->rst_recv_ns) || end_dead(r))
		return PASSED;
	j->closer = s;
	j->survivor = r;
	j->kind = FW_CLOSE_RST;
	j->close_ns = t;
	if (r->host->wm_ns < deadline)
		return too_soon(c, r, j, deadline, "RST", t, wake, final);
	if (lost_window(c, j, r->host, sub_sat(t_r, c->opts.skew_ns), deadline))
		return j->verdict;
	say(c->evidence, sizeof(c->evidence),
	    "%s on %s sent RST at %llu; %s on %s never received it and is "
	    "still %s at %llu",
	    role_name(s), s->host->name, (unsigned long long)t, role_name(r),
	    r->host->name, fw_state_name(r->state),
	    (unsigned long long)r->host->wm_ns);
	return j->verdict = FW_V_LOST_RST;
}

/* When r's silence about s's FIN counts: s's socket died, or its log ended. */
static uint64_t fin_deadline(struct fw_corr *c, const struct end *s,
			     const struct end *r, bool final)
{
	if (end_dead(s))
		return add_sat(convert(s, r, s->died_ns),
			       tolerance_between(c, s, r));
	/*
	 * s's log ended while it was still retransmitting: r staying open
	 * past the first FIN through the end of its own log is the lost
	 * FIN; the last retransmission in flight changes nothing.
	 */
	if (final || s->host->done)
		return add_sat(convert(s, r, s->fin_sent_ns),
			       tolerance_between(c, s, r));
	return UNSET;
}

static int judge_fin(struct fw_corr *c, struct end *s, struct end *r,
		     struct judgement *j, uint64_t *wake, bool final)
{
	uint64_t t = s->fin_sent_ns, deadline;

	if (is_set(r->fin_recv_ns))
		return PASSED;
	if (end_dead(r)) {
		if (!j->fin_unseen)
			j->fin_unseen = s;
		return PASSED;
	}
	j->closer = s;
	j->survivor = r;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = t;
	deadline = fin_deadline(c, s, r, final);
	if (deadline == UNSET)
		return UNDECIDED; /* s is still trying */
	if (r->host->wm_ns < deadline)
		return too_soon(c, r, j, deadline, "FIN", t, wake, final);
	if (lost_window(c, j, r->host,
			sub_sat(convert(s, r, t), c->opts.skew_ns), deadline) ||
	    lost_window(c, j, s->host, t, fin_deadline(c, s, s, true)))
		return j->verdict;
	/*
	 * An acknowledged FIN the receiver never recorded means a record is
	 * missing, unless a snapshot showed both: the receiver listed as
	 * still open is evidence, not a gap (a proxy acknowledged it).
	 */
	if (s->fin_acked && !(s->fin_from_snap && r->in_snap)) {
		say(c->reason, sizeof(c->reason),
		    "the FIN of %s was acknowledged, yet %s on %s recorded "
		    "no FIN (a record missing?)",
		    role_name(s), role_name(r), r->host->name);
		return j->verdict = FW_V_INCOMPLETE;
	}
	fin_story(s, c->story, sizeof(c->story));
	arrival_story(r, c->story2, sizeof(c->story2));
	say(c->evidence, sizeof(c->evidence),
	    "%s; %s on %s never received it%s and is still %s at %llu",
	    c->story, role_name(r), r->host->name, c->story2,
	    fw_state_name(r->state), (unsigned long long)r->host->wm_ns);
	return j->verdict = FW_V_LOST_FIN;
}

struct action {
	struct end *s, *r;
	enum fw_close_kind kind;
	uint64_t t;
};

/* The FINs and RSTs the two ends sent, earliest first. */
static size_t list_actions(struct conn *cn, struct action *a)
{
	size_t n = 0, i;
	struct action tmp;

	for (i = 0; i < 2; i++) {
		struct end *s = cn->e[i], *r = cn->e[!i];

		if (is_set(s->fin_sent_ns))
			a[n++] = (struct action){s, r, FW_CLOSE_FIN,
						 s->fin_sent_ns};
		if (is_set(s->rst_sent_ns))
			a[n++] = (struct action){s, r, FW_CLOSE_RST,
						 s->rst_sent_ns};
	}
	/* at most four: an insertion sort */
	for (i = 1; i < n; i++) {
		size_t k = i;

		while (k && a[k - 1].t > a[k].t) {
			tmp = a[k];
			a[k] = a[k - 1];
			a[k - 1] = tmp;
			k--;
		}
	}
	return n;
}

static int judge_actions(struct fw_corr *c, struct conn *cn,
			 struct judgement *j, uint64_t *wake, bool final)
{
	struct action a[4];
	size_t n = list_actions(cn, a), i;
	int v;

	for (i = 0; i < n; i++) {
		if (a[i].kind == FW_CLOSE_FIN)
			v = judge_fin(c, a[i].s, a[i].r, j, wake, final);
		else
			v = judge_rst(c, a[i].s, a[i].r, j, wake, final);
		if (v != PASSED)
			return v;
	}
	if (n) {
		j->closer = a[0].s;
		j->kind = a[0].kind;
		j->close_ns = a[0].t;
	}
	return PASSED;
}

static struct end *still_in_close_wait(struct conn *cn)
{
	size_t i;

	for (i = 0; i < 2; i++)
		if (cn->e[i] && cn->e[i]->state == FW_TCP_CLOSE_WAIT &&
		    !end_dead(cn->e[i]))
			return cn->e[i];
	return NULL;
}

static int short_close_wait(struct fw_corr *c, struct end *e,
			    struct judgement *j)
{
	j->survivor = e;
	say(c->reason, sizeof(c->reason),
	    "%s on %s was in CLOSE_WAIT for %.1f s when its log ended "
	    "(under --close-wait)",
	    role_name(e), e->host->name,
	    secs(sub_sat(e->host->wm_ns, e->cw_ns)));
	return j->verdict = FW_V_INCOMPLETE;
}

static int judge_pair(struct fw_corr *c, struct conn *cn, struct judgement *j,
		      uint64_t *wake, bool final)
{
	struct end *cw;
	size_t i;
	int v;

	for (i = 0; i < 2; i++) {
		v = judge_close_wait(c, cn->e[i], j, wake);
		if (v != PASSED) {
			j->closer = cn->e[!i];
			if (is_set(j->closer->fin_sent_ns))
				j->close_ns = j->closer->fin_sent_ns;
			return v;
		}
	}
	v = judge_actions(c, cn, j, wake, final);
	if (v != PASSED)
		return v;
	if (conn_dead(cn) && j->fin_unseen) {
		say(c->evidence, sizeof(c->evidence),
		    "both ends closed; the FIN of the %s never reached the "
		    "other end, which closed anyway (RST or timeout)",
		    role_name(j->fin_unseen));
		return j->verdict = FW_V_OK;
	}
	if (conn_dead(cn)) {
		say(c->evidence, sizeof(c->evidence),
		    "both ends closed and each saw the other's close");
		return j->verdict = FW_V_OK;
	}
	if (!final)
		return UNDECIDED;
	cw = still_in_close_wait(cn);
	if (cw)
		return short_close_wait(c, cw, j);
	if (j->closer) {
		say(c->evidence, sizeof(c->evidence),
		    "every FIN/RST sent was received; the log ended during "
		    "the close");
		return j->verdict = FW_V_OK;
	}
	j->survivor = cn->e[0];
	say(c->evidence, sizeof(c->evidence),
	    "open on both ends at the end of the logs");
	return j->verdict = FW_V_OPEN;
}

/*
 * One end, whose FIN went unacknowledged until its socket died, or that
 * its own host dropped (then it never left: decisive even while the
 * socket still tries).
 */
static int judge_unacked(struct fw_corr *c, struct end *e, struct judgement *j)
{
	uint64_t until = end_dead(e) ? e->died_ns : e->host->wm_ns;

	j->closer = e;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = e->fin_sent_ns;
	if (!end_dead(e))
		j->survivor = e;
	if (lost_window(c, j, e->host, e->fin_sent_ns, until))
		return j->verdict;
	if (out_drops(e)) {
		fin_story(e, c->story, sizeof(c->story));
		say(c->evidence, sizeof(c->evidence),
		    "%s; the peer's log has no record of this connection",
		    c->story);
		return j->verdict = FW_V_UNACKED_FIN;
	}
	say(c->evidence, sizeof(c->evidence),
	    "%s on %s sent FIN at %llu, retransmitted it %llu times without "
	    "an ACK until its socket died at %llu; the peer's log has no "
	    "record of this connection",
	    role_name(e), e->host->name, (unsigned long long)e->fin_sent_ns,
	    (unsigned long long)fin_retrans(e), (unsigned long long)e->died_ns);
	return j->verdict = FW_V_UNACKED_FIN;
}

/* A lone open end whose host dropped its peer's FIN on arrival. */
static int judge_dropped_arrival(struct fw_corr *c, struct end *e,
				 struct judgement *j)
{
	j->survivor = e;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = e->fin_drop_in_ns;
	if (lost_window(c, j, e->host, e->fin_drop_in_ns, e->host->wm_ns))
		return j->verdict;
	say(c->evidence, sizeof(c->evidence),
	    "the peer's FIN arrived at %s at %llu, which dropped it %u times "
	    "(%s) before %s could see it; %s is still %s at %llu",
	    e->host->name, (unsigned long long)e->fin_drop_in_ns,
	    e->fin_drops_in, e->drop_in_reason, role_name(e), role_name(e),
	    fw_state_name(e->state), (unsigned long long)e->host->wm_ns);
	return j->verdict = FW_V_LOST_FIN;
}

/* An open end whose peer host's log covers its start yet has no peer. */
static bool peer_vanished(struct fw_corr *c, struct end *e, struct judgement *j,
			  int *v)
{
	struct host *h = peer_host(c, e);
	uint64_t tol = tolerance(c), est;

	if (!h || !is_set(e->est_ns))
		return false;
	est = from_ref(h, to_ref(e->host, e->est_ns)); /* in h's clock */
	if (h->start_ns > sub_sat(est, c->opts.skew_ns) ||
	    h->wm_ns < add_sat(est, tol))
		return false;
	j->survivor = e;
	if (lost_window(c, j, h, sub_sat(est, c->opts.skew_ns),
			add_sat(est, tol))) {
		*v = j->verdict;
		return true;
	}
	say(c->evidence, sizeof(c->evidence),
	    "%s on %s established at %llu and is still %s at %llu; the log of "
	    "%s covers %llu..%llu but has no socket for this connection",
	    role_name(e), e->host->name, (unsigned long long)e->est_ns,
	    fw_state_name(e->state), (unsigned long long)e->host->wm_ns,
	    h->name, (unsigned long long)h->start_ns,
	    (unsigned long long)h->wm_ns);
	*v = j->verdict = FW_V_PEER_VANISHED;
	return true;
}

/* "idle 3h12m" and what keepalive can do about it, for the evidence. */
static void idle_story(const struct end *e, char *buf, size_t sz)
{
	char idle[48] = "idle time unknown";
	uint64_t s;

	if (is_set(e->snap_idle_ms)) {
		s = e->snap_idle_ms / 1000;
		if (s >= 3600)
			snprintf(idle, sizeof(idle), "idle %lluh%02llum",
				 (unsigned long long)(s / 3600),
				 (unsigned long long)(s % 3600 / 60));
		else
			snprintf(idle, sizeof(idle), "idle %llum%02llus",
				 (unsigned long long)(s / 60),
				 (unsigned long long)(s % 60));
	}
	say(buf, sz, "%s, %s", idle,
	    e->keepalive < 0 ? "keepalive unknown"
	    : e->keepalive   ? "keepalive on: its probes will reap it"
			     : "keepalive off: nothing will ever reap it");
}

/* The namespace e's peer lives in, from the sockets that use its address. */
static bool peer_netns(struct fw_corr *c, const struct end *e, uint64_t *ns)
{
	const struct addr_ent *ent;

	if (is_loopback(e->family, e->raddr)) {
		*ns = e->netns;
		return true;
	}
	ent = addr_find(c, e->family, e->raddr);
	if (!ent || ent->many_netns)
		return false;
	*ns = ent->netns;
	return true;
}

static bool pass_covers(const struct snap_pass *p, bool known, uint64_t ns)
{
	size_t i;

	if (!p->netns)
		return true;
	for (i = 0; known && i < p->nnetns; i++)
		if (p->netns[i] == ns)
			return true;
	return false;
}

/*
 * The latest pass of h taken while e surely existed: after e was first
 * known to exist, and before e's log ended with it still open (each
 * give or take the allowance). Passes are in time order.
 */
static const struct snap_pass *
pass_while_open(struct fw_corr *c, const struct host *h, const struct end *e)
{
	uint64_t tol = tolerance(c);
	uint64_t from = from_ref(h, to_ref(e->host, e->seen_ns));
	uint64_t until = from_ref(h, to_ref(e->host, e->host->wm_ns));
	size_t i;

	for (i = h->nsnaps; i-- > 0;) {
		const struct snap_pass *p = &h->snaps[i];

		if (p->begin_ns < add_sat(from, tol))
			return NULL;
		if (p->end_ns <= add_sat(until, tol))
			return p;
	}
	return NULL;
}

/*
 * An established end (perhaps older than the logs) whose peer's host
 * listed its sockets while this end surely existed, and listed none for
 * it: the peer is gone without a trace (its FIN or RST lost long ago).
 */
static bool snap_vanished(struct fw_corr *c, struct end *e, struct judgement *j,
			  int *v)
{
	struct host *h = peer_host(c, e);
	const struct snap_pass *p;
	uint64_t ns = 0;
	bool known;

	if (!h || e->state != FW_TCP_ESTABLISHED ||
	    (!h->nsnaps && !e->from_snap))
		return false;
	j->survivor = e;
	p = pass_while_open(c, h, e);
	if (!p) {
		say(c->reason, sizeof(c->reason),
		    "%s has no snapshot taken while this socket surely existed "
		    "(%llu..%llu on %s)",
		    h->name, (unsigned long long)e->seen_ns,
		    (unsigned long long)e->host->wm_ns, e->host->name);
		*v = j->verdict = FW_V_INCOMPLETE;
		return true;
	}
	known = peer_netns(c, e, &ns);
	if (!pass_covers(p, known, ns)) {
		say(c->reason, sizeof(c->reason),
		    "the snapshot of %s at %llu does not cover the network "
		    "namespace of the peer",
		    h->name, (unsigned long long)p->end_ns);
		*v = j->verdict = FW_V_INCOMPLETE;
		return true;
	}
	if (lost_window(c, j, h, p->begin_ns, p->end_ns)) {
		*v = j->verdict;
		return true;
	}
	idle_story(e, c->story2, sizeof(c->story2));
	say(c->evidence, sizeof(c->evidence),
	    "%s on %s is still ESTABLISHED at %llu (%s); the snapshot of %s "
	    "at %llu lists no socket for its peer: the peer is gone",
	    role_name(e), e->host->name, (unsigned long long)e->host->wm_ns,
	    c->story2, h->name, (unsigned long long)p->end_ns);
	*v = j->verdict = FW_V_PEER_VANISHED;
	return true;
}

static int judge_single_open(struct fw_corr *c, struct end *e,
			     struct judgement *j)
{
	int v;

	j->survivor = e;
	if (is_set(e->fin_sent_ns) && !e->fin_acked && out_drops(e) &&
	    !is_set(e->fin_recv_ns) && !is_set(e->rst_recv_ns))
		return judge_unacked(c, e, j);
	if (e->fin_drops_in && !is_set(e->fin_recv_ns) &&
	    !is_set(e->rst_recv_ns))
		return judge_dropped_arrival(c, e, j);
	if (is_set(e->fin_sent_ns) && !e->fin_acked) {
		j->closer = e;
		j->kind = FW_CLOSE_FIN;
		j->close_ns = e->fin_sent_ns;
		say(c->reason, sizeof(c->reason),
		    "FIN still unacknowledged after %llu retransmissions when "
		    "the log ended; the peer's log has no record of it",
		    (unsigned long long)fin_retrans(e));
		return j->verdict = FW_V_INCOMPLETE;
	}
	if (e->state == FW_TCP_CLOSE_WAIT)
		return short_close_wait(c, e, j);
	if (peer_vanished(c, e, j, &v) || snap_vanished(c, e, j, &v))
		return v;
	say(c->evidence, sizeof(c->evidence),
	    "%s on %s is still %s at the end of its log; no peer in the logs",
	    role_name(e), e->host->name, fw_state_name(e->state));
	return j->verdict = FW_V_OPEN;
}

static void held_add(struct fw_corr *c, struct conn *cn);

/*
 * Whether e's peer can no longer show up: its host's log has gone past
 * e's establishment (plus tolerance) without it. While the peer's host
 * is unknown, dead ends are held (held_add), open ones just wait.
 */
static bool alone(struct fw_corr *c, struct conn *cn, uint64_t *wake)
{
	struct end *e = cn->e[0];
	struct host *h = peer_host(c, e);
	uint64_t until;

	if (!h) {
		if (end_dead(e))
			held_add(c, cn);
		return false;
	}
	held_del(c, cn);
	until = add_sat(from_ref(h, to_ref(e->host, e->pair_ns)), tolerance(c));
	if (h->wm_ns >= until || h->done)
		return true;
	*wake = min_u64(*wake, to_ref(h, until));
	return false;
}

static int judge_single(struct fw_corr *c, struct conn *cn, struct judgement *j,
			uint64_t *wake, bool final)
{
	struct end *e = cn->e[0];
	int v;

	v = judge_close_wait(c, e, j, wake);
	if (v != PASSED)
		return v;
	if (!final && !c->evicting && !alone(c, cn, wake))
		return UNDECIDED;
	if (is_set(e->fin_sent_ns) && !e->fin_acked && end_dead(e) &&
	    !is_set(e->fin_recv_ns) && !is_set(e->rst_recv_ns) &&
	    (fin_retrans(e) > 0 || out_drops(e) > 0))
		return judge_unacked(c, e, j);
	/*
	 * A socket a snapshot found already closing, with no peer to tell
	 * whether its close arrived: history from before the logs, no
	 * connection of theirs.
	 */
	if (end_dead(e) && e->from_snap)
		return DISCARD;
	if (end_dead(e)) {
		if (is_set(e->fin_sent_ns) || is_set(e->rst_sent_ns)) {
			j->closer = e;
			j->kind = is_set(e->fin_sent_ns) ? FW_CLOSE_FIN
							 : FW_CLOSE_RST;
			j->close_ns = j->kind == FW_CLOSE_FIN ? e->fin_sent_ns
							      : e->rst_sent_ns;
		}
		say(c->evidence, sizeof(c->evidence),
		    "%s on %s closed normally; no peer in the logs",
		    role_name(e), e->host->name);
		return j->verdict = FW_V_OK;
	}
	if (!final)
		return UNDECIDED;
	return judge_single_open(c, e, j);
}

/* ---- findings ---- */

static uint64_t rst_repeats(const struct end *e)
{
	return e->rst_count ? e->rst_count - 1 : 0;
}

static void fill_end(struct fw_corr *c, struct fw_finding_end *fe,
		     const struct end *e, const struct end *peer)
{
	memset(fe, 0, sizeof(*fe));
	fe->comm = "";
	fe->idle_ms = FW_NO_VALUE;
	fe->keepalive = -1;
	if (e) {
		fe->present = true;
		fe->open = !end_dead(e);
		fe->idle_ms = e->snap_idle_ms;
		fe->keepalive = e->keepalive;
		fw_format_endpoint(fe->endpoint, sizeof(fe->endpoint),
				   e->family, e->laddr, e->lport);
		fe->host = e->host->name;
		fe->netns = e->netns;
		fe->sock = e->sock;
		fe->pid = e->pid;
		fe->comm = e->comm;
		fe->state = e->state;
	} else if (peer) {
		struct host *h = peer_host(c, peer);

		fw_format_endpoint(fe->endpoint, sizeof(fe->endpoint),
				   peer->family, peer->raddr, peer->rport);
		fe->host = h ? h->name : NULL;
	}
}

/* Tries of the close that a host dropped: the sender's, else on arrival. */
static void fill_drops(struct fw_finding *f, const struct judgement *j)
{
	const struct end *s = j->closer, *r = j->survivor;

	if (j->kind != FW_CLOSE_FIN && j->kind != FW_CLOSE_RST)
		return;
	f->close_drops = 0;
	if (s && out_drops(s)) {
		f->close_drops = j->kind == FW_CLOSE_FIN ? out_drops(s) : 0;
		f->drop_reason = s->drop_reason;
	} else if (r && r->fin_drops_in && j->kind == FW_CLOSE_FIN) {
		f->close_drops = r->fin_drops_in;
		f->drop_reason = r->drop_in_reason;
	}
}

static void conn_roles(const struct conn *cn, const struct end **client,
		       const struct end **server)
{
	const struct end *a = cn->e[0], *b = cn->e[1];

	if (!b) {
		*client = is_client(a) ? a : NULL;
		*server = is_client(a) ? NULL : a;
		return;
	}
	if (!is_client(a) && is_client(b)) {
		*client = b;
		*server = a;
	} else {
		*client = a;
		*server = b;
	}
}

static void report(struct fw_corr *c, struct conn *cn, struct judgement *j)
{
	const struct end *client, *server;
	struct fw_finding f;

	conn_roles(cn, &client, &server);
	memset(&f, 0, sizeof(f));
	f.verdict = j->verdict;
	fill_end(c, &f.client, client, server);
	fill_end(c, &f.server, server, client);
	f.paired_by = cn->paired_by;
	f.close_kind = j->kind;
	f.close_time_ns = f.close_retrans = f.idle_before_close_ms =
		f.close_drops = FW_NO_VALUE;
	f.close_wait_ns =
		j->verdict == FW_V_CLOSE_WAIT_LEAK ? j->cw_ns : FW_NO_VALUE;
	if (j->kind != FW_CLOSE_NONE) {
		f.close_time_ns = j->close_ns;
		if (j->closer) {
			f.closer_is_client = j->closer == client;
			f.close_retrans = j->kind == FW_CLOSE_FIN
						  ? fin_resends(j->closer)
						  : rst_repeats(j->closer);
			f.idle_before_close_ms = j->closer->idle_ms;
		} else {
			/* only the receiver is known: the closer is its peer */
			f.closer_is_client = j->survivor != client;
		}
	}
	fill_drops(&f, j);
	if (j->survivor && !end_dead(j->survivor)) {
		f.surviving_state = j->survivor->state;
		f.survivor = j->survivor == client ? &f.client : &f.server;
	}
	f.evidence = c->evidence;
	f.reason = NULL;
	if (j->verdict == FW_V_INCOMPLETE) {
		f.reason = c->reason;
		say(c->evidence, sizeof(c->evidence), "not enough evidence: %s",
		    c->reason);
	}
	c->stats.connections++;
	c->stats.verdicts[j->verdict]++;
	if (c->cb)
		c->cb(&f, c->ctx);
}

/* Decides cn if its evidence allows; frees it once reported and dead. */
static void evaluate(struct fw_corr *c, struct conn *cn, bool final)
{
	struct judgement j = {.verdict = FW_V_OK, .cw_ns = UNSET};
	uint64_t wake = UNSET;
	int v;

	if (cn->reported) {
		if (final || conn_dead(cn))
			conn_free(c, cn);
		return;
	}
	c->evidence[0] = c->reason[0] = '\0';
	if (cn->e[1])
		v = judge_pair(c, cn, &j, &wake, final);
	else
		v = judge_single(c, cn, &j, &wake, final);
	if (v == UNDECIDED) {
		heap_set(c, cn, wake);
		return;
	}
	if (v == DISCARD) {
		conn_free(c, cn);
		return;
	}
	report(c, cn, &j);
	cn->reported = true;
	heap_remove(c, cn);
	held_del(c, cn);
	if (final || conn_dead(cn))
		conn_free(c, cn);
}

static void held_add(struct fw_corr *c, struct conn *cn)
{
	struct conn *oldest;

	if (cn->held)
		return;
	cn->held = true;
	cn->held_prev = c->held.held_prev;
	cn->held_next = &c->held;
	c->held.held_prev->held_next = cn;
	c->held.held_prev = cn;
	if (++c->nheld <= FW_HOLD_MAX)
		return;
	oldest = c->held.held_next;
	c->evicting = true;
	evaluate(c, oldest, false);
	c->evicting = false;
}

/* The address book changed: held ends may know their peer's host now. */
static void reevaluate_held(struct fw_corr *c)
{
	struct conn *cn, *next;

	c->addr_changed = false;
	for (cn = c->held.held_next; cn != &c->held; cn = next) {
		next = cn->held_next;
		evaluate(c, cn, false);
	}
}

/* Re-judges the connections whose waiting time has come. */
static void run_clock(struct fw_corr *c)
{
	while (c->heap_len && c->heap[0]->wake_ns <= c->clock) {
		struct conn *cn = c->heap[0];

		heap_remove(c, cn);
		evaluate(c, cn, false);
	}
}

/* A host stopped growing: anything may have become decidable. */
static void reevaluate_all(struct fw_corr *c)
{
	struct conn *cn, *next;

	update_clock(c);
	for (cn = c->list.next; cn != &c->list; cn = next) {
		next = cn->next;
		evaluate(c, cn, false);
	}
}

/* ---- records ---- */

static void feed_conn_record(struct fw_corr *c, struct host *h,
			     const struct fw_rec *r)
{
	struct end *e = sock_find(c, h, r->netns, r->sock);
	bool is_new = !e;
	unsigned int news = 0;

	if (!e) {
		if (r->type != FW_REC_SNAPSHOT && is_epitaph(r))
			return;
		e = end_new(c, h, r);
		e->from_snap = r->type == FW_REC_SNAPSHOT;
	}
	if (!is_new)
		feed_addresses(c, e, r, &news);
	news |= apply_record(c, e, r);
	if (news & FW_NEW_ISN)
		e->pair_ns = r->time_ns;
	if (!e->conn->e[1] && !e->conn->reported && (is_new || news))
		try_pair(c, e);
	else if (news & FW_NEW_ISN)
		confirm_by_isn(c, e);
	evaluate(c, e->conn, false);
}

static uint64_t *copy_netns(const struct fw_rec *r, size_t *n)
{
	uint64_t *v;

	*n = 0;
	if (!(r->has & FW_HAS_NETNS_LIST) || !r->n_netns)
		return NULL; /* all namespaces */
	v = xcalloc(r->n_netns, sizeof(*v));
	memcpy(v, r->netns_list, r->n_netns * sizeof(*v));
	*n = r->n_netns;
	return v;
}

static void feed_snapshot(struct fw_corr *c, struct host *h,
			  const struct fw_rec *r)
{
	if (!h->in_pass) {
		h->in_pass = true;
		h->pass_ns = r->time_ns;
	}
	/* a listener is no connection: nothing to pair or judge */
	if (r->newstate == FW_TCP_LISTEN)
		return;
	feed_conn_record(c, h, r);
}

/*
 * A pass is complete: what it did not list did not exist then. Its
 * namespaces are its own list, else the tracer's (start), else all.
 */
static void feed_snapshot_end(struct host *h, const struct fw_rec *r)
{
	struct snap_pass *p;

	if (h->nsnaps == h->capsnaps) {
		h->capsnaps = h->capsnaps ? h->capsnaps * 2 : 4;
		h->snaps = xrealloc(h->snaps, h->capsnaps * sizeof(*h->snaps));
	}
	p = &h->snaps[h->nsnaps++];
	p->begin_ns = h->in_pass ? h->pass_ns : r->time_ns;
	p->end_ns = r->time_ns;
	if (r->has & FW_HAS_NETNS_LIST) {
		p->netns = copy_netns(r, &p->nnetns);
	} else if (h->watched) {
		p->netns = xcalloc(h->nwatched, sizeof(*p->netns));
		memcpy(p->netns, h->watched, h->nwatched * sizeof(*p->netns));
		p->nnetns = h->nwatched;
	} else {
		p->netns = NULL;
		p->nnetns = 0;
	}
	h->in_pass = false;
}

static void feed_start(struct fw_corr *c, struct host *h,
		       const struct fw_rec *r, bool first)
{
	free(h->watched);
	h->watched = copy_netns(r, &h->nwatched);
	/* a restarted tracer: what happened in between was not seen */
	if (!first && r->time_ns > h->wm_ns)
		host_add_lost(h, h->wm_ns, r->time_ns, 0);
	if (h->done) {
		h->done = false;
		update_clock(c);
	}
}

void fw_corr_feed(struct fw_corr *c, const struct fw_rec *r)
{
	struct host *h = host_find(c, r->host, r->host_len);
	bool first = !h;
	uint64_t old_wm;

	c->stats.records++;
	if (!h)
		h = host_get(c, r->host, r->host_len, r->time_ns);
	old_wm = h->wm_ns;
	if (r->type == FW_REC_START)
		feed_start(c, h, r, first);
	if (r->time_ns > h->wm_ns)
		h->wm_ns = r->time_ns;
	switch (r->type) {
	case FW_REC_STATE:
	case FW_REC_CLOSE:
	case FW_REC_RESET_SENT:
	case FW_REC_RESET_RECEIVED:
	case FW_REC_RETRANSMIT:
	case FW_REC_DROP:
		feed_conn_record(c, h, r);
		break;
	case FW_REC_SNAPSHOT:
		feed_snapshot(c, h, r);
		break;
	case FW_REC_SNAPSHOT_END:
		feed_snapshot_end(h, r);
		break;
	case FW_REC_LOST:
		c->stats.lost_events += r->count;
		host_add_lost(h, r->from_ns, r->time_ns, r->count);
		break;
	case FW_REC_STOP:
		/*
		 * Following, a stopped tracer's log will not grow (unless it
		 * starts again). Otherwise the end of the file says so, and
		 * a later start in the same file is not a surprise.
		 */
		if (c->opts.follow) {
			h->done = true;
			reevaluate_all(c);
			return;
		}
		break;
	default:
		/* start only moves the clock */
		break;
	}
	if (first || (h->wm_ns != old_wm && to_ref(h, old_wm) <= c->clock))
		update_clock(c);
	if (c->addr_changed)
		reevaluate_held(c);
	run_clock(c);
}

int fw_corr_feed_line(struct fw_corr *c, const char *line, size_t len,
		      char *why, size_t whysz)
{
	int r = fw_rec_parse(line, len, &c->rec);

	if (r < 0) {
		c->stats.bad_lines++;
		if (why && whysz)
			snprintf(why, whysz, "%s", c->rec.why);
		return -1;
	}
	if (r == 0)
		fw_corr_feed(c, &c->rec);
	else
		c->stats.records++;
	return 0;
}

void fw_corr_count_bad(struct fw_corr *c)
{
	c->stats.bad_lines++;
}

void fw_corr_count_ignored(struct fw_corr *c)
{
	c->stats.records++;
}

void fw_corr_host_done(struct fw_corr *c, const char *name)
{
	struct host *h = host_find(c, name, strlen(name));

	if (!h || h->done)
		return;
	h->done = true;
	reevaluate_all(c);
}

void fw_corr_host_alive(struct fw_corr *c, const char *name, uint64_t until_ns)
{
	struct host *h = host_find(c, name, strlen(name));

	if (!h || h->done || until_ns <= h->wm_ns)
		return;
	h->wm_ns = until_ns;
	update_clock(c);
	run_clock(c);
}

void fw_corr_finish(struct fw_corr *c)
{
	size_t i;

	for (i = 0; i < c->nhosts; i++)
		c->hosts[i]->done = true;
	update_clock(c);
	while (c->list.next != &c->list)
		evaluate(c, c->list.next, true);
}

const struct fw_corr_stats *fw_corr_stats(const struct fw_corr *c)
{
	return &c->stats;
}

uint64_t fw_corr_ref_time(struct fw_corr *c, const char *host, size_t len,
			  uint64_t t)
{
	struct host *h = host_find(c, host, len);

	return h ? to_ref(h, t) : t;
}

struct fw_corr *fw_corr_new(const struct fw_corr_opts *opts, fw_finding_cb cb,
			    void *ctx)
{
	struct fw_corr *c = xcalloc(1, sizeof(*c));

	c->opts = *opts;
	c->cb = cb;
	c->ctx = ctx;
	c->list.next = c->list.prev = &c->list;
	c->held.held_next = c->held.held_prev = &c->held;
	c->clock = UINT64_MAX;
	if (fw_table_init(&c->socks, 1024) < 0 ||
	    fw_table_init(&c->isns, 1024) < 0 ||
	    fw_table_init(&c->tuples, 1024) < 0 ||
	    fw_table_init(&c->addrs, 64) < 0) {
		fprintf(stderr, "finwatch correlate: out of memory\n");
		exit(2);
	}
	return c;
}

static void host_free(struct host *h)
{
	size_t i;

	for (i = 0; i < h->nsnaps; i++)
		free(h->snaps[i].netns);
	free(h->snaps);
	free(h->watched);
	free(h->name);
	free(h->lost);
	free(h);
}

void fw_corr_free(struct fw_corr *c)
{
	size_t i;

	if (!c)
		return;
	while (c->list.next != &c->list)
		conn_free(c, c->list.next);
	for (i = 0; i <= c->addrs.mask; i++)
		free(c->addrs.slots[i].val);
	for (i = 0; i < c->nhosts; i++)
		host_free(c->hosts[i]);
	for (i = 0; i < c->nreasons; i++)
		free(c->reasons[i]);
	free(c->reasons);
	free(c->hosts);
	free(c->heap);
	fw_table_free(&c->socks);
	fw_table_free(&c->isns);
	fw_table_free(&c->tuples);
	fw_table_free(&c->addrs);
	free(c);
}
