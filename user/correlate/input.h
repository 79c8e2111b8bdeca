/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a log line by line through zlib, which passes plain files
 * through untouched, so .gz and plain logs (and stdin) read alike.
 *
 * Following (--follow), a plain file is followed by its name, as
 * `tail -F` does (follow.c): when the name comes to stand for another
 * file (logrotate's `create`: renamed away, a new one made), the old one
 * is read to its end first, and the new one from its start once it has
 * data; when the file is truncated in place (`copytruncate`), what was
 * written to it after the last read is taken from the copy logrotate
 * made, and the file is read again from its start.
 */
#ifndef FW_CORRELATE_INPUT_H
#define FW_CORRELATE_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>

#define FW_MAX_LINE (64 * 1024)
/* The first bytes of a followed file, which tell it from its successor. */
#define FW_HEAD_LEN 256

enum fw_line_status {
	FW_LINE_OK,	      /* *line, *len: a line without its newline */
	FW_LINE_TOO_LONG,     /* a line over FW_MAX_LINE, skipped */
	FW_LINE_UNTERMINATED, /* the last line has no newline */
	FW_LINE_NONE,	      /* nothing more now (EOF, or wait when
			       * following) */
	FW_LINE_ERROR,	      /* a read error; *why says what */
	FW_LINE_GAP,	      /* following: the file was truncated and
			       * what it held last could not be found;
			       * records may be missing here (*why) */
};

/* Following a file by its name: what is known of it (follow.c). */
struct fw_follow {
	bool by_name; /* a plain file followed by name */
	bool missing; /* the name does not exist (yet) */
	dev_t dev;    /* of the file being read */
	ino_t ino;
	uint64_t offset; /* bytes read from it */
	char head[FW_HEAD_LEN];
	size_t head_len;     /* its first bytes, as read */
	int next_fd;	     /* the file that comes next, or -1 */
	bool drained;	     /* the old one read to its end after the next
			      * one was seen */
	bool recovering;     /* truncated: reading its copy (gz) */
	uint64_t give_up_ns; /* ... or looking for it until then */
	unsigned int rotations, truncations;
};

struct fw_input {
	const char *name; /* as given; "-" is stdin */
	gzFile gz;	  /* NULL: a plain file, read() from fd */
	int fd;
	bool follow;
	bool eof; /* saw end of file (not following) */
	char *buf;
	size_t start, end;    /* unread bytes are buf[start..end) */
	size_t skipping;      /* >0: inside an over-long line, bytes so far */
	unsigned long lineno; /* of the line last returned */
	struct fw_follow fl;
};

/*
 * Returns 0, or -1 with errno set (the file cannot be opened). When
 * following, a file that does not exist yet is waited for (in->fl.missing).
 */
int fw_input_open(struct fw_input *in, const char *name, bool follow);
enum fw_line_status fw_input_line(struct fw_input *in, const char **line,
				  size_t *len, const char **why);
void fw_input_close(struct fw_input *in);

/* ---- follow.c, for input.c ---- */

enum fw_follow_step {
	FW_FOLLOW_WAIT,	  /* nothing new: try again later */
	FW_FOLLOW_MORE,	  /* read again (the old file, or the copy) */
	FW_FOLLOW_SWITCH, /* the next file is ready: switch once the
			   * old one's last partial line is out */
	FW_FOLLOW_GAP,	  /* switch, with records possibly lost */
};

/* Sets up following by name for the file just opened as fd. */
void fw_follow_init(struct fw_input *in, int fd);
/* Before a read: handles a truncation. */
void fw_follow_check(struct fw_input *in);
/* The bytes just read from the file itself (offset, head). */
void fw_follow_account(struct fw_input *in, const char *p, size_t n);
/* At the end of what there is now: what to do next. */
enum fw_follow_step fw_follow_at_end(struct fw_input *in, bool read_failed);
/* Moves on to the next file, read from its start. */
void fw_follow_switch(struct fw_input *in);
/* A missing file: whether it exists now (then it is open). */
bool fw_follow_appeared(struct fw_input *in);

#endif
