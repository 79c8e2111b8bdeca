// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "ksyms.h"

/* "ffffffff81f3e720 t ipv4_conntrack_in\t[nf_conntrack]" */
static int match_line(const char *line, const char *const *names,
		      uint64_t *addrs, int n)
{
	unsigned long long addr;
	char type, name[128];

	if (sscanf(line, "%llx %c %127s", &addr, &type, name) != 3 || !addr)
		return 0;
	for (int i = 0; i < n; i++) {
		if (addrs[i] || strcmp(name, names[i]))
			continue;
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
	while (found < n && fgets(line, sizeof(line), f))
		found += match_line(line, names, addrs, n);
	fclose(f);
	return found;
}
