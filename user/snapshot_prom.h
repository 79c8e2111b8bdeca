/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_SNAPSHOT_PROM_H
#define FW_SNAPSHOT_PROM_H

#include <stdint.h>

#include "finwatch.h"

/*
 * `finwatch snapshot --prom FILE`: the connections open now, counted by
 * state, watched port, role and network namespace, and those that nothing
 * will ever reap (established, idle past the threshold, no keepalive, no
 * data in flight), as node_exporter textfile metrics.
 */
struct fw_snap_metrics;

struct fw_snap_metrics *fw_snap_metrics_new(uint64_t idle_ns);
/* Counts one socket. Returns 0, or -1 out of memory. */
int fw_snap_metrics_add(struct fw_snap_metrics *m,
			const struct fw_sock_info *si);
/* Writes them to @path atomically. Returns 0, or -1 with errno. */
int fw_snap_metrics_write(const struct fw_snap_metrics *m, const char *path,
			  const char *source);
void fw_snap_metrics_free(struct fw_snap_metrics *m);

#endif
