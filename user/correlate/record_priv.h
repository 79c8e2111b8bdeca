/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the record parser's two halves share (record.c, record_fast.c):
 * the keys it knows, the prediction of the next key, and the state of one
 * line's parse. record_fast.c takes the pairs in the form the tracer
 * writes them; every other pair goes through the tokenizer and the
 * checks of record.c, which say what is wrong with a bad one.
 */
#ifndef FW_CORRELATE_RECORD_PRIV_H
#define FW_CORRELATE_RECORD_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "record.h"
#include "schema.h"

enum key {
	K_UNKNOWN,
	K_V,
	K_TYPE,
	K_TIME_NS,
	K_HOST,
	K_NETNS,
	K_SOCK,
	K_FAMILY,
	K_LADDR,
	K_RADDR,
	K_LPORT,
	K_RPORT,
	K_ROLE,
	K_OLDSTATE,
	K_NEWSTATE,
	K_STATE,
	K_PID,
	K_COMM,
	K_ISN_LOCAL,
	K_ISN_REMOTE,
	K_ACTIVE_OPEN,
	K_CLOSE_RETRANS,
	K_LAST_RECV_MS,
	K_LAST_SEND_MS,
	K_TCP_FLAGS,
	K_KEEPALIVE,
	K_COUNT,
	K_FROM_NS,
	K_MAPPED,
	K_CLOSE_DROPS,
	K_DIRECTION,
	K_REASON,
	K_SNAP,
	K_KEEPALIVE_IDLE_S,
	K_CT,
	K_CT_HOOKED,
	K_DROP_REASON_LAST,
	K_CT_LAST,
	K_NETNS_FACTS,
	/* the stream's v2 keys (docs/SCHEMA.md) */
	K_PATH,
	K_PATH_CUT,
	K_GAP,
	K_FINAL,
	K_SK_ERR,
	K_PROBES_OUT,
	K_RTO_RETRANS,
	K_TICK_MS,
	K_REOPEN,
	K_BOOT_ID,
	K_PINNED,
	K_REPAIR,
	K_SCOPE,
	/* keys the correlator does not use, named so the order predicts */
	K_BYTES_SENT,
	K_BYTES_RECEIVED,
	K_RETRANS,
	K_VIA,
	K_PORTS,
	K_TRANSPORT,
	K_VERSION,
	K_ATTACH,
	K_EVENTS,
	K_LOST,
	K_SOURCE,
	K_KEEPALIVE_INTVL_S,
	K_KEEPALIVE_CNT,
	K_USER_TIMEOUT_MS,
	K_SNDQ,
	K_RCVQ,
	K_STREAM,
	K_PROGRAM,
	K_LOST_BUFFER_FULL,
	K_LOST_RECURSION,
	K_LOST_UNPINNED,
	K_RECOVERED,
	K_MAX,
	K_START = K_MAX, /* prediction slot: the first key of a line */
};

#define BIT(k) (1ull << (k))

struct parse_ctx {
	struct fw_rec *rec;
	const char *line; /* the whole line, for a netns record's facts */
	size_t len;
	uint64_t seen; /* BIT() of the keys below 64 seen */
	uint64_t version;
	const char *laddr, *raddr; /* parsed once family is known */
	size_t laddr_len, raddr_len;
	bool netns_list;
};

/*
 * The key that followed each key last time in a record of each type
 * ([type][K_START]: the first key). Writers keep one order per type, so
 * the next key is nearly always this one and can be taken without
 * scanning or hashing. It only ever affects speed, never the result.
 */
extern unsigned char fw_rec_next_key[FW_REC_TYPE_COUNT][K_MAX + 1];
/* Each key as it comes in a line, "\"name\":"; K_UNKNOWN's is empty. */
extern char fw_rec_quoted_keys[K_MAX][24];
extern unsigned char fw_rec_quoted_len[K_MAX];

void fw_rec_tables_init(void);
/* The key named by s (len bytes, unescaped), K_UNKNOWN for any other. */
enum key fw_rec_key_lookup(const char *s, size_t len);
/* The fields a record may leave unset, cleared. */
void fw_rec_reset(struct fw_rec *rec);
/*
 * The next pair through the tokenizer and the checks: 1 with *k (the
 * prediction learned), 0 at the end of the object, -1 for a bad line
 * (rec->why).
 */
int fw_rec_slow_pair(struct parse_ctx *pc, struct fwj_parser *jp, enum key prev,
		     enum key *k);
/* After the last pair: what fw_rec_parse() returns. */
int fw_rec_finish(struct parse_ctx *pc);
int fw_rec_bad(struct fw_rec *rec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
