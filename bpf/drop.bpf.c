// SPDX-License-Identifier: GPL-2.0
/*
 * FIN, RST and SYN segments of watched sockets that the host itself drops
 * (skb:kfree_skb with a drop reason): a firewall rule on the host eats the
 * close before it reaches the wire. TCP then never counts the FIN as sent,
 * so tcp:tcp_retransmit_skb stays silent while the kernel keeps trying;
 * each try shows up here instead.
 */
#include "common.bpf.h"

struct fw_tcp_head {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff_res;
	__u8 flags;
};

static __always_inline int fw_read_tcp_head(const struct sk_buff *skb,
					    struct fw_tcp_head *th)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 off = BPF_CORE_READ(skb, transport_header);

	/* (u16)~0: no transport header set yet. */
	if (off == 0xffff)
		return -1;
	return bpf_probe_read_kernel(th, sizeof(*th), head + off);
}

/* 6.18 adds a receiving socket as a fourth argument; the first three are
 * the same since 5.17 ("net: skb: introduce kfree_skb_reason()"). */
SEC("tp_btf/kfree_skb")
int BPF_PROG(fw_kfree_skb, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason)
{
	struct fw_sock_state *st;
	struct fw_tcp_head th;
	struct fw_event ev = {};
	__u16 lport, rport;
	struct sock *sk;
	int state;

	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;
	sk = BPF_CORE_READ(skb, sk);
	if (!sk || !fw_sock_watched(sk, &lport, &rport))
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == FW_TCP_TIME_WAIT || state == FW_TCP_NEW_SYN_RECV ||
	    state == FW_TCP_LISTEN)
		return 0;
	if (fw_read_tcp_head(skb, &th) || !(th.flags & FW_TCPF_CONTROL))
		return 0;
	/* Only sockets already followed: a FIN is sent after the move to
	 * FIN_WAIT1 or LAST_ACK, which put the socket in the map. This
	 * pointer is untyped here, and the cookie of a new entry needs one. */
	st = bpf_map_lookup_elem(&fw_socks, &(__u64){ (__u64)sk });
	if (!st)
		return 0;
	if (bpf_ntohs(th.source) != lport)
		ev.flags |= FW_F_INBOUND;
	else if (th.flags & (FW_TCPF_FIN | FW_TCPF_RST))
		st->close_drops++;
	fw_isn_refresh(sk, st, state);
	fw_fill_event(&ev, sk, st, lport, rport, state);
	ev.type = FW_EV_DROP;
	ev.oldstate = state;
	ev.newstate = state;
	ev.tcp_flags = th.flags;
	ev.drop_reason = reason;
	fw_emit(ctx, &ev);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
