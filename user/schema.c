// SPDX-License-Identifier: GPL-2.0
/*
 * The schema's names, texts and escapes. Every record passes through here
 * twice (written, then read), so the hot parts append by hand: a
 * vsnprintf per key costs several times the whole line.
 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <string.h>

#include "schema.h"

/* The schema spells the kernel's numbers; libc knows them too. */
#define KERNEL_STATE(name)                                                     \
	_Static_assert((int)FW_TCP_##name == (int)TCP_##name, "TCP_" #name)
KERNEL_STATE(ESTABLISHED);
KERNEL_STATE(SYN_SENT);
KERNEL_STATE(SYN_RECV);
KERNEL_STATE(FIN_WAIT1);
KERNEL_STATE(FIN_WAIT2);
KERNEL_STATE(TIME_WAIT);
KERNEL_STATE(CLOSE);
KERNEL_STATE(CLOSE_WAIT);
KERNEL_STATE(LAST_ACK);
KERNEL_STATE(LISTEN);
KERNEL_STATE(CLOSING);
_Static_assert(FW_TCPF_FIN == TH_FIN && FW_TCPF_SYN == TH_SYN &&
		       FW_TCPF_RST == TH_RST && FW_TCPF_PSH == TH_PUSH &&
		       FW_TCPF_ACK == TH_ACK,
	       "TCP header flags");

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct name {
	const char *s;
	unsigned char len;
};

#define NAME(str) .s = str, .len = sizeof(str) - 1

static const struct name type_names[FW_REC_TYPE_COUNT] = {
	[FW_REC_STATE] = { NAME("state") },
	[FW_REC_CLOSE] = { NAME("close") },
	[FW_REC_RESET_SENT] = { NAME("reset_sent") },
	[FW_REC_RESET_RECEIVED] = { NAME("reset_received") },
	[FW_REC_RETRANSMIT] = { NAME("retransmit") },
	[FW_REC_SNAPSHOT] = { NAME("snapshot") },
	[FW_REC_DROP] = { NAME("drop") },
	[FW_REC_LOST] = { NAME("lost") },
	[FW_REC_START] = { NAME("start") },
	[FW_REC_STOP] = { NAME("stop") },
	[FW_REC_SNAPSHOT_END] = { NAME("snapshot_end") },
	[FW_REC_TICK] = { NAME("tick") },
	[FW_REC_NETNS] = { NAME("netns") },
};

static const char *const fact_keys[FW_FACT_COUNT] = {
	[FW_FACT_CT_MAX] = "ct_max",
	[FW_FACT_CT_COUNT] = "ct_count",
	[FW_FACT_CT_TCP_ESTABLISHED] = "ct_tcp_timeout_established",
	[FW_FACT_CT_TCP_SYN_SENT] = "ct_tcp_timeout_syn_sent",
	[FW_FACT_CT_TCP_SYN_RECV] = "ct_tcp_timeout_syn_recv",
	[FW_FACT_CT_TCP_FIN_WAIT] = "ct_tcp_timeout_fin_wait",
	[FW_FACT_CT_TCP_CLOSE_WAIT] = "ct_tcp_timeout_close_wait",
	[FW_FACT_CT_TCP_LAST_ACK] = "ct_tcp_timeout_last_ack",
	[FW_FACT_CT_TCP_TIME_WAIT] = "ct_tcp_timeout_time_wait",
	[FW_FACT_CT_TCP_CLOSE] = "ct_tcp_timeout_close",
	[FW_FACT_CT_TCP_UNACKNOWLEDGED] = "ct_tcp_timeout_unacknowledged",
	[FW_FACT_CT_TCP_LOOSE] = "ct_tcp_loose",
	[FW_FACT_CT_TCP_BE_LIBERAL] = "ct_tcp_be_liberal",
	[FW_FACT_TCP_KEEPALIVE_TIME] = "tcp_keepalive_time",
	[FW_FACT_TCP_KEEPALIVE_INTVL] = "tcp_keepalive_intvl",
	[FW_FACT_TCP_KEEPALIVE_PROBES] = "tcp_keepalive_probes",
	[FW_FACT_TCP_ORPHAN_RETRIES] = "tcp_orphan_retries",
	[FW_FACT_TCP_RETRIES2] = "tcp_retries2",
	[FW_FACT_TCP_FIN_TIMEOUT] = "tcp_fin_timeout",
};

const char *fw_netns_fact_key(unsigned int f)
{
	return f < FW_FACT_COUNT ? fact_keys[f] : "?";
}

static const struct name state_names[FW_TCP_MAX_STATES] = {
	[FW_TCP_ESTABLISHED] = { NAME("ESTABLISHED") },
	[FW_TCP_SYN_SENT] = { NAME("SYN_SENT") },
	[FW_TCP_SYN_RECV] = { NAME("SYN_RECV") },
	[FW_TCP_FIN_WAIT1] = { NAME("FIN_WAIT1") },
	[FW_TCP_FIN_WAIT2] = { NAME("FIN_WAIT2") },
	[FW_TCP_TIME_WAIT] = { NAME("TIME_WAIT") },
	[FW_TCP_CLOSE] = { NAME("CLOSE") },
	[FW_TCP_CLOSE_WAIT] = { NAME("CLOSE_WAIT") },
	[FW_TCP_LAST_ACK] = { NAME("LAST_ACK") },
	[FW_TCP_LISTEN] = { NAME("LISTEN") },
	[FW_TCP_CLOSING] = { NAME("CLOSING") },
	[FW_TCP_NEW_SYN_RECV] = { NAME("NEW_SYN_RECV") },
	[FW_TCP_BOUND_INACTIVE] = { NAME("BOUND_INACTIVE") },
};

/*
 * Index 0 is never a name. The reader looks up a type and two states on
 * every line: comparing lengths first leaves about one memcmp.
 */
static unsigned int name_find(const struct name *names, unsigned int count,
			      const char *s, size_t len)
{
	for (unsigned int i = 1; i < count; i++)
		if (names[i].len == len && !memcmp(names[i].s, s, len))
			return i;
	return 0;
}

const char *fw_rec_type_name(unsigned int type)
{
	if (type < FW_REC_TYPE_COUNT && type_names[type].s)
		return type_names[type].s;
	return "unknown";
}

enum fw_rec_type fw_rec_type_lookup(const char *s, size_t len)
{
	return (enum fw_rec_type)name_find(type_names, FW_REC_TYPE_COUNT, s,
					   len);
}

const char *fw_state_name(unsigned int state)
{
	if (state < FW_TCP_MAX_STATES && state_names[state].s)
		return state_names[state].s;
	return "UNKNOWN";
}

unsigned int fw_state_lookup(const char *s, size_t len)
{
	return name_find(state_names, FW_TCP_MAX_STATES, s, len);
}

/* In the order the text lists them. */
static const struct {
	unsigned int bit;
	struct name name;
} flag_names[] = {
	{ FW_TCPF_SYN, { NAME("SYN") } }, { FW_TCPF_FIN, { NAME("FIN") } },
	{ FW_TCPF_RST, { NAME("RST") } }, { FW_TCPF_PSH, { NAME("PSH") } },
	{ FW_TCPF_ACK, { NAME("ACK") } },
};

const char *fw_tcp_flags_str(unsigned int flags, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return buf;
	for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++) {
		size_t n = flag_names[i].name.len + (used ? 1 : 0);

		if (!(flags & flag_names[i].bit))
			continue;
		if (used + n >= len)
			break;
		if (used)
			buf[used++] = '|';
		memcpy(buf + used, flag_names[i].name.s,
		       flag_names[i].name.len);
		used += flag_names[i].name.len;
	}
	buf[used] = '\0';
	return buf;
}

