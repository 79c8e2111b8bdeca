/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_CAPS_H
#define FW_CAPS_H

/*
 * Checks that the process may load and attach tracing programs: CAP_BPF
 * and CAP_PERFMON (5.8+), or CAP_SYS_ADMIN. Returns 0, or -1 after
 * printing one line that names what is missing.
 */
int fw_check_tracing_caps(const char *prog);

/*
 * Checks for CAP_NET_ADMIN, which @what needs. Returns 0, or -1 after
 * printing one line that says so.
 */
int fw_check_net_admin(const char *prog, const char *what);

#endif
