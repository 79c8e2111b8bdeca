// SPDX-License-Identifier: GPL-2.0
/*
 * The JSON Lines tokenizer. Every byte is looked at once; nothing is
 * allocated. Strings are checked for valid escapes, control characters and
 * UTF-8 so that whatever we echo back is valid JSON again.
 */
#include <string.h>

#include "json.h"
#include "schema.h"

#define FWJ_MAX_DEPTH 32
/* The per-byte helpers: worth inlining on the hot path. */
#define HOT static inline __attribute__((always_inline))

static int fail(struct fwj_parser *jp, const char *why)
{
	jp->err = why;
	return -1;
}

HOT void skip_ws(struct fwj_parser *jp)
{
	/* compact JSON has none: one compare in the common case */
	if (jp->p < jp->end && (unsigned char)*jp->p > ' ')
		return;
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
				   *jp->p == '\r' || *jp->p == '\n'))
		jp->p++;
}

/*
 * Bytes a string scan must stop at: the quote, backslash, control
 * characters and the start of UTF-8 sequences. Everything else is copied
 * through, so the common case is one table look-up per byte.
 */
static const unsigned char str_stop[256] = {
	[0 ... 0x1f] = 1,
	['"'] = 1,
	['\\'] = 1,
	[0x80 ... 0xff] = 1,
};

/* Skips string bytes that need no attention, 8 at a time. */
HOT void skip_plain(struct fwj_parser *jp)
{
	uint64_t m;

	while (jp->end - jp->p >= 8) {
		m = fwj_stop_mask(fwj_load64(jp->p));
		if (m) {
#ifdef FWJ_WORDS
			jp->p += __builtin_ctzll(m) >> 3;
#endif
			return;
		}
		jp->p += 8;
	}
}

/* jp->p is just past the opening quote. */
HOT int scan_string(struct fwj_parser *jp, struct fwj_value *v)
{
	const char *start = jp->p;

	v->type = FWJ_STRING;
	v->escaped = false;
	for (;;) {
		unsigned char c;

		skip_plain(jp);
		if (jp->p >= jp->end)
			break;
		c = (unsigned char)*jp->p;
		if (!str_stop[c]) {
			jp->p++;
			continue;
		}

		if (c == '"') {
			v->s = start;
			v->len = (size_t)(jp->p - start);
			jp->p++;
			return 0;
		}
		if (c < 0x20)
			return fail(jp, "control character in string");
		if (c == '\\') {
			v->escaped = true;
			if (jp->end - jp->p < 2)
				break;
			c = (unsigned char)jp->p[1];
			if (c == 'u') {
				if (jp->end - jp->p < 6)
					break;
				if (fw_hex4(jp->p + 2) < 0)
					return fail(jp, "bad \\u escape");
				jp->p += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", c) || c == 0)
				return fail(jp, "bad escape in string");
			jp->p += 2;
			continue;
		}
		if (c >= 0x80) {
			size_t bad, n = fw_utf8_len(
					    (const unsigned char *)jp->p,
					    (size_t)(jp->end - jp->p), &bad);

			if (!n)
				return fail(jp, "invalid UTF-8 in string");
			jp->p += n;
			continue;
		}
		jp->p++;
	}
	return fail(jp, "unterminated string");
}

#ifdef FWJ_WORDS
/*
 * Leading digits a word at a time, as long as they stay within 19 digits
 * (which cannot overflow); the byte loop does the rest.
 */
static uint64_t digits_fast(struct fwj_parser *jp, unsigned int *ndigits)
{
	static const uint64_t pow10[9] = { 1,	    10,	      100,
					   1000,    10000,    100000,
					   1000000, 10000000, 100000000 };
	uint64_t u = 0, w;
	unsigned int k;

	while (jp->end - jp->p >= 8) {
		w = fwj_load64(jp->p);
		k = fwj_leading_digits(w);
		if (!k || *ndigits + k > 19)
			break;
		u = u * pow10[k] + fwj_parse_prefix(w, k);
		*ndigits += k;
		jp->p += k;
		if (k < 8)
			break;
	}
	return u;
}
#else
static uint64_t digits_fast(struct fwj_parser *jp, unsigned int *ndigits)
{
	(void)jp;
	(void)ndigits;
	return 0;
}
#endif

HOT int scan_number(struct fwj_parser *jp, struct fwj_value *v)
{
	const char *start = jp->p;
	uint64_t u = 0;
	unsigned int ndigits = 0;
	bool overflow = false, is_float = false;

	v->negative = false;
	if (*jp->p == '-') {
		v->negative = true;
		jp->p++;
	}
	if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9')
		return fail(jp, "bad number");
	if (*jp->p == '0' && jp->p + 1 < jp->end && jp->p[1] >= '0' &&
	    jp->p[1] <= '9')
		return fail(jp, "leading zero in number");
	/* one digit and a ',' or '}': half the numbers a tracer writes */
	if (jp->end - jp->p >= 2 && (jp->p[1] == ',' || jp->p[1] == '}')) {
		u = (uint64_t)(*jp->p++ - '0');
		v->s = start;
		v->len = (size_t)(jp->p - start);
		v->type = FWJ_INT;
		v->u = u;
		v->i = v->negative ? -(int64_t)u : (int64_t)u;
		return 0;
	}
	u = digits_fast(jp, &ndigits);
	while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9') {
		unsigned int d = (unsigned int)(*jp->p - '0');

		/* 19 digits always fit; only longer ones need the check */
		if (ndigits++ < 19)
			u = u * 10 + d;
		else if (__builtin_mul_overflow(u, 10, &u) ||
			 __builtin_add_overflow(u, d, &u))
			overflow = true;
		jp->p++;
	}
	if (jp->p < jp->end && *jp->p == '.') {
		is_float = true;
		jp->p++;
		if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9')
			return fail(jp, "bad number");
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	}
	if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
		is_float = true;
		jp->p++;
		if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
			jp->p++;
		if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9')
			return fail(jp, "bad number");
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	}
	v->s = start;
	v->len = (size_t)(jp->p - start);
	if (v->negative && u > (uint64_t)INT64_MAX + 1)
		overflow = true;
	if (is_float || overflow) {
		v->type = FWJ_FLOAT;
		return 0;
	}
	v->type = FWJ_INT;
	v->u = u;
	v->i = v->negative ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

