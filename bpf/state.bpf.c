// SPDX-License-Identifier: GPL-2.0
/*
 * Every tcp_set_state() of a watched socket, from sock:inet_sock_set_state.
 * Besides reporting the move, this is where finwatch learns who owns a
 * socket and its initial sequence numbers.
 *
 * What is written: with --all-states, a record per transition. By default
 * only the transitions that matter while the connection lives (it is
 * established, a FIN arrived, it ended); the others wait in the socket's
 * state and ride in the path of its next record (or go out at once with
 * any reset, retransmission or drop). Both streams carry the same facts.
 */
#include "common.bpf.h"

/* Transitions that only a system call makes, so current is the owner:
 * connect(), listen(), and close()/shutdown() of an open connection. */
static __always_inline bool fw_state_set_by_owner(int newstate)
{
	return newstate == TCP_SYN_SENT || newstate == TCP_LISTEN ||
	       newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK;
}

static __always_inline void fw_listener_remember_owner(const struct sock *sk,
						       __u16 lport)
{
	struct fw_listen_key key = { .netns = fw_sock_netns(sk),
				     .port = lport };
	struct fw_owner owner = {};

	fw_current_owner(&owner.pid, owner.comm);
	bpf_map_update_elem(&fw_listeners, &key, &owner, BPF_ANY);
}

/* An accepted socket belongs to whoever listens on its port. */
static __always_inline void
fw_sock_state_inherit_listener(const struct sock *sk, __u16 lport,
			       struct fw_sock_state *st)
{
	struct fw_listen_key key = { .netns = fw_sock_netns(sk),
				     .port = lport };
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

	if (newstate != TCP_CLOSE ||
	    (oldstate != TCP_FIN_WAIT2 && oldstate != TCP_CLOSING))
		return newstate;
	return sk->__sk_common.skc_flags & (1UL << done) ? TCP_TIME_WAIT
							 : newstate;
}

static __always_inline void
fw_sock_state_learn(const struct sock *sk, const struct tcp_sock *tp,
		    __u16 lport, struct fw_sock_state *st, int newstate)
{
	if (newstate == TCP_SYN_SENT) {
		st->flags |= FW_F_ACTIVE_OPEN | FW_F_OPEN_SEEN;
	} else if (newstate == TCP_SYN_RECV) {
		st->flags &= ~FW_F_ACTIVE_OPEN;
		st->flags |= FW_F_OPEN_SEEN;
		if (!(st->flags & FW_F_OWNER_KNOWN))
			fw_sock_state_inherit_listener(sk, lport, st);
	}
	if (fw_state_set_by_owner(newstate))
		fw_sock_state_set_owner_current(st);
	if (newstate == TCP_ESTABLISHED && tp)
		fw_sock_state_learn_isn(tp, st);
}

/* Counters of a connection (bytes, retransmissions, stamps) exist only
 * once it is open and until it becomes a time-wait socket. */
static __always_inline bool fw_state_has_counters(int state)
{
	return state != TCP_TIME_WAIT && state != TCP_NEW_SYN_RECV &&
	       state != TCP_LISTEN && state != TCP_SYN_SENT &&
	       state != TCP_SYN_RECV;
}

/* The transitions the default stream writes at once (besides the
 * socket's last one): the connection is open, or the peer's FIN arrived. */
static __always_inline bool fw_state_written_at_once(int newstate)
{
	return newstate == TCP_ESTABLISHED || newstate == TCP_CLOSE_WAIT ||
	       newstate == TCP_CLOSING;
}

/*
 * Finds the socket's state, or gives it one if it passes the filter. A
 * listener gets none in the default stream: only its owner is kept, for
 * the sockets it accepts.
 */
static __always_inline struct fw_sock_state *
fw_state_prog_sock_state(const struct sock *sk, int oldstate, int newstate,
			 __u16 *lport, __u16 *rport, bool *fresh)
{
	struct fw_sock_state *st = fw_sock_state_lookup(sk);

	*fresh = false;
	if (st) {
		fw_sock_ports(&sk->__sk_common, lport, rport);
		if (!*lport)
			*lport = st->lport;
		return st;
	}
	if (!fw_sock_passes_filter(sk, lport, rport))
		return NULL;
	if (newstate == TCP_LISTEN && fw_port_watched(*lport))
		fw_listener_remember_owner(sk, *lport);
	if (newstate == TCP_LISTEN && !fw_all_states)
		return NULL;
	*fresh = true;
	return fw_sock_state_get_or_create(sk, *lport);
}

/* Writes the record of this transition, or keeps it for later. */
static __always_inline void
fw_state_report(void *ctx, const struct sock *sk, const struct tcp_sock *tp,
		struct fw_sock_state *st, const struct fw_what *w, __u16 rport)
{
	/*
	 * Up to at least 6.1, an accepted socket moves to SYN_RECV while it
	 * is being cloned from its listener, before its peer's address and
	 * port are set: the move is held and written, with its own time,
	 * just before the socket's next one.
	 */
	bool held = w->newstate == TCP_SYN_RECV && !rport;

	if (fw_all_states && !held) {
		fw_record_write_pending_steps(ctx, sk, tp, st);
	} else if (!fw_all_states && !w->final &&
		   !fw_state_written_at_once(w->newstate)) {
		fw_sock_state_add_pending(st, w->oldstate, w->newstate,
					  w->ts_ns, false);
		return;
	}
	if (held)
		fw_sock_state_add_pending(st, w->oldstate, w->newstate,
					  w->ts_ns, false);
	else if (fw_record_write_sock(ctx, sk, tp, st, w, false))
		fw_sock_state_add_pending(st, w->oldstate, w->newstate,
					  w->ts_ns, true);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(fw_inet_sock_set_state, struct sock *sk, int oldstate,
	     int newstate)
{
	struct fw_what w = { .type = FW_EV_STATE, .with_path = true };
	const struct tcp_sock *tp;
	struct fw_sock_state *st;
	__u16 lport, rport;
	bool fresh;

	st = fw_state_prog_sock_state(sk, oldstate, newstate, &lport, &rport,
				      &fresh);
	if (!st)
		return 0;
	w.ts_ns = bpf_ktime_get_ns();
	if (!fresh && (oldstate == TCP_CLOSE ||
		       (newstate == TCP_SYN_RECV && oldstate == TCP_LISTEN)))
		fw_sock_state_restart(sk, st, lport);
	else if (!fresh)
		fw_sock_state_note_unseen(st, oldstate);
	tp = fw_tcp_sock(sk);
	fw_sock_state_learn(sk, tp, lport, st, newstate);
	st->last_state = newstate;
	w.oldstate = oldstate;
	w.newstate = fw_reported_newstate(sk, oldstate, newstate);
	w.final = newstate == TCP_CLOSE;
	fw_sock_state_learn_tuple(sk, st);
	fw_state_report(ctx, sk, fw_state_has_counters(oldstate) ? tp : NULL,
			st, &w, rport);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
