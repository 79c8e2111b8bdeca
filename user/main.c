// SPDX-License-Identifier: GPL-2.0
/*
 * finwatch: find TCP connections whose FIN or RST never reached the
 * other end. This file only dispatches to the subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_help.h"
#include "util.h"

struct subcommand {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "trace", trace_main,
	  "stream connection lifecycles on the watched ports" },
	{ "correlate", correlate_main,
	  "join hosts' logs; name connections whose FIN/RST was lost" },
	{ "reap", reap_main,
	  "destroy the server sockets the logs prove to be ghosts" },
	{ "snapshot", snapshot_main,
	  "list the connections open now, with keepalive and idle times" },
	{ "demo", demo_main,
	  "reproduce the Redis connection leak in namespaces and catch it" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: finwatch COMMAND [OPTION...]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]);
	     i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fprintf(f, "\n'finwatch help COMMAND' or 'finwatch COMMAND --help' "
		   "describes each one;\nfinwatch(8) all of them.\n");
}

static const struct subcommand *find_subcommand(const char *name)
{
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]);
	     i++)
		if (!strcmp(name, subcommands[i].name))
			return &subcommands[i];
	return NULL;
}

static int run_subcommand(const struct subcommand *cmd, int argc, char **argv)
{
	/* argp names the program after argv[0] in its messages. */
	static char name[64];

	snprintf(name, sizeof(name), "finwatch %s", cmd->name);
	argv[0] = name;
	return cmd->main(argc, argv);
}

static int unknown_command(const char *name)
{
	fprintf(stderr, "finwatch: unknown command '%s'\n", name);
	usage(stderr);
	return FW_EXIT_USAGE;
}

/* finwatch help [COMMAND]: the same as COMMAND --help. */
static int help_main(int argc, char **argv)
{
	char *args[] = { NULL, "--help", NULL };
	const struct subcommand *cmd;

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	cmd = find_subcommand(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	return run_subcommand(cmd, 2, args);
}

int main(int argc, char **argv)
{
	const struct subcommand *cmd;

	if (argc < 2) {
		usage(stderr);
		return FW_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("finwatch %s\n", fw_version);
		return 0;
	}
	if (!strcmp(argv[1], "help"))
		return help_main(argc - 1, argv + 1);
	cmd = find_subcommand(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	return run_subcommand(cmd, argc - 1, argv + 1);
}
