// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
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
