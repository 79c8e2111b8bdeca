// SPDX-License-Identifier: GPL-2.0
/*
 * finwatch: find TCP connections whose FIN or RST never reached the
 * other end. This file only dispatches to the subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
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
	fprintf(f, "\n'finwatch COMMAND --help' describes each one.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return FW_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("finwatch %s\n", FW_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]);
	     i++) {
		/* argp names the program after argv[0] in its messages. */
		static char name[64];

		if (strcmp(argv[1], subcommands[i].name))
			continue;
		snprintf(name, sizeof(name), "finwatch %s", argv[1]);
		argv[1] = name;
		return subcommands[i].main(argc - 1, argv + 1);
	}
	fprintf(stderr, "finwatch: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return FW_EXIT_USAGE;
}
