// SPDX-License-Identifier: GPL-2.0
/* The options every subcommand that loads the kernel side shares. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli_opts.h"
#include "util.h"

#define FW_DEFAULT_PORT 6379
#define FW_MAX_HOST_LEN 255

enum {
	OPT_NETNS = 0x1000,
	OPT_HOST,
	OPT_BTF,
	OPT_VERBOSE,
};

static const struct argp_option common_options[] = {
	{ "port", 'p', "PORT", 0,
	  "Watch this TCP port (repeatable; default 6379)", 0 },
	{ "netns", OPT_NETNS, "NETNS", 0,
	  "Only this network namespace: a path (/run/netns/NAME, "
	  "/proc/PID/ns/net) or an inode (repeatable)",
	  0 },
	{ "host", OPT_HOST, "NAME", 0,
	  "Host name recorded in each record (default: hostname)", 0 },
	{ "btf", OPT_BTF, "FILE", 0,
	  "Kernel BTF to use instead of /sys/kernel/btf/vmlinux", 0 },
	{ "verbose", OPT_VERBOSE, NULL, 0,
	  "List the active attach points; show libbpf's messages", 0 },
	{},
};

static void add_port(struct fw_config *c, const char *arg,
		     struct argp_state *state)
{
	uint16_t port;

	if (fw_parse_port(arg, &port))
		argp_failure(state, FW_EXIT_USAGE, 0,
			     "--port %s: a port is a number from 1 to 65535",
			     arg);
	for (int i = 0; i < c->nports; i++)
		if (c->ports[i] == port)
			return;
	if (c->nports == FW_MAX_PORTS)
		argp_failure(state, FW_EXIT_USAGE, 0,
			     "--port: at most %d ports", FW_MAX_PORTS);
	c->ports[c->nports++] = port;
}

static void add_netns(struct fw_config *c, const char *arg,
		      struct argp_state *state)
{
	uint32_t inode;

	if (fw_parse_netns(arg, &inode))
		argp_failure(state, FW_EXIT_USAGE, 0, "--netns %s: %s", arg,
			     errno == ENOENT   ? "no such file"
			     : errno == EINVAL ? "not a network namespace"
					       : strerror(errno));
	for (int i = 0; i < c->nnetns; i++)
		if (c->netns[i] == inode)
			return;
	if (c->nnetns == FW_MAX_NETNS)
		argp_failure(state, FW_EXIT_USAGE, 0,
			     "--netns: at most %d namespaces", FW_MAX_NETNS);
	c->netns[c->nnetns++] = inode;
}

static void set_host(struct fw_cli_common *c, const char *arg,
		     struct argp_state *state)
{
	if (!*arg || strlen(arg) > FW_MAX_HOST_LEN)
		argp_failure(state, FW_EXIT_USAGE, 0,
			     "--host: want a name of 1 to %d bytes",
			     FW_MAX_HOST_LEN);
	c->host = arg;
}

static void set_btf(struct fw_config *c, const char *arg,
		    struct argp_state *state)
{
	if (access(arg, R_OK))
		argp_failure(state, FW_EXIT_USAGE, 0, "--btf %s: %s", arg,
			     strerror(errno));
	c->btf_path = arg;
}

static error_t parse_common_opt(int key, char *arg, struct argp_state *state)
{
	struct fw_cli_common *c = state->input;

	switch (key) {
	case 'p':
		add_port(&c->cfg, arg, state);
		return 0;
	case OPT_NETNS:
		add_netns(&c->cfg, arg, state);
		return 0;
	case OPT_HOST:
		set_host(c, arg, state);
		return 0;
	case OPT_BTF:
		set_btf(&c->cfg, arg, state);
		return 0;
	case OPT_VERBOSE:
		c->cfg.verbose = true;
		return 0;
	case ARGP_KEY_END:
		if (!c->cfg.nports)
			c->cfg.ports[c->cfg.nports++] = FW_DEFAULT_PORT;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

const struct argp fw_cli_common_argp = {
	common_options, parse_common_opt, NULL, NULL, NULL, NULL, NULL
};

const char *fw_cli_host(const struct fw_cli_common *c, char *buf, size_t len)
{
	if (c->host)
		return c->host;
	if (gethostname(buf, len - 1))
		return "unknown";
	buf[len - 1] = '\0';
	return buf;
}
