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
	uint16_t port;
	uint32_t inode;

	switch (key) {
	case 'p':
		if (fw_parse_port(arg, &port))
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--port %s: a port is a number from 1 to 65535",
				     arg);
		if (o->cfg.nports == FW_MAX_PORTS)
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--port: at most %d ports", FW_MAX_PORTS);
		o->cfg.ports[o->cfg.nports++] = port;
		return 0;
	case OPT_NETNS:
		if (fw_parse_netns(arg, &inode))
			argp_failure(state, FW_EXIT_USAGE, 0, "--netns %s: %s",
				     arg,
				     errno == ENOENT ? "no such file" :
						       "not a network namespace");
		if (o->cfg.nnetns == FW_MAX_NETNS)
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--netns: at most %d namespaces",
				     FW_MAX_NETNS);
		o->cfg.netns[o->cfg.nnetns++] = inode;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case OPT_HOST:
		o->host = arg;
		return 0;
	case OPT_BTF:
		if (access(arg, R_OK))
			argp_failure(state, FW_EXIT_USAGE, 0, "--btf %s: %s",
				     arg, strerror(errno));
		o->cfg.btf_path = arg;
		return 0;
	case OPT_VERBOSE:
		o->cfg.verbose = true;
		return 0;
	case ARGP_KEY_ARG:
		argp_failure(state, FW_EXIT_USAGE, 0, "unexpected argument '%s'",
			     arg);
		return 0;
	case ARGP_KEY_END:
		if (!o->cfg.nports)
			o->cfg.ports[o->cfg.nports++] = 6379;
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
