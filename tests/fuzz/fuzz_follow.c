// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for following a log through rotations (follow.c):
 * each input byte is one thing a writer, logrotate or the reader does to
 * a log in a private directory: write a line, rename and create, reopen
 * (SIGHUP), copytruncate to a plain or gzip copy, compress the first
 * rotated file, read. What must hold: every line written is read exactly
 * once and in order, given that the reader looks at the log at least
 * once between two rotations and has moved to the file the name stands
 * for before the next one (it looks every 200 ms; logrotate runs hourly
 * at most).
 */
#include "correlate/input.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char dir[64], path[96], p1[100], p2[100], p1gz[104];

struct world {
	struct fw_input in;
	int wfd;		/* the writer's log */
	unsigned int written;	/* lines written: L0, L1, ... */
	unsigned int next_read; /* the line the reader must see next */
	bool rotated;		/* a rotation since the last read */
};

static void write_line(struct world *w, size_t pad)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "L%u %.*s\n", w->written++,
			 (int)(pad % 40),
			 "........................................");

	if (write(w->wfd, line, (size_t)n) != n)
		abort();
}

static void read_now(struct world *w)
{
	enum fw_line_status st;
	const char *line, *why;
	size_t len;

	while ((st = fw_input_line(&w->in, &line, &len, &why)) !=
	       FW_LINE_NONE) {
		unsigned int n;

		if (st != FW_LINE_OK || sscanf(line, "L%u", &n) != 1 ||
		    n != w->next_read)
			abort(); /* lost, doubled, cut or out of order */
		w->next_read++;
	}
	w->rotated = false;
}

static void copy_file(const char *from, const char *to, bool gz)
{
	char data[65536];
	int fd = open(from, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, data, sizeof(data));
	gzFile g;

	if (fd < 0)
		return; /* nothing to copy: logrotate skips it */
	close(fd);
	if (n < 0)
		n = 0;
	if (!gz) {
		fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, data, (size_t)n) != n)
			abort();
		close(fd);
		return;
	}
	g = gzopen(to, "wb");
	if (!g)
		abort();
	gzwrite(g, data, (unsigned int)n);
	gzclose(g);
}

/* logrotate's shift of the rotated files: .1 (or .1.gz) becomes .2. */
static void shift(void)
{
	unlink(p2);
	if (rename(p1, p2) < 0)
		rename(p1gz, p2);
	unlink(p1gz);
}

/*
 * Whether the reader reads the file the name stands for, and has read
 * some of it (a file truncated before anything of it was read cannot be
 * told from one that was empty).
 */
static bool on_current(const struct world *w)
{
	struct stat a, b;

	return w->in.fd >= 0 && w->in.fl.offset && fstat(w->in.fd, &a) == 0 &&
	       stat(path, &b) == 0 && a.st_ino == b.st_ino;
}

static void step(struct world *w, uint8_t op)
{
	bool rotation = op % 8 == 1 || op % 8 == 3 || op % 8 == 4;

	if (rotation && (w->rotated || !on_current(w)))
		read_now(w);
	/* an empty new file stays unread: logrotate's notifempty */
	if (rotation && !on_current(w))
		return;
	switch (op % 8) {
	case 0:
	case 7:
		write_line(w, op);
		break;
	case 1: /* create */
		shift();
		rename(path, p1);
		close(open(path, O_WRONLY | O_CREAT, 0644));
		w->rotated = true;
		break;
	case 2: /* postrotate: the writer reopens its log */
		close(w->wfd);
		w->wfd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		break;
	case 3: /* copytruncate */
	case 4:
		shift();
		copy_file(path, op % 8 == 4 ? p1gz : p1, op % 8 == 4);
		if (truncate(path, 0) < 0)
			abort();
		w->rotated = true;
		break;
	case 5: /* compress (not delayed) */
		copy_file(p1, p1gz, true);
		unlink(p1);
		break;
	case 6:
		read_now(w);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world w = { 0 };
	char cmd[96];

	snprintf(dir, sizeof(dir), "/tmp/fwfuzz.XXXXXX");
	if (!mkdtemp(dir))
		return 0;
	snprintf(path, sizeof(path), "%s/t.log", dir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	snprintf(p1gz, sizeof(p1gz), "%s.1.gz", path);
	w.wfd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (w.wfd < 0 || fw_input_open(&w.in, path, true) < 0)
		abort();
	for (size_t i = 0; i < size && i < 200; i++)
		step(&w, data[i]);
	/* the writer reopens, one more line shows it has: all is read */
	step(&w, 2);
	write_line(&w, 0);
	read_now(&w);
	read_now(&w);
	if (w.next_read != w.written)
		abort();
	fw_input_close(&w.in);
	close(w.wfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		abort();
	return 0;
}
