// SPDX-License-Identifier: GPL-2.0
/*
 * finwatch snapshot: the connections open now on the watched ports, with
 * what decides whether anything will ever reap them.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cli.h"
#include "cli_opts.h"
#include "output.h"
#include "tracer.h"
#include "util.h"

enum {
	OPT_NETNS = 0x100,
	OPT_HOST,
	OPT_BTF,
	OPT_VERBOSE,
};

struct snapshot_opts {
	struct fw_config cfg;
	bool json;
	const char *host;
};

static const struct argp_option snapshot_options[] = {
	{ "port", 'p', "PORT", 0, "Watched TCP port (repeatable; default 6379)", 0 },
	{ "netns", OPT_NETNS, "NETNS", 0, "Only this network namespace (path or inode; repeatable)", 0 },
	{ "json", 'j', NULL, 0, "Write JSON Lines (docs/SCHEMA.md)", 0 },
	{ "host", OPT_HOST, "NAME", 0, "Host name recorded in each record", 0 },
	{ "btf", OPT_BTF, "FILE", 0, "Kernel BTF to use instead of /sys/kernel/btf/vmlinux", 0 },
	{ "verbose", OPT_VERBOSE, NULL, 0, "Show libbpf's messages", 0 },
	{},
};

static error_t parse_snapshot_opt(int key, char *arg, struct argp_state *state)
{
	struct snapshot_opts *o = state->input;

	switch (key) {
	case 'p':
		fw_cli_add_port(&o->cfg, arg, state);
		return 0;
	case OPT_NETNS:
		fw_cli_add_netns(&o->cfg, arg, state);
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case OPT_HOST:
		o->host = arg;
		return 0;
	case OPT_BTF:
		fw_cli_set_btf(&o->cfg, arg, state);
		return 0;
	case OPT_VERBOSE:
		o->cfg.verbose = true;
		return 0;
	case ARGP_KEY_ARG:
		argp_failure(state, FW_EXIT_USAGE, 0, "unexpected argument '%s'",
			     arg);
		return 0;
	case ARGP_KEY_END:
		fw_cli_finish_config(&o->cfg);
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static int print_socket(void *ctx, const struct fw_sock_info *si)
{
	return fw_out_snapshot(ctx, si, 1, "iter");
}

int snapshot_main(int argc, char **argv)
{
	struct argp argp = { snapshot_options, parse_snapshot_opt, NULL,
			     "List the TCP connections open now on the watched ports.",
			     NULL, NULL, NULL };
	struct snapshot_opts opts = {};
	struct fw_output out = { .fd = STDOUT_FILENO };
	struct fw_tracer tracer;
	char hostname[256] = "unknown";
	int n;

	argp_err_exit_status = FW_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, &opts))
		return FW_EXIT_USAGE;
	if (fw_check_tracing_caps("finwatch snapshot"))
		return FW_EXIT_USAGE;
	gethostname(hostname, sizeof(hostname) - 1);
	out.host = opts.host ? opts.host : hostname;
	out.json = opts.json;
	out.clock_offset_ns = fw_monotonic_to_realtime_offset();
	if (fw_tracer_open(&tracer, &opts.cfg, "finwatch snapshot"))
		return 1;
	n = fw_tracer_snapshot(&tracer, print_socket, &out);
	if (n < 0)
		fprintf(stderr, "finwatch snapshot: walking the sockets: %s\n",
			strerror(errno));
	else
		fw_out_snapshot_end(&out, 1, n, fw_now_monotonic_ns());
	fw_tracer_close(&tracer);
	return n < 0 ? 1 : 0;
}
