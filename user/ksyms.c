// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "ksyms.h"

/*
 * "ffffffff81f3e720 t ipv4_conntrack_in\t[nf_conntrack]". The file has
 * some 100k lines and is read at every start: each line is matched by its
 * name first, and only a match is parsed.
 */
static int match_line(const char *line, const char *const *names,
		      uint64_t *addrs, int n)
{
	const char *name = strchr(line, ' ');
	unsigned long long addr;
	size_t len;

	if (!name || !(name = strchr(name + 1, ' ')))
		return 0;
	name++;
	len = strcspn(name, "\t\n");
	for (int i = 0; i < n; i++) {
		if (addrs[i] || strlen(names[i]) != len ||
		    memcmp(name, names[i], len))
			continue;
		if (sscanf(line, "%llx", &addr) != 1 || !addr)
			return 0;
		addrs[i] = addr;
		return 1;
	}
	return 0;
}

int fw_ksyms_lookup(const char *const *names, uint64_t *addrs, int n)
{
	char line[512];
	int found = 0;
	FILE *f;

	for (int i = 0; i < n; i++)
		addrs[i] = 0;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return -1;
	/* one read(2) per 64 KiB, not per line */
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	while (found < n && fgets(line, sizeof(line), f))
		found += match_line(line, names, addrs, n);
	fclose(f);
	return found;
}
