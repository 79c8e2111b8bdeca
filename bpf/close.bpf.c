// SPDX-License-Identifier: GPL-2.0
/*
 * The end of a socket: tcp_close() through fentry where the kernel allows
 * it (the owner closing, in its own context), and tcp:tcp_destroy_sock,
 * which every socket reaches when it is freed, orphans included. The
 * loader picks the attach points that load; see user/kernel_features.c.
 */
#include "common.bpf.h"

/* Returns whether the socket is watched. */
static __always_inline bool fw_report_close(void *ctx, struct sock *sk,
					    bool by_owner)
{
	int state = BPF_CORE_READ(sk, __sk_common.skc_state);
	struct fw_sock_state *st;
	__u16 lport, rport;

	if (!fw_sock_watched(sk, &lport, &rport))
		return false;
	if (by_owner) {
		st = fw_sock_state_get(sk, lport);
		if (st)
			fw_set_owner_current(st);
	}
	fw_emit_sock_event(ctx, sk, lport, rport, FW_EV_CLOSE, state,
			   FW_TCP_CLOSE, 0, by_owner ? FW_F_BY_OWNER : 0);
	return true;
}

SEC("fentry/tcp_close")
int BPF_PROG(fw_tcp_close, struct sock *sk)
{
	fw_report_close(ctx, sk, true);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(fw_tcp_destroy_sock, struct sock *sk)
{
	/* Only watched sockets have state to drop; every other socket on
	 * the host is spared the locked map delete. */
	if (fw_report_close(ctx, sk, false))
		fw_sock_state_drop(sk);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
