// SPDX-License-Identifier: GPL-2.0
/*
 * Loader of bench/empty.bpf.c, for the benchmark only: loads the programs
 * whose attach point this kernel has, attaches them, prints
 * "ready N POINT..." on stdout and holds them until SIGINT or SIGTERM.
 *
 *   build/bench/empty
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "empty.skel.h"

#define MAX_LINKS 16

static volatile sig_atomic_t stop_requested;
/* The first load tries fentry, which some kernels refuse: that failure
 * (and its verifier log) is expected, not worth a warning. */
static bool libbpf_quiet;

static void request_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int libbpf_print_warnings(enum libbpf_print_level level, const char *fmt,
				 va_list ap)
{
	if (libbpf_quiet || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Blocks the stop signals but inside sigsuspend(), so that one arriving
 * between the test and the wait is not missed. */
static void wait_for_stop(void)
{
	struct sigaction sa = { .sa_handler = request_stop };
	sigset_t stop_set, old;

	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop_set, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop_requested)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* "tp_btf/NAME" needs the typedef btf_trace_NAME, "fentry/NAME" the
 * function NAME: without them the whole object would fail to load. */
static bool kernel_has_target(const struct btf *vmlinux, const char *sec)
{
	char type_name[128];
	const char *slash = strchr(sec, '/');

	if (!slash)
		return false;
	if (!strncmp(sec, "tp_btf/", 7)) {
		snprintf(type_name, sizeof(type_name), "btf_trace_%s",
			 slash + 1);
		return btf__find_by_name_kind(vmlinux, type_name,
					      BTF_KIND_TYPEDEF) > 0;
	}
	return btf__find_by_name_kind(vmlinux, slash + 1, BTF_KIND_FUNC) > 0;
}

static struct empty_bpf *open_and_load(const struct btf *vmlinux,
				       bool with_fentry)
{
	struct empty_bpf *skel = empty_bpf__open();
	struct bpf_program *prog;

	if (!skel)
		return NULL;
	bpf_object__for_each_program(prog, skel->obj)
	{
		const char *sec = bpf_program__section_name(prog);
		bool fentry = !strncmp(sec, "fentry/", 7);

		bpf_program__set_autoload(prog,
					  kernel_has_target(vmlinux, sec) &&
						  (with_fentry || !fentry));
	}
	if (empty_bpf__load(skel)) {
		empty_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static int attach_loaded(struct empty_bpf *skel, struct bpf_link **links)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, skel->obj)
	{
		if (!bpf_program__autoload(prog) || n == MAX_LINKS)
			continue;
		links[n] = bpf_program__attach(prog);
		if (!links[n]) {
			fprintf(stderr, "empty: cannot attach %s: %s\n",
				bpf_program__section_name(prog),
				strerror(errno));
			continue;
		}
		n++;
	}
	return n;
}

static void print_ready(struct empty_bpf *skel, int nlinks)
{
	struct bpf_program *prog;

	printf("ready %d", nlinks);
	bpf_object__for_each_program(prog, skel->obj)
	{
		if (bpf_program__autoload(prog))
			printf(" %s", bpf_program__section_name(prog));
	}
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS];
	struct empty_bpf *skel;
	struct btf *vmlinux;
	int nlinks;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: empty (no options)\n");
		return 2;
	}
	libbpf_set_print(libbpf_print_warnings);
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		fprintf(stderr, "empty: no kernel BTF: %s\n", strerror(errno));
		return 1;
	}
	/* fentry loads on some kernels only (EPERM on some): retry without. */
	libbpf_quiet = true;
	skel = open_and_load(vmlinux, true);
	libbpf_quiet = false;
	if (!skel)
		skel = open_and_load(vmlinux, false);
	btf__free(vmlinux);
	if (!skel) {
		fprintf(stderr, "empty: cannot load the programs: %s\n",
			strerror(errno));
		return 1;
	}
	nlinks = attach_loaded(skel, links);
	print_ready(skel, nlinks);
	if (nlinks)
		wait_for_stop();
	for (int i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	empty_bpf__destroy(skel);
	return nlinks ? 0 : 1;
}
