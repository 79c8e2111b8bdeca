// SPDX-License-Identifier: GPL-2.0
/*
 * The sockets that already exist: a tcp iterator (iter/tcp) walks every
 * TCP socket of the namespace it was created in, and this program reports
 * those on the watched ports, with what tells whether anything will ever
 * reap them.
 *
 * While a trace runs, a pass is also where a watched socket's state is
 * checked against the kernel's: a transition the state program never saw
 * (skipped by the kernel's recursion guard) or a record the transport
 * could not take is owned up to here, in the snapshot record's path and
 * gap, so that a loss on the host never leaves a socket's story silently
 * incomplete. Owners of sockets older than the trace come from
 * fw_owners_by_inode, which the task_file iterator has just filled.
 */
#include "common.bpf.h"

static __always_inline __u32 fw_jiffies_to_s(__u64 j)
{
	return fw_hz ? j / fw_hz : FW_AGE_UNKNOWN;
}

static __always_inline __u64 fw_sock_inode(const struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct file *file;

	if (!sock)
		return 0;
	file = sock->file;
	if (!file || !file->f_inode)
		return 0;
	return file->f_inode->i_ino;
}

/* Keepalive as the kernel will apply it: per-socket values, where set,
 * else the namespace's sysctls (keepalive_time_when() and friends). */
static __always_inline void fw_info_fill_keepalive(struct fw_sock_info *info,
						   const struct sock *sk,
						   const struct tcp_sock *tp)
{
	const struct net *net = sk->__sk_common.skc_net.net;
	int keepopen = bpf_core_enum_value(enum sock_flags, SOCK_KEEPOPEN);
	__u32 idle = tp->keepalive_time;
	__u32 intvl = tp->keepalive_intvl;
	__u32 cnt = tp->keepalive_probes;

	if (!idle)
		idle = net->ipv4.sysctl_tcp_keepalive_time;
	if (!intvl)
		intvl = net->ipv4.sysctl_tcp_keepalive_intvl;
	if (!cnt)
		cnt = net->ipv4.sysctl_tcp_keepalive_probes;
	info->keepalive = (sk->__sk_common.skc_flags >> keepopen) & 1;
	info->keepalive_idle_s = fw_jiffies_to_s(idle);
	info->keepalive_intvl_s = fw_jiffies_to_s(intvl);
	info->keepalive_cnt = cnt;
	info->user_timeout_ms = tp->inet_conn.icsk_user_timeout;
	info->sndq = tp->write_seq - tp->snd_una;
	info->rcvq = tp->rcv_nxt - tp->copied_seq;
}

/* The owner the task_file iterator found for the socket's inode; a
 * listener's goes where accepted sockets inherit it from. */
static __always_inline void fw_info_adopt_owner(struct fw_sock_info *info,
						const struct sock *sk,
						struct fw_sock_state *st,
						__u16 lport)
{
	struct fw_owner *owner;

	if (info->ev.flags & FW_F_OWNER_KNOWN)
		return;
	owner = bpf_map_lookup_elem(&fw_owners_by_inode, &info->inode);
	if (!owner)
		return;
	info->ev.pid = owner->pid;
	__builtin_memcpy(info->ev.comm, owner->comm, FW_COMM_LEN);
	info->ev.flags |= FW_F_OWNER_KNOWN;
	if (st) {
		st->pid = owner->pid;
		__builtin_memcpy(st->comm, owner->comm, FW_COMM_LEN);
		st->flags |= FW_F_OWNER_KNOWN;
	}
	if (fw_tracing && info->ev.newstate == TCP_LISTEN) {
		struct fw_listen_key key = { .netns = info->ev.netns,
					     .port = lport };

		bpf_map_update_elem(&fw_listeners, &key, owner, BPF_ANY);
	}
}

/* Time-wait sockets have only their addresses, all a snapshot needs. */
static __always_inline int fw_iter_time_wait(struct bpf_iter__tcp *ctx,
					     struct sock_common *skc,
					     struct fw_sock_info *info,
					     struct fw_what *w)
{
	const struct sock *sk = (const struct sock *)skc;
	__u16 lport, rport;
	bool mapped;

