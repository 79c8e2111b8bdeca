// SPDX-License-Identifier: GPL-2.0
/*
 * The end of a socket: tcp_close() through fentry where the kernel allows
 * it (the owner closing, in its own context), and tcp:tcp_destroy_sock,
 * which every socket reaches when it is freed, orphans included. The
 * loader picks the attach points that load; see user/kernel_features.c.
 *
 * In the default stream the socket's move to CLOSE was its last record;
 * the destroy writes one only when that one did not go out (the
 * transport had no room, or the move ran unseen), so that a socket's end
 * is never silent while finwatch can still speak of it.
 */
#include "common.bpf.h"

static __always_inline struct fw_sock_state *
fw_close_sock_state(const struct sock *sk, __u16 *lport, __u16 *rport)
{
	struct fw_sock_state *st = fw_sock_state_lookup(sk);

	fw_sock_ports(&sk->__sk_common, lport, rport);
	if (st) {
		if (!*lport)
			*lport = st->lport;
		return st;
	}
	/* A watched socket finwatch never saw move: older than the trace. */
	if (!fw_all_states || !fw_sock_passes_filter(sk, lport, rport))
		return NULL;
	return fw_sock_state_get_or_create(sk, *lport);
}

static __always_inline void fw_close_report(void *ctx, struct sock *sk,
					    bool by_owner)
{
	struct fw_what w = { .type = FW_EV_CLOSE, .newstate = TCP_CLOSE };
	int state = sk->__sk_common.skc_state;
	struct fw_sock_state *st;
	__u16 lport, rport;

	if (fw_state_is_mini_sock(state))
		return;
	st = fw_close_sock_state(sk, &lport, &rport);
	if (!st)
		return;
	if (by_owner)
		fw_sock_state_set_owner_current(st);
	if (!fw_all_states && (by_owner || st->ended))
		return;
	fw_sock_state_note_unseen(st, state);
	fw_sock_state_learn_tuple(sk, st);
	w.ts_ns = bpf_ktime_get_ns();
	w.oldstate = state;
	w.flags = by_owner ? FW_F_BY_OWNER : 0;
	w.final = !by_owner;
	fw_record_write_event(ctx, sk, fw_tcp_sock(sk), st, &w);
	/* Its records the transport could not take will never be owned up
	 * to by a later one. */
	if (!by_owner && !st->ended)
		fw_count_add(FW_CNT_LOST_UNPINNED, st->lost);
}

SEC("fentry/tcp_close")
int BPF_PROG(fw_tcp_close, struct sock *sk)
{
	fw_close_report(ctx, sk, true);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(fw_tcp_destroy_sock, struct sock *sk)
{
	fw_close_report(ctx, sk, false);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
