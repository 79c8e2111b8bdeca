/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every finwatch program shares: the configuration, the maps, the
 * watch filter, the per-socket state and the way records are written.
 *
 * The .bpf.c files are compiled one by one and linked into one object by
 * `bpftool gen object`, so the configuration and the maps are defined once,
 * in config.bpf.c, and declared extern here.
 *
 * Cost is the design constraint: every TCP state change on the host runs
 * the state program, so an unwatched socket must be turned away in a few
 * plain loads. Fields are read with plain loads through the pointers the
 * tracepoints hand over (BTF-typed, with CO-RE relocations), never with a
 * bpf_probe_read_kernel() per field, and a watched socket's state lives in
 * socket-local storage: one pointer away, freed with the socket.
 */
#ifndef FW_COMMON_BPF_H
#define FW_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "finwatch.h"

#define AF_INET	    2
#define AF_INET6    10
#define IPPROTO_TCP 6
#define ETIMEDOUT   110

/* TCP header flag bits, as on the wire and in tcp_skb_cb. */
#define FW_TCPHDR_FIN 0x01
#define FW_TCPHDR_SYN 0x02
#define FW_TCPHDR_RST 0x04
/* The segments that open or close a connection. */
#define FW_TCPHDR_CONTROL (FW_TCPHDR_FIN | FW_TCPHDR_SYN | FW_TCPHDR_RST)

/* The kernel's TCP states (vmlinux.h), as fw_event carries them. */
#define FW_TCP_ESTABLISHED  TCP_ESTABLISHED
#define FW_TCP_SYN_SENT	    TCP_SYN_SENT
#define FW_TCP_SYN_RECV	    TCP_SYN_RECV
#define FW_TCP_FIN_WAIT1    TCP_FIN_WAIT1
#define FW_TCP_FIN_WAIT2    TCP_FIN_WAIT2
#define FW_TCP_TIME_WAIT    TCP_TIME_WAIT
#define FW_TCP_CLOSE	    TCP_CLOSE
#define FW_TCP_CLOSE_WAIT   TCP_CLOSE_WAIT
#define FW_TCP_LAST_ACK	    TCP_LAST_ACK
#define FW_TCP_LISTEN	    TCP_LISTEN
#define FW_TCP_CLOSING	    TCP_CLOSING
#define FW_TCP_NEW_SYN_RECV TCP_NEW_SYN_RECV

/* TCP header flag bits, as on the wire and in fw_event.tcp_flags. */
#define FW_TCPF_FIN 0x01
#define FW_TCPF_SYN 0x02
#define FW_TCPF_RST 0x04
#define FW_TCPF_ACK 0x10
/* The segments that open or close a connection. */
#define FW_TCPF_CONTROL (FW_TCPF_FIN | FW_TCPF_SYN | FW_TCPF_RST)

#define FW_PORT_WORDS (65536 / 64)

/*
 * config.bpf.c defines FW_DEFINE_SHARED before including this file, and so
 * holds the one definition of each; everywhere else they are extern.
 */
#ifdef FW_DEFINE_SHARED
#define FW_SHARED
#define FW_INIT(...) = __VA_ARGS__
#else
#define FW_SHARED extern
#define FW_INIT(...)
#endif

/* Set by the loader before load; the verifier sees them as constants. */
FW_SHARED const volatile __u64 fw_port_bitmap[FW_PORT_WORDS] FW_INIT({});
FW_SHARED const volatile bool fw_use_ringbuf FW_INIT(true);
FW_SHARED const volatile bool fw_filter_netns FW_INIT(false);
FW_SHARED const volatile __u32 fw_filter_pid FW_INIT(0);
/* Ring buffer bytes waiting before the reader is woken early. */
FW_SHARED const volatile __u64 fw_wakeup_bytes FW_INIT(256 << 10);
/* Kernel HZ, for converting the jiffies stamps of tcp_sock into ms. */
FW_SHARED const volatile __u32 fw_hz FW_INIT(0);
/* Write a record for every transition (--all-states), rather than fold
 * the uneventful ones into the socket's next record. */