static unsigned int flag_bit(const char *s, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++)
		if (flag_names[i].name.len == len &&
		    !memcmp(flag_names[i].name.s, s, len))
			return flag_names[i].bit;
	return 0;
}

unsigned int fw_tcp_flags_parse(const char *s, size_t len)
{
	unsigned int bits = 0;
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '|')
			continue;
		bits |= flag_bit(s + start, i - start);
		start = i + 1;
	}
	return bits;
}

/* Two digits at a time: most numbers in a record have several. */
static const char digit_pairs[201] = "00010203040506070809"
				     "10111213141516171819"
				     "20212223242526272829"
				     "30313233343536373839"
				     "40414243444546474849"
				     "50515253545556575859"
				     "60616263646566676869"
				     "70717273747576777879"
				     "80818283848586878889"
				     "90919293949596979899";

/* @v in decimal at the end of @tmp (20 bytes); returns where it starts. */
static char *u64_digits(char *end, uint64_t v)
{
	char *p = end;

	while (v >= 100) {
		unsigned int r = (unsigned int)(v % 100);

		v /= 100;
		p -= 2;
		memcpy(p, digit_pairs + 2 * r, 2);
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * v, 2);
	} else {
		*--p = (char)('0' + v);
	}
	return p;
}

static char *put_u8_dec(char *p, unsigned int v)
{
	char tmp[3], *d = u64_digits(tmp + 3, v);
	size_t n = (size_t)(tmp + 3 - d);

	memcpy(p, d, n);
	return p + n;
}

