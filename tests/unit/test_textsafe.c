// SPDX-License-Identifier: GPL-2.0
/* Text for a terminal: fw_text_escape. Prometheus files: fw_prom_*. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "prom.h"
#include "textsafe.h"

static void test_text_plain_and_utf8_pass(void)
{
	char out[64];

	CHECK_STR(fw_text_escape(out, sizeof(out), "redis-server", 16),
		  "redis-server");
	CHECK_STR(fw_text_escape(out, sizeof(out), "caf\xc3\xa9", 16),
		  "caf\xc3\xa9");
}

static void test_text_controls_escaped(void)
{
	char out[64];

	CHECK_STR(fw_text_escape(out, sizeof(out), "a\x1b[31mb\n", 16),
		  "a\\x1b[31mb\\x0a");
	CHECK_STR(fw_text_escape(out, sizeof(out), "x\x7fy\\", 16),
		  "x\\x7fy\\\\");
	/* C1 CSI (U+009B) and a stray continuation byte */
	CHECK_STR(fw_text_escape(out, sizeof(out),
				 "\xc2\x9b"
				 "2J\x80",
				 16),
		  "\\xc2\\x9b2J\\x80");
}

static void test_text_bounded(void)
{
	char out[6];
	char comm[4] = { 'a', 'b', 'c', 'd' }; /* no NUL */

	/* only whole escapes, always terminated */
	CHECK_STR(fw_text_escape(out, sizeof(out), "ab\x01", 16), "ab");
	CHECK_STR(fw_text_escape(out, sizeof(out), comm, sizeof(comm)), "abcd");
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_prom_written_atomically(void)
{
	char dir[] = "/tmp/fw-prom-XXXXXX", path[64];
	struct fw_prom_label l[] = { { "host", "a\"b\\c\nd" },
				     { "bad", "\xff" } };
	struct fw_prom p;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	CHECK_INT(fw_prom_open(&p, path), 0);
	/* nothing under the target's name until the commit */
	CHECK(stat(path, &st) != 0);
	fw_prom_family(&p, "fw_x", "gauge", "An x.");
	fw_prom_sample(&p, "fw_x", l, 2, 3);
	fw_prom_single(&p, "fw_y_seconds", "gauge", "A y.", 1.5);
	CHECK_INT(fw_prom_commit(&p), 0);
	CHECK_STR(slurp(path),
		  "# HELP fw_x An x.\n# TYPE fw_x gauge\n"
		  "fw_x{host=\"a\\\"b\\\\c\\nd\",bad=\"\xef\xbf\xbd\"} 3\n"
		  "# HELP fw_y_seconds A y.\n# TYPE fw_y_seconds gauge\n"
		  "fw_y_seconds 1.500\n");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
	unlink(path);
	CHECK_INT(rmdir(dir), 0); /* no temporary file left */
}

static void test_prom_unwritable_dir(void)
{
	struct fw_prom p;

	CHECK_INT(fw_prom_open(&p, "/nonexistent-fw/m.prom"), -1);
	CHECK_INT(fw_prom_open(&p, "/tmp/"), -1);
}

int main(void)
{
	RUN_TEST(test_text_plain_and_utf8_pass);
	RUN_TEST(test_text_controls_escaped);
	RUN_TEST(test_text_bounded);
	RUN_TEST(test_prom_written_atomically);
	RUN_TEST(test_prom_unwritable_dir);
	return CHECK_EXIT();
}
