// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "percpu.h"

/* A CPU count large enough for the per-CPU reads. */
#define FW_MAX_CPUS 1024

uint64_t fw_percpu_sum(int map_fd, uint32_t key)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	__u64 *vals;

	if (ncpu <= 0 || ncpu > FW_MAX_CPUS)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map_lookup_elem(map_fd, &key, vals))
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}
