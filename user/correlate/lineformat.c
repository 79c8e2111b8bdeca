// SPDX-License-Identifier: GPL-2.0
/*
 * Finding the record in a line that came through syslog or journald
 * (lineformat.h). Each line is told by its first bytes: '{' is JSON (a
 * record, or a journal entry when its first key is not "v" and it has a
 * MESSAGE), '<' a syslog priority, a digit an RFC 3339 stamp, a month
 * name an RFC 3164 stamp. The header is checked for its shape only: a
 * line that merely looks like syslog still has to hold a valid record.
 */
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "lineformat.h"
#include "schema.h"

static const char *const format_names[FW_FMT_COUNT] = {
	[FW_FMT_JSON] = "JSON",
	[FW_FMT_RFC3164] = "RFC 3164 syslog",
	[FW_FMT_RFC3339] = "RFC 3339 syslog",
	[FW_FMT_RFC5424] = "RFC 5424 syslog",
	[FW_FMT_JOURNAL_JSON] = "journal JSON",
};

const char *fw_line_format_name(enum fw_line_format f)
{
	return f < FW_FMT_COUNT ? format_names[f] : "?";
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at p (within end) whose value is at most max; p moves on. */
static bool take_num(const char **p, const char *end, int n, int max)
{
	int v = 0;

	if (end - *p < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v <= max;
}

static bool take_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

/* hh:mm:ss with an optional fraction. */
static bool take_clock(const char **p, const char *end)
{
	if (!take_num(p, end, 2, 23) || !take_char(p, end, ':') ||
	    !take_num(p, end, 2, 59) || !take_char(p, end, ':') ||
	    !take_num(p, end, 2, 60))
		return false;
	if (take_char(p, end, '.')) {
		if (*p >= end || !is_digit(**p))
			return false;
		while (*p < end && is_digit(**p))
			(*p)++;
	}
	return true;
}

/* "Mmm dd hh:mm:ss", the day space- or zero-padded (journalctl). */
static const char *rfc3164_stamp(const char *p, const char *end)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	bool month = false;

	if (end - p < 4)
		return NULL;
	for (int i = 0; i < 12; i++)
		month |= !memcmp(p, months + 3 * i, 3);
	if (!month || p[3] != ' ')
		return NULL;
	p += 4;
	if (p < end && *p == ' ')
		p++;
	if (p < end && is_digit(*p) && p + 1 < end && is_digit(p[1]))
		p += 2;
	else if (p < end && is_digit(*p))
		p++;
	else
		return NULL;
	if (!take_char(&p, end, ' ') || !take_clock(&p, end))
		return NULL;
	return p;
}

/* YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|+hhmm) */
static const char *rfc3339_stamp(const char *p, const char *end)
{
	if (!take_num(&p, end, 4, 9999) || !take_char(&p, end, '-') ||
	    !take_num(&p, end, 2, 12) || !take_char(&p, end, '-') ||
	    !take_num(&p, end, 2, 31) || !take_char(&p, end, 'T') ||
	    !take_clock(&p, end))
		return NULL;
	if (take_char(&p, end, 'Z'))
		return p;
	if (p >= end || (*p != '+' && *p != '-'))
		return NULL;
	p++;
	if (!take_num(&p, end, 2, 23))
		return NULL;
	take_char(&p, end, ':');
	return take_num(&p, end, 2, 59) ? p : NULL;
}

/* The end of the token at p: the next space, or end. */
static const char *token_end(const char *p, const char *end)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p));

	return sp ? sp : end;
}

