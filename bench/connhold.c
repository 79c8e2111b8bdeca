// SPDX-License-Identifier: GPL-2.0
/*
 * Holds N established TCP connections to PORT on ADDR open, both ends,
 * from the given source addresses (so that N may exceed one address's
 * ephemeral ports), until killed. Prints "ready N" once all are up. The
 * benchmark runs several, one per ADDR, to stay within the fd limit.
 *
 *   connhold ADDR PORT N SRC_ADDR...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_on(const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, addr, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&sa, sizeof(sa)) || listen(fd, 65535)) {
		perror("listen");
		exit(1);
	}
	return fd;
}

static int connect_from(const char *src, const char *dst, int port)
{
	struct sockaddr_in s = { .sin_family = AF_INET };
	struct sockaddr_in d = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, src, &s.sin_addr);
	inet_pton(AF_INET, dst, &d.sin_addr);
	if (fd < 0 || bind(fd, (void *)&s, sizeof(s)) ||
	    connect(fd, (void *)&d, sizeof(d))) {
		fprintf(stderr, "connect from %s: %s\n", src, strerror(errno));
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	int lfd, n, nsrc;

	if (argc < 5) {
		fprintf(stderr, "usage: connhold ADDR PORT N SRC_ADDR...\n");
		return 2;
	}
	n = atoi(argv[3]);
	nsrc = argc - 4;
	/* Both ends live here: 2N descriptors, within the hard limit. */
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	lfd = listen_on(argv[1], atoi(argv[2]));
	for (int i = 0; i < n; i++) {
		connect_from(argv[4 + i % nsrc], argv[1], atoi(argv[2]));
		if (accept(lfd, NULL, NULL) < 0) {
			perror("accept");
			return 1;
		}
	}
	printf("ready %d\n", n);
	fflush(stdout);
	for (;;)
		pause();
}
