/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The JSON Lines schema (docs/SCHEMA.md), defined once for the writer
 * (user/output.c), the reader (user/correlate/record.c) and the report:
 * record types, TCP state and flag names, the "unknown" sentinel, address
 * and endpoint text, JSON string escaping and unescaping, and a line
 * builder. Pure C over libc: no kernel or libbpf header.
 */
#ifndef FW_SCHEMA_H
#define FW_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The "v" of every record the tracer writes; readers take 1 and 2. */
#define FW_JSON_VERSION	       2
#define FW_JSON_VERSION_OLDEST 1

/* Every optional numeric field in userspace: the value is not known. */
#define FW_UNKNOWN UINT64_MAX

/* Record types, one numbering for the writer and the reader. */
enum fw_rec_type {
	FW_REC_UNKNOWN = 0, /* a type this reader does not know: ignored */
	FW_REC_STATE,
	FW_REC_CLOSE,
	FW_REC_RESET_SENT,
	FW_REC_RESET_RECEIVED,
	FW_REC_RETRANSMIT,
	FW_REC_SNAPSHOT,
	FW_REC_DROP,
	FW_REC_LOST,
	FW_REC_START,
	FW_REC_STOP,
	FW_REC_SNAPSHOT_END,
	FW_REC_TICK,
	FW_REC_NETNS,
	FW_REC_TYPE_COUNT,
};

/*
 * The settings of a network namespace a tracer writes (its start
 * record's netns_facts, netns records): sysctls, in seconds where a
 * time. Their JSON keys are fw_netns_fact_key()'s.
 */
enum fw_netns_fact {
	FW_FACT_CT_MAX,		    /* nf_conntrack_max: conntrack loaded */
	FW_FACT_CT_COUNT,	    /* nf_conntrack_count */
	FW_FACT_CT_TCP_ESTABLISHED, /* nf_conntrack_tcp_timeout_* (s) */
	FW_FACT_CT_TCP_SYN_SENT,
	FW_FACT_CT_TCP_SYN_RECV,
	FW_FACT_CT_TCP_FIN_WAIT,
	FW_FACT_CT_TCP_CLOSE_WAIT,
	FW_FACT_CT_TCP_LAST_ACK,
	FW_FACT_CT_TCP_TIME_WAIT,
	FW_FACT_CT_TCP_CLOSE,
	FW_FACT_CT_TCP_UNACKNOWLEDGED,
	FW_FACT_CT_TCP_LOOSE,
	FW_FACT_CT_TCP_BE_LIBERAL,
	FW_FACT_TCP_KEEPALIVE_TIME, /* net.ipv4.tcp_keepalive_* (s) */
	FW_FACT_TCP_KEEPALIVE_INTVL,
	FW_FACT_TCP_KEEPALIVE_PROBES,
	FW_FACT_TCP_ORPHAN_RETRIES,
	FW_FACT_TCP_RETRIES2,
	FW_FACT_TCP_FIN_TIMEOUT,
	FW_FACT_COUNT,
};

/* The JSON key of a fact ("ct_tcp_timeout_established", ...); "?". */
const char *fw_netns_fact_key(unsigned int f);

/* The records about one socket, which carry its connection keys. */
static inline bool fw_rec_is_conn(enum fw_rec_type t)
{
	return t >= FW_REC_STATE && t <= FW_REC_DROP;
}

/* "state", "reset_sent", ...; "unknown" for a number that is none. */
const char *fw_rec_type_name(unsigned int type);
/* The type named by the @len bytes at @s, or FW_REC_UNKNOWN. */
enum fw_rec_type fw_rec_type_lookup(const char *s, size_t len);

/*
 * TCP states as the kernel numbers them (include/net/tcp_states.h). A
 * socket entering TIME_WAIT is reported as such, although the kernel moves
 * it to CLOSE (its time-wait mini socket replaces it).
 */
enum fw_tcp_state {
	FW_TCP_ESTABLISHED = 1,
	FW_TCP_SYN_SENT,
	FW_TCP_SYN_RECV,
	FW_TCP_FIN_WAIT1,
	FW_TCP_FIN_WAIT2,
	FW_TCP_TIME_WAIT,
	FW_TCP_CLOSE,
	FW_TCP_CLOSE_WAIT,
	FW_TCP_LAST_ACK,
	FW_TCP_LISTEN,
	FW_TCP_CLOSING,
	FW_TCP_NEW_SYN_RECV,
	FW_TCP_BOUND_INACTIVE,
	FW_TCP_MAX_STATES,
};

/* "ESTABLISHED", "FIN_WAIT1", ... (the kernel's names without TCP_);
 * "UNKNOWN" for a number that is none. */
const char *fw_state_name(unsigned int state);
/* The state named by the @len bytes at @s, or 0 when none is. */
unsigned int fw_state_lookup(const char *s, size_t len);

/* TCP header flag bits, as on the wire and in fw_event.tcp_flags. */
#define FW_TCPF_FIN 0x01
#define FW_TCPF_SYN 0x02
#define FW_TCPF_RST 0x04
#define FW_TCPF_PSH 0x08
#define FW_TCPF_ACK 0x10
/* The segments that open or close a connection. */
#define FW_TCPF_CONTROL (FW_TCPF_FIN | FW_TCPF_SYN | FW_TCPF_RST)

