/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel symbol addresses, from /proc/kallsyms. */
#ifndef FW_KSYMS_H
#define FW_KSYMS_H

#include <stdint.h>

/*
 * Looks up @n symbols (functions, module ones included) in one read of
 * /proc/kallsyms. @addrs[i] is 0 for a symbol that is not there, or when
 * the addresses are hidden (kptr_restrict without CAP_SYSLOG). Returns
 * how many were found, or -1 when the file cannot be read.
 */
int fw_ksyms_lookup(const char *const *names, uint64_t *addrs, int n);

#endif
