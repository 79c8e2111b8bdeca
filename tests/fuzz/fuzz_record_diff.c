// SPDX-License-Identifier: GPL-2.0
/*
 * Differential libFuzzer target for the record parser: each line of the
 * input is parsed by fw_rec_parse() (the fast path for the tracer's own
 * form, falling back to the general parser) and by fw_rec_parse_general()
 * (the general parser alone), each into its own struct fw_rec reused from
 * line to line as the readers reuse theirs. The return values and every
 * field (record_diff.h) must be the same, on good lines and bad ones; a
 * difference aborts with the line and the field.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/record.h"
#include "record_diff.h"

static struct fw_rec rec_fast, rec_general;

static void compare_line(const char *p, size_t len)
{
	int rf = fw_rec_parse(p, len, &rec_fast);
	int rg = fw_rec_parse_general(p, len, &rec_general);
	const char *d = rf != rg ? "return value"
				 : fw_rec_diff(&rec_fast, &rec_general);

	if (!d)
		return;
	fprintf(stderr,
		"fast and general parse differ (%s): fast %d \"%s\", general "
		"%d \"%s\" on: %.*s\n",
		d, rf, rec_fast.why, rg, rec_general.why,
		(int)(len > 600 ? 600 : len), p);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fw_rec_diff_lines((const char *)data, (const char *)data + size,
			  compare_line);
	return 0;
}
