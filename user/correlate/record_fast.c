// SPDX-License-Identifier: GPL-2.0
/*
 * The record loop. A tracer writes the keys of each record type in a few
 * orders, compact, with plain values, so nearly every pair is the key
 * predicted (record_priv.h), or another known key without escapes,
 * followed by a value of the type that key wants: this file takes such
 * pairs directly, the value parsed by its type and stored, with no token
 * in between. Anything else (whitespace, an escape, an unknown key, a
 * value of another type or out of range, the end of the object) goes to
 * fw_rec_slow_pair(), which reads the pair afresh with the tokenizer and
 * the checks: a fast path takes a pair only when the slow one would take
 * it the same way, and changes nothing when it declines.
 */
#include <stddef.h>
#include <string.h>

#include "record_priv.h"

/* A name looked up once per distinct text: a record's type and states. */
struct name_memo {
	char text[16];
	size_t len;
	unsigned int value;
};

/*
 * The slot of a name: the TCP states the tracer writes all get slots of
 * their own (FIN_WAIT1 and FIN_WAIT2, SYN_SENT and SYN_RECV included),
 * so that a path's steps never evict each other.
 */
#define MEMO_SLOTS 16

static unsigned int memo_lookup(struct name_memo *memo, const char *s,
				size_t len,
				unsigned int (*lookup)(const char *, size_t))
{
	struct name_memo *m;

	if (len < 2 || len > sizeof(m->text))
		return lookup(s, len);
	m = &memo[((unsigned char)s[len - 1] * 5 + (unsigned char)s[1] +
		   len * 7) &
		  (MEMO_SLOTS - 1)];
	if (m->len == len && fwj_same_bytes(m->text, s, len))
		return m->value;
	m->value = lookup(s, len);
	memcpy(m->text, s, len);
	m->len = len;
	return m->value;
}

static unsigned int type_lookup(const char *s, size_t len)
{
	return fw_rec_type_lookup(s, len);
}

static unsigned int state_of(const char *s, size_t len)
{
	static struct name_memo memo[MEMO_SLOTS];

	return memo_lookup(memo, s, len, fw_state_lookup);
}

/* A copy of a plain string, cut to fit as take_string() cuts it. */
static size_t copy_plain(char *out, size_t outsz, const char *s, size_t len)
{
	size_t n = len < outsz - 1 ? len : outsz - 1;

	memcpy(out, s, n);
	out[n] = '\0';
	return n;
}

/* An integer that ends its pair (not a float, nor 12a). */
FWJ_HOT const char *pair_uint(const char *p, const char *end, uint64_t *u)
{
	if (!fwj_fast_uint(&p, end, u) || p >= end || (*p != ',' && *p != '}'))
		return NULL;
	return p;
}

/*
 * The integer keys stored as they are: where, how wide (8, 4 or 2
 * bytes; 1 for keys read and dropped), and the FW_HAS_* they set.
 */
struct num_key {
	unsigned short off;
	unsigned char width;
	unsigned int has;
};

#define NUM(field, bits)                                                       \
	{                                                                      \
		offsetof(struct fw_rec, field),                                \
			sizeof(((struct fw_rec *)0)->field), bits              \
	}
#define DROPPED                                                                \
	{                                                                      \
		0, 1, 0                                                        \
	}