/* A dotted quad by hand: glibc's inet_ntop goes through sprintf. */
static size_t format_ipv4(char *out, const uint8_t *a)
{
	char *p = out;

	for (int i = 0; i < 4; i++) {
		p = put_u8_dec(p, a[i]);
		*p++ = '.';
	}
	p[-1] = '\0';
	return (size_t)(p - 1 - out);
}

const char *fw_addr_str(unsigned int family, const uint8_t *addr, char *buf,
			size_t len)
{
	if (family != 6 && len >= 16) {
		format_ipv4(buf, addr);
		return buf;
	}
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf,
		       (socklen_t)len) &&
	    len >= 2)
		memcpy(buf, "?", 2);
	return buf;
}

void fw_format_endpoint(char *out, size_t outsz, uint8_t family,
			const uint8_t *addr, uint16_t port)
{
	char buf[FW_ADDR_STRLEN + 10], tmp[20], *p = buf, *d;
	size_t n;

	if (!outsz)
		return;
	if (family == 6)
		*p++ = '[';
	fw_addr_str(family, addr, p, FW_ADDR_STRLEN);
	p += strlen(p);
	if (family == 6)
		*p++ = ']';
	*p++ = ':';
	d = u64_digits(tmp + sizeof(tmp), port);
	n = (size_t)(tmp + sizeof(tmp) - d);
	memcpy(p, d, n);
	p += n;
	n = (size_t)(p - buf) < outsz ? (size_t)(p - buf) : outsz - 1;
	memcpy(out, buf, n);
	out[n] = '\0';
}

bool fw_addr_is_v4_mapped(const uint8_t *addr)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(addr, prefix, sizeof(prefix));
}

void fw_addr_unmap_v4(uint8_t *addr)
{
	memmove(addr, addr + 12, 4);
	memset(addr + 4, 0, 12);
}

