// SPDX-License-Identifier: GPL-2.0
/*
 * The facts a tracer writes of its namespaces (SCHEMA-v2: the start
 * record's netns_facts, netns records) and conntrack's view of a drop:
 * what the causes of lost closes are told with (cause.c). Rare records,
 * so plain lookups.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "record.h"
#include "schema.h"

enum fw_ct_view fw_ct_view(const char *s, size_t len)
{
	static const char *const names[] = {
		[FW_CTV_NONE] = "none",
		[FW_CTV_UNTRACKED] = "untracked",
		[FW_CTV_TRACKED] = "tracked",
	};

	/* a newer tracer may name another view: not known, not fatal */
	for (unsigned int i = FW_CTV_NONE; i <= FW_CTV_TRACKED; i++)
		if (len == strlen(names[i]) && !memcmp(s, names[i], len))
			return (enum fw_ct_view)i;
	return FW_CTV_UNKNOWN;
}

/* The fact a key names, FW_FACT_COUNT for "netns", -1 for neither. */
static int fact_of(const struct fwj_value *key)
{
	if (key->escaped)
		return -1;
	if (key->len == 5 && !memcmp(key->s, "netns", 5))
		return FW_FACT_COUNT;
	for (int f = 0; f < FW_FACT_COUNT; f++)
		if (key->len == strlen(fw_netns_fact_key(f)) &&
		    !memcmp(key->s, fw_netns_fact_key(f), key->len))
			return f;
	return -1;
}

static int bad_facts(struct fw_rec *rec, const char *what, const char *key)
{
	snprintf(rec->why, sizeof(rec->why), what, key);
	return -1;
}

/*
 * One object of facts ({"netns":N,"ct_max":M,...}), or a whole netns
 * record: keys that are no fact are ignored, a fact that could not be
 * read is absent (or null).
 */
int fw_rec_parse_facts(struct fw_rec *rec, const char *s, size_t len,
		       struct fw_rec_facts *f)
{
	struct fwj_parser jp;
	struct fwj_value key, val;
	bool netns = false;
	int r, i;

	for (unsigned int k = 0; k < FW_FACT_COUNT; k++)
		f->v[k] = FW_UNKNOWN;
	if (fwj_begin(&jp, s, len) < 0)
		return bad_facts(rec, "key \"netns_facts\": %s", jp.err);
	while ((r = fwj_next(&jp, &key, &val)) == 1) {
		i = fact_of(&key);
		if (i < 0 || val.type == FWJ_NULL)
			continue;
		if (val.type != FWJ_INT || val.negative || val.u == FW_UNKNOWN)
			return bad_facts(
				rec,
				"key \"%s\": expected a non-negative integer",
				i == FW_FACT_COUNT ? "netns"
						   : fw_netns_fact_key(i));
		if (i == FW_FACT_COUNT) {
			f->netns = val.u;
			netns = true;
		} else {
			f->v[i] = val.u;
		}
	}
	if (r < 0)
		return bad_facts(rec, "key \"netns_facts\": %s", jp.err);
	if (!netns)
		return bad_facts(rec, "facts without a \"%s\"", "netns");
	return 0;
}

/* The length of the object starting at p ('{'), valid JSON up to end. */
static size_t object_len(const char *p, const char *end)
{
	const char *q = p;
	int depth = 0;

	for (; q < end; q++) {
		if (*q == '"') {
			for (q++; q < end && *q != '"'; q++)
				if (*q == '\\')
					q++;
		} else if (*q == '{' || *q == '[') {
			depth++;
		} else if ((*q == '}' || *q == ']') && --depth == 0) {
			return (size_t)(q + 1 - p);
		}
	}
	return (size_t)(end - p);
}

/* "netns_facts":[{...},{...}] (the tokenizer checked it is valid JSON). */
int fw_rec_parse_facts_list(struct fw_rec *rec, const char *s, size_t len)
{
	const char *p = s + 1, *end = s + len - 1;

	for (;;) {
		size_t n;

		while (p < end && (*p == ' ' || *p == ',' || *p == '\t' ||
				   *p == '\n' || *p == '\r'))
			p++;
		if (p >= end)
			return 0;
		if (*p != '{')
			return bad_facts(rec, "key \"%s\": expected objects",
					 "netns_facts");
		n = object_len(p, end);
		if (rec->n_facts == FW_REC_NETNS_MAX)
			rec->facts_more = true;
		else if (fw_rec_parse_facts(rec, p, n,
					    &rec->facts[rec->n_facts++]) < 0)
			return -1;
		p += n;
	}
}