FW_SHARED const volatile bool fw_all_states FW_INIT(false);
/* A trace is running: the iterator may give sockets state of their own
 * (a one-off `finwatch snapshot` leaves the kernel as it found it). */
FW_SHARED const volatile bool fw_tracing FW_INIT(false);
/* finwatch's own socket ids, for sockets whose cookie is not their own
 * (see fw_sock_id_assign()); the loader starts it at a random point. */
FW_SHARED __u64 fw_next_sock_id FW_INIT(0);

/*
 * What finwatch remembers of a watched socket between its events, in the
 * socket's own storage. Transitions not reported yet wait in pending_*:
 * those the default stream folds into the next record, and those whose
 * record the transport could not take.
 */
struct fw_sock_state {
	__u64 sock_id;
	__u64 pending_ts[FW_PATH_MAX];
	__u32 pid;
	__u32 isn_local;
	__u32 isn_remote;
	__u32 close_retrans;
	__u32 close_drops;
	__u32 drop_reason; /* of its latest dropped FIN/RST */
	__u16 lport;	   /* the kernel zeroes its own copy when it unhashes */
	__u16 rport;
	__u16 flags; /* FW_F_OWNER_KNOWN, ISN_KNOWN, ACTIVE_OPEN, ... */
	__u16 lost;  /* its records the transport could not take */
	__u8 pending_from[FW_PATH_MAX];
	__u8 pending_to[FW_PATH_MAX];
	__u8 npending;
	__u8 pending_lost; /* bit i: step i's own record was lost (counted) */
	__u8 last_state;   /* after the last transition finwatch saw */
	__u8 role;
	__u8 family;  /* 0 until the 4-tuple below is known */
	__u8 drop_ct; /* FW_CT_* of its latest dropped FIN/RST */
	__u8 ended;   /* its final record is out */
	char comm[FW_COMM_LEN];
	/* A socket's addresses are wiped by the time it is destroyed after a
	 * reset or a failed connect; its last records use these. */
	__u8 laddr[16];
	__u8 raddr[16];
};

FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct fw_sock_state);
} fw_sock_states SEC(".maps");

/* Who called listen() on a watched port, to name the owner of accepted
 * sockets: their handshake completes in softirq, under whatever task ran. */
FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct fw_listen_key);
	__type(value, struct fw_owner);
} fw_listeners SEC(".maps");

/* The cookie of each listener, to tell the sockets that inherited it. */
FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct fw_listen_key);
	__type(value, __u64);
} fw_listener_cookies SEC(".maps");

/* Socket inode -> owner, for sockets older than the trace: filled by the
 * task_file iterator (or by userspace from /proc) just before a snapshot
 * pass, read by the tcp iterator, emptied after. */
FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, struct fw_owner);
} fw_owners_by_inode SEC(".maps");

FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FW_MAX_NETNS);
	__type(key, __u32);
	__type(value, __u8);
} fw_netns_filter SEC(".maps");

FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FW_CT_HOOK_MAX);
	__type(key, __u32);
	__type(value, __u64);
} fw_ct_hooks SEC(".maps");

FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FW_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} fw_counters SEC(".maps");

FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} fw_ring SEC(".maps");

FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} fw_perf SEC(".maps");

/* ---- the watch filter ---- */

static __always_inline bool fw_port_watched(__u16 port)
{
	return fw_port_bitmap[port >> 6] & (1ULL << (port & 63));
}

static __always_inline void fw_count_add(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&fw_counters, &which);

	if (v)
		*v += n;
}

static __always_inline void fw_count(__u32 which)
{
	fw_count_add(which, 1);
}

static __always_inline __u32 fw_sock_netns(const struct sock *sk)
{
	return sk->__sk_common.skc_net.net->ns.inum;
}

static __always_inline bool fw_state_is_mini_sock(int state)
{
	/* Time-wait and request sockets end with their sock_common: the
	 * fields of a full sock would be read from whatever follows. */
	return state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV;
}

static __always_inline void fw_sock_ports(const struct sock_common *skc,
					  __u16 *lport, __u16 *rport)
{
	*lport = skc->skc_num;
	*rport = bpf_ntohs(skc->skc_dport);
}

