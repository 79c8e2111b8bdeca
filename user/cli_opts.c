// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli_opts.h"
#include "util.h"

#define FW_DEFAULT_PORT 6379

void fw_cli_add_port(struct fw_config *c, const char *arg,
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
		argp_failure(state, FW_EXIT_USAGE, 0, "--port: at most %d ports",
			     FW_MAX_PORTS);
	c->ports[c->nports++] = port;
}

void fw_cli_add_netns(struct fw_config *c, const char *arg,
		      struct argp_state *state)
{
	uint32_t inode;

	if (fw_parse_netns(arg, &inode))
		argp_failure(state, FW_EXIT_USAGE, 0, "--netns %s: %s", arg,
			     errno == ENOENT ? "no such file" :
			     errno == EINVAL ? "not a network namespace" :
					       strerror(errno));
	for (int i = 0; i < c->nnetns; i++)
		if (c->netns[i] == inode)
			return;
	if (c->nnetns == FW_MAX_NETNS)
		argp_failure(state, FW_EXIT_USAGE, 0,
			     "--netns: at most %d namespaces", FW_MAX_NETNS);
	c->netns[c->nnetns++] = inode;
}

void fw_cli_set_btf(struct fw_config *c, const char *arg,
		    struct argp_state *state)
{
	if (access(arg, R_OK))
		argp_failure(state, FW_EXIT_USAGE, 0, "--btf %s: %s", arg,
			     strerror(errno));
	c->btf_path = arg;
}

void fw_cli_finish_config(struct fw_config *c)
{
	if (!c->nports)
		c->ports[c->nports++] = FW_DEFAULT_PORT;
}
