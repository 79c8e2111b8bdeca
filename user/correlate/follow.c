// SPDX-License-Identifier: GPL-2.0
/*
 * Following a log by its name through rotations (input.h), as `tail -F`
 * does, but without losing what the writer still put into the old file:
 *
 * - Renamed away and recreated (logrotate `create`): the writer goes on
 *   writing the old file until it reopens its log (SIGHUP in postrotate),
 *   so the old one is read until the new one has data, then once more to
 *   its end, and only then the new one from its start. A new file that
 *   stays empty (no SIGHUP) is never switched to: the writer still
 *   writes the old one.
 * - Truncated in place (`copytruncate`): what was written between the
 *   last read and the truncation is only in the copy. The copy is the
 *   file beside it whose name starts with the log's name and whose first
 *   bytes are those of the file as it was; it is read (plain or gzip)
 *   from where the reading had got to, then the log again from its
 *   start. A truncation is seen by the size dropping below what was read,
 *   or by the first bytes changing (the file was rewritten past that
 *   size before the next look).
 *
 * What cannot be seen: a file rotated twice between two looks (every
 * 200 ms) loses the generation in between (so does a new file rotated
 * away while still empty, then written: logrotate's notifempty, or the
 * tracer's heartbeats, avoid it), and a file truncated before anything
 * of it was read is read from its new start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "input.h"

/* How long to look for the copy of a truncated file (it may be zipping). */
#define COPY_SEARCH_NS	3000000000ull
#define COPY_CANDIDATES 16

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void fw_follow_init(struct fw_input *in, int fd)
{
	struct fw_follow *fl = &in->fl;
	struct stat st;

	fl->by_name = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	fl->dev = st.st_dev;
	fl->ino = st.st_ino;
	fl->offset = 0;
	fl->head_len = 0;
}

bool fw_follow_appeared(struct fw_input *in)
{
	int fd = open(in->name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	in->fl.missing = false;
	in->fd = fd;
	fw_follow_init(in, fd);
	return true;
}

void fw_follow_account(struct fw_input *in, const char *p, size_t n)
{
	struct fw_follow *fl = &in->fl;

	if (fl->head_len < FW_HEAD_LEN && fl->offset == fl->head_len) {
		size_t k = FW_HEAD_LEN - fl->head_len;

		if (k > n)
			k = n;
		memcpy(fl->head + fl->head_len, p, k);
		fl->head_len += k;
	}
	fl->offset += n;
}

/* Whether the file at fd still begins as the one read so far. */
static bool same_start(const struct fw_follow *fl, int fd)
{
	char head[FW_HEAD_LEN];
	struct stat st;

	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < fl->offset)
		return false;
	return !fl->head_len ||
	       (pread(fd, head, fl->head_len, 0) == (ssize_t)fl->head_len &&
		!memcmp(head, fl->head, fl->head_len));
}

/* A candidate copy: opened through zlib, checked, moved to offset. */
static gzFile open_copy(const struct fw_follow *fl, const char *path)
{
	char head[FW_HEAD_LEN];
	gzFile gz;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return NULL;
	}
	if (gzread(gz, head, (unsigned int)fl->head_len) != (int)fl->head_len ||
	    memcmp(head, fl->head, fl->head_len) ||
	    gzseek(gz, (z_off_t)fl->offset, SEEK_SET) != (z_off_t)fl->offset) {
		gzclose(gz);
		return NULL;
	}
	return gz;
}

struct candidate {
	char path[PATH_MAX];
	struct timespec mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct candidate *)a)->mtime;
	const struct timespec *y = &((const struct candidate *)b)->mtime;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? 1 : -1;
	return (x->tv_nsec < y->tv_nsec) - (x->tv_nsec > y->tv_nsec);
}

