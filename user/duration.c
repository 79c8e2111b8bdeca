// SPDX-License-Identifier: GPL-2.0
/*
 * Durations on the command line, for every subcommand: pure C, so the
 * correlator's library holds it too.
 */
#include <stdint.h>
#include <string.h>

#include "duration.h"

static int unit_ns(const char *u, unsigned long long *ns)
{
	static const struct {
		const char *name;
		unsigned long long ns;
	} units[] = {
		{ "", 1000000000ull },	   { "ms", 1000000ull },
		{ "s", 1000000000ull },	   { "m", 60000000000ull },
		{ "h", 3600000000000ull }, { "d", 86400000000000ull },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(u, units[i].name) == 0) {
			*ns = units[i].ns;
			return 0;
		}
	}
	return -1;
}

int fw_parse_duration_ns(const char *s, unsigned long long *out_ns)
{
	unsigned long long whole = 0, frac = 0, frac_div = 1, unit, ns;
	const char *p = s;

	if (!s || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (unsigned long long)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		/* nanoseconds are the finest unit: drop digits beyond 9 */
		for (; *p >= '0' && *p <= '9'; p++) {
			if (frac_div < 1000000000ull) {
				frac = frac * 10 +
				       (unsigned long long)(*p - '0');
				frac_div *= 10;
			}
		}
	}
	if (unit_ns(p, &unit) < 0)
		return -1;
	if (whole > UINT64_MAX / unit)
		return -1;
	ns = whole * unit;
	/* frac < frac_div <= 1e9 and unit <= 8.64e13: split to avoid overflow
	 */
	ns += frac * (unit / frac_div) + frac * (unit % frac_div) / frac_div;
	if (ns < whole * unit)
		return -1;
	*out_ns = ns;
	return 0;
}
