// SPDX-License-Identifier: GPL-2.0
/*
 * RSTs sent and received on watched sockets. A lost RST leaves the peer
 * in ESTABLISHED just as a lost FIN does.
 */
#include "common.bpf.h"

static __always_inline void fw_report_reset(void *ctx, const struct sock *sk,
					    __u8 type)
{
	int state;
	__u16 lport, rport;

	/* Resets answering a segment for no socket carry no socket. */
	if (!sk || !fw_sock_watched(sk, &lport, &rport))
		return;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	fw_emit_sock_event(ctx, sk, lport, rport, type, state, state,
			   FW_TCPF_RST, 0);
}

/* Only the socket is read: the reason argument exists from 6.10 on. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(fw_tcp_send_reset, const struct sock *sk)
{
	fw_report_reset(ctx, sk, FW_EV_RESET_SENT);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(fw_tcp_receive_reset, struct sock *sk)
{
	fw_report_reset(ctx, sk, FW_EV_RESET_RECEIVED);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