static int scan_word(struct fwj_parser *jp, const char *word,
		     enum fwj_type type, struct fwj_value *v)
{
	size_t n = strlen(word);

	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
		return fail(jp, "unexpected character");
	v->type = type;
	v->s = jp->p;
	v->len = n;
	v->b = word[0] == 't';
	jp->p += n;
	return 0;
}

static int scan_value(struct fwj_parser *jp, struct fwj_value *v, int depth);

/* Skips an array or object; jp->p is on its opening bracket. */
static int scan_container(struct fwj_parser *jp, struct fwj_value *v, int depth)
{
	char close = *jp->p == '[' ? ']' : '}';
	const char *start = jp->p;
	struct fwj_value tmp;
	bool first = true;

	if (depth >= FWJ_MAX_DEPTH)
		return fail(jp, "nesting too deep");
	jp->p++;
	for (;;) {
		skip_ws(jp);
		if (jp->p >= jp->end)
			return fail(jp, "unterminated array or object");
		if (*jp->p == close && first) {
			jp->p++;
			break;
		}
		if (close == '}') {
			if (*jp->p != '"')
				return fail(jp, "expected key");
			jp->p++;
			if (scan_string(jp, &tmp) < 0)
				return -1;
			skip_ws(jp);
			if (jp->p >= jp->end || *jp->p != ':')
				return fail(jp, "expected ':'");
			jp->p++;
		}
		if (scan_value(jp, &tmp, depth + 1) < 0)
			return -1;
		first = false;
		skip_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == close) {
			jp->p++;
			break;
		}
		return fail(jp, "expected ',' or closing bracket");
	}
	v->type = close == ']' ? FWJ_ARRAY : FWJ_OBJECT;
	v->s = start;
	v->len = (size_t)(jp->p - start);
	return 0;
}

