// SPDX-License-Identifier: GPL-2.0
/*
 * The table of finwatch's BPF programs, and what the loader does with it:
 * which programs load, attaching them, what is said when one is missing,
 * and the runs the kernel skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "programs.h"

/* Both reset tracepoints came in one kernel change: one warning. */
static const char no_resets[] = "no tcp:tcp_send_reset/tcp_receive_reset "
				"tracepoint; resets are not reported";

/* In attach order, which is the order of --verbose and of "attach". */
const struct fw_program fw_programs[] = {
	{
		/* Every state change; owners; ISNs. */
		.name = "fw_inet_sock_set_state",
		.attach = "tp_btf/inet_sock_set_state",
		.feature = FW_FEAT_TP_INET_SOCK_SET_STATE,
		.use = FW_PROG_TRACE,
		.required = true,
		.skipped = FW_SKIP_SOCKET,
		.missing = "this kernel has no sock:inet_sock_set_state "
			   "tracepoint (Linux 4.16+ needed)",
	},
	{
		/* The owner's close, in its own context. */
		.name = "fw_tcp_close",
		.attach = "fentry/tcp_close",
		.feature = FW_FEAT_FENTRY_TCP_CLOSE,
		.use = FW_PROG_TRACE,
		.skipped = FW_SKIP_SOCKET,
		.may_fail_load = true,
		.missing = "fentry/tcp_close unavailable here; closes are seen "
			   "at tcp:tcp_destroy_sock",
	},
	{
		/* The end of every socket, orphans included. */
		.name = "fw_tcp_destroy_sock",
		.attach = "tp_btf/tcp_destroy_sock",
		.feature = FW_FEAT_TP_TCP_DESTROY_SOCK,
		.use = FW_PROG_TRACE,
		.skipped = FW_SKIP_SOCKET,
		.missing = "no tcp:tcp_destroy_sock tracepoint; no close "
			   "records for orphaned sockets",
	},
	{
		.name = "fw_tcp_send_reset",
		.attach = "tp_btf/tcp_send_reset",
		.feature = FW_FEAT_TP_TCP_SEND_RESET,
		.use = FW_PROG_TRACE,
		.skipped = FW_SKIP_SOCKET,
		.missing = no_resets,
	},
	{
		.name = "fw_tcp_receive_reset",
		.attach = "tp_btf/tcp_receive_reset",
		.feature = FW_FEAT_TP_TCP_RECEIVE_RESET,
		.use = FW_PROG_TRACE,
		.skipped = FW_SKIP_SOCKET,
		.missing = no_resets,
	},
	{
		/* FIN, SYN and RST segments retransmitted onto the wire. */
		.name = "fw_tcp_retransmit_skb",
		.attach = "tp_btf/tcp_retransmit_skb",
		.feature = FW_FEAT_TP_TCP_RETRANSMIT_SKB,
		.use = FW_PROG_TRACE,
		.skipped = FW_SKIP_SOCKET,
		.missing = "no tcp:tcp_retransmit_skb tracepoint; FIN "
			   "retransmissions are not reported",
	},
	{
		/*
		 * FIN, SYN and RST segments the host dropped itself.
		 * skb:kfree_skb fires for every packet the host drops, of
		 * any protocol, and nests (a drop in softirq interrupting
		 * one in a task), so nearly all of its skipped runs are
		 * about packets finwatch ignores. A drop record only adds
		 * to a verdict (where a FIN died): a skipped run may leave
		 * the cause unsaid, never the verdict wrong, so its skips
		 * mark only drop evidence as incomplete.
		 */
		.name = "fw_kfree_skb",
		.attach = "tp_btf/kfree_skb",
		.feature = FW_FEAT_TP_KFREE_SKB_REASON,
		.use = FW_PROG_TRACE,
		.skipped = FW_SKIP_DROPS,
		.missing = "no skb:kfree_skb drop reasons (Linux 5.17+); FINs "
			   "dropped by this host's firewall are not reported",
	},
	{
		/* The sockets that already exist. Run from read(2), so
		 * never skipped; without it snapshot uses sock_diag. */
		.name = "fw_iter_tcp",
		.attach = "iter/tcp",
		.feature = FW_FEAT_ITER_TCP,
		.use = FW_PROG_ITER,
	},
	{
		/* Their owners; without it, /proc as ss -p reads it. */
		.name = "fw_iter_task_file",
		.attach = "iter/task_file",
		.feature = FW_FEAT_ITER_TASK_FILE,
		.use = FW_PROG_ITER,
	},
};

const int fw_nprograms = sizeof(fw_programs) / sizeof(fw_programs[0]);

_Static_assert(sizeof(fw_programs) / sizeof(fw_programs[0]) <= FW_MAX_PROGRAMS,
	       "FW_MAX_PROGRAMS is too small for the table");

static bool used_by_run(const struct fw_program *p, bool trace)
{
	return trace || p->use == FW_PROG_ITER;
}

static bool wanted(const struct fw_program *p, const struct fw_features *f,
		   bool trace)
{
	return used_by_run(p, trace) && f->have[p->feature];
}

