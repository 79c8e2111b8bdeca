// SPDX-License-Identifier: GPL-2.0
/*
 * A Redis subscriber that closes its sending side and goes on reading,
 * for the kernel-level tests (test_reap.sh):
 *
 *   halfclient -b LPORT ADDR PORT CHANNEL
 *
 * Connects to ADDR:PORT (IPv4) from LPORT, sends SUBSCRIBE CHANNEL,
 * prints "subscribed" once Redis confirmed it, then shuts down its
 * sending side (a FIN: half-closed, as a client that has nothing more to
 * say does) and prints every line Redis sends after that, until the
 * connection ends ("eof", or "error: WHY").
 *
 * Built statically by tests/kernel/lib.sh (fw_build_helper), like
 * tcpclient.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
	printf("error: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int connect_from(int lport, const char *addr, int port)
{
	struct sockaddr_in local = { .sin_family = AF_INET }, peer = local;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket");
	local.sin_port = htons((unsigned short)lport);
	peer.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &peer.sin_addr) != 1) {
		fprintf(stderr, "halfclient: bad address %s\n", addr);
		exit(2);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		die("bind");
	if (connect(fd, (struct sockaddr *)&peer, sizeof(peer)) < 0)
		die("connect");
	return fd;
}

int main(int argc, char **argv)
{
	char cmd[256], line[512];
	int fd, lport = 0, opt;
	FILE *in;

	while ((opt = getopt(argc, argv, "b:")) != -1) {
		if (opt != 'b') {
			fprintf(stderr, "usage: halfclient -b LPORT ADDR PORT "
					"CHANNEL\n");
			return 2;
		}
		lport = atoi(optarg);
	}
	if (argc - optind != 3 || !lport) {
		fprintf(stderr,
			"usage: halfclient -b LPORT ADDR PORT CHANNEL\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = connect_from(lport, argv[optind], atoi(argv[optind + 1]));
	snprintf(cmd, sizeof(cmd), "SUBSCRIBE %s\r\n", argv[optind + 2]);
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		die("write");
	in = fdopen(fd, "r");
	if (!in)
		die("fdopen");
	/* *3, $9, subscribe, $N, CHANNEL, :1 */
	for (int i = 0; i < 6; i++)
		if (!fgets(line, sizeof(line), in))
			die("reading the SUBSCRIBE reply");
	printf("subscribed\n");
	if (shutdown(fd, SHUT_WR) < 0)
		die("shutdown");
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\r\n")] = '\0';
		printf("%s\n", line);
	}
	if (ferror(in))
		die("read");
	printf("eof\n");
	return 0;
}
