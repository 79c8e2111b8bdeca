// SPDX-License-Identifier: GPL-2.0
/*
 * Following a log by its name (input.h, follow.c) through what logrotate
 * does to it: rename and create, with the writer still writing the old
 * file for a while; copytruncate, with lines written after the last read
 * that only the copy (plain or gzip) has; a file rewritten past its old
 * size; no copy at all; a file that appears late.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "correlate/input.h"

static char dir[64], path[128], side[160];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fwfollow.XXXXXX");
	if (!mkdtemp(dir))
		printf("  mkdtemp failed\n");
	snprintf(path, sizeof(path), "%s/trace.log", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("  cleanup failed\n");
}

static void append(const char *p, const char *text)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		printf("  cannot write %s\n", p);
	close(fd);
}

static void copy_to(const char *from, const char *to, bool gz)
{
	char data[4096];
	int fd = open(from, O_RDONLY);
	ssize_t n = read(fd, data, sizeof(data));

	close(fd);
	if (gz) {
		gzFile g = gzopen(to, "wb");

		gzwrite(g, data, (unsigned int)n);
		gzclose(g);
	} else {
		fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (write(fd, data, (size_t)n) != n)
			printf("  short copy\n");
		close(fd);
	}
}

/* Reads what there is now: the lines joined by spaces; the last status. */
static enum fw_line_status read_now(struct fw_input *in, char *out,
				    size_t outsz)
{
	enum fw_line_status st;
	const char *line, *why;
	size_t len, n = 0;

	out[0] = '\0';
	while ((st = fw_input_line(in, &line, &len, &why)) != FW_LINE_NONE) {
		if (st == FW_LINE_ERROR || st == FW_LINE_GAP)
			n += (size_t)snprintf(out + n, outsz - n, "%s ",
					      st == FW_LINE_GAP ? "<gap>"
								: "<error>");
		else if (st == FW_LINE_UNTERMINATED)
			n += (size_t)snprintf(out + n, outsz - n, "%.*s| ",
					      (int)len, line);
		else
			n += (size_t)snprintf(out + n, outsz - n, "%.*s ",
					      (int)len, line);
	}
	return st;
}

static void test_rename_create(void)
{
	struct fw_input in;
	char got[512];

	setup();
	append(path, "a1\na2\n");
	CHECK_INT(fw_input_open(&in, path, true), 0);
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "a1 a2 ");
	snprintf(side, sizeof(side), "%s.1", path);
	CHECK_INT(rename(path, side), 0);
	append(path, ""); /* logrotate's create: a new, empty file */
	append(side, "a3\n");
	/* the new file is empty: the writer still writes the old one */
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "a3 ");
	append(side, "a4\npart");
	append(path, "b1\n");
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "a4 part| b1 ");
	CHECK_INT(in.fl.rotations, 1);
	CHECK_INT(in.lineno, 1);
	append(path, "b2\n");
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "b2 ");
	fw_input_close(&in);
	teardown();
}

/* Renamed, and nothing made in its place until the writer reopens. */
static void test_rename_nocreate(void)
{
	struct fw_input in;
	char got[512];

	setup();
	append(path, "a1\n");
	CHECK_INT(fw_input_open(&in, path, true), 0);
	read_now(&in, got, sizeof(got));
	snprintf(side, sizeof(side), "%s-20250101", path);
	CHECK_INT(rename(path, side), 0);
	append(side, "a2\n");
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "a2 ");
	append(path, "b1\n");
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "b1 ");
	fw_input_close(&in);
	teardown();
}

/* copytruncate: a3 and a4 were written after the last read. */
static void copytruncate(bool gz)
{
	struct fw_input in;
	char got[512];

	setup();
	append(path, "a1\na2\n");
	CHECK_INT(fw_input_open(&in, path, true), 0);
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "a1 a2 ");
	append(path, "a3\na4\n");
	snprintf(side, sizeof(side), "%s.1%s", path, gz ? ".gz" : "");
	copy_to(path, side, gz);
	CHECK_INT(truncate(path, 0), 0);
	append(path, "b1\n");
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "a3 a4 b1 ");
	CHECK_INT(in.fl.truncations, 1);
	append(path, "b2\n");
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "b2 ");
	fw_input_close(&in);
	teardown();
}

static void test_copytruncate_plain(void)
{
	copytruncate(false);
}

static void test_copytruncate_gzip(void)
{
	copytruncate(true);
}

/*
 * Truncated and written again past the size read before the next look:
 * the first bytes tell. An older rotated file beside it is not the copy.
 */
static void test_truncated_and_regrown(void)
{
	struct fw_input in;
	char got[512], old[200];

	setup();
	snprintf(old, sizeof(old), "%s.2", path);
	append(old, "z1\nz2\n");
	append(path, "a1\n");
	CHECK_INT(fw_input_open(&in, path, true), 0);
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "a1 ");
	append(path, "a2\n");
	snprintf(side, sizeof(side), "%s.1", path);
	copy_to(path, side, false);
	CHECK_INT(truncate(path, 0), 0);
	append(path, "b1 longer than before\n");
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "a2 b1 longer than before ");
	fw_input_close(&in);
	teardown();
}

/* No copy anywhere: after looking for a while, a gap, then the file. */
static void test_truncated_without_copy(void)
{
	struct fw_input in;
	char got[512];

	setup();
	append(path, "a1\n");
	CHECK_INT(fw_input_open(&in, path, true), 0);
	read_now(&in, got, sizeof(got));
	append(path, "a2\npart");
	CHECK_INT(truncate(path, 0), 0);
	append(path, "b1\n");
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "");
	sleep(4);
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "<gap> b1 ");
	fw_input_close(&in);
	teardown();
}

static void test_appears_late(void)
{
	struct fw_input in;
	char got[512];

	setup();
	CHECK_INT(fw_input_open(&in, path, false), -1);
	CHECK_INT(fw_input_open(&in, path, true), 0);
	CHECK(in.fl.missing);
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "");
	append(path, "a1\n");
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "a1 ");
	CHECK(!in.fl.missing);
	fw_input_close(&in);
	teardown();
}

/* Not following, nothing of this happens: the file is read as it is. */
static void test_batch_reads_once(void)
{
	struct fw_input in;
	char got[512];

	setup();
	append(path, "a1\n");
	CHECK_INT(fw_input_open(&in, path, false), 0);
	CHECK(!in.fl.by_name);
	read_now(&in, got, sizeof(got));
	CHECK_STR(got, "a1 ");
	fw_input_close(&in);
	teardown();
}

int main(void)
{
	RUN_TEST(test_rename_create);
	RUN_TEST(test_rename_nocreate);
	RUN_TEST(test_copytruncate_plain);
	RUN_TEST(test_copytruncate_gzip);
	RUN_TEST(test_truncated_and_regrown);
	RUN_TEST(test_truncated_without_copy);
	RUN_TEST(test_appears_late);
	RUN_TEST(test_batch_reads_once);
	return CHECK_EXIT();
}
