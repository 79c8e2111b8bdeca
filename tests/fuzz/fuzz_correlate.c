// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the correlator: the input is a log, one record per
 * line, fed through the JSON parser, the record checks and the join, then
 * finished and reported as JSON (to /dev/null). The first byte picks the
 * options, so the fuzzer explores --skew, --close-wait and --follow too.
 */
#include "correlate/correlate.h"
#include "correlate/report.h"
#include "correlate/timeline.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static FILE *devnull;

static void options_from(uint8_t b, struct fw_corr_opts *o,
			 struct fw_report_opts *ro)
{
	static const uint64_t skews[4] = { 0, 1000000ull, FW_DEFAULT_SKEW_NS,
					   3600000000000ull };

	memset(o, 0, sizeof(*o));
	memset(ro, 0, sizeof(*ro));
	o->skew_ns = skews[b & 3];
	o->close_wait_ns = (b & 4) ? 1000000000ull : FW_DEFAULT_CLOSE_WAIT_NS;
	o->follow = b & 8;
	ro->json = b & 16;
	ro->all = b & 32;
	ro->follow = o->follow;
	ro->out = devnull;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_report_opts ro;
	struct fw_corr_opts o;
	struct fw_report *rep;
	struct fw_corr *c;
	const char *p, *end, *nl;
	char why[256];

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (!size || !devnull)
		return 0;
	options_from(data[0], &o, &ro);
	rep = fw_report_new(&ro);
	if (!rep)
		return 0;
	c = fw_corr_new(&o, fw_report_finding, rep);
	if (!c) {
		fw_report_free(rep);
		return 0;
	}
	p = (const char *)data + 1;
	end = (const char *)data + size;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		fw_corr_feed_line(c, p, (size_t)(nl - p), why, sizeof(why));
		p = nl + 1;
	}
	fw_corr_finish(c);
	fw_report_timeline(rep, fw_corr_timeline(c));
	fw_report_finish(rep, fw_corr_stats(c));
	fw_corr_free(c);
	fw_report_free(rep);
	return 0;
}