size_t fw_utf8_len(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned int c = s[0], lo = 0x80, hi = 0xbf;
	size_t more;

	*bad = 1;
	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	more = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
	/* the second byte's range rules out overlong forms, surrogates
	 * (ED A0..BF) and code points beyond U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i <= more; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return more + 1;
}

enum esc { ESC_NONE, ESC_BACKSLASH, ESC_HEX, ESC_UTF8 };

static const unsigned char esc_class[256] = {
	[0 ... 0x1f] = ESC_HEX,	    ['"'] = ESC_BACKSLASH,
	['\\'] = ESC_BACKSLASH,	    [0x7f] = ESC_HEX,
	[0x80 ... 0xff] = ESC_UTF8,
};

static const char hex_digits[16] = "0123456789abcdef";
static const char replacement[3] = { '\xef', '\xbf', '\xbd' }; /* U+FFFD */

/* What stands for the character at @u: its escape or its own bytes. */
static size_t escape_char(const unsigned char *u, size_t left, char *tmp,
			  const char **src, size_t *in)
{
	size_t bad;

	*in = 1;
	*src = tmp;
	switch (esc_class[u[0]]) {
	case ESC_BACKSLASH:
		tmp[0] = '\\';
		tmp[1] = (char)u[0];
		return 2;
	case ESC_HEX:
		memcpy(tmp, "\\u00", 4);
		tmp[4] = hex_digits[u[0] >> 4];
		tmp[5] = hex_digits[u[0] & 15];
		return 6;
	case ESC_UTF8:
		*in = fw_utf8_len(u, left, &bad);
		if (*in) {
			*src = (const char *)u;
			return *in;
		}
		*in = bad;
		*src = replacement;
		return sizeof(replacement);
	default:
		*src = (const char *)u;
		return 1;
	}
}

size_t fw_json_escape(char *out, size_t outsz, const char *s, size_t len,
		      size_t *used)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0;

	while (i < len) {
		char tmp[6];
		const char *src;
		size_t in, n;
		size_t run = i;

		/* runs of plain bytes, the common case, go in one copy */
		while (run < len && esc_class[u[run]] == ESC_NONE)
			run++;
		n = run - i < outsz - o ? run - i : outsz - o;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
		if (i == len || i < run)
			break;
		n = escape_char(u + i, len - i, tmp, &src, &in);
		if (n > outsz - o)
			break;
		memcpy(out + o, src, n);
		o += n;
		i += in;
	}
	*used = i;
	return o;
}

