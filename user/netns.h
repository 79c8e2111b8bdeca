/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_NETNS_H
#define FW_NETNS_H

/*
 * Network namespaces: listing every one a process lives in or that is
 * bound under /run/netns, and running code inside each (setns), since the
 * tcp iterator and sock_diag see one namespace at a time.
 */

#include <stddef.h>
#include <stdint.h>
#include <limits.h>

struct fw_netns {
	uint32_t inode;
	char path[64];
};

struct fw_netns_list {
	struct fw_netns *v;
	size_t n, cap;
};

/*
 * Every network namespace that a process lives in or that is bound under
 * /run/netns, once each, with a path that opens it. Returns 0 or -1.
 */
int fw_netns_list_all(struct fw_netns_list *l);
void fw_netns_list_free(struct fw_netns_list *l);

typedef int (*fw_netns_fn)(void *ctx, uint32_t inode);

/*
 * Calls @fn inside each network namespace (those in @filter, or all when
 * @nfilter is 0), then returns to the caller's own. Per-namespace views
 * such as the tcp iterator and sock_diag see one namespace at a time.
 * Returns 0, or -1 when @fn failed or the way home did.
 */
int fw_netns_foreach(const uint32_t *filter, int nfilter, fw_netns_fn fn,
		     void *ctx);

#endif