static __always_inline bool fw_netns_watched(const struct sock *sk)
{
	__u32 netns;

	if (!fw_filter_netns)
		return true;
	netns = fw_sock_netns(sk);
	return bpf_map_lookup_elem(&fw_netns_filter, &netns);
}

/*
 * The one watch filter, for the tracer and the iterators: an IPv4/IPv6
 * TCP socket (full or mini) with a watched port on either end, in a
 * watched namespace. Fills the ports. A socket being closed has lost its
 * local port already (inet_put_port() runs first): such a socket is
 * watched when it has finwatch state, which the callers check first.
 */
static __always_inline bool fw_sock_passes_filter(const struct sock *sk,
						  __u16 *lport, __u16 *rport)
{
	const struct sock_common *skc = &sk->__sk_common;
	__u16 family = skc->skc_family;

	if (family != AF_INET && family != AF_INET6)
		return false;
	fw_sock_ports(skc, lport, rport);
	if (!fw_port_watched(*lport) && !fw_port_watched(*rport))
		return false;
	if (!fw_state_is_mini_sock(skc->skc_state) &&
	    sk->sk_protocol != IPPROTO_TCP)
		return false;
	return fw_netns_watched(sk);
}

/* The tcp_sock of a full TCP socket, typed for plain loads; NULL for
 * anything else. */
static __always_inline const struct tcp_sock *fw_tcp_sock(const void *sk)
{
	return bpf_skc_to_tcp_sock((void *)sk);
}

/* ---- per-socket state ---- */

static __always_inline struct fw_sock_state *
fw_sock_state_lookup(const struct sock *sk)
{
	return bpf_sk_storage_get(&fw_sock_states, (void *)sk, NULL, 0);
}

/* The process behind current, by its thread group: a thread's own name
 * (redis' "jemalloc_bg_thd") is not the program's. */
static __always_inline void fw_current_owner(__u32 *pid, char *comm)
{
	struct task_struct *task = bpf_get_current_task_btf();

	*pid = bpf_get_current_pid_tgid() >> 32;
	bpf_probe_read_kernel_str(comm, FW_COMM_LEN, task->group_leader->comm);
}

static __always_inline void
fw_sock_state_set_owner_current(struct fw_sock_state *st)
{
	fw_current_owner(&st->pid, st->comm);
	st->flags |= FW_F_OWNER_KNOWN;
}

static __always_inline __u64 fw_own_sock_id_next(void)
{
	return FW_OWN_SOCK_ID_BASE + __sync_fetch_and_add(&fw_next_sock_id, 1);
}

/*
 * A socket's id in the records: its cookie (unique per boot, the one
 * sock_diag reports), except where the cookie is not its own. Up to at
 * least 6.1, an accepted socket is cloned from its listener cookie and
 * all (sk_clone_lock() copies it), so once anything has asked for the
 * listener's cookie (finwatch's snapshot, `ss -e`), every socket accepted
 * on it shares that cookie. Such a socket gets an id of finwatch's own,
 * above 2^52 (and below 2^53, which JSON readers hold exactly). Records
 * the listener's cookie when @sk is a listener.
 */
static __always_inline __u64 fw_sock_id_assign(const struct sock *sk,
					       __u16 lport)
{
	struct fw_listen_key key = { .netns = fw_sock_netns(sk),
				     .port = lport };
	__u64 cookie = sk->__sk_common.skc_cookie.counter;
	int state = sk->__sk_common.skc_state;
	/* A child being cloned still has its listener's state (the
	 * tracepoint fires before the new one is stored) but, unlike a
	 * listener, no struct socket yet. */
	bool listener = state == TCP_LISTEN && sk->sk_socket;
	__u64 *listener_cookie;

	if (cookie && !listener) {
		listener_cookie =
			bpf_map_lookup_elem(&fw_listener_cookies, &key);
		/* A child socket being created has no cookie of its own yet. */
		if (state == TCP_LISTEN || state == TCP_SYN_RECV ||
		    (listener_cookie && *listener_cookie == cookie))
			return fw_own_sock_id_next();
	}
	/* Asking for a listener's cookie would make one, which every socket
	 * accepted on it then inherits (6.1): a listener without one gets an
	 * id of ours instead. */
	if (listener) {
		if (!cookie)
			return fw_own_sock_id_next();
		bpf_map_update_elem(&fw_listener_cookies, &key, &cookie,
				    BPF_ANY);
		return cookie;
	}
	return bpf_get_socket_cookie((void *)sk);
}