/* The files beside the log named after it ("log.1", "log-20250101.gz"). */
static size_t list_candidates(const struct fw_input *in, struct candidate *c,
			      size_t max)
{
	const char *slash = strrchr(in->name, '/');
	const char *base = slash ? slash + 1 : in->name;
	size_t dlen = slash ? (size_t)(slash - in->name) : 0,
	       blen = strlen(base);
	char dir[PATH_MAX];
	struct dirent *e;
	struct stat st;
	size_t n = 0;
	DIR *d;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(dlen ? dlen : 1),
			 dlen ? in->name : "/");
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		if (strncmp(e->d_name, base, blen) ||
		    (e->d_name[blen] != '.' && e->d_name[blen] != '-'))
			continue;
		if ((size_t)snprintf(c[n].path, sizeof(c[n].path), "%s/%s", dir,
				     e->d_name) >= sizeof(c[n].path) ||
		    stat(c[n].path, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (st.st_dev == in->fl.dev && st.st_ino == in->fl.ino))
			continue;
		c[n++].mtime = st.st_mtim;
	}
	closedir(d);
	qsort(c, n, sizeof(*c), newest_first);
	return n;
}

/* Looks for the truncated file's copy; reads from it when found. */
static bool take_copy(struct fw_input *in)
{
	struct candidate *c = malloc(COPY_CANDIDATES * sizeof(*c));
	size_t n = c ? list_candidates(in, c, COPY_CANDIDATES) : 0;
	gzFile gz = NULL;

	for (size_t i = 0; i < n && !gz; i++)
		gz = open_copy(&in->fl, c[i].path);
	free(c);
	if (!gz)
		return false;
	in->gz = gz;
	return true;
}

void fw_follow_check(struct fw_input *in)
{
	struct fw_follow *fl = &in->fl;

	if (fl->recovering || fl->next_fd >= 0 || in->fd < 0 ||
	    same_start(fl, in->fd))
		return;
	/* truncated: the file goes on from its start after the copy */
	fl->truncations++;
	fl->next_fd = in->fd;
	in->fd = -1;
	fl->recovering = true;
	fl->give_up_ns = now_ns() + COPY_SEARCH_NS;
	take_copy(in);
}

/* The name now stands for another file with data in it: that one is next. */
static void look_for_successor(struct fw_input *in)
{
	struct fw_follow *fl = &in->fl;
	struct stat st;
	int fd;

	if (stat(in->name, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_dev == fl->dev && st.st_ino == fl->ino) || !st.st_size)
		return;
	fd = open(in->name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	fl->next_fd = fd;
	fl->drained = false;
}

/* The copy of a truncated file: ended, failed (a gzip still being
 * written), or not found yet. */
static enum fw_follow_step copy_at_end(struct fw_input *in, bool read_failed)
{
	struct fw_follow *fl = &in->fl;

	if (in->gz && !read_failed)
		return FW_FOLLOW_SWITCH;
	if (in->gz) {
		gzclose(in->gz);
		in->gz = NULL;
	}
	if (now_ns() > fl->give_up_ns)
		return FW_FOLLOW_GAP;
	return take_copy(in) ? FW_FOLLOW_MORE : FW_FOLLOW_WAIT;
}

enum fw_follow_step fw_follow_at_end(struct fw_input *in, bool read_failed)
{
	struct fw_follow *fl = &in->fl;

	if (fl->recovering)
		return copy_at_end(in, read_failed);
	if (fl->next_fd < 0) {
		look_for_successor(in);
		/* the writer may have added to the old file meanwhile */
		return fl->next_fd < 0 ? FW_FOLLOW_WAIT : FW_FOLLOW_MORE;
	}
	if (!fl->drained) {
		fl->drained = true;
		return FW_FOLLOW_MORE;
	}
	return FW_FOLLOW_SWITCH;
}

void fw_follow_switch(struct fw_input *in)
{
	struct fw_follow *fl = &in->fl;
	int fd = fl->next_fd;

	if (in->gz)
		gzclose(in->gz);
	if (in->fd >= 0)
		close(in->fd);
	in->gz = NULL;
	in->fd = fd;
	in->start = in->end = 0;
	in->lineno = 0;
	if (!fl->recovering)
		fl->rotations++;
	fl->next_fd = -1;
	fl->recovering = false;
	fl->drained = false;
	lseek(fd, 0, SEEK_SET);
	fw_follow_init(in, fd);
}
