// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the line formats (lineformat.c): each line of the
 * input is decoded as syslog, journal JSON or a raw record, the record
 * text parsed and checked for being cut, and hashed for duplicates. What
 * must hold: the record text lies inside the line or the buffer, a cut
 * text never parses as a record, and a hash is never 0.
 */
#include "correlate/dedup.h"
#include "correlate/input.h"
#include "correlate/lineformat.h"
#include "correlate/record.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char buf[FW_MAX_LINE + 1];
static struct fw_rec rec;

static void check_line(const char *line, size_t len, struct fw_dedup *d,
		       uint64_t t)
{
	struct fw_line_msg m;
	bool inside;

	if (fw_line_decode(line, len, buf, sizeof(buf), &m) < 0) {
		if (!m.why || m.format >= FW_FMT_COUNT)
			abort();
		return;
	}
	inside = (m.msg >= line && m.msg + m.len <= line + len) ||
		 (m.msg >= buf && m.msg + m.len <= buf + sizeof(buf));
	if (!inside)
		abort();
	if (fw_rec_parse(m.msg, m.len, &rec) >= 0 &&
	    fw_json_is_cut(m.msg, m.len))
		abort();
	if (!fw_dedup_hash(m.msg, m.len) ||
	    fw_dedup_check_and_remember(d, t, fw_dedup_hash(m.msg, m.len)) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct fw_dedup *d = fw_dedup_new(size ? data[0] : 0);
	uint64_t t = 0;

	if (!d)
		return 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		check_line(p, (size_t)(nl - p), d, t);
		t += (uint64_t)(nl - p) % 7;
		p = nl + 1;
	}
	fw_dedup_free(d);
	return 0;
}
