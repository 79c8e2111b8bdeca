/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_KERNEL_FEATURES_H
#define FW_KERNEL_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

/* What this kernel offers finwatch, probed at start (kernel_features.c says
 * which kernel change each probe stands for). */
struct fw_features {
	bool ringbuf;
	bool fentry_tcp_close;
	bool tp_inet_sock_set_state;
	bool tp_tcp_destroy_sock;
	bool tp_tcp_send_reset;
	bool tp_tcp_receive_reset;
	bool tp_tcp_retransmit_skb;
	bool tp_kfree_skb_reason;
	bool iter_tcp;
	bool iter_task_file;
};

/*
 * Probes the running kernel; @btf_path is the --btf file, or NULL for
 * /sys/kernel/btf/vmlinux. The fentry probe, which loads a program, runs
 * only when @tracing. Returns 0, or -1 when the BTF cannot be read.
 */
int fw_probe_features(const char *btf_path, bool tracing,
		      struct fw_features *f);

/* The kernel's name of an skb drop reason, without its
 * SKB_DROP_REASON_ prefix ("NETFILTER_DROP"), read from BTF at probe
 * time; a number as text when unknown. @buf needs 16 bytes. */
const char *fw_drop_reason_name(unsigned int reason, char *buf, size_t len);

#endif
