// SPDX-License-Identifier: GPL-2.0
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* The effective set; -1 after one line when it cannot be read. */
static int effective_caps(const char *prog, uint64_t *caps)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data)) {
		fprintf(stderr, "%s: cannot read the process's capabilities\n",
			prog);
		return -1;
	}
	*caps = data[0].effective | ((uint64_t)data[1].effective << 32);
	return 0;
}

static bool has_cap(uint64_t caps, int cap)
{
	return caps & (1ULL << cap);
}

int fw_check_tracing_caps(const char *prog)
{
	uint64_t caps;
	bool bpf, perfmon;

	if (effective_caps(prog, &caps))
		return -1;
	if (has_cap(caps, CAP_SYS_ADMIN))
		return 0;
	bpf = has_cap(caps, CAP_BPF);
	perfmon = has_cap(caps, CAP_PERFMON);
	if (bpf && perfmon)
		return 0;
	fprintf(stderr,
		"%s: missing capability %s%s%s: run as root, or grant CAP_BPF "
		"and CAP_PERFMON\n",
		prog, bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "",
		perfmon ? "" : "CAP_PERFMON");
	return -1;
}

int fw_check_net_admin(const char *prog, const char *what)
{
	uint64_t caps;

	if (effective_caps(prog, &caps))
		return -1;
	if (has_cap(caps, CAP_NET_ADMIN))
		return 0;
	fprintf(stderr,
		"%s: missing capability CAP_NET_ADMIN, which %s needs: run as "
		"root, or grant CAP_NET_ADMIN\n",
		prog, what);
	return -1;
}