/*
 * Gives a watched socket its state, or finds the one it has. A socket
 * seen first in mid-life: the server end of a watched port is almost
 * always the passive opener.
 */
static __always_inline struct fw_sock_state *
fw_sock_state_get_or_create(const struct sock *sk, __u16 lport)
{
	struct fw_sock_state *st = fw_sock_state_lookup(sk);

	if (st)
		return st;
	st = bpf_sk_storage_get(&fw_sock_states, (void *)sk, NULL,
				BPF_SK_STORAGE_GET_F_CREATE);
	if (!st) {
		fw_count(FW_CNT_NO_STATE);
		return NULL;
	}
	st->sock_id = fw_sock_id_assign(sk, lport);
	st->lport = lport;
	st->role = fw_port_watched(lport) ? FW_ROLE_SERVER : FW_ROLE_CLIENT;
	if (st->role == FW_ROLE_CLIENT)
		st->flags |= FW_F_ACTIVE_OPEN;
	st->last_state = sk->__sk_common.skc_state;
	return st;
}

/* A new life for the socket (connect, listen, a child being cloned):
 * nothing remembered of its previous one still applies. */
static __always_inline void fw_sock_state_restart(const struct sock *sk,
						  struct fw_sock_state *st,
						  __u16 lport)
{
	__builtin_memset(st, 0, sizeof(*st));
	st->sock_id = fw_sock_id_assign(sk, lport);
	st->lport = lport;
	st->role = fw_port_watched(lport) ? FW_ROLE_SERVER : FW_ROLE_CLIENT;
	if (st->role == FW_ROLE_CLIENT)
		st->flags |= FW_F_ACTIVE_OPEN;
	st->last_state = TCP_CLOSE;
}

/* States in which both directions' sequence numbers are established. */
static __always_inline bool fw_state_has_isn(int state)
{
	return state == TCP_ESTABLISHED || state == TCP_FIN_WAIT1 ||
	       state == TCP_FIN_WAIT2 || state == TCP_CLOSE_WAIT ||
	       state == TCP_LAST_ACK || state == TCP_CLOSING;
}

/*
 * Initial sequence numbers from what tcp_sock counts, checked on 6.1 and
 * 6.18 (see docs/DESIGN.md): the peer's is rcv_nxt - bytes_received - 1;
 * our own is snd_una - bytes_acked, less one more for a passive opener,
 * whose bytes_acked does not count its SYN-ACK.
 */
static __always_inline void fw_isn_derive(const struct tcp_sock *tp,
					  bool active_open, __u32 *local,
					  __u32 *remote)
{
	*local = tp->snd_una - (__u32)tp->bytes_acked;
	if (!active_open)
		*local -= 1;
	*remote = tp->rcv_nxt - (__u32)tp->bytes_received - 1;
}

static __always_inline void fw_sock_state_learn_isn(const struct tcp_sock *tp,
						    struct fw_sock_state *st)
{
	fw_isn_derive(tp, st->flags & FW_F_ACTIVE_OPEN, &st->isn_local,
		      &st->isn_remote);
	st->flags |= FW_F_ISN_KNOWN;
}

/* ISNs for a socket met after its handshake, once they can be derived. */
static __always_inline void
fw_sock_state_learn_isn_late(const struct tcp_sock *tp,
			     struct fw_sock_state *st, int state)
{
	if (tp && !(st->flags & FW_F_ISN_KNOWN) && fw_state_has_isn(state))
		fw_sock_state_learn_isn(tp, st);
}

/*
 * Remembers a transition for the socket's next record. A full list keeps
 * its first steps and marks the cut: the first ones tell how the
 * connection began to close, which is what the verdicts rest on.
 */
