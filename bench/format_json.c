// SPDX-License-Identifier: GPL-2.0
/*
 * How long the tracer takes to format one JSON state record
 * (fw_format_event), without the write. Not a test: prints ns per record.
 *   format_json [RECORDS]   (default 1000000)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct fw_output o = {
		.fd = -1,
		.json = true,
		.host = "redis1",
		.clock_offset_ns = 1795996800000000000LL,
	};
	struct fw_event ev = {
		.ts_ns = 1000000000ULL,
		.sock_id = 8195,
		.bytes_acked = 1400,
		.bytes_received = 7000,
		.netns = 4026531840u,
		.pid = 4242,
		.isn_local = 662371969u,
		.isn_remote = 731989750u,
		.last_recv_ms = 30512,
		.last_send_ms = 120,
		.lport = 40122,
		.rport = 6379,
		.type = FW_EV_STATE,
		.family = 4,
		.oldstate = FW_TCP_ESTABLISHED,
		.newstate = FW_TCP_FIN_WAIT1,
		.flags = FW_F_OWNER_KNOWN | FW_F_ISN_KNOWN | FW_F_ACTIVE_OPEN |
			 FW_F_OPEN_SEEN,
		.comm = "redis-benchmark",
	};
	char buf[8192];
	size_t total = 0;
	uint64_t t0;

	inet_pton(AF_INET, "198.18.0.1", ev.laddr);
	inet_pton(AF_INET, "198.18.0.2", ev.raddr);
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		ev.ts_ns += 1000;
		ev.sock_id++;
		ev.lport = 1024 + i % 60000;
		total += fw_format_event(&o, &ev, buf, sizeof(buf));
	}
	printf("%ld records, %.1f ns/record, %.1f bytes/record\n", n,
	       (double)(now_ns() - t0) / n, (double)total / n);
	return 0;
}
