// SPDX-License-Identifier: GPL-2.0
/*
 * The values of schema v2's keys that need more than a type check: the
 * "path" of a connection record, the transitions that had no record of
 * their own ([["ESTABLISHED","FIN_WAIT1",1795...],["FIN_WAIT1",
 * "FIN_WAIT2",null]]: the tokenizer has checked that the text is valid
 * JSON; this checks its shape and reads the steps), and sk_err's names.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "record.h"
#include "schema.h"

struct cursor {
	const char *p, *end;
};

static void skip_ws(struct cursor *cu)
{
	while (cu->p < cu->end && (*cu->p == ' ' || *cu->p == '\t' ||
				   *cu->p == '\r' || *cu->p == '\n'))
		cu->p++;
}

/* Takes ch (after whitespace); false when something else comes. */
static bool take(struct cursor *cu, char ch)
{
	skip_ws(cu);
	if (cu->p >= cu->end || *cu->p != ch)
		return false;
	cu->p++;
	return true;
}

/*
 * A state name. An escaped one names no state we know (the writer never
 * escapes them): it reads as 0, unknown, as an unknown name does.
 */
static bool take_state(struct cursor *cu, uint8_t *out)
{
	const char *s;

	if (!take(cu, '"'))
		return false;
	s = cu->p;
	while (cu->p < cu->end && *cu->p != '"') {
		if (*cu->p == '\\' && cu->p + 1 < cu->end)
			cu->p++;
		cu->p++;
	}
	if (cu->p >= cu->end)
		return false;
	*out = (uint8_t)(memchr(s, '\\', (size_t)(cu->p - s))
				 ? 0
				 : fw_state_lookup(s, (size_t)(cu->p - s)));
	cu->p++;
	return true;
}

/* A time: a non-negative integer, or null (FW_UNKNOWN: nobody saw it). */
static bool take_time(struct cursor *cu, uint64_t *out)
{
	uint64_t x = 0;

	skip_ws(cu);
	if (cu->end - cu->p >= 4 && !memcmp(cu->p, "null", 4)) {
		cu->p += 4;
		*out = FW_UNKNOWN;
		return true;
	}
	if (cu->p >= cu->end || *cu->p < '0' || *cu->p > '9')
		return false;
	for (; cu->p < cu->end && *cu->p >= '0' && *cu->p <= '9'; cu->p++) {
		if (x > (UINT64_MAX - 10) / 10)
			return false;
		x = x * 10 + (uint64_t)(*cu->p - '0');
	}
	/* a fraction or an exponent: not a time of ours */
	if (cu->p < cu->end &&
	    (*cu->p == '.' || *cu->p == 'e' || *cu->p == 'E'))
		return false;
	*out = x;
	return true;
}

static bool take_step(struct cursor *cu, struct fw_rec_step *st)
{
	return take(cu, '[') && take_state(cu, &st->from) && take(cu, ',') &&
	       take_state(cu, &st->to) && take(cu, ',') &&
	       take_time(cu, &st->time_ns) && take(cu, ']');
}

int fw_rec_parse_path(const char *s, size_t len, struct fw_rec *rec)
{
	struct cursor cu = { s, s + len };
	struct fw_rec_step st;

	rec->npath = 0;
	if (!take(&cu, '['))
		goto bad;
	if (take(&cu, ']'))
		return 0;
	do {
		if (!take_step(&cu, &st))
			goto bad;
		if (rec->npath < FW_REC_PATH_MAX)
			rec->path[rec->npath++] = st;
		else
			rec->path_cut = true; /* more than we keep */
	} while (take(&cu, ','));
	if (take(&cu, ']'))
		return 0;
bad:
	snprintf(rec->why, sizeof(rec->why),
		 "key \"path\": expected [[from, to, time_ns or null], ...]");
	return -1;
}

/* "ECONNRESET" and the others a final record names, as errno numbers. */
uint32_t fw_errno_lookup(const char *s, size_t len)
{
	static const struct {
		const char *name;
		uint32_t value;
	} names[] = {
		{ "ECONNRESET", ECONNRESET },
		{ "ETIMEDOUT", ETIMEDOUT },
		{ "EPIPE", EPIPE },
		{ "ECONNREFUSED", ECONNREFUSED },
		{ "ECONNABORTED", ECONNABORTED },
		{ "EHOSTUNREACH", EHOSTUNREACH },
		{ "ENETUNREACH", ENETUNREACH },
		{ "EPROTO", EPROTO },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == len &&
		    !memcmp(names[i].name, s, len))
			return names[i].value;
	/* a name we do not know is some other error: not 0, none */
	return UINT32_MAX;
}