static __always_inline void fw_sock_state_add_pending(struct fw_sock_state *st,
						      int from, int to,
						      __u64 ts, bool lost)
{
	__u32 n = st->npending;

	if (n >= FW_PATH_MAX) {
		st->flags |= FW_F_PATH_CUT;
		return;
	}
	st->pending_from[n] = from;
	st->pending_to[n] = to;
	st->pending_ts[n] = ts;
	if (lost)
		st->pending_lost |= 1u << n;
	st->npending = n + 1;
}

/*
 * The state program did not run for a transition (the kernel skipped it:
 * a softirq fired the tracepoint while the program ran on that CPU): the
 * state finwatch saw last is not the one the socket leaves now. The step
 * nobody saw goes into the path without a time.
 */
static __always_inline void fw_sock_state_note_unseen(struct fw_sock_state *st,
						      int state)
{
	if (!st->last_state || st->last_state == state)
		return;
	fw_sock_state_add_pending(st, st->last_state, state, FW_TIME_UNKNOWN,
				  false);
	st->last_state = state;
}

/* ---- records ---- */

static __always_inline __u32 fw_jiffies_age_ms(__u64 now, __u32 stamp)
{
	__u32 delta = (__u32)now - stamp;

	/* A stamp never set: nothing sent or received yet. */
	if (!fw_hz || !stamp)
		return FW_AGE_UNKNOWN;
	return (__u64)delta * 1000 / fw_hz;
}

/*
 * The socket's addresses, IPv4 in the first 4 bytes. Returns the family
 * (4 or 6); ::ffff:a.b.c.d is an IPv4 peer, reported the way the peer
 * reports it (*mapped).
 */
static __always_inline __u8 fw_sock_read_addrs(const struct sock *sk,
					       __u8 *laddr, __u8 *raddr,
					       bool *mapped)
{
	const struct sock_common *skc = &sk->__sk_common;
	__u32 *l6 = (__u32 *)laddr, *r6 = (__u32 *)raddr;

	*mapped = false;
	if (skc->skc_family == AF_INET) {
		l6[0] = skc->skc_rcv_saddr;
		r6[0] = skc->skc_daddr;
		return 4;
	}
	if (skc->skc_v6_daddr.in6_u.u6_addr32[0] == 0 &&
	    skc->skc_v6_daddr.in6_u.u6_addr32[1] == 0 &&
	    skc->skc_v6_daddr.in6_u.u6_addr32[2] == bpf_htonl(0xffff)) {
		*mapped = true;
		l6[0] = skc->skc_v6_rcv_saddr.in6_u.u6_addr32[3];
		r6[0] = skc->skc_v6_daddr.in6_u.u6_addr32[3];
		return 4;
	}
	for (int i = 0; i < 4; i++) {
		l6[i] = skc->skc_v6_rcv_saddr.in6_u.u6_addr32[i];
		r6[i] = skc->skc_v6_daddr.in6_u.u6_addr32[i];
	}
	return 6;
}

/*
 * A connection's 4-tuple does not change once both ports are set, but
 * the kernel wipes it before the socket is destroyed after a reset or a
 * failed connect: the socket's state keeps the one it had, for the
 * records that follow.
 */
static __always_inline void fw_sock_state_learn_tuple(const struct sock *sk,
						      struct fw_sock_state *st)
{
	__u16 lport, rport;
	bool mapped;

	if (st->family)
		return;
	fw_sock_ports(&sk->__sk_common, &lport, &rport);
	if (!lport || !rport)
		return;
	st->family = fw_sock_read_addrs(sk, st->laddr, st->raddr, &mapped);
	if (mapped)
		st->flags |= FW_F_V4_MAPPED;
	st->lport = lport;
	st->rport = rport;
}

/* Counters of the connection as it stands; only full sockets have them. */
static __always_inline void fw_record_fill_counters(struct fw_event *ev,
						    const struct tcp_sock *tp)
{
	__u64 now = bpf_jiffies64();

	ev->bytes_acked = tp->bytes_acked;
	ev->bytes_received = tp->bytes_received;
	ev->total_retrans = tp->total_retrans;
	ev->last_recv_ms = fw_jiffies_age_ms(now, tp->rcv_tstamp);
	ev->last_send_ms = fw_jiffies_age_ms(now, tp->lsndtime);
}

