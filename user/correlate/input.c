// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"

#define BUF_SIZE (4 * FW_MAX_LINE)

/*
 * A regular file that does not start with the gzip magic is read
 * directly, sparing zlib's extra copy; pipes and .gz go through zlib,
 * which also passes plain text through.
 */
static bool is_plain_file(int fd)
{
	unsigned char magic[2];
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	return pread(fd, magic, 2, 0) != 2 || magic[0] != 0x1f ||
	       magic[1] != 0x8b;
}

int fw_input_open(struct fw_input *in, const char *name, bool follow)
{
	int fd;

	memset(in, 0, sizeof(*in));
	in->name = name;
	in->follow = follow;
	in->fd = -1;
	in->fl.next_fd = -1;
	fd = strcmp(name, "-") ? open(name, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0 && !(follow && errno == ENOENT))
		return -1;
	in->buf = malloc(BUF_SIZE);
	if (!in->buf)
		goto fail;
	if (fd < 0) {
		in->fl.missing = true; /* tail -F waits for it */
		return 0;
	}
	if (is_plain_file(fd)) {
		in->fd = fd;
		if (follow && strcmp(name, "-"))
			fw_follow_init(in, fd);
		return 0;
	}
	in->gz = gzdopen(fd, "rb");
	if (!in->gz)
		goto fail;
	gzbuffer(in->gz, 256 * 1024);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(in->buf);
	in->buf = NULL;
	errno = ENOMEM;
	return -1;
}

void fw_input_close(struct fw_input *in)
{
	if (in->gz)
		gzclose(in->gz);
	if (in->fd >= 0)
		close(in->fd);
	if (in->fl.next_fd >= 0)
		close(in->fl.next_fd);
	in->gz = NULL;
	in->fd = in->fl.next_fd = -1;
	free(in->buf);
	in->buf = NULL;
}

/* Reads up to n bytes into p: 0 at (current) end of file, -1 on error. */
static ssize_t read_some(struct fw_input *in, char *p, size_t n,
			 const char **why)
{
	ssize_t r;
	int err;

	if (!in->gz && in->fd < 0)
		return 0; /* between two files */
	if (!in->gz) {
		do
			r = read(in->fd, p, n);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			*why = strerror(errno);
		return r;
	}
	r = gzread(in->gz, p, (unsigned int)n);
	if (r < 0) {
		*why = gzerror(in->gz, &err);
		if (err == Z_ERRNO)
			*why = strerror(errno);
		return -1;
	}
	/* tail -f: forget the EOF, try again later */
	if (r == 0 && in->follow)
		gzclearerr(in->gz);
	return r;
}

/* Moves unread bytes to the front and reads more; returns bytes read. */
static int refill(struct fw_input *in, const char **why)
{
	ssize_t n;

	if (in->start) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	if (in->fl.by_name)
		fw_follow_check(in);
	n = read_some(in, in->buf + in->end, BUF_SIZE - in->end, why);
	if (n < 0)
		return -1;
	if (in->fl.by_name && !in->fl.recovering)
		fw_follow_account(in, in->buf + in->end, (size_t)n);
	in->end += (size_t)n;
	return (int)n;
}

/* An over-long line: drop bytes up to its newline. */
static bool skip_long(struct fw_input *in)
{
	char *nl = memchr(in->buf + in->start, '\n', in->end - in->start);

	if (!nl) {
		in->skipping += in->end - in->start;
		in->start = in->end = 0;
		return false;
	}
	in->start = (size_t)(nl - in->buf) + 1;
	return true;
}

/* The partial line a file ended with, as its last line. */
static enum fw_line_status take_unterminated(struct fw_input *in,
					     const char **line, size_t *len)
{
	in->skipping = 0;
	*line = in->buf + in->start;
	*len = in->end - in->start;
	in->start = in->end;
	in->lineno++;
	return FW_LINE_UNTERMINATED;
}

/*
 * Following, at the end of what there is for now: FW_LINE_OK to read on,
 * or what to return. A file being left ends with its partial last line.
 */
static enum fw_line_status following_at_end(struct fw_input *in,
					    bool read_failed, const char **line,
					    size_t *len, const char **why)
{
	enum fw_follow_step step;

	if (in->fl.missing)
		return fw_follow_appeared(in) ? FW_LINE_OK : FW_LINE_NONE;
	if (!in->fl.by_name)
		return FW_LINE_NONE;
	step = fw_follow_at_end(in, read_failed);
	if (step == FW_FOLLOW_WAIT)
		return FW_LINE_NONE;
	if (step == FW_FOLLOW_MORE)
		return FW_LINE_OK;
	if (in->skipping) {
		in->skipping = 0;
		return FW_LINE_TOO_LONG;
	}
	if (in->end > in->start)
		return take_unterminated(in, line, len);
	fw_follow_switch(in);
	if (step == FW_FOLLOW_SWITCH)
		return FW_LINE_OK;
	*why = "truncated in place, and no copy of what it held last was "
	       "found (logrotate copytruncate?): records may be missing";
	return FW_LINE_GAP;
}

enum fw_line_status fw_input_line(struct fw_input *in, const char **line,
				  size_t *len, const char **why)
{
	enum fw_line_status step;
	char *nl;
	int n;

	*why = NULL;
	for (;;) {
		if (in->skipping) {
			if (skip_long(in)) {
				in->skipping = 0;
				return FW_LINE_TOO_LONG;
			}
		} else {
			nl = memchr(in->buf + in->start, '\n',
				    in->end - in->start);
			if (nl) {
				*line = in->buf + in->start;
				*len = (size_t)(nl - *line);
				in->start = (size_t)(nl - in->buf) + 1;
				in->lineno++;
				return *len > FW_MAX_LINE ? FW_LINE_TOO_LONG
							  : FW_LINE_OK;
			}
			if (in->end - in->start > FW_MAX_LINE) {
				in->lineno++;
				in->skipping = in->end - in->start;
				in->start = in->end = 0;
				continue;
			}
		}
		if (in->eof)
			break;
		n = refill(in, why);
		if (n < 0 && !in->fl.recovering)
			return FW_LINE_ERROR;
		if (n > 0)
			continue;
		if (!in->follow) {
			in->eof = true;
			continue;
		}
		step = following_at_end(in, n < 0, line, len, why);
		if (step != FW_LINE_OK)
			return step;
	}
	if (in->skipping) {
		in->skipping = 0;
		return FW_LINE_TOO_LONG;
	}
	if (in->end > in->start)
		return take_unterminated(in, line, len);
	return FW_LINE_NONE;
}
