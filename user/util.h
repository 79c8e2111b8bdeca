/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_UTIL_H
#define FW_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* Option values include durations, parsed where the correlator has them. */
#include "duration.h"

/* Exit code for bad usage and for anything the user must fix first. */
#define FW_EXIT_USAGE 2

/* Parses a TCP port, 1..65535. Returns 0 or -1. */
int fw_parse_port(const char *s, uint16_t *port);

/* A pid, 1..INT_MAX. Returns 0 or -1. */
int fw_parse_pid(const char *s, uint32_t *pid);

/*
 * A network namespace given as a path (/run/netns/NAME, /proc/PID/ns/net)
 * or as its inode number. Returns 0 and the inode, or -1 with errno set
 * (ENOENT for a missing path, EINVAL for something that is no netns).
 */
int fw_parse_netns(const char *s, uint32_t *inode);

/* Wall-clock ns minus CLOCK_MONOTONIC ns, to date kernel timestamps. */
int64_t fw_monotonic_to_realtime_offset(void);

uint64_t fw_now_monotonic_ns(void);

/* The kernel's HZ from its config (/proc/config.gz or /boot), or 0. */
unsigned int fw_kernel_hz(void);

/* Makes room for @need elements of @size bytes in the array *@v of *@cap
 * elements, doubling it. Returns 0, or -1 out of memory (the array as it
 * was). */
int fw_grow(void **v, size_t *cap, size_t need, size_t size);

#endif
