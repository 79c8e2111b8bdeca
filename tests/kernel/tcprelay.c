// SPDX-License-Identifier: GPL-2.0
/*
 * A TCP relay, for the kernel-level tests: the middlebox that rewrites
 * both directions' sequence numbers behind NAT (a full proxy: each side
 * talks to a socket of its own, with ISNs of its own).
 *
 *   tcprelay LISTEN_ADDR4 PORT TARGET_ADDR4
 *
 * Prints "listening" once it listens, then relays each connection to
 * TARGET_ADDR4:PORT, one at a time: bytes both ways, an end of stream
 * passed on as shutdown(SHUT_WR), both sockets closed once both sides
 * ended. IPv4 only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Moves what fd from has to fd to; false at its end of stream. */
static bool relay_some(int from, int to)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0) {
		shutdown(to, SHUT_WR);
		return false;
	}
	return write(to, buf, (size_t)n) == n;
}

static void relay_connection(int c, const struct sockaddr_in *target)
{
	struct pollfd p[2] = { { .events = POLLIN }, { .events = POLLIN } };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 ||
	    connect(s, (const struct sockaddr *)target, sizeof(*target))) {
		perror("tcprelay: connect");
		close(c);
		if (s >= 0)
			close(s);
		return;
	}
	p[0].fd = c;
	p[1].fd = s;
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0)
			break;
		for (size_t i = 0; i < 2; i++)
			if (p[i].fd >= 0 && p[i].revents &&
			    !relay_some(p[i].fd, i ? c : s))
				p[i].fd = -1;
	}
	close(c);
	close(s);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_in t = { .sin_family = AF_INET };
	int fd, c, one = 1;

	if (argc != 4) {
		fprintf(stderr,
			"usage: tcprelay LISTEN_ADDR4 PORT TARGET_ADDR4\n");
		return 2;
	}
	a.sin_port = t.sin_port = htons(atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[3], &t.sin_addr) != 1) {
		fprintf(stderr, "tcprelay: bad address\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 128)) {
		perror("tcprelay");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		c = accept(fd, NULL, NULL);
		if (c < 0)
			perror("tcprelay: accept");
		else
			relay_connection(c, &t);
	}
}
