// SPDX-License-Identifier: GPL-2.0
/*
 * finwatch demo: runs scripts/demo.sh, which is linked into the binary so
 * that the demo works from wherever finwatch is, with this very binary
 * doing the tracing and the correlating.
 */
#include <argp.h>
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "cli_help.h"
#include "util.h"

extern const char _binary_scripts_demo_sh_start[];
extern const char _binary_scripts_demo_sh_end[];

struct demo_opts {
	bool keep;
};

static const struct argp_option demo_options[] = {
	{ "keep", 'k', NULL, 0,
	  "Leave the namespaces, redis-server and the logs for exploration",
	  0 },
	{},
};

static const struct argp_child demo_children[] = {
	{ &fw_cli_help_argp, 0, NULL, -1 },
	{},
};

static error_t parse_demo_opt(int key, char *arg, struct argp_state *state)
{
	struct demo_opts *o = state->input;

	/* an argument is argp's "too many arguments", exit 2 */
	(void)arg;
	if (key != 'k')
		return ARGP_ERR_UNKNOWN;
	o->keep = true;
	return 0;
}

static int script_fd(void)
{
	size_t len =
		_binary_scripts_demo_sh_end - _binary_scripts_demo_sh_start;
	int fd = memfd_create("finwatch-demo.sh", 0);

	if (fd < 0)
		return -1;
	if (write(fd, _binary_scripts_demo_sh_start, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

int demo_main(int argc, char **argv)
{
	struct argp argp = {
		demo_options,
		parse_demo_opt,
		NULL,
		"Reproduce the Redis connection leak in network namespaces and "
		"catch it: an app host, a middlebox that forgets idle flows, "
		"redis-server with timeout 0; both ends traced and correlated "
		"(the cause, the growth against maxclients), then the proven "
		"ghosts reaped. Needs root, redis-server, nft and ip.",
		demo_children,
		NULL,
		NULL
	};
	struct demo_opts opts = {};
	char self[PATH_MAX], script[64];
	ssize_t n;
	int fd;

	argp_err_exit_status = FW_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, ARGP_NO_HELP, NULL, &opts))
		return FW_EXIT_USAGE;
	if (geteuid()) {
		fprintf(stderr, "finwatch demo: needs root: it creates network "
				"namespaces and loads BPF programs\n");
		return FW_EXIT_USAGE;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	fd = script_fd();
	if (n <= 0 || fd < 0) {
		fprintf(stderr,
			"finwatch demo: cannot prepare the demo script: %s\n",
			strerror(errno));
		return 1;
	}
	self[n] = '\0';
	/* The script is ours, byte for byte: bash reads it from the memfd,
	 * which stays open (not close-on-exec) for that. */
	snprintf(script, sizeof(script), "/proc/self/fd/%d", fd);
	setenv("FW_BIN", self, 1);
	execlp("bash", "bash", script, opts.keep ? "--keep" : NULL,
	       (char *)NULL);
	fprintf(stderr, "finwatch demo: cannot run bash: %s\n",
		strerror(errno));
	return 1;
}
