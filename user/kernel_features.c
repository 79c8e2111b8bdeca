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
	t = btf__type_by_id(btf, id);	/* typedef -> pointer */
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);	/* -> func proto */
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t);
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

int fw_probe_features(const char *btf_path, bool tracing,
		      struct fw_features *f)
{
	struct btf *btf;

	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		return -1;
	/* BPF ring buffer: 5.8, "bpf: Implement BPF ring buffer and
	 * verifier support for it". */
	f->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0;
	/* sock:inet_sock_set_state: 4.16, "net: tracepoint: replace
	 * tcp_set_state tracepoint with inet_sock_set_state tracepoint". */
	f->tp_inet_sock_set_state =
		has_btf_tracepoint(btf, "inet_sock_set_state");
	/* tcp:tcp_destroy_sock, tcp_send_reset, tcp_receive_reset: 4.15,
	 * "tcp: add tracepoint trace_tcp_destroy_sock" and its siblings. */
	f->tp_tcp_destroy_sock = has_btf_tracepoint(btf, "tcp_destroy_sock");
	f->tp_tcp_send_reset = has_btf_tracepoint(btf, "tcp_send_reset");
	f->tp_tcp_receive_reset = has_btf_tracepoint(btf, "tcp_receive_reset");
	/* tcp:tcp_retransmit_skb: 4.15, "tcp: add tracepoint
	 * trace_tcp_retransmit_skb()". */
	f->tp_tcp_retransmit_skb =
		has_btf_tracepoint(btf, "tcp_retransmit_skb");
	/* skb:kfree_skb with a reason: 5.17, "net: skb: introduce
	 * kfree_skb_reason()". Context, skb, location, reason: 4 or more. */
	f->tp_kfree_skb_reason = btf_tracepoint_nargs(btf, "kfree_skb") >= 4;
	load_drop_reasons(btf);
	/* iter/tcp: 5.9, "net: bpf: implement bpf iterator for tcp". */
	f->iter_tcp = btf__find_by_name_kind(btf, "bpf_iter__tcp",
					     BTF_KIND_STRUCT) > 0;
	/* iter/task_file: 5.8, "bpf: Add task and task/file iterator
	 * targets". */
	f->iter_task_file = btf__find_by_name_kind(btf, "bpf_iter__task_file",
						   BTF_KIND_STRUCT) > 0;
	f->fentry_tcp_close = tracing && !btf_path && can_fentry(btf, "tcp_close");
	btf__free(btf);
	return 0;
}
