// SPDX-License-Identifier: GPL-2.0
/*
 * Retransmissions of FIN, SYN and RST segments: a FIN retransmitted again
 * and again is the sender's own evidence that the peer never got it. Data
 * retransmissions are only counted (tcp_sock.total_retrans).
 */
#include "common.bpf.h"

/* tcp_skb_cb lives in skb->cb; its tcp_flags grew from u8 to u16 (6.x),
 * and the flags are in its low byte either way. */
static __always_inline __u8 fw_skb_tcp_flags(const struct sk_buff *skb)
{
	const void *cb =
		(const void *)skb + bpf_core_field_offset(struct sk_buff, cb);
	__u8 flags = 0;

	bpf_probe_read_kernel(
		&flags, sizeof(flags),
		cb + bpf_core_field_offset(struct tcp_skb_cb, tcp_flags));
	return flags;
}

/* 6.18 adds an error argument; the first two are the same since 4.15. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(fw_tcp_retransmit_skb, const struct sock *sk,
	     const struct sk_buff *skb)
{
	struct fw_what w = { .type = FW_EV_RETRANSMIT };
	const struct tcp_sock *tp;
	struct fw_sock_state *st;
	__u16 lport, rport;
	int state = sk->__sk_common.skc_state;

	if (fw_state_is_mini_sock(state))
		return 0;
	st = fw_sock_state_lookup(sk);
	if (!st && !fw_sock_passes_filter(sk, &lport, &rport))
		return 0;
	w.tcp_flags = fw_skb_tcp_flags(skb);
	if (!(w.tcp_flags & FW_TCPHDR_CONTROL))
		return 0;
	if (!st) {
		st = fw_sock_state_get_or_create(sk, lport);
		if (!st)
			return 0;
	}
	if (w.tcp_flags & (FW_TCPHDR_FIN | FW_TCPHDR_RST))
		st->close_retrans++;
	tp = fw_tcp_sock(sk);
	fw_sock_state_learn_isn_late(tp, st, state);
	fw_sock_state_note_unseen(st, state);
	fw_sock_state_learn_tuple(sk, st);
	w.ts_ns = bpf_ktime_get_ns();
	w.oldstate = state;
	w.newstate = state;
	fw_record_write_event(ctx, sk, tp, st, &w);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