static int scan_value(struct fwj_parser *jp, struct fwj_value *v, int depth)
{
	skip_ws(jp);
	if (jp->p >= jp->end)
		return fail(jp, "missing value");
	switch (*jp->p) {
	case '"':
		jp->p++;
		return scan_string(jp, v);
	case '[':
	case '{':
		return scan_container(jp, v, depth);
	case 't':
		return scan_word(jp, "true", FWJ_BOOL, v);
	case 'f':
		return scan_word(jp, "false", FWJ_BOOL, v);
	case 'n':
		return scan_word(jp, "null", FWJ_NULL, v);
	default:
		return scan_number(jp, v);
	}
}

int fwj_begin(struct fwj_parser *jp, const char *buf, size_t len)
{
	jp->p = buf;
	jp->end = buf + len;
	jp->err = NULL;
	jp->state = FWJ_ST_FIRST;
	jp->hint = NULL;
	jp->hint_len = 0;
	jp->hint_hit = false;
	skip_ws(jp);
	if (jp->p >= jp->end || *jp->p != '{')
		return fail(jp, "not a JSON object");
	jp->p++;
	return 0;
}

static int finish(struct fwj_parser *jp)
{
	jp->p++;
	skip_ws(jp);
	if (jp->p != jp->end)
		return fail(jp, "text after the object");
	jp->state = FWJ_ST_DONE;
	return 0;
}

/*
 * The key at jp->p (on its quote) is the hinted one, and its colon
 * follows at once (compact JSON): take both whole.
 */
HOT bool take_hint(struct fwj_parser *jp, struct fwj_value *key)
{
	size_t n = jp->hint_len;

	if (n < 3 || (size_t)(jp->end - jp->p) < n ||
	    !fwj_same_bytes(jp->p, jp->hint, n))
		return false;
	key->type = FWJ_STRING;
	key->s = jp->p + 1;
	key->len = n - 3;
	key->escaped = false;
	jp->p += n;
	return true;
}

/* True when jp->p is on c, after whitespace if there is any. */
HOT bool at_char(struct fwj_parser *jp, char c)
{
	/* compact JSON (what finwatch writes) needs no skip_ws() at all */
	if (jp->p < jp->end && *jp->p == c)
		return true;
	skip_ws(jp);
	return jp->p < jp->end && *jp->p == c;
}

/* Up to the key: past the ',' between pairs; 0 = go on, else a return. */
static int before_key(struct fwj_parser *jp)
{
	if (jp->state == FWJ_ST_MORE) {
		/* compact JSON: the comma and the key's quote, side by side */
		if (jp->end - jp->p >= 2 && jp->p[0] == ',' &&
		    jp->p[1] == '"') {
			jp->p++;
			return 0;
		}
		if (at_char(jp, ',')) {
			jp->p++;
			return at_char(jp, '"') ? 0 : fail(jp, "expected key");
		}
		if (at_char(jp, '}'))
			return finish(jp) < 0 ? -1 : 2;
		return fail(jp, jp->p < jp->end ? "expected ',' or '}'"
						: "unterminated object");
	}
	if (at_char(jp, '"'))
		return 0;
	if (at_char(jp, '}'))
		return finish(jp) < 0 ? -1 : 2;
	return fail(jp,
		    jp->p < jp->end ? "expected key" : "unterminated object");
}

int fwj_next(struct fwj_parser *jp, struct fwj_value *key,
	     struct fwj_value *val)
{
	int r;

	if (jp->state == FWJ_ST_DONE)
		return 0;
	r = before_key(jp);
	if (r)
		return r < 0 ? -1 : 0;
	jp->hint_hit = take_hint(jp, key);
	if (!jp->hint_hit) {
		jp->p++;
		if (scan_string(jp, key) < 0)
			return -1;
		if (!at_char(jp, ':'))
			return fail(jp, "expected ':'");
		jp->p++;
	}
	/* the two common kinds inline, the rest through scan_value() */
	if (jp->p < jp->end && *jp->p == '"') {
		jp->p++;
		r = scan_string(jp, val);
	} else if (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9') {
		r = scan_number(jp, val);
	} else {
		r = scan_value(jp, val, 0);
	}
	if (r < 0)
		return -1;
	jp->state = FWJ_ST_MORE;
	return 1;
}