static const struct num_key num_keys[K_MAX] = {
	[K_TIME_NS] = NUM(time_ns, 0),
	[K_NETNS] = NUM(netns, 0),
	[K_SOCK] = NUM(sock, 0),
	[K_LPORT] = NUM(lport, 0),
	[K_RPORT] = NUM(rport, 0),
	[K_PID] = NUM(pid, FW_HAS_PID),
	[K_ISN_LOCAL] = NUM(isn_local, 0),
	[K_ISN_REMOTE] = NUM(isn_remote, 0),
	[K_CLOSE_RETRANS] = NUM(close_retrans, FW_HAS_CLOSE_RETRANS),
	[K_CLOSE_DROPS] = NUM(close_drops, FW_HAS_CLOSE_DROPS),
	[K_LAST_RECV_MS] = NUM(last_recv_ms, FW_HAS_LAST_RECV),
	[K_LAST_SEND_MS] = NUM(last_send_ms, FW_HAS_LAST_SEND),
	[K_COUNT] = NUM(count, FW_HAS_COUNT),
	[K_FROM_NS] = NUM(from_ns, 0),
	[K_SNAP] = NUM(snap, FW_HAS_SNAP),
	[K_KEEPALIVE_IDLE_S] = NUM(keepalive_idle_s, 0),
	[K_KEEPALIVE_INTVL_S] = NUM(keepalive_intvl_s, 0),
	[K_KEEPALIVE_CNT] = NUM(keepalive_cnt, FW_HAS_KA_SETTINGS),
	[K_USER_TIMEOUT_MS] = NUM(user_timeout_ms, 0),
	[K_GAP] = NUM(gap, 0),
	[K_PROBES_OUT] = NUM(probes_out, FW_HAS_PROBES_OUT),
	[K_RTO_RETRANS] = NUM(rto_retrans, FW_HAS_RTO_RETRANS),
	[K_TICK_MS] = NUM(tick_ms, FW_HAS_TICK_MS),
	[K_BYTES_SENT] = DROPPED,
	[K_BYTES_RECEIVED] = DROPPED,
	[K_RETRANS] = DROPPED,
	[K_EVENTS] = DROPPED,
	[K_LOST] = DROPPED,
	[K_SNDQ] = DROPPED,
	[K_RCVQ] = DROPPED,
	[K_LOST_BUFFER_FULL] = DROPPED,
	[K_LOST_RECURSION] = DROPPED,
	[K_LOST_UNPINNED] = DROPPED,
	[K_RECOVERED] = DROPPED,
};

static const char *take_num(struct fw_rec *rec, const struct num_key *nk,
			    const char *p, const char *end)
{
	char *field = (char *)rec + nk->off;
	uint64_t u;

	p = pair_uint(p, end, &u);
	if (!p)
		return NULL;
	if (nk->width == 8) {
		memcpy(field, &u, 8);
	} else if (nk->width == 4) {
		uint32_t v = (uint32_t)u;

		if (u > UINT32_MAX)
			return NULL;
		memcpy(field, &v, 4);
	} else if (nk->width == 2) {
		uint16_t v = (uint16_t)u;

		if (u > UINT16_MAX)
			return NULL;
		memcpy(field, &v, 2);
	}
	rec->has |= nk->has;
	return p;
}

/* A state name: an unknown one reads as 0, as in the slow path. */
static const char *take_state(const char *p, const char *end, uint8_t *out)
{
	const char *s;
	size_t len;

	if (!fwj_fast_string(&p, end, &s, &len))
		return NULL;
	*out = (uint8_t)state_of(s, len);
	return p;
}

/* One [from, to, time_ns or null] of a path, p on its '['. */
static const char *take_step(const char *p, const char *end,
			     struct fw_rec_step *st)
{
	if (p >= end || *p != '[')
		return NULL;
	p = take_state(p + 1, end, &st->from);
	if (!p || p >= end || *p != ',')
		return NULL;
	p = take_state(p + 1, end, &st->to);
	if (!p || p >= end || *p != ',')
		return NULL;
	p++;
	if (end - p >= 4 && fwj_same_bytes(p, "null", 4)) {
		st->time_ns = FW_UNKNOWN;
		p += 4;
	} else if (!fwj_fast_uint(&p, end, &st->time_ns)) {
		return NULL;
	}
	return p < end && *p == ']' ? p + 1 : NULL;
}

/* "path":[[...],...] as fw_rec_parse_path() reads it. */
static const char *take_path(struct fw_rec *rec, const char *p, const char *end)
{
	struct fw_rec_step steps[FW_REC_PATH_MAX], st;
	unsigned int n = 0;
	bool cut = false;

	if (end - p < 2 || *p++ != '[')
		return NULL;
	if (*p != ']') {
		for (;;) {
			p = take_step(p, end, &st);
			if (!p || p >= end)
				return NULL;
			if (n < FW_REC_PATH_MAX)
				steps[n++] = st;
			else
				cut = true;
			if (*p != ',')
				break;
			p++;
		}
		if (*p != ']')
			return NULL;
	}
	rec->has |= FW_HAS_PATH;
	memcpy(rec->path, steps, n * sizeof(steps[0]));
	rec->npath = n;
	if (cut)
		rec->path_cut = true;
	return p + 1;
}

