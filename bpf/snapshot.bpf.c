// SPDX-License-Identifier: GPL-2.0
/*
 * The sockets that already exist: a tcp iterator (iter/tcp) walks every
 * TCP socket of every namespace, and this program reports those on the
 * watched ports, with what tells whether anything will ever reap them.
 */
#include "common.bpf.h"

static __always_inline __u32 fw_jiffies_to_s(__u64 j)
{
	return fw_hz ? j / fw_hz : FW_AGE_UNKNOWN;
}

static __always_inline __u64 fw_socket_inode(const struct sock *sk)
{
	struct socket *sock = BPF_CORE_READ(sk, sk_socket);
	struct socket_alloc *alloc;

	if (!sock)
		return 0;
	alloc = container_of(sock, struct socket_alloc, socket);
	return BPF_CORE_READ(alloc, vfs_inode.i_ino);
}

/* Keepalive as the kernel will apply it: per-socket values, where set,
 * else the namespace's sysctls (keepalive_time_when() and friends). */
static __always_inline void fw_fill_keepalive(struct fw_sock_info *info,
					      const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	struct net *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
	__u32 idle = BPF_CORE_READ(tp, keepalive_time);
	__u32 intvl = BPF_CORE_READ(tp, keepalive_intvl);
	__u32 cnt = BPF_CORE_READ(tp, keepalive_probes);
	__u64 sk_flags = BPF_CORE_READ(sk, __sk_common.skc_flags);
	int keepopen = bpf_core_enum_value(enum sock_flags, SOCK_KEEPOPEN);

	if (!idle)
		idle = BPF_CORE_READ(net, ipv4.sysctl_tcp_keepalive_time);
	if (!intvl)
		intvl = BPF_CORE_READ(net, ipv4.sysctl_tcp_keepalive_intvl);
	if (!cnt)
		cnt = BPF_CORE_READ(net, ipv4.sysctl_tcp_keepalive_probes);
	info->keepalive = (sk_flags >> keepopen) & 1;
	info->keepalive_idle_s = fw_jiffies_to_s(idle);
	info->keepalive_intvl_s = fw_jiffies_to_s(intvl);
	info->keepalive_cnt = cnt;
	info->user_timeout_ms = BPF_CORE_READ((const struct inet_connection_sock *)sk,
					      icsk_user_timeout);
	info->sndq = BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
	info->rcvq = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
}

SEC("iter/tcp")
int fw_iter_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct fw_sock_info info = {};
	struct fw_sock_state *st;
	const struct sock *sk;
	__u16 lport, rport;
	int state;

	if (!skc)
		return 0;
	state = BPF_CORE_READ(skc, skc_state);
	/* Request sockets are not connections yet; time-wait ones have only
	 * their addresses, which is all a snapshot needs of them. */
	if (state == FW_TCP_NEW_SYN_RECV)
		return 0;
	sk = (const struct sock *)skc;
	if (state == FW_TCP_TIME_WAIT) {
		lport = BPF_CORE_READ(skc, skc_num);
		rport = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
		if (!fw_port_watched(lport) && !fw_port_watched(rport))
			return 0;
		if (fw_filter_netns) {
			__u32 netns = fw_sock_netns(sk);

			if (!bpf_map_lookup_elem(&fw_netns_filter, &netns))
				return 0;
		}
		fw_fill_event(&info.ev, sk, NULL, lport, rport, state);
		/* The time-wait socket keeps the cookie of the full one. */
		info.ev.sock_id = bpf_get_socket_cookie(skc);
	} else {
		if (!fw_sock_watched(sk, &lport, &rport))
			return 0;
		st = fw_sock_state_get(sk, lport);
		fw_isn_refresh(sk, st, state);
		fw_fill_event(&info.ev, sk, st, lport, rport, state);
		if (state != FW_TCP_LISTEN)
			fw_fill_keepalive(&info, sk);
		info.inode = fw_socket_inode(sk);
		info.sk_key = (__u64)sk;
	}
	info.ev.type = FW_EV_SNAPSHOT;
	info.ev.oldstate = state;
	info.ev.newstate = state;
	bpf_seq_write(ctx->meta->seq, &info, sizeof(info));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
