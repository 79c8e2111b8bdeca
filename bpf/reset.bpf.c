// SPDX-License-Identifier: GPL-2.0
/*
 * RSTs sent and received on watched sockets. A lost RST leaves the peer
 * in ESTABLISHED just as a lost FIN does.
 */
#include "common.bpf.h"

static __always_inline void fw_reset_report(void *ctx, const struct sock *sk,
					    __u8 type)
{
	struct fw_what w = { .type = type, .tcp_flags = FW_TCPHDR_RST };
	const struct tcp_sock *tp;
	struct fw_sock_state *st;
	__u16 lport, rport;
	int state;

	/* Resets answering a segment for no socket carry no socket; those
	 * of time-wait and request sockets concern no connection we own. */
	if (!sk)
		return;
	state = sk->__sk_common.skc_state;
	if (fw_state_is_mini_sock(state))
		return;
	st = fw_sock_state_lookup(sk);
	if (!st) {
		if (!fw_sock_passes_filter(sk, &lport, &rport))
			return;
		st = fw_sock_state_get_or_create(sk, lport);
		if (!st)
			return;
	}
	tp = fw_tcp_sock(sk);
	fw_sock_state_learn_isn_late(tp, st, state);
	fw_sock_state_note_unseen(st, state);
	fw_sock_state_learn_tuple(sk, st);
	w.ts_ns = bpf_ktime_get_ns();
	w.oldstate = state;
	w.newstate = state;
	fw_record_write_event(ctx, sk, tp, st, &w);
}

/* Only the socket is read: the reason argument exists from 6.10 on. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(fw_tcp_send_reset, const struct sock *sk)
{
	fw_reset_report(ctx, sk, FW_EV_RESET_SENT);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(fw_tcp_receive_reset, struct sock *sk)
{
	fw_reset_report(ctx, sk, FW_EV_RESET_RECEIVED);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
