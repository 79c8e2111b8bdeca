// SPDX-License-Identifier: GPL-2.0
/*
 * Sends one bare TCP ACK through a raw socket, for the kernel-level tests
 * (test_reap.sh): the segment a connection's peer would send, to show
 * that a socket whose peer is proven gone hears from someone after all.
 *
 *   tcpinject SRC SPORT DST DPORT SEQ ACK
 *
 * IPv4 only. SEQ and ACK are the segment's sequence and acknowledgement
 * numbers (for the receiver to take it: its rcv_nxt and snd_una). No TCP
 * options: the connection must not use timestamps. Built statically by
 * tests/kernel/lib.sh (fw_build_helper), like tcpclient.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint32_t sum16(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

/* The TCP checksum: over the pseudo header, then the segment. */
static uint16_t tcp_checksum(struct in_addr src, struct in_addr dst,
			     const struct tcphdr *th)
{
	struct {
		struct in_addr src, dst;
		uint8_t zero, proto;
		uint16_t len;
	} __attribute__((packed))
	ph = { src, dst, 0, IPPROTO_TCP, htons(sizeof(*th)) };
	uint32_t sum = sum16(th, sizeof(*th), sum16(&ph, sizeof(ph), 0));

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static void usage(void)
{
	fprintf(stderr, "usage: tcpinject SRC SPORT DST DPORT SEQ ACK\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = src;
	struct tcphdr th;
	int fd;

	if (argc != 7 || inet_pton(AF_INET, argv[1], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[3], &dst.sin_addr) != 1)
		usage();
	memset(&th, 0, sizeof(th));
	th.source = htons((uint16_t)atoi(argv[2]));
	th.dest = htons((uint16_t)atoi(argv[4]));
	th.seq = htonl((uint32_t)strtoul(argv[5], NULL, 10));
	th.ack_seq = htonl((uint32_t)strtoul(argv[6], NULL, 10));
	th.doff = sizeof(th) / 4;
	th.ack = 1;
	th.window = htons(65535);
	th.check = tcp_checksum(src.sin_addr, dst.sin_addr, &th);
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    sendto(fd, &th, sizeof(th), 0, (struct sockaddr *)&dst,
		   sizeof(dst)) != sizeof(th)) {
		fprintf(stderr, "tcpinject: %s\n", strerror(errno));
		return 1;
	}
	printf("sent\n");
	return 0;
}
