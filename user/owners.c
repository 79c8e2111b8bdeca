// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "owners.h"

int fw_owners_add(struct fw_owner_table *t, uint64_t inode, uint32_t pid,
		  const char *comm)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct fw_owner_entry *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	/* All of comm goes to the kernel side (seed_owner()), the bytes
	 * after its NUL included: zeroed, not left as realloc() found them. */
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	t->v[t->n].inode = inode;
	t->v[t->n].pid = pid;
	snprintf(t->v[t->n].comm, FW_COMM_LEN, "%s", comm);
	t->n++;
	return 0;
}

static void read_comm(int pid, char *comm, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	comm[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, len - 1);
	close(fd);
	if (n <= 0)
		return;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

/* Processes come and go while we read; a vanished one is skipped. */
static int scan_process(struct fw_owner_table *t, int pid)
{
	char path[64], link[64], comm[FW_COMM_LEN] = "";
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		unsigned long long inode;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &inode) != 1)
			continue;
		if (!comm[0])
			read_comm(pid, comm, sizeof(comm));
		if (fw_owners_add(t, inode, pid, comm)) {
			closedir(dir);
			return -1;
		}
	}
	closedir(dir);
	return 0;
}

static int cmp_inode(const void *a, const void *b)
{
	const struct fw_owner_entry *x = a, *y = b;

	return (x->inode > y->inode) - (x->inode < y->inode);
}

int fw_owners_scan(struct fw_owner_table *t)
{
	struct dirent *de;
	DIR *proc = opendir("/proc");

	if (!proc)
		return -1;
	while ((de = readdir(proc))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (scan_process(t, atoi(de->d_name))) {
			closedir(proc);
			return -1;
		}
	}
	closedir(proc);
	fw_owners_sort(t);
	return 0;
}

void fw_owners_sort(struct fw_owner_table *t)
{
	qsort(t->v, t->n, sizeof(*t->v), cmp_inode);
}

const struct fw_owner_entry *fw_owners_find(const struct fw_owner_table *t,
					    uint64_t inode)
{
	struct fw_owner_entry key = { .inode = inode };

	if (!t->n)
		return NULL;
	return bsearch(&key, t->v, t->n, sizeof(*t->v), cmp_inode);
}

void fw_owners_free(struct fw_owner_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

const struct fw_owner_entry *fw_owners_name(const struct fw_owner_table *t,
					    uint64_t inode, struct fw_event *ev)
{
	const struct fw_owner_entry *owner;

	if ((ev->flags & FW_F_OWNER_KNOWN) || !inode)
		return NULL;
	owner = fw_owners_find(t, inode);
	if (!owner)
		return NULL;
	ev->pid = owner->pid;
	memcpy(ev->comm, owner->comm, FW_COMM_LEN);
	ev->flags |= FW_F_OWNER_KNOWN;
	return owner;
}
