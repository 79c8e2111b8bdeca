/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_KERNEL_FEATURES_H
#define FW_KERNEL_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

/* What this kernel may offer finwatch, one probe each (kernel_features.c
 * says which kernel change each probe stands for). */
enum fw_feature {
	FW_FEAT_RINGBUF,
	FW_FEAT_TP_INET_SOCK_SET_STATE,
	FW_FEAT_FENTRY_TCP_CLOSE,
	FW_FEAT_TP_TCP_DESTROY_SOCK,
	FW_FEAT_TP_TCP_SEND_RESET,
	FW_FEAT_TP_TCP_RECEIVE_RESET,
	FW_FEAT_TP_TCP_RETRANSMIT_SKB,
	FW_FEAT_TP_KFREE_SKB_REASON,
	FW_FEAT_ITER_TCP,
	FW_FEAT_ITER_TASK_FILE,
	FW_FEAT_COUNT,
};

/* The probes' answers, indexed by enum fw_feature. */
struct fw_features {
	bool have[FW_FEAT_COUNT];
};

/*
 * Probes the running kernel; @btf_path is the --btf file, or NULL for
 * /sys/kernel/btf/vmlinux. The probes that load a program run only when
 * @tracing. Returns 0, or -1 when the BTF cannot be read.
 */
int fw_probe_features(const char *btf_path, bool tracing,
		      struct fw_features *f);

/* The kernel's name of an skb drop reason, without its
 * SKB_DROP_REASON_ prefix ("NETFILTER_DROP"), read from BTF at probe
 * time; a number as text when unknown. @buf needs 16 bytes. */
const char *fw_drop_reason_name(unsigned int reason, char *buf, size_t len);

#endif
