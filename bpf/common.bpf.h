/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every finwatch program shares: the configuration, the maps and the
 * helpers that turn a struct sock into an fw_event.
 *
 * The .bpf.c files are compiled one by one and linked into one object by
 * `bpftool gen object`, so the configuration and the maps are defined once,
 * in config.bpf.c, and declared extern here.
 */
#ifndef FW_COMMON_BPF_H
#define FW_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "finwatch.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6

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
/* finwatch's own socket ids, for sockets whose cookie is not their own
 * (see fw_sock_id()); the loader starts it at a random point. */
FW_SHARED __u64 fw_next_sock_id FW_INIT(0);

#define FW_OWN_SOCK_ID_BASE (1ULL << 52)

/* Keyed by the socket's address: the 4-tuple is not known until connect. */
FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct fw_sock_state);
} fw_socks SEC(".maps");

/* Who called listen() on a watched port, to name the owner of accepted
 * sockets: their handshake completes in softirq, under whatever task ran. */
FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct fw_listen_key);
	__type(value, struct fw_owner);
} fw_listeners SEC(".maps");

/* Owners that userspace found for sockets older than the trace. */
FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct fw_seeded_owner);
} fw_seeded_owners SEC(".maps");

/* The cookie of each listener, to tell the sockets that inherited it. */
FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct fw_listen_key);
	__type(value, __u64);
} fw_listener_cookies SEC(".maps");

FW_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FW_MAX_NETNS);
	__type(key, __u32);
	__type(value, __u8);
} fw_netns_filter SEC(".maps");

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

static __always_inline bool fw_port_watched(__u16 port)
{
	return fw_port_bitmap[port >> 6] & (1ULL << (port & 63));
}

static __always_inline void fw_count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&fw_counters, &which);

	if (v)
		*v += 1;
}

static __always_inline __u32 fw_sock_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/*
 * The cheap test every TCP socket on the host pays: is it TCP, IPv4/IPv6,
 * on a watched port, in a watched namespace? Fills the ports on success.
 * A socket being closed has lost its local port already (inet_put_port()
 * runs first), so one we followed before is recognised by its address.
 */
static __always_inline bool fw_sock_watched(const struct sock *sk,
					    __u16 *lport, __u16 *rport)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	int state = BPF_CORE_READ(sk, __sk_common.skc_state);
	struct fw_sock_state *st;
	__u64 key = (__u64)sk;
	__u32 netns;

	if (family != AF_INET && family != AF_INET6)
		return false;
	/* Time-wait and request sockets end with their sock_common: the
	 * fields of a full sock would be read from whatever follows. */
	if (state == FW_TCP_TIME_WAIT || state == FW_TCP_NEW_SYN_RECV)
		return false;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return false;
	*lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	*rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (!fw_port_watched(*lport) && !fw_port_watched(*rport)) {
		if (*lport && *rport)
			return false;
		st = bpf_map_lookup_elem(&fw_socks, &key);
		if (!st)
			return false;
		*lport = st->lport;
		*rport = st->rport;
		return true;
	}
	if (fw_filter_netns) {
		netns = fw_sock_netns(sk);
		if (!bpf_map_lookup_elem(&fw_netns_filter, &netns))
			return false;
	}
	return true;
}

/* The process behind current, by its thread group: a thread's own name
 * (redis' "jemalloc_bg_thd") is not the program's. */
static __always_inline void fw_current_owner(__u32 *pid, char *comm)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	*pid = bpf_get_current_pid_tgid() >> 32;
	BPF_CORE_READ_STR_INTO((char(*)[FW_COMM_LEN])comm, task,
			       group_leader, comm);
}

static __always_inline void fw_set_owner_current(struct fw_sock_state *st)
{
	fw_current_owner(&st->pid, st->comm);
	st->flags |= FW_F_OWNER_KNOWN;
}

