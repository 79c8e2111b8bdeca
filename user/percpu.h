/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_PERCPU_H
#define FW_PERCPU_H

#include <stdint.h>

/* The sum over the CPUs of entry @key of a per-CPU array of u64 (the
 * kernel side's counters); 0 when it cannot be read. */
uint64_t fw_percpu_sum(int map_fd, uint32_t key);

#endif