/* The string keys, their value a plain string at p. */
static const char *take_text(struct parse_ctx *pc, enum key k, const char *p,
			     const char *end)
{
	static struct name_memo type_memo[MEMO_SLOTS];
	struct fw_rec *rec = pc->rec;
	const char *s;
	size_t len;

	if (!fwj_fast_string(&p, end, &s, &len))
		return NULL;
	switch (k) {
	case K_TYPE:
		rec->type = (enum fw_rec_type)memo_lookup(type_memo, s, len,
							  type_lookup);
		return p;
	case K_HOST:
		if (!len)
			return NULL;
		rec->host_len = copy_plain(rec->host_buf, sizeof(rec->host_buf),
					   s, len);
		rec->host = rec->host_buf;
		return p;
	case K_LADDR:
		pc->laddr = s;
		pc->laddr_len = len;
		return p;
	case K_RADDR:
		pc->raddr = s;
		pc->raddr_len = len;
		return p;
	case K_OLDSTATE:
		rec->oldstate = (uint8_t)state_of(s, len);
		return p;
	case K_NEWSTATE:
		rec->newstate = (uint8_t)state_of(s, len);
		return p;
	case K_STATE: /* snapshot: oldstate = newstate = state */
		rec->oldstate = rec->newstate = (uint8_t)state_of(s, len);
		return p;
	case K_ROLE:
		rec->role_server = len == 6 && fwj_same_bytes(s, "server", 6);
		return p;
	case K_COMM:
		rec->has |= FW_HAS_COMM;
		copy_plain(rec->comm, sizeof(rec->comm), s, len);
		return p;
	case K_TCP_FLAGS:
		rec->tcp_flags = (uint8_t)fw_tcp_flags_parse(s, len);
		return p;
	case K_SOURCE:
	case K_TRANSPORT:
	case K_VERSION:
	case K_STREAM:
	case K_PROGRAM:
	case K_VIA:
		return p;
	default:
		return NULL;
	}
}

/* The keys whose value is a path or a boolean. */
static const char *take_flag(struct parse_ctx *pc, enum key k, const char *p,
			     const char *end)
{
	struct fw_rec *rec = pc->rec;
	bool b;

	if (k == K_PATH)
		return take_path(rec, p, end);
	if (!fwj_fast_bool(&p, end, &b))
		return NULL;
	switch (k) {
	case K_ACTIVE_OPEN:
		rec->has |= FW_HAS_ACTIVE_OPEN;
		rec->active_open = b;
		return p;
	case K_KEEPALIVE:
		rec->has |= FW_HAS_KEEPALIVE;
		rec->keepalive = b;
		return p;
	case K_FINAL:
		rec->final = b;
		return p;
	case K_MAPPED:
		return p;
	default:
		return NULL;
	}
}

/* The value of key k at p, taken: past it, or NULL to leave it. */
static const char *take_value(struct parse_ctx *pc, enum key k, const char *p,
			      const char *end)
{
	struct fw_rec *rec = pc->rec;
	uint64_t u;

	if (num_keys[k].width)
		return take_num(rec, &num_keys[k], p, end);
	switch (k) {
	case K_V:
		p = pair_uint(p, end, &u);
		if (!p || u < FW_JSON_VERSION_OLDEST || u > FW_JSON_VERSION)
			return NULL;
		pc->version = rec->version = u;
		return p;
	case K_FAMILY:
		p = pair_uint(p, end, &u);
		if (!p || (u != 4 && u != 6))
			return NULL;
		rec->family = (uint8_t)u;
		return p;
	default:
		break;
	}
	if (p < end && *p == '"')
		return take_text(pc, k, p, end);
	return take_flag(pc, k, p, end);
}

/* BIT() of each key below 64, 0 for the others. */
static uint64_t key_bit[K_MAX];

static void key_bits_init(void)
{
	for (unsigned int k = 1; k < K_MAX && k < 64; k++)
		key_bit[k] = BIT(k);
}