/*
 * A socket's id in the records: its cookie (unique per boot, the one
 * sock_diag reports), except where the cookie is not its own. Up to at
 * least 6.1, an accepted socket is cloned from its listener cookie and
 * all (sk_clone_lock() copies it), so once anything has asked for the
 * listener's cookie (finwatch's snapshot, `ss -e`), every socket accepted
 * on it shares that cookie. Such a socket gets an id of finwatch's own,
 * above 2^52 (and below 2^53, which JSON readers hold exactly).
 */
static __always_inline __u64 fw_sock_id(const struct sock *sk, __u16 lport)
{
	struct fw_listen_key key = { .netns = fw_sock_netns(sk), .port = lport };
	__u64 cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	int state = BPF_CORE_READ(sk, __sk_common.skc_state);
	/* A child being cloned still has its listener's state (the
	 * tracepoint fires before the new one is stored) but, unlike a
	 * listener, no struct socket yet. */
	bool listener = state == FW_TCP_LISTEN && BPF_CORE_READ(sk, sk_socket);
	__u64 *listener_cookie;

	if (cookie && !listener) {
		listener_cookie = bpf_map_lookup_elem(&fw_listener_cookies, &key);
		/* A child socket being created has no cookie of its own yet. */
		if (state == FW_TCP_LISTEN || state == FW_TCP_SYN_RECV ||
		    (listener_cookie && *listener_cookie == cookie))
			return FW_OWN_SOCK_ID_BASE +
			       __sync_fetch_and_add(&fw_next_sock_id, 1);
	}
	/* Asking for a listener's cookie would make one, which every socket
	 * accepted on it then inherits (6.1): a listener without one gets an
	 * id of ours instead. */
	if (listener) {
		if (!cookie)
			return FW_OWN_SOCK_ID_BASE +
			       __sync_fetch_and_add(&fw_next_sock_id, 1);
		bpf_map_update_elem(&fw_listener_cookies, &key, &cookie, BPF_ANY);
		return cookie;
	}
	return bpf_get_socket_cookie((void *)sk);
}

static __always_inline struct fw_sock_state *
fw_sock_state_get(const struct sock *sk, __u16 lport)
{
	__u64 key = (__u64)sk;
	struct fw_sock_state *st, fresh = {};

	st = bpf_map_lookup_elem(&fw_socks, &key);
	if (st) {
		/* connect() binds the local port after SYN_SENT. */
		if (!st->lport)
			st->lport = lport;
		return st;
	}
	fresh.lport = lport;
	fresh.cookie = fw_sock_id(sk, lport);
	fresh.role = fw_port_watched(lport) ? FW_ROLE_SERVER : FW_ROLE_CLIENT;
	/* A socket seen first in mid-life: the server end of a watched
	 * port is almost always the passive opener. */
	if (fresh.role == FW_ROLE_CLIENT)
		fresh.flags |= FW_F_ACTIVE_OPEN;
	bpf_map_update_elem(&fw_socks, &key, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&fw_socks, &key);
}

static __always_inline void fw_sock_state_drop(const struct sock *sk)
{
	__u64 key = (__u64)sk;

	bpf_map_delete_elem(&fw_socks, &key);
}

/* Counters of a connection (bytes, retransmissions, stamps) exist only
 * once it is open and until it becomes a time-wait socket. */
static __always_inline bool fw_state_has_counters(int state)
{
	return state != FW_TCP_TIME_WAIT && state != FW_TCP_NEW_SYN_RECV &&
	       state != FW_TCP_LISTEN && state != FW_TCP_SYN_SENT &&
	       state != FW_TCP_SYN_RECV;
}

/* States in which both directions' sequence numbers are established. */
static __always_inline bool fw_state_has_isn(int state)
{
	return state == FW_TCP_ESTABLISHED || state == FW_TCP_FIN_WAIT1 ||
	       state == FW_TCP_FIN_WAIT2 || state == FW_TCP_CLOSE_WAIT ||
	       state == FW_TCP_LAST_ACK || state == FW_TCP_CLOSING;
}

/*
 * Initial sequence numbers from what tcp_sock counts, checked on 6.1 and
 * 6.18 (see docs/DESIGN.md): the peer's is rcv_nxt - bytes_received - 1;
 * our own is snd_una - bytes_acked, less one more for a passive opener,
 * whose bytes_acked does not count its SYN-ACK.
 */