/*
 * The same, read with bpf_probe_read_kernel(): for a socket reached
 * through another object (skb->sk is an RCU pointer on 6.x, which
 * bpf_skc_to_tcp_sock() refuses), on the rare paths only.
 */
static __always_inline void
fw_record_fill_counters_probed(struct fw_event *ev, const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u64 now = bpf_jiffies64();

	ev->bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	ev->bytes_received = BPF_CORE_READ(tp, bytes_received);
	ev->total_retrans = BPF_CORE_READ(tp, total_retrans);
	ev->last_recv_ms =
		fw_jiffies_age_ms(now, BPF_CORE_READ(tp, rcv_tstamp));
	ev->last_send_ms = fw_jiffies_age_ms(now, BPF_CORE_READ(tp, lsndtime));
}

/* How it ends: the error that ended it and the probes left unanswered
 * tell a keepalive or a retransmission timeout from a reset. */
static __always_inline void fw_record_fill_end(struct fw_event *ev,
					       const struct sock *sk,
					       const struct tcp_sock *tp)
{
	int keepopen = bpf_core_enum_value(enum sock_flags, SOCK_KEEPOPEN);

	ev->sk_err = sk->sk_err;
	if (sk->__sk_common.skc_flags & (1UL << keepopen))
		ev->flags |= FW_F_KEEPALIVE;
	if (!tp)
		return;
	ev->probes_out = tp->inet_conn.icsk_probes_out;
	ev->rto_retrans = tp->inet_conn.icsk_retransmits;
}

/* The transitions waiting in the socket's state ride along. Returns how
 * many. */
static __always_inline int fw_record_fill_path(struct fw_event *ev,
					       const struct fw_sock_state *st)
{
	__u32 n = st->npending;

	if (n > FW_PATH_MAX)
		n = FW_PATH_MAX;
	for (__u32 i = 0; i < FW_PATH_MAX; i++) {
		if (i >= n)
			break;
		ev->path_from[i] = st->pending_from[i];
		ev->path_to[i] = st->pending_to[i];
		ev->path_ts[i] = st->pending_ts[i];
	}
	ev->npath = n;
	return n;
}

/*
 * What a record says beyond the socket: its kind, the transition or the
 * segment it is about.
 */
struct fw_what {
	__u64 ts_ns;
	__u32 drop_reason;
	__u16 flags;
	__u8 type;
	__u8 oldstate;
	__u8 newstate;
	__u8 tcp_flags;
	__u8 drop_ct;
	bool with_path;	     /* carry the socket's pending transitions */
	bool final;	     /* the socket's last record */
	bool probe_counters; /* no tcp_sock pointer: read them the slow way */
};

/*
 * Everything about the socket. @tp is NULL for a socket without tcp_sock
 * counters yet (or any more). Returns how many of the socket's pending
 * transitions the record carries. Not inlined: every program writes
 * records from several places, and one copy keeps them small.
 */
