// SPDX-License-Identifier: GPL-2.0
/*
 * Connection churn for the kernel-level tests and benchmarks: N TCP
 * connections to ADDR:PORT, each opened and closed at once, as fast as the
 * machine allows, from K at a time (non-blocking connects).
 *
 *   churn ADDR PORT N [K]
 *
 * Prints "done N FAILED" at the end; exits 1 when any connect failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int start_connect(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int n, k, started = 0, done = 0, failed = 0;
	struct pollfd *p;

	if (argc < 4) {
		fprintf(stderr, "usage: churn ADDR PORT N [K]\n");
		return 2;
	}
	inet_pton(AF_INET, argv[1], &sa.sin_addr);
	sa.sin_port = htons(atoi(argv[2]));
	n = atoi(argv[3]);
	k = argc > 4 ? atoi(argv[4]) : 32;
	p = calloc(k, sizeof(*p));
	for (int i = 0; i < k; i++)
		p[i].fd = -1;
	while (done < n) {
		for (int i = 0; i < k && started < n; i++) {
			if (p[i].fd >= 0)
				continue;
			p[i].fd = start_connect(&sa);
			p[i].events = POLLOUT;
			started++;
			if (p[i].fd < 0) {
				failed++;
				done++;
			}
		}
		if (poll(p, k, 1000) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < k; i++) {
			int err = 0;
			socklen_t len = sizeof(err);

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
			failed += err != 0;
			close(p[i].fd);
			p[i].fd = -1;
			done++;
		}
	}
	printf("done %d %d\n", done, failed);
	free(p);
	return failed ? 1 : 0;
}