	fw_sock_ports(skc, &lport, &rport);
	if ((!fw_port_watched(lport) && !fw_port_watched(rport)) ||
	    !fw_netns_watched(sk))
		return 0;
	info->ev.ts_ns = w->ts_ns;
	info->ev.type = FW_EV_SNAPSHOT;
	info->ev.oldstate = TCP_TIME_WAIT;
	info->ev.newstate = TCP_TIME_WAIT;
	info->ev.netns = fw_sock_netns(sk);
	info->ev.lport = lport;
	info->ev.rport = rport;
	info->ev.role =
		fw_port_watched(lport) ? FW_ROLE_SERVER : FW_ROLE_CLIENT;
	info->ev.last_recv_ms = FW_AGE_UNKNOWN;
	info->ev.last_send_ms = FW_AGE_UNKNOWN;
	info->ev.family =
		fw_sock_read_addrs(sk, info->ev.laddr, info->ev.raddr, &mapped);
	if (mapped)
		info->ev.flags |= FW_F_V4_MAPPED;
	/* The time-wait socket keeps the cookie of the full one. */
	info->ev.sock_id = bpf_get_socket_cookie(skc);
	bpf_seq_write(ctx->meta->seq, info, sizeof(*info));
	return 0;
}

static __always_inline struct fw_sock_state *
fw_iter_sock_state(const struct sock *sk, const struct tcp_sock *tp, int state,
		   __u16 lport)
{
	struct fw_sock_state *st = fw_sock_state_lookup(sk);

	if (!st && fw_tracing && state != TCP_LISTEN)
		st = fw_sock_state_get_or_create(sk, lport);
	if (!st)
		return NULL;
	fw_sock_state_learn_isn_late(tp, st, state);
	fw_sock_state_note_unseen(st, state);
	fw_sock_state_learn_tuple(sk, st);
	return st;
}

static __always_inline bool fw_state_has_counters(int state)
{
	return state != TCP_LISTEN && state != TCP_SYN_SENT &&
	       state != TCP_SYN_RECV;
}

SEC("iter/tcp")
int fw_iter_tcp(struct bpf_iter__tcp *ctx)
{
	struct fw_what w = { .type = FW_EV_SNAPSHOT };
	struct sock_common *skc = ctx->sk_common;
	struct fw_sock_info info = {};
	struct fw_sock_state *st;
	const struct tcp_sock *tp;
	const struct sock *sk;
	__u16 lport, rport;
	int state, carried;

	if (!skc)
		return 0;
	state = skc->skc_state;
	/* Request sockets are not connections yet. */
	if (state == TCP_NEW_SYN_RECV)
		return 0;
	w.ts_ns = bpf_ktime_get_ns();
	if (state == TCP_TIME_WAIT)
		return fw_iter_time_wait(ctx, skc, &info, &w);
	tp = fw_tcp_sock(skc);
	if (!tp)
		return 0;
	sk = (const struct sock *)tp;
	if (!fw_sock_passes_filter(sk, &lport, &rport))
		return 0;
	st = fw_iter_sock_state(sk, tp, state, lport);
	w.oldstate = state;
	w.newstate = state;
	w.with_path = st != NULL;
	carried = fw_record_fill(
		&info.ev, sk, fw_state_has_counters(state) ? tp : NULL, st, &w);
	if (!st) {
		/* A one-off snapshot keeps nothing: the ISNs are derived for
		 * this record alone, guessing who opened from the role. */
		info.ev.sock_id = fw_sock_id_assign(sk, lport);
		if (fw_state_has_isn(state)) {
			fw_isn_derive(tp, info.ev.role == FW_ROLE_CLIENT,
				      &info.ev.isn_local, &info.ev.isn_remote);
			info.ev.flags |= FW_F_ISN_KNOWN;
		}
	}
	info.inode = fw_sock_inode(sk);
	fw_info_adopt_owner(&info, sk, st, lport);
	if (state != TCP_LISTEN)
		fw_info_fill_keepalive(&info, sk, tp);
	if (bpf_seq_write(ctx->meta->seq, &info, sizeof(info)) || !st)
		return 0;
	/* Reported: what the socket's state held back is out. */
	if (carried)
		fw_sock_state_settle_pending(st);
	st->lost = 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
