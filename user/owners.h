/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_OWNERS_H
#define FW_OWNERS_H

#include <stdint.h>

#include "finwatch.h"

/*
 * Socket inode -> owning process, read from /proc/PID/fd the way `ss -p`
 * does. Used for sockets that were open before finwatch started, whose
 * connect() or accept() it never saw.
 */
struct fw_owner_entry {
	uint64_t inode;
	uint32_t pid;
	char comm[FW_COMM_LEN];
};

struct fw_owner_table {
	struct fw_owner_entry *v;
	size_t n, cap;
};

/* Fills @t with every socket inode of every process, from /proc.
 * Returns 0 or -1. */
int fw_owners_scan(struct fw_owner_table *t);
/* Or fill it from elsewhere (the task_file iterator), then sort it. */
int fw_owners_add(struct fw_owner_table *t, uint64_t inode, uint32_t pid,
		  const char *comm);
void fw_owners_sort(struct fw_owner_table *t);
/* NULL when no process holds the inode. */
const struct fw_owner_entry *fw_owners_find(const struct fw_owner_table *t,
					    uint64_t inode);
void fw_owners_free(struct fw_owner_table *t);

/* Names the owner of @ev from its socket inode, unless already known.
 * Returns the entry used, or NULL. */
const struct fw_owner_entry *fw_owners_name(const struct fw_owner_table *t,
					    uint64_t inode,
					    struct fw_event *ev);

#endif
