// SPDX-License-Identifier: GPL-2.0
/* Escaping outside text for a terminal (the text tables, the report). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "schema.h"
#include "textsafe.h"

static bool is_c1(const unsigned char *u, size_t n)
{
	return n == 2 && u[0] == 0xc2 && u[1] < 0xa0;
}

/* How many bytes @u's next character takes as text, into @esc. */
static size_t escape_one(const unsigned char *u, size_t left, char *esc,
			 size_t *in)
{
	static const char hex[] = "0123456789abcdef";
	size_t bad, n = fw_utf8_len(u, left, &bad);

	*in = n ? n : 1;
	if (u[0] == '\\') {
		memcpy(esc, "\\\\", 2);
		return 2;
	}
	if (n > 1 && !is_c1(u, n)) {
		memcpy(esc, u, n);
		return n;
	}
	if (n == 1 && u[0] >= 0x20 && u[0] != 0x7f) {
		esc[0] = u[0];
		return 1;
	}
	/* a control character, or the first byte of an invalid sequence;
	 * a C1 control is both its bytes */
	for (size_t i = 0; i < *in; i++) {
		esc[4 * i] = '\\';
		esc[4 * i + 1] = 'x';
		esc[4 * i + 2] = hex[u[i] >> 4];
		esc[4 * i + 3] = hex[u[i] & 15];
	}
	return 4 * *in;
}

char *fw_text_escape(char *out, size_t outsz, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, in;
	char esc[8];

	if (!outsz)
		return out;
	len = strnlen(s, len);
	for (size_t i = 0; i < len; i += in) {
		size_t n = escape_one(u + i, len - i, esc, &in);

		if (o + n >= outsz)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}