static __noinline int fw_record_fill(struct fw_event *ev, const struct sock *sk,
				     const struct tcp_sock *tp,
				     const struct fw_sock_state *st,
				     const struct fw_what *w)
{
	bool mapped;

	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = w->ts_ns;
	ev->type = w->type;
	ev->oldstate = w->oldstate;
	ev->newstate = w->newstate;
	ev->tcp_flags = w->tcp_flags;
	ev->drop_reason = w->drop_reason;
	ev->drop_ct = w->drop_ct;
	ev->flags = w->flags;
	ev->netns = fw_sock_netns(sk);
	ev->last_recv_ms = FW_AGE_UNKNOWN;
	ev->last_send_ms = FW_AGE_UNKNOWN;
	fw_sock_ports(&sk->__sk_common, &ev->lport, &ev->rport);
	ev->family = fw_sock_read_addrs(sk, ev->laddr, ev->raddr, &mapped);
	if (mapped)
		ev->flags |= FW_F_V4_MAPPED;
	if (tp)
		fw_record_fill_counters(ev, tp);
	else if (w->probe_counters)
		fw_record_fill_counters_probed(ev, sk);
	if (w->final) {
		ev->flags |= FW_F_FINAL;
		fw_record_fill_end(ev, sk, tp);
	}
	if (!st) {
		ev->role = fw_port_watched(ev->lport) ? FW_ROLE_SERVER
						      : FW_ROLE_CLIENT;
		return 0;
	}
	if (st->family) {
		ev->flags &= ~FW_F_V4_MAPPED;
		ev->family = st->family;
		ev->lport = st->lport;
		ev->rport = st->rport;
		__builtin_memcpy(ev->laddr, st->laddr, 16);
		__builtin_memcpy(ev->raddr, st->raddr, 16);
	} else if (!ev->lport) {
		ev->lport = st->lport;
	}
	ev->sock_id = st->sock_id;
	ev->role = st->role;
	ev->close_retrans = st->close_retrans;
	ev->close_drops = st->close_drops;
	/* Every record of a socket whose FIN or RST its host dropped says how
	 * the last one died, even when the drop records were lost. */
	if (w->type != FW_EV_DROP && st->close_drops) {
		ev->drop_reason = st->drop_reason;
		ev->drop_ct = st->drop_ct;
	}
	ev->gap = st->lost;
	ev->flags |= st->flags &
		     (FW_F_OWNER_KNOWN | FW_F_ISN_KNOWN | FW_F_ACTIVE_OPEN |
		      FW_F_OPEN_SEEN | FW_F_PATH_CUT | FW_F_V4_MAPPED);
	if (st->flags & FW_F_ISN_KNOWN) {
		ev->isn_local = st->isn_local;
		ev->isn_remote = st->isn_remote;
	}
	if (st->flags & FW_F_OWNER_KNOWN) {
		ev->pid = st->pid;
		__builtin_memcpy(ev->comm, st->comm, FW_COMM_LEN);
	}
	return w->with_path ? fw_record_fill_path(ev, st) : 0;
}

/*
 * Hands a record to userspace. The reader is not woken per record (that
 * wakeup is what makes a naive tracer cost ~10 us per event); it polls on
 * a short timeout, and is woken early only when records pile up. The ring
 * buffer is written in place (reserve, fill, submit); the perf buffer
 * takes a copy from the stack. Returns how many pending transitions the
 * record carried, or -1 when the transport had no room.
 */
static __always_inline int fw_record_write(void *ctx, const struct sock *sk,
					   const struct tcp_sock *tp,
					   const struct fw_sock_state *st,
					   const struct fw_what *w)
{
	struct fw_event *ev, stack_ev;
	__u64 flags = BPF_RB_NO_WAKEUP;
	int carried;

	if (fw_use_ringbuf) {
		ev = bpf_ringbuf_reserve(&fw_ring, sizeof(*ev), 0);
		if (!ev)
			goto lost;
		carried = fw_record_fill(ev, sk, tp, st, w);
		if (bpf_ringbuf_query(&fw_ring, BPF_RB_AVAIL_DATA) >=
		    fw_wakeup_bytes)
			flags = BPF_RB_FORCE_WAKEUP;
		bpf_ringbuf_submit(ev, flags);
		return carried;
	}
	carried = fw_record_fill(&stack_ev, sk, tp, st, w);
	if (!bpf_perf_event_output(ctx, &fw_perf, BPF_F_CURRENT_CPU, &stack_ev,
				   sizeof(stack_ev)))
		return carried;
lost:
	return -1;
}

/* --pid: only records of sockets that process owns (or whose owner is
 * not known yet). */
static __always_inline bool
fw_owner_filtered_out(const struct fw_sock_state *st)
{
	return fw_filter_pid && st && (st->flags & FW_F_OWNER_KNOWN) &&
	       st->pid != fw_filter_pid;
}

/*
 * The socket's pending transitions went out with a record: those whose
 * own records had been lost are recovered after all.
 */
