// SPDX-License-Identifier: GPL-2.0
/*
 * finwatch demo: runs scripts/demo.sh, which is linked into the binary so
 * that the demo works from wherever finwatch is, with this very binary
 * doing the tracing and the correlating.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

extern const char _binary_scripts_demo_sh_start[];
extern const char _binary_scripts_demo_sh_end[];

static void demo_usage(FILE *f)
{
	fprintf(f,
		"Usage: finwatch demo [--keep]\n\n"
		"Reproduces the Redis connection leak in network namespaces "
		"(app host,\n"
		"middlebox that forgets idle flows, redis-server with timeout "
		"0), traces\n"
		"both ends and correlates them. Needs root. --keep leaves the\n"
		"namespaces running.\n");
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
	char self[PATH_MAX], script[64];
	ssize_t n;
	int fd;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--keep"))) {
		if (argc == 2 &&
		    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			demo_usage(stdout);
			return 0;
		}
		demo_usage(stderr);
		return FW_EXIT_USAGE;
	}
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
	execlp("bash", "bash", script, argc == 2 ? "--keep" : NULL,
	       (char *)NULL);
	fprintf(stderr, "finwatch demo: cannot run bash: %s\n",
		strerror(errno));
	return 1;
}