static size_t put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long fw_hex4(const char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* Decodes one \uXXXX (or a surrogate pair) at @s; returns the bytes it
 * took, 0 if it is no escape. */
static size_t decode_u(const char *s, size_t left, unsigned int *cp)
{
	long hi, lo;

	if (left < 6 || (hi = fw_hex4(s + 2)) < 0)
		return 0;
	if (hi >= 0xd800 && hi <= 0xdbff && left >= 12 && s[6] == '\\' &&
	    s[7] == 'u') {
		lo = fw_hex4(s + 8);
		if (lo >= 0xdc00 && lo <= 0xdfff) {
			*cp = 0x10000 + ((unsigned int)(hi - 0xd800) << 10) +
			      (unsigned int)(lo - 0xdc00);
			return 12;
		}
	}
	/* a lone surrogate cannot be encoded: replace it */
	*cp = (hi >= 0xd800 && hi <= 0xdfff) ? 0xfffd : (unsigned int)hi;
	return 6;
}

static int unescape_char(char c)
{
	switch (c) {
	case '"':
	case '\\':
	case '/':
		return c;
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	default:
		return -1;
	}
}

/* Bytes of the raw (unescaped) character at @s, kept whole. */
static size_t raw_char_len(const char *s, size_t left)
{
	unsigned char lead = (unsigned char)s[0];
	size_t n = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;

	return n < left ? n : left;
}

/* The character at @s decoded into @tmp; 0 for an invalid escape. */
static size_t unescape_one(const char *s, size_t left, char *tmp, size_t *n)
{
	unsigned int cp;
	size_t used;
	int c;

	if (s[0] != '\\') {
		*n = raw_char_len(s, left);
		memcpy(tmp, s, *n);
		return *n;
	}
	if (left >= 2 && s[1] == 'u') {
		used = decode_u(s, left, &cp);
		if (used)
			*n = put_utf8(tmp, cp);
		return used;
	}
	if (left < 2 || (c = unescape_char(s[1])) < 0)
		return 0;
	tmp[0] = (char)c;
	*n = 1;
	return 2;
}

long fw_json_unescape(const char *s, size_t len, char *out, size_t outsz)
{
	size_t i = 0, o = 0;

	if (!outsz)
		return -1;
	while (i < len) {
		char tmp[4];
		size_t n = 0, used = unescape_one(s + i, len - i, tmp, &n);

		if (!used)
			return -1;
		/* cut before a whole character that does not fit */
		if (o + n >= outsz)
			break;
		memcpy(out + o, tmp, n);
		o += n;
		i += used;
	}
	out[o] = '\0';
	return (long)o;
}

void fw_jb_init(struct fw_jbuf *b, char *buf, size_t size)
{
	b->buf = buf;
	b->size = size;
	b->len = 0;
	b->comma = false;
	b->cut = !size;
	if (size)
		buf[0] = '\0';
}

/* One character, after a ',' if a value is due one. */
static void put_value_char(struct fw_jbuf *b, char c)
{
	if (!fw_jb_room(b, 2))
		return;
	if (b->comma)
		b->buf[b->len++] = ',';
	b->buf[b->len++] = c;
}

void fw_jb_object_begin(struct fw_jbuf *b)
{
	put_value_char(b, '{');
	b->comma = false;
}

void fw_jb_array_begin(struct fw_jbuf *b)
{
	put_value_char(b, '[');
	b->comma = false;
}

static void put_close(struct fw_jbuf *b, char c)
{
	if (fw_jb_room(b, 1))
		b->buf[b->len++] = c;
	b->comma = true;
}

void fw_jb_object_end(struct fw_jbuf *b)
{
	put_close(b, '}');
}

void fw_jb_array_end(struct fw_jbuf *b)
{
	put_close(b, ']');
}

/* A value's text, after a ',' if one is due. */
static void put_value(struct fw_jbuf *b, const char *s, size_t n)
{
	char *p;

	if (!fw_jb_room(b, n + 1))
		return;
	p = b->buf + b->len;
	if (b->comma)
		*p++ = ',';
	memcpy(p, s, n);
	b->len = (size_t)(p + n - b->buf);
	b->comma = true;
}

void fw_jb_u64(struct fw_jbuf *b, uint64_t v)
{
	char tmp[20], *d = u64_digits(tmp + sizeof(tmp), v);

	put_value(b, d, (size_t)(tmp + sizeof(tmp) - d));
}

void fw_jb_i64(struct fw_jbuf *b, int64_t v)
{
	char tmp[21], *d;

	/* 0 - v as unsigned: INT64_MIN has no positive twin */
	d = u64_digits(tmp + sizeof(tmp),
		       v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
	if (v < 0)
		*--d = '-';
	put_value(b, d, (size_t)(tmp + sizeof(tmp) - d));
}

void fw_jb_bool(struct fw_jbuf *b, bool v)
{
	if (v)
		put_value(b, "true", 4);
	else
		put_value(b, "false", 5);
}

void fw_jb_null(struct fw_jbuf *b)
{
	put_value(b, "null", 4);
}

void fw_jb_str(struct fw_jbuf *b, const char *s, size_t max)
{
	size_t start = b->len, n = strnlen(s, max), used;

	/* the comma, both quotes and the NUL */
	if (!fw_jb_room(b, 3))
		return;
	if (b->comma)
		b->buf[b->len++] = ',';
	b->buf[b->len++] = '"';
	b->len += fw_json_escape(b->buf + b->len, b->size - b->len - 2, s, n,
				 &used);
	if (used < n) {
		b->len = start;
		b->cut = true;
		return;
	}
	b->buf[b->len++] = '"';
	b->comma = true;
}

size_t fw_jb_line_end(struct fw_jbuf *b)
{
	if (fw_jb_room(b, 1))
		b->buf[b->len++] = '\n';
	if (b->size)
		b->buf[b->len] = '\0';
	return b->len;
}