static __always_inline void fw_derive_isn(const struct sock *sk,
					  struct fw_sock_state *st)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u32 snd_una = BPF_CORE_READ(tp, snd_una);
	__u32 rcv_nxt = BPF_CORE_READ(tp, rcv_nxt);
	__u64 acked = BPF_CORE_READ(tp, bytes_acked);
	__u64 received = BPF_CORE_READ(tp, bytes_received);

	st->isn_local = snd_una - (__u32)acked;
	if (!(st->flags & FW_F_ACTIVE_OPEN))
		st->isn_local -= 1;
	st->isn_remote = rcv_nxt - (__u32)received - 1;
	st->flags |= FW_F_ISN_KNOWN;
}

/* ISNs for a socket met after its handshake, once they can be derived. */
static __always_inline void fw_isn_refresh(const struct sock *sk,
					   struct fw_sock_state *st, int state)
{
	if (st && !(st->flags & FW_F_ISN_KNOWN) && fw_state_has_isn(state))
		fw_derive_isn(sk, st);
}

static __always_inline __u32 fw_jiffies_age_ms(__u64 now, __u32 stamp)
{
	__u32 delta = (__u32)now - stamp;

	/* A stamp never set: nothing sent or received yet. */
	if (!fw_hz || !stamp)
		return FW_AGE_UNKNOWN;
	return (__u64)delta * 1000 / fw_hz;
}

