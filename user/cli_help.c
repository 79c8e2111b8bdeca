// SPDX-License-Identifier: GPL-2.0
/* The help and version options every subcommand has. */
#include <stdbool.h>
#include <stdlib.h>

#include "cli_help.h"

#ifndef FW_VERSION
#define FW_VERSION "unknown"
#endif

const char fw_version[] = FW_VERSION;

enum {
	OPT_USAGE = 0x2000,
};

static const struct argp_option help_options[] = {
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print the version of finwatch", -1 },
	{},
};

static error_t parse_help_opt(int key, char *arg, struct argp_state *state)
{
	bool *done = state->input;

	(void)arg;
	switch (key) {
	case 'h':
		argp_state_help(state, state->out_stream, ARGP_HELP_STD_HELP);
		break;
	case OPT_USAGE:
		argp_state_help(state, state->out_stream,
				ARGP_HELP_USAGE | ARGP_HELP_EXIT_OK);
		break;
	case 'V':
		fprintf(state->out_stream, "finwatch %s\n", fw_version);
		if (!(state->flags & ARGP_NO_EXIT))
			exit(0);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	if (done)
		*done = true;
	return 0;
}

const struct argp fw_cli_help_argp = { help_options, parse_help_opt, NULL, NULL,
				       NULL,	     NULL,	     NULL };
