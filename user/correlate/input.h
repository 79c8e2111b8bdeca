/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading a log line by line through zlib, which passes plain files
 * through untouched, so .gz and plain logs (and stdin) read alike.
 */
#ifndef FW_CORRELATE_INPUT_H
#define FW_CORRELATE_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <zlib.h>

#define FW_MAX_LINE (64 * 1024)

enum fw_line_status {
	FW_LINE_OK,	      /* *line, *len: a line without its newline */
	FW_LINE_TOO_LONG,     /* a line over FW_MAX_LINE, skipped */
	FW_LINE_UNTERMINATED, /* the last line has no newline */
	FW_LINE_NONE,	      /* nothing more now (EOF, or wait when
			       * following) */
	FW_LINE_ERROR,	      /* a read error; *why says what */
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
};

/* Returns 0, or -1 with errno set (the file cannot be opened). */
int fw_input_open(struct fw_input *in, const char *name, bool follow);
enum fw_line_status fw_input_line(struct fw_input *in, const char **line,
				  size_t *len, const char **why);
void fw_input_close(struct fw_input *in);

#endif
