// SPDX-License-Identifier: GPL-2.0
/*
 * Retransmissions of FIN, SYN and RST segments: a FIN retransmitted again
 * and again is the sender's own evidence that the peer never got it. Data
 * retransmissions are only counted (tcp_sock.total_retrans).
 */
#include "common.bpf.h"

static __always_inline __u8 fw_skb_tcp_flags(const struct sk_buff *skb)
{
	const void *cb = (const void *)skb +
			 bpf_core_field_offset(struct sk_buff, cb);
	__u8 flags = 0;

	bpf_probe_read_kernel(&flags, sizeof(flags),
			      cb + bpf_core_field_offset(struct tcp_skb_cb,
							 tcp_flags));
	return flags;
}

/* 6.18 adds an error argument; the first two are the same since 4.15. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(fw_tcp_retransmit_skb, const struct sock *sk,
	     const struct sk_buff *skb)
{
	struct fw_sock_state *st;
	__u16 lport, rport;
	__u8 tcp_flags;
	int state;

	if (!fw_sock_watched(sk, &lport, &rport))
		return 0;
	tcp_flags = fw_skb_tcp_flags(skb);
	if (!(tcp_flags & FW_TCPF_CONTROL))
		return 0;
	st = fw_sock_state_get(sk, lport);
	if (st && (tcp_flags & (FW_TCPF_FIN | FW_TCPF_RST)))
		st->close_retrans++;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	fw_emit_sock_event(ctx, sk, lport, rport, FW_EV_RETRANSMIT, state,
			   state, tcp_flags, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
