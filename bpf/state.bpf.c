// SPDX-License-Identifier: GPL-2.0
/*
 * Every tcp_set_state() of a watched socket, from sock:inet_sock_set_state.
 * Besides reporting the move, this is where finwatch learns who owns a
 * socket and its initial sequence numbers.
 */
#include "common.bpf.h"

/* Transitions that only a system call makes, so current is the owner:
 * connect(), listen(), and close()/shutdown() of an open connection. */
static __always_inline bool fw_state_set_by_owner(int newstate)
{
	return newstate == FW_TCP_SYN_SENT || newstate == FW_TCP_LISTEN ||
	       newstate == FW_TCP_FIN_WAIT1 || newstate == FW_TCP_LAST_ACK;
}

static __always_inline void fw_remember_listener(const struct sock *sk,
						 __u16 lport)
{
	struct fw_listen_key key = { .netns = fw_sock_netns(sk), .port = lport };
	struct fw_owner owner = {};

	fw_current_owner(&owner.pid, owner.comm);
	bpf_map_update_elem(&fw_listeners, &key, &owner, BPF_ANY);
}

/* An accepted socket belongs to whoever listens on its port. */
static __always_inline void fw_inherit_listener(const struct sock *sk,
						__u16 lport,
						struct fw_sock_state *st)
{
	struct fw_listen_key key = { .netns = fw_sock_netns(sk), .port = lport };
	struct fw_owner *owner = bpf_map_lookup_elem(&fw_listeners, &key);

	if (!owner)
		return;
	st->pid = owner->pid;
	__builtin_memcpy(st->comm, owner->comm, FW_COMM_LEN);
	st->flags |= FW_F_OWNER_KNOWN;
}

/*
 * The kernel reports the step into TIME_WAIT as a move to CLOSE: the full
 * socket is replaced by a time-wait one. It is that step when the peer's
 * FIN has been received in FIN_WAIT2 or CLOSING: tcp_fin() marks that with
 * SOCK_DONE. (Not RCV_SHUTDOWN: close() sets it too, and an orphan whose
 * FIN was acknowledged goes to a FIN_WAIT2 time-wait socket at once.)
 */
static __always_inline int fw_reported_newstate(const struct sock *sk,
						int oldstate, int newstate)
{
	int done = bpf_core_enum_value(enum sock_flags, SOCK_DONE);
	__u64 flags;

	if (newstate != FW_TCP_CLOSE ||
	    (oldstate != FW_TCP_FIN_WAIT2 && oldstate != FW_TCP_CLOSING))
		return newstate;
	flags = BPF_CORE_READ(sk, __sk_common.skc_flags);
	return (flags >> done) & 1 ? FW_TCP_TIME_WAIT : newstate;
}

static __always_inline void fw_learn(const struct sock *sk, __u16 lport,
				     struct fw_sock_state *st, int newstate)
{
	if (newstate == FW_TCP_SYN_SENT)
		st->flags |= FW_F_ACTIVE_OPEN | FW_F_OPEN_SEEN;
	else if (newstate == FW_TCP_SYN_RECV) {
		st->flags &= ~FW_F_ACTIVE_OPEN;
		st->flags |= FW_F_OPEN_SEEN;
		if (!(st->flags & FW_F_OWNER_KNOWN))
			fw_inherit_listener(sk, lport, st);
	}
	if (fw_state_set_by_owner(newstate))
		fw_set_owner_current(st);
	if (newstate == FW_TCP_ESTABLISHED)
		fw_derive_isn(sk, st);
}

/*
 * Up to at least 6.1, an accepted socket moves to SYN_RECV while it is
 * being cloned from its listener, before its peer's address and port are
 * set. Rather than report a connection to 0.0.0.0:0, the move is held and
 * reported, with its own time, just before the socket's next one.
 */
static __always_inline bool fw_hold_syn_recv(struct fw_sock_state *st,
					     int oldstate, int newstate,
					     __u16 rport)
{
	if (newstate != FW_TCP_SYN_RECV || rport)
		return false;
	st->held_ts_ns = bpf_ktime_get_ns();
	st->held_oldstate = oldstate;
	return true;
}

static __always_inline void fw_emit_held(void *ctx, const struct sock *sk,
					 struct fw_sock_state *st, __u16 lport,
					 __u16 rport)
{
	struct fw_event ev = {};

	if (!st->held_ts_ns || !rport)
		return;
	fw_fill_event(&ev, sk, st, lport, rport, FW_TCP_SYN_RECV);
	ev.ts_ns = st->held_ts_ns;
	ev.type = FW_EV_STATE;
	ev.oldstate = st->held_oldstate;
	ev.newstate = FW_TCP_SYN_RECV;
	st->held_ts_ns = 0;
	fw_emit(ctx, &ev);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(fw_inet_sock_set_state, struct sock *sk, int oldstate,
	     int newstate)
{
	struct fw_sock_state *st;
	__u16 lport, rport;

	if (!fw_sock_watched(sk, &lport, &rport))
		return 0;
	if (newstate == FW_TCP_LISTEN && fw_port_watched(lport))
		fw_remember_listener(sk, lport);
	/* A new life for this socket (connect, listen, or a child being
	 * cloned): nothing remembered under its address still applies, even
	 * if the end of its previous life went unseen. */
	if (oldstate == FW_TCP_CLOSE ||
	    (newstate == FW_TCP_SYN_RECV && oldstate == FW_TCP_LISTEN))
		fw_sock_state_drop(sk);
	st = fw_sock_state_get(sk, lport);
	if (st) {
		fw_learn(sk, lport, st, newstate);
		if (fw_hold_syn_recv(st, oldstate, newstate, rport))
			return 0;
		fw_emit_held(ctx, sk, st, lport, rport);
	}
	fw_emit_sock_event(ctx, sk, lport, rport, FW_EV_STATE, oldstate,
			   fw_reported_newstate(sk, oldstate, newstate), 0, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