/* Missing from this kernel while the run needs it. */
static bool missing(const struct fw_program *p, const struct fw_features *f,
		    bool trace)
{
	return used_by_run(p, trace) && !f->have[p->feature] && p->missing;
}

/* Whether an earlier row already said the same about this kernel. */
static bool said_before(int row, const struct fw_features *f, bool trace)
{
	for (int i = 0; i < row; i++)
		if (missing(&fw_programs[i], f, trace) &&
		    !strcmp(fw_programs[i].missing, fw_programs[row].missing))
			return true;
	return false;
}

int fw_programs_check_features(const struct fw_features *f, bool trace,
			       const char *prog)
{
	for (int i = 0; i < fw_nprograms; i++) {
		const struct fw_program *p = &fw_programs[i];

		if (p->required && missing(p, f, trace)) {
			fprintf(stderr, "%s: %s\n", prog, p->missing);
			return -1;
		}
	}
	for (int i = 0; i < fw_nprograms; i++)
		if (missing(&fw_programs[i], f, trace) &&
		    !said_before(i, f, trace))
			fprintf(stderr, "%s: warning: %s\n", prog,
				fw_programs[i].missing);
	return 0;
}

static int row_of(const char *name)
{
	for (int i = 0; i < fw_nprograms; i++)
		if (!strcmp(fw_programs[i].name, name))
			return i;
	return -1;
}

/* Every program of the object has a row: one without would load and
 * never be attached. */
static int check_no_stray(struct bpf_object *obj, const char *prog)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
	{
		if (row_of(bpf_program__name(p)) < 0) {
			fprintf(stderr,
				"%s: BPF program %s has no row in "
				"user/programs.c\n",
				prog, bpf_program__name(p));
			return -1;
		}
	}
	return 0;
}

static struct bpf_program *
find_row(struct bpf_object *obj, const struct fw_program *row, const char *prog)
{
	struct bpf_program *p =
		bpf_object__find_program_by_name(obj, row->name);

	if (!p) {
		fprintf(stderr, "%s: no BPF program %s in the object\n", prog,
			row->name);
		return NULL;
	}
	if (strcmp(bpf_program__section_name(p), row->attach)) {
		fprintf(stderr, "%s: BPF program %s is in section %s, not %s\n",
			prog, row->name, bpf_program__section_name(p),
			row->attach);
		return NULL;
	}
	return p;
}

int fw_programs_find(struct fw_program_set *ps, struct bpf_object *obj,
		     const struct fw_features *f, bool trace, const char *prog)
{
	memset(ps, 0, sizeof(*ps));
	if (check_no_stray(obj, prog))
		return -1;
	for (int i = 0; i < fw_nprograms; i++) {
		const struct fw_program *row = &fw_programs[i];

		ps->prog[i] = find_row(obj, row, prog);
		if (!ps->prog[i])
			return -1;
		bpf_program__set_autoload(ps->prog[i], wanted(row, f, trace));
	}
	return 0;
}

bool fw_programs_drop_unsure(struct fw_features *f, bool trace,
			     const char *prog)
{
	bool dropped = false;

	for (int i = 0; i < fw_nprograms; i++) {
		const struct fw_program *p = &fw_programs[i];

		if (!p->may_fail_load || !wanted(p, f, trace))
			continue;
		fprintf(stderr,
			"%s: warning: %s failed to load; retrying without it\n",
			prog, p->attach);
		f->have[p->feature] = false;
		dropped = true;
	}
	return dropped;
}

/* Returns -1 only when a required program fails. */
static int attach_row(struct fw_program_set *ps, int i, const char *prog)
{
	const struct fw_program *p = &fw_programs[i];

	ps->link[i] = bpf_program__attach(ps->prog[i]);
	if (ps->link[i]) {
		ps->attached[ps->nattached++] = p->attach;
		return 0;
	}
	if (p->required) {
		fprintf(stderr, "%s: cannot attach %s: %s\n", prog, p->attach,
			strerror(errno));
		return -1;
	}
	if (p->use != FW_PROG_ITER)
		fprintf(stderr,
			"%s: warning: cannot attach %s (%s); going on without "
			"it\n",
			prog, p->attach, strerror(errno));
	return 0;
}

int fw_programs_attach(struct fw_program_set *ps, const char *prog)
{
	for (int i = 0; i < fw_nprograms; i++) {
		if (!bpf_program__autoload(ps->prog[i]))
			continue;
		if (attach_row(ps, i, prog))
			return -1;
	}
	return 0;
}

struct bpf_link *fw_programs_link(const struct fw_program_set *ps,
				  const char *name)
{
	int i = row_of(name);

	return i < 0 ? NULL : ps->link[i];
}

uint64_t fw_programs_missed_runs(const struct fw_program_set *ps, int row)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd;

	if (row < 0 || row >= fw_nprograms || !ps->prog[row])
		return 0;
	fd = bpf_program__fd(ps->prog[row]);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.recursion_misses;
}

void fw_programs_detach(struct fw_program_set *ps)
{
	for (int i = 0; i < fw_nprograms; i++) {
		bpf_link__destroy(ps->link[i]);
		ps->link[i] = NULL;
	}
	ps->nattached = 0;
}