/* Room for the longest flags text, "SYN|FIN|RST|PSH|ACK". */
#define FW_TCP_FLAGS_STRLEN 20
/* "FIN|ACK" and the like, "" for none; @buf needs FW_TCP_FLAGS_STRLEN. */
const char *fw_tcp_flags_str(unsigned int flags, char *buf, size_t len);
/* The bits of a text fw_tcp_flags_str() wrote; names it does not know
 * (a newer writer's) count for nothing. */
unsigned int fw_tcp_flags_parse(const char *s, size_t len);

/* Room for an address text (INET6_ADDRSTRLEN) and for an endpoint. */
#define FW_ADDR_STRLEN	   46
#define FW_ENDPOINT_STRLEN 64
/* The address as text (RFC 5952 for IPv6), "?" if it has none;
 * @family is 4 or 6, @buf needs FW_ADDR_STRLEN bytes. */
const char *fw_addr_str(unsigned int family, const uint8_t *addr, char *buf,
			size_t len);
/* "ip:port" or "[ip6]:port" into @out (FW_ENDPOINT_STRLEN bytes). */
void fw_format_endpoint(char *out, size_t outsz, uint8_t family,
			const uint8_t *addr, uint16_t port);
/* Whether @addr (16 bytes) is IPv4-mapped IPv6, ::ffff:a.b.c.d. */
bool fw_addr_is_v4_mapped(const uint8_t *addr);
/* ::ffff:a.b.c.d -> a.b.c.d in the first 4 bytes, the rest zeroed. */
void fw_addr_unmap_v4(uint8_t *addr);

/*
 * The escaped text of the @len bytes at @s, without quotes, into @out:
 * valid UTF-8 as it is, '"' and '\\' behind a backslash, control
 * characters (below 0x20, and 0x7f) as \u00XX, and each maximal invalid
 * UTF-8 subpart as U+FFFD. Writes only whole characters that fit in
 * @outsz bytes (6 bytes always take one) and no NUL. Returns the bytes
 * written; *@used says how many of @s they stand for.
 */
size_t fw_json_escape(char *out, size_t outsz, const char *s, size_t len,
		      size_t *used);
/*
 * Decodes the escapes of a JSON string's text (between its quotes) into
 * @out, NUL terminated, at most @outsz - 1 bytes; longer text is cut at a
 * character boundary. A lone surrogate becomes U+FFFD. Returns the length
 * written, or -1 on an invalid escape.
 */
long fw_json_unescape(const char *s, size_t len, char *out, size_t outsz);
/* The value of the 4 hex digits at @s (of a \uXXXX), or -1. */
long fw_hex4(const char *s);
/*
 * The length of the valid UTF-8 sequence at @s (at most @n bytes), or 0
 * when there is none, with *@bad the length of its maximal invalid
 * subpart (at least 1), which stands for one U+FFFD.
 */
size_t fw_utf8_len(const unsigned char *s, size_t n, size_t *bad);

/*
 * A JSON line built by appending, with no printf: the commas between
 * members and elements are its own. Whatever does not fit is left out
 * whole (cut is set) and the buffer is never written past its end; a
 * caller that sizes the buffer for its longest record never sees that.
 * Keys are written as given: plain ASCII, nothing to escape.
 */
struct fw_jbuf {
	char *buf;
	size_t size; /* of buf; the last byte is for the NUL */
	size_t len;
	bool comma; /* the next member or element needs a ',' first */
	bool cut;
};

void fw_jb_init(struct fw_jbuf *b, char *buf, size_t size);
void fw_jb_object_begin(struct fw_jbuf *b);
void fw_jb_object_end(struct fw_jbuf *b);
void fw_jb_array_begin(struct fw_jbuf *b);
void fw_jb_array_end(struct fw_jbuf *b);
void fw_jb_u64(struct fw_jbuf *b, uint64_t v);
void fw_jb_i64(struct fw_jbuf *b, int64_t v);
void fw_jb_bool(struct fw_jbuf *b, bool v);
void fw_jb_null(struct fw_jbuf *b);
/* A string of at most @max bytes (up to a NUL), escaped. */
void fw_jb_str(struct fw_jbuf *b, const char *s, size_t max);
/* Ends the line with '\n' and a NUL; returns its length (without NUL). */
size_t fw_jb_line_end(struct fw_jbuf *b);

/* @n bytes fit, with the NUL after them; else nothing more goes in. */
static inline bool fw_jb_room(struct fw_jbuf *b, size_t n)
{
	if (b->cut || n >= b->size - b->len) {
		b->cut = true;
		return false;
	}
	return true;
}

/* "key": after a ',' if one is due. Inline, so that a literal key's
 * length is a constant. */
static inline void fw_jb_key(struct fw_jbuf *b, const char *key)
{
	size_t n = strlen(key);
	char *p;

	if (!fw_jb_room(b, n + 4))
		return;
	p = b->buf + b->len;
	if (b->comma)
		*p++ = ',';
	*p++ = '"';
	memcpy(p, key, n);
	p += n;
	*p++ = '"';
	*p++ = ':';
	b->len = (size_t)(p - b->buf);
	b->comma = false;
}

static inline void fw_jb_key_u64(struct fw_jbuf *b, const char *key, uint64_t v)
{
	fw_jb_key(b, key);
	fw_jb_u64(b, v);
}

static inline void fw_jb_key_str(struct fw_jbuf *b, const char *key,
				 const char *s)
{
	fw_jb_key(b, key);
	fw_jb_str(b, s, SIZE_MAX);
}

static inline void fw_jb_key_bool(struct fw_jbuf *b, const char *key, bool v)
{
	fw_jb_key(b, key);
	fw_jb_bool(b, v);
}

#endif
