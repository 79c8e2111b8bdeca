// SPDX-License-Identifier: GPL-2.0
/*
 * A server that accepts and never closes, for the kernel-level tests: the
 * application that leaks CLOSE_WAIT sockets.
 *
 *   tcpserver ADDR PORT
 *
 * Prints "listening" once it listens, then accepts connections forever and
 * keeps every one open, reading nothing, until killed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr *sa = (struct sockaddr *)&a4;
	socklen_t len = sizeof(a4);
	int fd, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: tcpserver ADDR PORT\n");
		return 2;
	}
	if (strchr(argv[1], ':')) {
		a6.sin6_port = htons(atoi(argv[2]));
		inet_pton(AF_INET6, argv[1], &a6.sin6_addr);
		sa = (struct sockaddr *)&a6;
		len = sizeof(a6);
	} else {
		a4.sin_port = htons(atoi(argv[2]));
		inet_pton(AF_INET, argv[1], &a4.sin_addr);
	}
	fd = socket(sa->sa_family, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, sa, len) || listen(fd, 128)) {
		perror("tcpserver");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;)
		if (accept(fd, NULL, NULL) < 0)
			perror("accept");
}
