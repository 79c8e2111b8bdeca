/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record inside a log line as pipelines deliver it, told per line:
 * a raw JSON record (also what `journalctl -o cat` prints); a syslog line
 * (RFC 3164 "Mmm dd hh:mm:ss host tag[pid]: MSG", the RFC 3339-stamped
 * form rsyslog writes to files and `journalctl -o short-iso` prints, or
 * RFC 5424 "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG"); or a
 * `journalctl -o json` entry, whose MESSAGE (a string, or an array of
 * bytes) is the record. The syslog header is only skipped: the record's
 * own time_ns and host are what count.
 */
#ifndef FW_CORRELATE_LINEFORMAT_H
#define FW_CORRELATE_LINEFORMAT_H

#include <stdbool.h>
#include <stddef.h>

enum fw_line_format {
	FW_FMT_JSON,	     /* the record itself */
	FW_FMT_RFC3164,	     /* classic syslog, journalctl -o short */
	FW_FMT_RFC3339,	     /* rsyslog's file format, -o short-iso */
	FW_FMT_RFC5424,	     /* syslog protocol */
	FW_FMT_JOURNAL_JSON, /* journalctl -o json */
	FW_FMT_COUNT,
};

struct fw_line_msg {
	enum fw_line_format format;
	const char *msg; /* the record's text: into the line, or into the
			  * caller's buffer (a decoded journal MESSAGE) */
	size_t len;
	const char *why; /* when fw_line_decode() fails */
};

/* "RFC 3164 syslog" and so on, for messages. */
const char *fw_line_format_name(enum fw_line_format f);

/*
 * Finds the record's text in @line (@len bytes, no newline). @buf
 * (@bufsz bytes) receives a journal MESSAGE that had to be decoded.
 * Returns 0 with m->msg set, or -1 with m->why (m->format says what the
 * line looked like).
 */
int fw_line_decode(const char *line, size_t len, char *buf, size_t bufsz,
		   struct fw_line_msg *m);

/*
 * Whether the JSON text @s ends inside its object (an open string,
 * array or object): the rest of the record was cut off, by a message
 * size limit or a write that never finished.
 */
bool fw_json_is_cut(const char *s, size_t len);

#endif
