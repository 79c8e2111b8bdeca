// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "netns.h"
#include "util.h"

static int list_add(struct fw_netns_list *l, const char *path)
{
	uint32_t inode;

	if (fw_parse_netns(path, &inode))
		return 0; /* not a namespace, or gone */
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].inode == inode)
			return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct fw_netns *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].inode = inode;
	snprintf(l->v[l->n].path, sizeof(l->v[l->n].path), "%s", path);
	l->n++;
	return 0;
}

static int add_dir_entries(struct fw_netns_list *l, const char *dir,
			   const char *suffix, int (*want)(const char *))
{
	char path[64];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!want(de->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s%s", dir, de->d_name,
			     suffix) >= (int)sizeof(path))
			continue;
		if (list_add(l, path)) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static int is_pid(const char *name)
{
	return isdigit((unsigned char)name[0]);
}

static int is_name(const char *name)
{
	return name[0] != '.';
}

int fw_netns_list_all(struct fw_netns_list *l)
{
	/* Our own first: it is where we return to. */
	if (list_add(l, "/proc/self/ns/net") ||
	    add_dir_entries(l, "/run/netns", "", is_name) ||
	    add_dir_entries(l, "/proc", "/ns/net", is_pid))
		return -1;
	return 0;
}

void fw_netns_list_free(struct fw_netns_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static bool netns_wanted(const uint32_t *filter, int nfilter, uint32_t inode)
{
	if (!nfilter)
		return true;
	for (int i = 0; i < nfilter; i++)
		if (filter[i] == inode)
			return true;
	return false;
}

int fw_netns_foreach(const uint32_t *filter, int nfilter, fw_netns_fn fn,
		     void *ctx)
{
	struct fw_netns_list list = {};
	int home, rc = 0;

	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return -1;
	if (fw_netns_list_all(&list)) {
		close(home);
		return -1;
	}
	for (size_t i = 0; i < list.n && !rc; i++) {
		int fd;

		if (!netns_wanted(filter, nfilter, list.v[i].inode))
			continue;
		fd = open(list.v[i].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* gone since it was listed */
		if (setns(fd, CLONE_NEWNET) == 0)
			rc = fn(ctx, list.v[i].inode);
		close(fd);
	}
	if (setns(home, CLONE_NEWNET))
		rc = -1;
	close(home);
	fw_netns_list_free(&list);
	return rc;
}
