// SPDX-License-Identifier: GPL-2.0
/*
 * A Redis client with a controlled lifetime, for the kernel-level tests.
 *
 *   tcpclient [-b LPORT] [-w SECS] [-a SECS] [-k IDLE] [-r] [-n] ADDR PORT
 *
 * Connects to ADDR:PORT (IPv4 or IPv6 text, ::ffff:a.b.c.d for a mapped
 * socket), from local port LPORT if given, prints "lport N" once connected,
 * sends PING and waits for the +PONG reply (unless -n), sleeps -w seconds,
 * closes (abortively, with SO_LINGER 0, if -r: the kernel sends a RST
 * instead of a FIN), then sleeps -a seconds before exiting, so that the
 * process still exists while its socket finishes closing. -k turns
 * SO_KEEPALIVE on, with TCP_KEEPIDLE set to IDLE seconds unless IDLE is 0
 * (then the namespace's sysctl applies).
 *
 * Built statically by tests/kernel/lib.sh so that it also runs in the
 * busybox VM, which has no python.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "tcpclient: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void sleep_secs(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void usage(void)
{
	fprintf(stderr, "usage: tcpclient [-b LPORT] [-w SECS] [-a SECS] "
			"[-k IDLE] [-r] [-n] ADDR PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss, local;
	socklen_t len, llen;
	double wait_s = 0, after_s = 0;
	int lport = 0, rst = 0, no_ping = 0, fd, opt, one = 1, keepidle = -1;
	const char *addr;
	int port;

	while ((opt = getopt(argc, argv, "b:w:a:k:rn")) != -1) {
		switch (opt) {
		case 'b':
			lport = atoi(optarg);
			break;
		case 'w':
			wait_s = atof(optarg);
			break;
		case 'a':
			after_s = atof(optarg);
			break;
		case 'k':
			keepidle = atoi(optarg);
			break;
		case 'r':
			rst = 1;
			break;
		case 'n':
			no_ping = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	addr = argv[optind];
	port = atoi(argv[optind + 1]);

	memset(&ss, 0, sizeof(ss));
	memset(&local, 0, sizeof(local));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		struct sockaddr_in6 *l6 = (struct sockaddr_in6 *)&local;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			usage();
		l6->sin6_family = AF_INET6;
		l6->sin6_port = htons((unsigned short)lport);
		l6->sin6_addr = in6addr_any;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in *l4 = (struct sockaddr_in *)&local;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			usage();
		l4->sin_family = AF_INET;
		l4->sin_port = htons((unsigned short)lport);
		l4->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof(*s4);
	}

	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (ss.ss_family == AF_INET6) {
		int off = 0;

		/* so that ::ffff:a.b.c.d works */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	}
	if (keepidle >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		if (keepidle > 0)
			setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &keepidle,
				   sizeof(keepidle));
	}
	if (lport) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&local, len) < 0)
			die("bind");
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		die("connect");
	llen = sizeof(local);
	if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
		die("getsockname");
	printf("lport %u\n",
	       ntohs(local.ss_family == AF_INET6
			     ? ((struct sockaddr_in6 *)&local)->sin6_port
			     : ((struct sockaddr_in *)&local)->sin_port));
	fflush(stdout);

	if (!no_ping) {
		static const char ping[] = "PING\r\n";
		char buf[64];
		size_t got = 0;

		if (write(fd, ping, sizeof(ping) - 1) != sizeof(ping) - 1)
			die("write");
		/* "+PONG\r\n" */
		while (got < 7) {
			ssize_t n = read(fd, buf + got, sizeof(buf) - got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die("read");
			got += (size_t)n;
		}
		if (strncmp(buf, "+PONG\r\n", 7) != 0) {
			fprintf(stderr, "tcpclient: unexpected reply\n");
			return 1;
		}
	}

	sleep_secs(wait_s);
	if (rst) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
			die("SO_LINGER");
	}
	if (close(fd) < 0)
		die("close");
	sleep_secs(after_s);
	return 0;
}
