// SPDX-License-Identifier: GPL-2.0
/*
 * The record parser of this tree against an older one, line by line:
 * bench/diff_parse.sh builds the older record*.c and json.c with their
 * entry points renamed old_* and links both here. Every field of the two
 * struct fw_rec must come out the same, on valid lines and bad ones
 * (and the same "why" for bad ones), with the records parsed one after
 * the other into the same two structs, as the readers do.
 *
 * As a libFuzzer target (-DDIFF_FUZZ) each input is a run of lines; as a
 * program it reads files (or stdin) and prints "N lines, 0 differences".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/record.h"
#include "../tests/fuzz/record_diff.h"

int old_fw_rec_parse(const char *line, size_t len, struct fw_rec *rec);

static struct fw_rec rec_old, rec_new;
static unsigned long lines, differences;

static void compare_line(const char *p, size_t len)
{
	int ro = old_fw_rec_parse(p, len, &rec_old);
	int rn = fw_rec_parse(p, len, &rec_new);
	const char *d =
		ro != rn ? "return value" : fw_rec_diff(&rec_old, &rec_new);

	lines++;
	if (!d)
		return;
	differences++;
	fprintf(stderr, "DIFF (%s): old %d \"%s\", new %d \"%s\": %.*s\n", d,
		ro, rec_old.why, rn, rec_new.why, (int)(len > 400 ? 400 : len),
		p);
#ifdef DIFF_FUZZ
	abort();
#endif
}

#ifdef DIFF_FUZZ
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	fw_rec_diff_lines((const char *)data, (const char *)data + size,
			  compare_line);
	return 0;
}
#else
static int compare_file(FILE *f)
{
	static char line[1 << 17];

	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		if (n && line[n - 1] == '\n')
			n--;
		fw_rec_diff_lines(line, line + n, compare_line);
	}
	return ferror(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 2 && compare_file(stdin) < 0)
		status = 2;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");

		if (!f || compare_file(f) < 0) {
			perror(argv[i]);
			status = 2;
		}
		if (f)
			fclose(f);
	}
	printf("%lu lines, %lu differences\n", lines, differences);
	return status ? status : differences ? 1 : 0;
}
#endif