static __always_inline void
fw_sock_state_settle_pending(struct fw_sock_state *st)
{
	__u8 lost = st->pending_lost;
	__u32 recovered = 0;

	for (int i = 0; i < FW_PATH_MAX; i++)
		recovered += (lost >> i) & 1;
	if (recovered)
		fw_count_add(FW_CNT_RECOVERED, recovered);
	st->npending = 0;
	st->pending_lost = 0;
	st->flags &= ~FW_F_PATH_CUT;
}

/*
 * Writes a record about a watched socket and settles its state: the
 * pending transitions it carried are reported, and the count of its
 * records that were lost goes with it (its gap). When the transport has
 * no room, the record is counted lost, once (@counted: a pending step
 * whose first record was counted already), and the socket remembers it.
 */
static __always_inline int
fw_record_write_sock(void *ctx, const struct sock *sk,
		     const struct tcp_sock *tp, struct fw_sock_state *st,
		     const struct fw_what *w, bool counted)
{
	int carried;

	if (fw_owner_filtered_out(st))
		return 0;
	carried = fw_record_write(ctx, sk, tp, st, w);
	if (carried < 0) {
		if (!counted) {
			fw_count(FW_CNT_LOST);
			if (st->lost < 0xffff)
				st->lost++;
		}
		return -1;
	}
	st->lost = 0;
	/* fw_record_fill_path() carries them all */
	if (carried)
		fw_sock_state_settle_pending(st);
	if (w->final)
		st->ended = 1;
	return 0;
}

/*
 * --all-states writes each pending transition as a record of its own
 * (the SYN_RECV held for its peer's address, the ones the transport once
 * had no room for), in order; a step whose time nobody saw stays for the
 * next record's path. Stops at the first one the transport cannot take.
 * At most FW_STEPS_WRITTEN_MAX of them (the verifier walks every record
 * written here on every path): more than that only a transport that was
 * full leaves behind, and the rest ride in the next record's path.
 */
#define FW_STEPS_WRITTEN_MAX 2

static __always_inline void
fw_record_write_pending_steps(void *ctx, const struct sock *sk,
			      const struct tcp_sock *tp,
			      struct fw_sock_state *st)
{
	struct fw_what w = { .type = FW_EV_STATE };
	__u32 done = 0, recovered = 0;
	bool counted;

	for (__u32 i = 0; i < FW_STEPS_WRITTEN_MAX; i++) {
		if (i >= st->npending || st->pending_ts[i] == FW_TIME_UNKNOWN)
			break;
		w.ts_ns = st->pending_ts[i];
		w.oldstate = st->pending_from[i];
		w.newstate = st->pending_to[i];
		counted = (st->pending_lost >> i) & 1;
		if (fw_record_write_sock(ctx, sk, tp, st, &w, counted)) {
			/* counted now, if it was not before */
			st->pending_lost |= 1u << i;
			break;
		}
		recovered += counted;
		done++;
	}
	if (recovered)
		fw_count_add(FW_CNT_RECOVERED, recovered);
	if (!done)
		return;
	st->pending_lost >>= done;
	/* What is left moves to the front. */
	for (__u32 i = 0; i < FW_PATH_MAX; i++) {
		if (i + done >= st->npending || i + done >= FW_PATH_MAX)
			break;
		st->pending_from[i] = st->pending_from[i + done];
		st->pending_to[i] = st->pending_to[i + done];
		st->pending_ts[i] = st->pending_ts[i + done];
	}
	st->npending -= done;
}

/*
 * A record about a watched socket that is not a state transition (a reset,
 * a retransmission, a drop, a close): the transitions it waited on go
 * first, as records (--all-states) or in its path (the default).
 */
static __always_inline int fw_record_write_event(void *ctx,
						 const struct sock *sk,
						 const struct tcp_sock *tp,
						 struct fw_sock_state *st,
						 struct fw_what *w)
{
	if (fw_all_states)
		fw_record_write_pending_steps(ctx, sk, tp, st);
	w->with_path = true;
	return fw_record_write_sock(ctx, sk, tp, st, w, false);
}

#endif /* FW_COMMON_BPF_H */
