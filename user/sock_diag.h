/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_SOCK_DIAG_H
#define FW_SOCK_DIAG_H

#include "tracer.h"

/*
 * The snapshot without BPF: NETLINK_SOCK_DIAG (inet_diag), as `ss` reads
 * it, for kernels with no tcp iterator. It has no sequence numbers, so
 * its records carry no ISNs, and it sees SO_KEEPALIVE only through the
 * keepalive timer being armed. Returns the number of sockets or -1.
 */
int fw_sock_diag_snapshot(const struct fw_config *c, fw_snapshot_fn fn,
			  void *ctx);

#endif
