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

struct fwj_parser {
	const char *p;
	const char *end;
	const char *err; /* why the last call failed */
	int state;
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
