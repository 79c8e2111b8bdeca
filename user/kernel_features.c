// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel feature probes. Each one names the kernel change it depends on,
 * so that a failure on some kernel points at what that kernel lacks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kernel_features.h"

/* BPF ring buffer: 5.8, "bpf: Implement BPF ring buffer and verifier
 * support for it". */
static bool has_ringbuf(const struct btf *btf, const char *unused)
{
	(void)btf;
	(void)unused;
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0;
}

/*
 * A tp_btf program attaches to the typedef btf_trace_<name> that the
 * kernel's BTF carries for every tracepoint (5.5, "bpf: Add BPF_PROG_TYPE_
 * TRACING ... tp_btf").
 */
static bool has_btf_tracepoint(const struct btf *btf, const char *name)
{
	char type_name[128];

	snprintf(type_name, sizeof(type_name), "btf_trace_%s", name);
	return btf__find_by_name_kind(btf, type_name, BTF_KIND_TYPEDEF) > 0;
}

/* An iterator target is there when its context struct (bpf_iter__NAME)
 * is in the kernel's BTF. */
static bool has_iter_target(const struct btf *btf, const char *ctx_struct)
{
	return btf__find_by_name_kind(btf, ctx_struct, BTF_KIND_STRUCT) > 0;
}

/*
 * fentry (5.5, "bpf: Introduce BPF trampoline") can be present yet
 * refused: lockdown or a kernel built without the trampoline's ftrace
 * support answer EPERM or ENOTSUPP. Only loading and attaching a trivial
 * program tells.
 */
static bool can_fentry(const struct btf *btf, const char *func)
{
	const struct bpf_insn ret0[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 },			  /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY);
	int id, prog_fd, link_fd;

	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	if (id <= 0)
		return false;
	opts.attach_btf_id = id;
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "fw_probe", "GPL", ret0,
				2, &opts);
	if (prog_fd < 0)
		return false;
	link_fd = bpf_link_create(prog_fd, 0, BPF_TRACE_FENTRY, NULL);
	close(prog_fd);
	if (link_fd < 0)
		return false;
	close(link_fd);
	return true;
}

/* Parameters of the tracepoint's BTF prototype, its context included. */
static int btf_tracepoint_nargs(const struct btf *btf, const char *name)
{
	char type_name[128];
	const struct btf_type *t;
	int id;

	snprintf(type_name, sizeof(type_name), "btf_trace_%s", name);
	id = btf__find_by_name_kind(btf, type_name, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, id); /* typedef -> pointer */
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type); /* -> func proto */
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t);
}

/* A tracepoint that passes a drop reason: context, skb, location,
 * reason, so 4 parameters or more. */
static bool has_drop_reasons(const struct btf *btf, const char *name)
{
	return btf_tracepoint_nargs(btf, name) >= 4;
}

#define FW_MAX_DROP_REASONS 512
static char *drop_reason_names[FW_MAX_DROP_REASONS];

static void load_drop_reasons(const struct btf *btf)
{
	const char *prefix = "SKB_DROP_REASON_";
	const struct btf_enum *e;
	const struct btf_type *t;
	int id;

	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id <= 0)
		return;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++) {
		const char *name = btf__name_by_offset(btf, e->name_off);

		if (e->val < 0 || e->val >= FW_MAX_DROP_REASONS || !name ||
		    drop_reason_names[e->val])
			continue;
		if (!strncmp(name, prefix, strlen(prefix)))
			name += strlen(prefix);
		drop_reason_names[e->val] = strdup(name);
	}
}

const char *fw_drop_reason_name(unsigned int reason, char *buf, size_t len)
{
	if (reason < FW_MAX_DROP_REASONS && drop_reason_names[reason])
		return drop_reason_names[reason];
	snprintf(buf, len, "%u", reason);
	return buf;
}

/* How one feature is probed: @present answers for @arg. */
struct probe {
	bool (*present)(const struct btf *btf, const char *arg);
	const char *arg;
	/* It loads a program into the running kernel: only for a trace,
	 * and only with the kernel's own BTF (the type ids of a --btf file
	 * are not the running kernel's). */
	bool loads_program;
};

static const struct probe probes[FW_FEAT_COUNT] = {
	[FW_FEAT_RINGBUF] = { .present = has_ringbuf },
	/* sock:inet_sock_set_state: 4.16, "net: tracepoint: replace
	 * tcp_set_state tracepoint with inet_sock_set_state tracepoint". */
	[FW_FEAT_TP_INET_SOCK_SET_STATE] = { .present = has_btf_tracepoint,
					     .arg = "inet_sock_set_state" },
	[FW_FEAT_FENTRY_TCP_CLOSE] = { .present = can_fentry,
				       .arg = "tcp_close",
				       .loads_program = true },
	/* tcp:tcp_destroy_sock, tcp_send_reset, tcp_receive_reset: 4.15,
	 * "tcp: add tracepoint trace_tcp_destroy_sock" and its siblings. */
	[FW_FEAT_TP_TCP_DESTROY_SOCK] = { .present = has_btf_tracepoint,
					  .arg = "tcp_destroy_sock" },
	[FW_FEAT_TP_TCP_SEND_RESET] = { .present = has_btf_tracepoint,
					.arg = "tcp_send_reset" },
	[FW_FEAT_TP_TCP_RECEIVE_RESET] = { .present = has_btf_tracepoint,
					   .arg = "tcp_receive_reset" },
	/* tcp:tcp_retransmit_skb: 4.15, "tcp: add tracepoint
	 * trace_tcp_retransmit_skb()". */
	[FW_FEAT_TP_TCP_RETRANSMIT_SKB] = { .present = has_btf_tracepoint,
					    .arg = "tcp_retransmit_skb" },
	/* skb:kfree_skb with a reason: 5.17, "net: skb: introduce
	 * kfree_skb_reason()". */
	[FW_FEAT_TP_KFREE_SKB_REASON] = { .present = has_drop_reasons,
					  .arg = "kfree_skb" },
	/* iter/tcp: 5.9, "net: bpf: implement bpf iterator for tcp". */
	[FW_FEAT_ITER_TCP] = { .present = has_iter_target,
			       .arg = "bpf_iter__tcp" },
	/* iter/task_file: 5.8, "bpf: Add task and task/file iterator
	 * targets". */
	[FW_FEAT_ITER_TASK_FILE] = { .present = has_iter_target,
				     .arg = "bpf_iter__task_file" },
};

int fw_probe_features(const char *btf_path, bool tracing, struct fw_features *f)
{
	struct btf *btf;

	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		return -1;
	for (int i = 0; i < FW_FEAT_COUNT; i++) {
		const struct probe *p = &probes[i];

		if (p->loads_program && (!tracing || btf_path))
			f->have[i] = false;
		else
			f->have[i] = p->present && p->present(btf, p->arg);
	}
	load_drop_reasons(btf);
	btf__free(btf);
	return 0;
}