/*
 * The key at q when the prediction missed: a plain name in quotes, then
 * a colon; *n is its length with both. K_UNKNOWN for anything else (an
 * escape, a name we do not know), which the slow path reads.
 */
static enum key read_key(const char *q, const char *end, size_t *n)
{
	const char *s, *e;
	size_t room;

	if (q >= end || *q != '"')
		return K_UNKNOWN;
	s = q + 1;
	room = (size_t)(end - s);
	/* no key is longer than 32 bytes */
	e = memchr(s, '"', room < 34 ? room : 34);
	if (!e || end - e < 2 || e[1] != ':' ||
	    memchr(s, '\\', (size_t)(e - s)))
		return K_UNKNOWN;
	*n = (size_t)(e - q) + 2;
	return fw_rec_key_lookup(s, (size_t)(e - s));
}

/*
 * The key at q in the compact form, "\"key\":": the predicted one when
 * it is there (no scan, no lookup), else whichever it is, learned as the
 * new prediction as the slow path learns it. K_UNKNOWN when none.
 */
static enum key next_pair_key(unsigned char *next, enum key prev, const char *q,
			      const char *end, size_t *n)
{
	enum key k = (enum key)next[prev];

	*n = fw_rec_quoted_len[k];
	/* K_UNKNOWN's length is 0: never taken */
	if (*n && (size_t)(end - q) >= *n &&
	    fwj_same_bytes(q, fw_rec_quoted_keys[k], *n))
		return k;
	k = read_key(q, end, n);
	if (k != K_UNKNOWN)
		next[prev] = (unsigned char)k;
	return k;
}

/*
 * Pairs for as long as each is a known key in the compact form
 * (",\"key\":" or, first, "\"key\":") with a value taken by its type;
 * also the closing brace when nothing follows it. Returns the last key
 * taken, prev if none.
 */
static enum key fast_pairs(struct parse_ctx *pc, struct fwj_parser *jp,
			   enum key prev)
{
	const char *p = jp->p, *end = jp->end, *q;
	bool first = jp->state == FWJ_ST_FIRST;
	uint64_t seen = pc->seen;

	if (jp->state == FWJ_ST_DONE)
		return prev;
	for (;;) {
		unsigned char *next = fw_rec_next_key[pc->rec->type];
		enum key k;
		size_t n;

		q = p + !first;
		if (!first && (p >= end || *p != ','))
			break;
		k = next_pair_key(next, prev, q, end, &n);
		if (k == K_UNKNOWN)
			break;
		q = take_value(pc, k, q + n, end);
		if (!q)
			break;
		p = q;
		first = false;
		seen |= key_bit[k];
		prev = k;
	}
	if (!first) {
		jp->state = FWJ_ST_MORE;
		/* what fwj_next() does at the end of a compact line */
		if (end - p == 1 && *p == '}') {
			jp->state = FWJ_ST_DONE;
			p++;
		}
	}
	jp->p = p;
	pc->seen = seen;
	return prev;
}

/* One line, its pairs taken by fast_pairs() first when fast is set. */
static int parse_line(const char *line, size_t len, struct fw_rec *rec,
		      bool fast)
{
	struct parse_ctx pc = { .rec = rec, .line = line, .len = len };
	struct fwj_parser jp;
	enum key k, prev = K_START;
	int r;

	if (!key_bit[1]) {
		fw_rec_tables_init();
		key_bits_init();
	}
	fw_rec_reset(rec);
	if (fwj_begin(&jp, line, len) < 0)
		return fw_rec_bad(rec, "%s", jp.err);
	for (;;) {
		if (fast)
			prev = fast_pairs(&pc, &jp, prev);
		r = fw_rec_slow_pair(&pc, &jp, prev, &k);
		if (r <= 0) {
			if (r < 0)
				return -1;
			break;
		}
		prev = k;
	}
	return fw_rec_finish(&pc);
}

int fw_rec_parse(const char *line, size_t len, struct fw_rec *rec)
{
	return parse_line(line, len, rec, true);
}

int fw_rec_parse_general(const char *line, size_t len, struct fw_rec *rec)
{
	return parse_line(line, len, rec, false);
}