static const char *skip_spaces(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

/* A message: the record, after an optional UTF-8 byte order mark. */
static int take_message(const char *p, const char *end, struct fw_line_msg *m)
{
	p = skip_spaces(p, end);
	if (end - p >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	if (p >= end) {
		m->why = "syslog line without a message";
		return -1;
	}
	if (*p != '{') {
		m->why = "the syslog message is not a JSON object (a line "
			 "of another program?)";
		return -1;
	}
	m->msg = p;
	m->len = (size_t)(end - p);
	return 0;
}

/* After an RFC 3164 or RFC 3339 stamp: " host tag: MSG" or " host MSG". */
static int syslog_rest(const char *p, const char *end, struct fw_line_msg *m)
{
	const char *t;

	if (!take_char(&p, end, ' ') || p >= end || *p == ' ') {
		m->why = "syslog line without a host";
		return -1;
	}
	p = skip_spaces(token_end(p, end), end);
	if (p < end && *p != '{') {
		t = token_end(p, end);
		if (t[-1] != ':') {
			m->why = "syslog line without a tag ending in ':'";
			return -1;
		}
		p = skip_spaces(t, end);
	}
	return take_message(p, end, m);
}

/* RFC 5424 structured data: "-" or one or more [id param="value"...]. */
static const char *skip_sd(const char *p, const char *end)
{
	bool quoted = false;

	if (p < end && *p == '-')
		return p + 1;
	if (p >= end || *p != '[')
		return NULL;
	while (p < end) {
		if (quoted) {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '"')
				quoted = false;
		} else if (*p == '"') {
			quoted = true;
		} else if (*p == ']' && (p + 1 >= end || p[1] != '[')) {
			return p + 1;
		}
		p++;
	}
	return NULL;
}

/* After "<PRI>1 ": TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]. */
static int rfc5424(const char *p, const char *end, struct fw_line_msg *m)
{
	const char *t;

	m->format = FW_FMT_RFC5424;
	if (p < end && *p == '-')
		t = p + 1;
	else
		t = rfc3339_stamp(p, end);
	if (!t || t >= end || *t != ' ') {
		m->why = "RFC 5424 line with a bad timestamp";
		return -1;
	}
	p = t;
	for (int field = 0; field < 4; field++) { /* host, app, pid, msgid */
		if (!take_char(&p, end, ' ') || p >= end || *p == ' ') {
			m->why = "RFC 5424 line with a short header";
			return -1;
		}
		p = token_end(p, end);
	}
	if (!take_char(&p, end, ' ') || !(p = skip_sd(p, end))) {
		m->why = "RFC 5424 line with bad structured data";
		return -1;
	}
	if (p < end && !take_char(&p, end, ' ')) {
		m->why = "RFC 5424 line with bad structured data";
		return -1;
	}
	return take_message(p, end, m);
}

/* "<PRI>" and what follows it. */
static int after_pri(const char *p, const char *end, struct fw_line_msg *m)
{
	const char *t;
	int digits = 0;

	p++;
	while (p < end && is_digit(*p) && digits < 4) {
		p++;
		digits++;
	}
	if (!digits || digits > 3 || !take_char(&p, end, '>')) {
		m->why = "not a JSON object";
		return -1;
	}
	if (end - p >= 2 && p[0] == '1' && p[1] == ' ')
		return rfc5424(p + 2, end, m);
	if ((t = rfc3339_stamp(p, end))) {
		m->format = FW_FMT_RFC3339;
		return syslog_rest(t, end, m);
	}
	if ((t = rfc3164_stamp(p, end))) {
		m->format = FW_FMT_RFC3164;
		return syslog_rest(t, end, m);
	}
	m->why = "syslog line with a bad timestamp";
	return -1;
}

/* A MESSAGE given as an array of bytes: [123,34,...]. */
static int message_bytes(const struct fwj_value *v, char *buf, size_t bufsz,
			 struct fw_line_msg *m)
{
	const char *p = v->s + 1, *end = v->s + v->len - 1;
	size_t n = 0;

	m->why = "journal MESSAGE has several values";
	while (p < end) {
		unsigned int b = 0;
		int digits = 0;

		while (p < end && (*p == ' ' || *p == ',' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		while (p < end && is_digit(*p) && digits < 4) {
			b = b * 10 + (unsigned int)(*p++ - '0');
			digits++;
		}
		if (!digits)
			return -1; /* strings or arrays: one per value */
		if (b > 255 || digits > 3 || n + 1 >= bufsz) {
			m->why = "journal MESSAGE: bad byte array";
			return -1;
		}
		buf[n++] = (char)b;
	}
	m->msg = buf;
	m->len = n;
	return 0;
}

static int journal_message(const struct fwj_value *v, char *buf, size_t bufsz,
			   struct fw_line_msg *m)
{
	long n;

	switch (v->type) {
	case FWJ_STRING:
		if (!v->escaped) {
			m->msg = v->s;
			m->len = v->len;
			return 0;
		}
		n = v->len < bufsz ? fw_json_unescape(v->s, v->len, buf, bufsz)
				   : -1;
		if (n < 0) {
			m->why = "journal MESSAGE: bad escape";
			return -1;
		}
		m->msg = buf;
		m->len = (size_t)n;
		return 0;
	case FWJ_ARRAY:
		return message_bytes(v, buf, bufsz, m);
	case FWJ_NULL:
		m->why = "journal MESSAGE is null: journalctl leaves out "
			 "fields over 4096 bytes unless given --all";
		return -1;
	default:
		m->why = "journal MESSAGE is not a string";
		return -1;
	}
}

/*
 * A JSON line whose first key is not "v": a journal entry if it has a
 * MESSAGE; otherwise the record parser will say what is wrong with it.
 */
static int json_line(const char *line, size_t len, char *buf, size_t bufsz,
		     struct fw_line_msg *m)
{
	struct fwj_value key, val;
	struct fwj_parser jp;

	if (len >= 5 && !memcmp(line, "{\"v\":", 5))
		return 0;
	if (fwj_begin(&jp, line, len) < 0)
		return 0;
	while (fwj_next(&jp, &key, &val) == 1) {
		if (key.len == 7 && !key.escaped &&
		    !memcmp(key.s, "MESSAGE", 7)) {
			m->format = FW_FMT_JOURNAL_JSON;
			return journal_message(&val, buf, bufsz, m);
		}
	}
	return 0;
}

int fw_line_decode(const char *line, size_t len, char *buf, size_t bufsz,
		   struct fw_line_msg *m)
{
	const char *p = line, *end = line + len, *t;

	m->format = FW_FMT_JSON;
	m->msg = line;
	m->len = len;
	m->why = NULL;
	if (p < end && *p == '\x1e') /* journalctl -o json-seq */
		m->msg = ++p, m->len = --len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end || *p == '{')
		return json_line(m->msg, m->len, buf, bufsz, m);
	if (*p == '<')
		return after_pri(p, end, m);
	if (is_digit(*p) && (t = rfc3339_stamp(p, end))) {
		m->format = FW_FMT_RFC3339;
		return syslog_rest(t, end, m);
	}
	if ((t = rfc3164_stamp(p, end))) {
		m->format = FW_FMT_RFC3164;
		return syslog_rest(t, end, m);
	}
	m->why = "not a JSON object";
	return -1;
}

bool fw_json_is_cut(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	bool in_string = false, escaped = false;
	size_t depth = 0;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	if (p >= end || *p != '{')
		return false;
	for (; p < end; p++) {
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (*p == '\\')
				escaped = true;
			else if (*p == '"')
				in_string = false;
		} else if (*p == '"') {
			in_string = true;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return false;
		}
	}
	return true;
}
