/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_DURATION_H
#define FW_DURATION_H

/*
 * Durations on the command line: "250ms", "2s", "1.5m", "3h", "1d"; a
 * bare number means seconds. Returns 0 and the value in nanoseconds, or -1
 * for anything else (including overflow and an empty string).
 */
int fw_parse_duration_ns(const char *s, unsigned long long *out_ns);

#endif
