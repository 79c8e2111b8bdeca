/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_CLI_OPTS_H
#define FW_CLI_OPTS_H

#include <argp.h>

#include "tracer.h"

/* Option values shared by the subcommands that load the kernel side.
 * Each one that is bad ends the program through argp_failure() with
 * one line and exit code 2. */
void fw_cli_add_port(struct fw_config *c, const char *arg,
		     struct argp_state *state);
void fw_cli_add_netns(struct fw_config *c, const char *arg,
		      struct argp_state *state);
void fw_cli_set_btf(struct fw_config *c, const char *arg,
		    struct argp_state *state);
/* At the end of parsing: the default port. */
void fw_cli_finish_config(struct fw_config *c);

#endif
