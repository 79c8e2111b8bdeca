/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A single-pass tokenizer for the flat JSON objects finwatch writes, one
 * per line. It builds no tree: fwj_next() hands back one key and its value
 * at a time, pointing into the caller's buffer. Nested arrays and objects
 * are validated and skipped (their text is returned as FWJ_ARRAY or
 * FWJ_OBJECT), integers are decoded, floats are recognised but not decoded.
 */
#ifndef FW_CORRELATE_JSON_H
#define FW_CORRELATE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Unaligned loads, for the word-at-a-time scans of the parser. */
static inline uint64_t fwj_load64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t fwj_load32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Whether n bytes at a and b are equal, by two overlapping loads rather
 * than a loop: keys and names are short, and compared on every line.
 */
static inline bool fwj_same_bytes(const char *a, const char *b, size_t n)
{
	if (n >= 8)
		return fwj_load64(a) == fwj_load64(b) &&
		       fwj_load64(a + n - 8) == fwj_load64(b + n - 8) &&
		       (n <= 16 || memcmp(a + 8, b + 8, n - 16) == 0);
	if (n >= 4)
		return fwj_load32(a) == fwj_load32(b) &&
		       fwj_load32(a + n - 4) == fwj_load32(b + n - 4);
	return n == 0 ||
	       (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

#define FWJ_ONES  0x0101010101010101ull
#define FWJ_HIGHS 0x8080808080808080ull

/*
 * The high bit of each of the 8 bytes in v that a string scan must stop
 * at: the quote, backslash, control characters and the start of UTF-8
 * sequences. Borrows may flag a harmless byte above a real hit, never
 * below one: the lowest flag is exact.
 */
static inline uint64_t fwj_stop_mask(uint64_t v)
{
	uint64_t quote = v ^ (FWJ_ONES * '"'), bslash = v ^ (FWJ_ONES * '\\');

	return (((quote - FWJ_ONES) & ~quote) |
		((bslash - FWJ_ONES) & ~bslash) | ((v - FWJ_ONES * 0x20) & ~v) |
		v) &
	       FWJ_HIGHS;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FWJ_WORDS 1 /* the first byte of memory is the lowest of a word */

/* The value of 8 ASCII digits, first digit in the lowest byte. */
static inline uint64_t fwj_parse_eight(uint64_t v)
{
	v -= FWJ_ONES * '0';
	v = v * 10 + (v >> 8);
	return (((v & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
		(((v >> 16) & 0x000000ff000000ffull) *
		 (1 + (10000ull << 32)))) >>
	       32;
}

/* How many of the 8 bytes in w, from the first, are ASCII digits. */
static inline unsigned int fwj_leading_digits(uint64_t w)
{
	uint64_t t = w - FWJ_ONES * '0';
	/* flags bytes below '0' (wrapped) or above '9'; borrows and carries
	 * only start at such a byte, so the lowest flag is exact */
	uint64_t other = (t | (t + FWJ_ONES * 0x76)) & FWJ_HIGHS;

	return other ? (unsigned int)__builtin_ctzll(other) >> 3 : 8;
}

/* The value of the first k (1..8) digits of w. */
static inline uint64_t fwj_parse_prefix(uint64_t w, unsigned int k)
{
	if (k == 8)
		return fwj_parse_eight(w);
	/* move the digits up, fill the bytes below them with '0' */
	return fwj_parse_eight(w << (8 * (8 - k)) |
			       (FWJ_ONES * '0') >> (8 * k));
}
#endif

enum fwj_type {
	FWJ_STRING = 1,
	FWJ_INT,   /* fits in int64_t or uint64_t, no fraction/exponent */
	FWJ_FLOAT, /* any other number */
	FWJ_BOOL,
	FWJ_NULL,
	FWJ_ARRAY,
	FWJ_OBJECT,
};

struct fwj_value {
	enum fwj_type type;
	const char *s; /* FWJ_STRING: raw text between the quotes; else the
			* value's whole text */
	size_t len;
	bool escaped;  /* FWJ_STRING holds backslash escapes */
	bool negative; /* FWJ_INT below zero: i is valid, u is not */
	uint64_t u;    /* FWJ_INT >= 0 */
	int64_t i;     /* FWJ_INT */
	bool b;	       /* FWJ_BOOL */
};

/* The fast paths below: inlined into their callers' loops. */
#define FWJ_HOT static inline __attribute__((always_inline))

enum fwj_state { FWJ_ST_FIRST, FWJ_ST_MORE, FWJ_ST_DONE };

struct fwj_parser {
	const char *p;
	const char *end;
	const char *err; /* why the last call failed */
	enum fwj_state state;
	/*
	 * Optional: the key the caller expects next, quotes and colon
	 * included ("\"time_ns\":"). When the input has exactly it,
	 * fwj_next() takes it without scanning and sets hint_hit; otherwise
	 * it scans as usual. Writers emit keys in a fixed order, so a caller
	 * that predicts the order skips most of the key work.
	 */
	const char *hint;
	size_t hint_len;
	bool hint_hit;
};

/*
 * The fast paths of a caller that knows which type of value comes next
 * (record.c): each takes a value at *pp only in the compact form finwatch
 * writes, when it needs no check beyond its own, and returns false
 * otherwise, leaving *pp alone for fwj_next() to take the value (and to
 * say what is wrong with it).
 */

/*
 * A non-negative integer of at most 19 digits (which cannot overflow)
 * without a leading zero. What follows is the caller's to check: a '.'
 * or 'e' makes it a float.
 */
FWJ_HOT bool fwj_fast_uint(const char **pp, const char *end, uint64_t *out)
{
	static const uint64_t pow10[9] = { 1,	    10,	      100,
					   1000,    10000,    100000,
					   1000000, 10000000, 100000000 };
	const char *p = *pp;
	unsigned int n = 0;
	uint64_t u = 0;

	if (p >= end || (unsigned char)(*p - '0') > 9)
		return false;
	if (*p == '0') {
		if (end - p >= 2 && (unsigned char)(p[1] - '0') <= 9)
			return false;
		*out = 0;
		*pp = p + 1;
		return true;
	}
#ifdef FWJ_WORDS
	while (end - p >= 8) {
		uint64_t w = fwj_load64(p);
		unsigned int k = fwj_leading_digits(w);

		if (!k || n + k > 19)
			break;
		/* up to 7 digits, most numbers of a record: one word */
		u = u * pow10[k] +
		    (k == 1 ? (w & 0xff) - '0' : fwj_parse_prefix(w, k));
		n += k;
		p += k;
		if (k < 8)
			goto done;
	}
#endif
	for (; p < end && (unsigned char)(*p - '0') <= 9; p++, n++) {
		if (n == 19)
			return false;
		u = u * 10 + (uint64_t)(*p - '0');
	}
#ifdef FWJ_WORDS
done:
#endif
	*out = u;
	*pp = p;
	return true;
}

/*
 * A string of plain bytes (no escape, control character or byte of a
 * UTF-8 sequence), *pp on its opening quote: *s and *len are its text.
 */
FWJ_HOT bool fwj_fast_string(const char **pp, const char *end, const char **s,
			     size_t *len)
{
	const char *p = *pp + 1;
	unsigned char c;

	if (*pp >= end || **pp != '"')
		return false;
	for (;;) {
#ifdef FWJ_WORDS
		if (end - p >= 8) {
			uint64_t m = fwj_stop_mask(fwj_load64(p));

			if (!m) {
				p += 8;
				continue;
			}
			p += __builtin_ctzll(m) >> 3;
		}
#endif
		if (p >= end)
			return false;
		c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c < 0x20 || c == '\\' || c >= 0x80)
			return false;
		p++;
	}
	*s = *pp + 1;
	*len = (size_t)(p - *s);
	*pp = p + 1;
	return true;
}

/* true or false. */
FWJ_HOT bool fwj_fast_bool(const char **pp, const char *end, bool *out)
{
	const char *p = *pp;

	if (end - p >= 4 && fwj_same_bytes(p, "true", 4)) {
		*out = true;
		*pp = p + 4;
		return true;
	}
	if (end - p >= 5 && fwj_same_bytes(p, "false", 5)) {
		*out = false;
		*pp = p + 5;
		return true;
	}
	return false;
}

/* Starts on buf[0..len): whitespace, then '{'. Returns 0 or -1 (err set). */
int fwj_begin(struct fwj_parser *jp, const char *buf, size_t len);

/*
 * Returns 1 with the next key (raw, unescaped text) and value, 0 at the
 * closing '}' followed by nothing but whitespace, -1 on malformed input
 * (jp->err says why).
 */
int fwj_next(struct fwj_parser *jp, struct fwj_value *key,
	     struct fwj_value *val);

/* fw_json_unescape() (schema.h) decodes a string's escapes. */

#endif
