// SPDX-License-Identifier: GPL-2.0
/*
 * One program that does nothing on each attach point finwatch uses. The
 * benchmark attaches them next to finwatch: what these cost per run is the
 * floor that the attach point, the trampoline and bpf_stats themselves
 * charge, so finwatch's own work is its figure divided by theirs.
 *
 * The names are "empty_" and the attach point, which bench/run.sh relies
 * on when the kernel does not tell a program's attach point.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(empty_inet_sock_set_state)
{
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(empty_tcp_destroy_sock)
{
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(empty_kfree_skb)
{
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(empty_tcp_send_reset)
{
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(empty_tcp_receive_reset)
{
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(empty_tcp_retransmit_skb)
{
	return 0;
}

/* Loads where the kernel allows fentry on tcp_close (not on every kernel:
 * the loader retries without it). */
SEC("fentry/tcp_close")
int BPF_PROG(empty_tcp_close)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
