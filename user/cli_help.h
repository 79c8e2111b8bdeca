/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_CLI_HELP_H
#define FW_CLI_HELP_H

#include <argp.h>
#include <stdio.h>

/*
 * -h/--help, --usage and -V/--version, the same on every subcommand: an
 * argp child for parsers run with ARGP_NO_HELP (argp's own help is -?,
 * and it has no -h). Without ARGP_NO_EXIT they print and exit 0; with it
 * they print and return, and set the bool the child's input points at
 * (when it is not NULL), so that the caller can stop there.
 */
extern const struct argp fw_cli_help_argp;

/* The release (the VERSION file), for "finwatch --version". */
extern const char fw_version[];

#endif
