/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_CLI_OPTS_H
#define FW_CLI_OPTS_H

#include <argp.h>
#include <stddef.h>

#include "tracer.h"

/*
 * The options of every subcommand that loads the kernel side (--port,
 * --netns, --host, --btf, --verbose), parsed by one argp child parser.
 * A subcommand lists fw_cli_common_argp among its argp children and, at
 * ARGP_KEY_INIT, points that child's state->child_inputs[] entry at its
 * struct fw_cli_common. A bad value ends the program through argp_failure()
 * with one line and exit code 2.
 */
struct fw_cli_common {
	/* --port (6379 when none), --netns, --btf, --verbose */
	struct fw_config cfg;
	const char *host; /* --host, or NULL */
};

extern const struct argp fw_cli_common_argp;

/* The host name each record carries: --host, else the hostname, else
 * "unknown". @buf holds the hostname. */
const char *fw_cli_host(const struct fw_cli_common *c, char *buf, size_t len);

#endif