static __always_inline void fw_fill_addrs(struct fw_event *ev,
					  const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u32 *v6;

	if (family == AF_INET) {
		ev->family = 4;
		bpf_core_read(ev->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(ev->raddr, 4, &sk->__sk_common.skc_daddr);
		return;
	}
	bpf_core_read(ev->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	bpf_core_read(ev->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	v6 = (__u32 *)ev->raddr;
	/* ::ffff:a.b.c.d is an IPv4 peer; report it the way the peer does. */
	if (v6[0] == 0 && v6[1] == 0 && v6[2] == bpf_htonl(0xffff)) {
		ev->family = 4;
		ev->flags |= FW_F_V4_MAPPED;
		__builtin_memmove(ev->laddr, ev->laddr + 12, 4);
		__builtin_memmove(ev->raddr, ev->raddr + 12, 4);
		__builtin_memset(ev->laddr + 4, 0, 12);
		__builtin_memset(ev->raddr + 4, 0, 12);
		return;
	}
	ev->family = 6;
}

/* Counters of the connection as it stands; only full sockets have them. */
static __always_inline void fw_fill_counters(struct fw_event *ev,
					     const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u64 now = bpf_jiffies64();

	ev->bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	ev->bytes_received = BPF_CORE_READ(tp, bytes_received);
	ev->total_retrans = BPF_CORE_READ(tp, total_retrans);
	ev->last_recv_ms = fw_jiffies_age_ms(now, BPF_CORE_READ(tp, rcv_tstamp));
	ev->last_send_ms = fw_jiffies_age_ms(now, BPF_CORE_READ(tp, lsndtime));
}

static __always_inline void fw_take_seeded_owner(const struct sock *sk,
						 struct fw_sock_state *st)
{
	__u64 key = (__u64)sk;
	struct fw_seeded_owner *seed = bpf_map_lookup_elem(&fw_seeded_owners, &key);

	if (!seed)
		return;
	/* An address reused by a newer socket is not the seeded one. */
	if (seed->sock_id == st->cookie) {
		st->pid = seed->owner.pid;
		__builtin_memcpy(st->comm, seed->owner.comm, FW_COMM_LEN);
		st->flags |= FW_F_OWNER_KNOWN;
	}
	bpf_map_delete_elem(&fw_seeded_owners, &key);
}

/* A connection's 4-tuple does not change once both ports are set, but
 * the kernel wipes it before the socket is destroyed after a reset or a
 * failed connect; the records that follow report the one it had. */
static __always_inline void fw_remember_tuple(struct fw_event *ev,
					      struct fw_sock_state *st)
{
	if (!st)
		return;
	if (st->family) {
		ev->family = st->family;
		ev->lport = st->lport;
		ev->rport = st->rport;
		__builtin_memcpy(ev->laddr, st->laddr, 16);
		__builtin_memcpy(ev->raddr, st->raddr, 16);
		return;
	}
	if (!ev->lport || !ev->rport)
		return;
	st->family = ev->family;
	st->lport = ev->lport;
	st->rport = ev->rport;
	__builtin_memcpy(st->laddr, ev->laddr, 16);
	__builtin_memcpy(st->raddr, ev->raddr, 16);
}

/*
 * Everything but type and states. @state is the socket's state before the
 * event, which tells whether tcp_sock's fields mean anything yet.
 */
static __always_inline void fw_fill_event(struct fw_event *ev,
					  const struct sock *sk,
					  struct fw_sock_state *st, __u16 lport,
					  __u16 rport, int state)
{
	ev->ts_ns = bpf_ktime_get_ns();
	ev->netns = fw_sock_netns(sk);
	ev->lport = lport;
	ev->rport = rport;
	ev->last_recv_ms = FW_AGE_UNKNOWN;
	ev->last_send_ms = FW_AGE_UNKNOWN;
	fw_fill_addrs(ev, sk);
	fw_remember_tuple(ev, st);
	if (fw_state_has_counters(state))
		fw_fill_counters(ev, sk);
	if (!st) {
		ev->role = fw_port_watched(lport) ? FW_ROLE_SERVER :
						    FW_ROLE_CLIENT;
		return;
	}
	if (!(st->flags & FW_F_OWNER_KNOWN))
		fw_take_seeded_owner(sk, st);
	ev->sock_id = st->cookie;
	ev->role = st->role;
	ev->close_retrans = st->close_retrans;
	ev->close_drops = st->close_drops;
	ev->flags |= st->flags;
	if (st->flags & FW_F_ISN_KNOWN) {
		ev->isn_local = st->isn_local;
		ev->isn_remote = st->isn_remote;
	}
	if (st->flags & FW_F_OWNER_KNOWN) {
		ev->pid = st->pid;
		__builtin_memcpy(ev->comm, st->comm, FW_COMM_LEN);
	}
}

/*
 * Hand the record to userspace. The reader is not woken per record (that
 * wakeup is what makes a naive tracer cost ~10 us per event); it polls on
 * a short timeout, and is woken early only when records pile up.
 */
static __always_inline void fw_emit(void *ctx, struct fw_event *ev)
{
	long err;

	if (fw_filter_pid && (ev->flags & FW_F_OWNER_KNOWN) &&
	    ev->pid != fw_filter_pid)
		return;
	if (fw_use_ringbuf) {
		__u64 flags = BPF_RB_NO_WAKEUP;

		if (bpf_ringbuf_query(&fw_ring, BPF_RB_AVAIL_DATA) >=
		    fw_wakeup_bytes)
			flags = BPF_RB_FORCE_WAKEUP;
		err = bpf_ringbuf_output(&fw_ring, ev, sizeof(*ev), flags);
	} else {
		err = bpf_perf_event_output(ctx, &fw_perf, BPF_F_CURRENT_CPU,
					    ev, sizeof(*ev));
	}
	if (err)
		fw_count(FW_CNT_LOST);
}

/* Emit an event about a socket the caller has checked is watched. */
static __always_inline void fw_emit_sock_event(void *ctx, const struct sock *sk,
					       __u16 lport, __u16 rport,
					       __u8 type, int oldstate,
					       int newstate, __u8 tcp_flags,
					       __u8 extra_flags)
{
	struct fw_sock_state *st = fw_sock_state_get(sk, lport);
	struct fw_event ev = {};

	fw_isn_refresh(sk, st, oldstate);
	fw_fill_event(&ev, sk, st, lport, rport, oldstate);
	ev.type = type;
	ev.oldstate = oldstate;
	ev.newstate = newstate;
	ev.tcp_flags = tcp_flags;
	ev.flags |= extra_flags;
	fw_emit(ctx, &ev);
}

#endif /* FW_COMMON_BPF_H */
