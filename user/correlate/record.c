// SPDX-License-Identifier: GPL-2.0
/*
 * From a JSON line to a struct fw_rec: key dispatch, type checks and the
 * per-record-type required keys. Unknown keys and record types are
 * ignored, as docs/SCHEMA.md asks of readers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "record_priv.h"

/* Bits of the keys seen, to check what each record type requires. */
#define REQ_ALL (BIT(K_V) | BIT(K_TYPE) | BIT(K_TIME_NS) | BIT(K_HOST))
#define REQ_CONN                                                               \
	(REQ_ALL | BIT(K_NETNS) | BIT(K_SOCK) | BIT(K_FAMILY) | BIT(K_LADDR) | \
	 BIT(K_RADDR) | BIT(K_LPORT) | BIT(K_RPORT))
#define REQ_LOST  (REQ_ALL | BIT(K_COUNT) | BIT(K_FROM_NS))
#define REQ_DROP  (REQ_CONN | BIT(K_TCP_FLAGS) | BIT(K_DIRECTION))
#define REQ_NETNS (REQ_ALL | BIT(K_NETNS))

/* Only the first 64 keys have a bit: every required one among them. */
_Static_assert(K_DIRECTION < 64 && K_FROM_NS < 64,
	       "every required key has a bit in the seen-keys mask");
_Static_assert(K_MAX < 128, "the name table holds 127 names");

static const char *const key_names[K_MAX] = {
	[K_V] = "v",
	[K_TYPE] = "type",
	[K_TIME_NS] = "time_ns",
	[K_HOST] = "host",
	[K_NETNS] = "netns",
	[K_SOCK] = "sock",
	[K_FAMILY] = "family",
	[K_LADDR] = "laddr",
	[K_RADDR] = "raddr",
	[K_LPORT] = "lport",
	[K_RPORT] = "rport",
	[K_ROLE] = "role",
	[K_OLDSTATE] = "oldstate",
	[K_NEWSTATE] = "newstate",
	[K_STATE] = "state",
	[K_PID] = "pid",
	[K_COMM] = "comm",
	[K_ISN_LOCAL] = "isn_local",
	[K_ISN_REMOTE] = "isn_remote",
	[K_ACTIVE_OPEN] = "active_open",
	[K_CLOSE_RETRANS] = "close_retrans",
	[K_LAST_RECV_MS] = "last_recv_ms",
	[K_LAST_SEND_MS] = "last_send_ms",
	[K_TCP_FLAGS] = "tcp_flags",
	[K_KEEPALIVE] = "keepalive",
	[K_COUNT] = "count",
	[K_FROM_NS] = "from_ns",
	[K_MAPPED] = "mapped",
	[K_CLOSE_DROPS] = "close_drops",
	[K_DIRECTION] = "direction",
	[K_REASON] = "reason",
	[K_KEEPALIVE_IDLE_S] = "keepalive_idle_s",
	[K_CT] = "ct",
	[K_CT_HOOKED] = "ct_hooked",
	[K_DROP_REASON_LAST] = "drop_reason_last",
	[K_CT_LAST] = "ct_last",
	[K_NETNS_FACTS] = "netns_facts",
	[K_PATH] = "path",
	[K_PATH_CUT] = "path_cut",
	[K_GAP] = "gap",
	[K_FINAL] = "final",
	[K_SK_ERR] = "sk_err",
	[K_PROBES_OUT] = "probes_out",
	[K_RTO_RETRANS] = "rto_retrans",
	[K_TICK_MS] = "tick_ms",
	[K_REOPEN] = "reopen",
	[K_BOOT_ID] = "boot_id",
	[K_PINNED] = "pinned",
	[K_REPAIR] = "repair",
	[K_SCOPE] = "scope",
	[K_STREAM] = "stream",
	[K_PROGRAM] = "program",
	[K_LOST_BUFFER_FULL] = "lost_buffer_full",
	[K_LOST_RECURSION] = "lost_recursion",
	[K_LOST_UNPINNED] = "lost_unpinned",
	[K_RECOVERED] = "recovered",
	[K_BYTES_SENT] = "bytes_sent",
	[K_BYTES_RECEIVED] = "bytes_received",
	[K_RETRANS] = "retrans",
	[K_VIA] = "via",
	[K_PORTS] = "ports",
	[K_TRANSPORT] = "transport",
	[K_VERSION] = "version",
	[K_ATTACH] = "attach",
	[K_EVENTS] = "events",
	[K_LOST] = "lost",
	[K_SNAP] = "snap",
	[K_SOURCE] = "source",
	[K_KEEPALIVE_INTVL_S] = "keepalive_intvl_s",
	[K_KEEPALIVE_CNT] = "keepalive_cnt",
	[K_USER_TIMEOUT_MS] = "user_timeout_ms",
	[K_SNDQ] = "sndq",
	[K_RCVQ] = "rcvq",
};

unsigned char fw_rec_next_key[FW_REC_TYPE_COUNT][K_MAX + 1];
char fw_rec_quoted_keys[K_MAX][24];
unsigned char fw_rec_quoted_len[K_MAX];

/*
 * Every line names some 25 keys: looking them up must cost next to
 * nothing. A name table hashes a name by its length and three of its
 * bytes into 256 slots (built once, linear probing) and confirms with a
 * short byte compare, not a libc call.
 */
struct name_table {
	const char *const *names; /* index 0 unused */
	unsigned int count;
	unsigned char len[128];
	unsigned char slot[256]; /* name index, 0 = empty */
};

static unsigned int name_hash(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	return (unsigned int)(len * 37 + u[0] * 7 + u[len / 2] * 3 +
			      u[len - 1]) &
	       255;
}

static void name_table_build(struct name_table *t)
{
	for (unsigned int i = 1; i < t->count; i++) {
		unsigned int h;

		if (!t->names[i])
			continue;
		t->len[i] = (unsigned char)strlen(t->names[i]);
		h = name_hash(t->names[i], t->len[i]);
		while (t->slot[h])
			h = (h + 1) & 255;
		t->slot[h] = (unsigned char)i;
	}
}

static unsigned int name_lookup(const struct name_table *t, const char *s,
				size_t len)
{
	if (!len || len > 32)
		return 0;
	for (unsigned int h = name_hash(s, len); t->slot[h];
	     h = (h + 1) & 255) {
		unsigned int i = t->slot[h];

		if (t->len[i] == len && fwj_same_bytes(t->names[i], s, len))
			return i;
	}
	return 0;
}

static struct name_table key_table = { key_names, K_MAX, { 0 }, { 0 } };

void fw_rec_tables_init(void)
{
	static bool ready;

	if (ready)
		return;
	name_table_build(&key_table);
	for (unsigned int k = 1; k < K_MAX; k++)
		fw_rec_quoted_len[k] = (unsigned char)snprintf(
			fw_rec_quoted_keys[k], sizeof(fw_rec_quoted_keys[k]),
			"\"%s\":", key_names[k]);
	ready = true;
}

enum key fw_rec_key_lookup(const char *s, size_t len)
{
	return (enum key)name_lookup(&key_table, s, len);
}

int fw_rec_bad(struct fw_rec *rec, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rec->why, sizeof(rec->why), fmt, ap);
	va_end(ap);
	return -1;
}

static int want_type(struct fw_rec *rec, enum key k, const struct fwj_value *v,
		     enum fwj_type t)
{
	static const char *const tn[] = {
		[FWJ_STRING] = "string",
		[FWJ_INT] = "integer",
		[FWJ_BOOL] = "boolean",
	};

	if (v->type == t)
		return 0;
	return fw_rec_bad(rec, "key \"%s\": expected %s", key_names[k], tn[t]);
}

static int want_uint(struct fw_rec *rec, enum key k, const struct fwj_value *v,
		     uint64_t max, uint64_t *out)
{
	if (v->type != FWJ_INT || v->negative)
		return fw_rec_bad(rec,
				  "key \"%s\": expected a non-negative integer",
				  key_names[k]);
	if (v->u > max)
		return fw_rec_bad(rec, "key \"%s\": %llu out of range",
				  key_names[k], (unsigned long long)v->u);
	*out = v->u;
	return 0;
}

static int take_string(struct fw_rec *rec, enum key k,
		       const struct fwj_value *v, char *out, size_t outsz)
{
	if (want_type(rec, k, v, FWJ_STRING) < 0)
		return -1;
	if (!v->escaped) {
		size_t n = v->len < outsz - 1 ? v->len : outsz - 1;

		/* do not cut a UTF-8 sequence in half */
		while (n < v->len && n &&
		       ((unsigned char)v->s[n] & 0xc0) == 0x80)
			n--;
		memcpy(out, v->s, n);
		out[n] = '\0';
		return (int)n;
	}
	if (fw_json_unescape(v->s, v->len, out, outsz) < 0)
		return fw_rec_bad(rec, "key \"%s\": bad escape", key_names[k]);
	return (int)strlen(out);
}

static int take_state(struct fw_rec *rec, enum key k, const struct fwj_value *v,
		      uint8_t *out)
{
	if (want_type(rec, k, v, FWJ_STRING) < 0)
		return -1;
	/* an unknown state name is not fatal: a newer kernel may add one */
	*out = (uint8_t)fw_state_lookup(v->s, v->len);
	return 0;
}

static int take_u32(struct fw_rec *rec, enum key k, const struct fwj_value *v,
		    uint32_t *out)
{
	uint64_t x = 0;

	if (want_uint(rec, k, v, UINT32_MAX, &x) < 0)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int take_u16(struct fw_rec *rec, enum key k, const struct fwj_value *v,
		    uint16_t *out)
{
	uint64_t x = 0;

	if (want_uint(rec, k, v, UINT16_MAX, &x) < 0)
		return -1;
	*out = (uint16_t)x;
	return 0;
}

static int take_bool(struct fw_rec *rec, enum key k, const struct fwj_value *v,
		     bool *out)
{
	if (want_type(rec, k, v, FWJ_BOOL) < 0)
		return -1;
	*out = v->b;
	return 0;
}

/*
 * The text of a "netns" array, [4026531840,4026532000]: the tokenizer has
 * checked it is valid JSON, so only its elements' type is left to check.
 */
static int take_netns_list(struct fw_rec *rec, const struct fwj_value *v)
{
	const char *p = v->s + 1, *end = v->s + v->len - 1;

	rec->has |= FW_HAS_NETNS_LIST;
	for (;;) {
		while (p < end && (*p == ' ' || *p == ',' || *p == '\t'))
			p++;
		if (p >= end)
			return 0;
		if (*p < '0' || *p > '9')
			return fw_rec_bad(rec,
					  "key \"netns\": expected integers");
		uint64_t x = 0;

		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (x > (UINT64_MAX - 9) / 10)
				return fw_rec_bad(
					rec, "key \"netns\": out of range");
			x = x * 10 + (uint64_t)(*p - '0');
		}
		if (rec->n_netns < FW_REC_NETNS_MAX)
			rec->netns_list[rec->n_netns++] = x;
		else
			rec->netns_more = true;
	}
}

/* ---- the stream's v2 keys ---- */

static int take_errno(struct fw_rec *rec, enum key k, const struct fwj_value *v)
{
	if (v->type == FWJ_INT)
		return take_u32(rec, k, v, &rec->sk_err);
	if (want_type(rec, k, v, FWJ_STRING) < 0)
		return -1;
	rec->sk_err = fw_errno_lookup(v->s, v->len);
	return 0;
}

static int take_v2_key(struct parse_ctx *pc, enum key k,
		       const struct fwj_value *v)
{
	struct fw_rec *rec = pc->rec;

	switch (k) {
	case K_PATH:
		if (v->type != FWJ_ARRAY)
			return fw_rec_bad(rec,
					  "key \"path\": expected an array");
		rec->has |= FW_HAS_PATH;
		return fw_rec_parse_path(v->s, v->len, rec);
	case K_PATH_CUT:
		return take_bool(rec, k, v, &rec->path_cut);
	case K_GAP:
		return want_uint(rec, k, v, UINT64_MAX, &rec->gap);
	case K_FINAL:
		return take_bool(rec, k, v, &rec->final);
	case K_SK_ERR:
		return take_errno(rec, k, v);
	case K_PROBES_OUT:
		rec->has |= FW_HAS_PROBES_OUT;
		return take_u32(rec, k, v, &rec->probes_out);
	case K_RTO_RETRANS:
		rec->has |= FW_HAS_RTO_RETRANS;
		return take_u32(rec, k, v, &rec->rto_retrans);
	case K_TICK_MS:
		rec->has |= FW_HAS_TICK_MS;
		return take_u32(rec, k, v, &rec->tick_ms);
	case K_REOPEN:
		return take_bool(rec, k, v, &rec->reopen);
	case K_BOOT_ID:
		rec->has |= FW_HAS_BOOT_ID;
		return take_string(rec, k, v, rec->boot_id,
				   sizeof(rec->boot_id)) < 0
			       ? -1
			       : 0;
	case K_PINNED:
		return take_bool(rec, k, v, &rec->pinned);
	case K_REPAIR:
		return take_bool(rec, k, v, &rec->repair);
	case K_SCOPE:
		if (want_type(rec, k, v, FWJ_STRING) < 0)
			return -1;
		rec->drops_only =
			v->len == 5 && fwj_same_bytes(v->s, "drops", 5);
		return 0;
	default:
		return 0;
	}
}

/* ---- the keys of host facts, conntrack views and keepalive ---- */

static int take_cause_key(struct parse_ctx *pc, enum key k,
			  const struct fwj_value *v)
{
	struct fw_rec *rec = pc->rec;

	switch (k) {
	case K_CT:
		if (want_type(rec, k, v, FWJ_STRING) < 0)
			return -1;
		rec->ct = (uint8_t)fw_ct_view(v->s, v->len);
		return 0;
	case K_CT_HOOKED:
		/* null: conntrack's hooks could not be read */
		if (v->type == FWJ_NULL)
			return 0;
		rec->has |= FW_HAS_CT_HOOKED;
		return take_bool(rec, k, v, &rec->ct_hooked);
	case K_DROP_REASON_LAST:
		return take_string(rec, k, v, rec->drop_reason_last,
				   sizeof(rec->drop_reason_last)) < 0
			       ? -1
			       : 0;
	case K_CT_LAST:
		return take_string(rec, k, v, rec->ct_last,
				   sizeof(rec->ct_last)) < 0
			       ? -1
			       : 0;
	case K_NETNS_FACTS:
		if (v->type != FWJ_ARRAY)
			return fw_rec_bad(
				rec, "key \"netns_facts\": expected an array");
		return fw_rec_parse_facts_list(rec, v->s, v->len);
	case K_ATTACH:
		if (v->type != FWJ_ARRAY)
			return fw_rec_bad(rec,
					  "key \"attach\": expected an array");
		rec->has |= FW_HAS_ATTACH;
		rec->attach_drops = memmem(v->s, v->len, "kfree_skb", 9);
		return 0;
	case K_KEEPALIVE_INTVL_S:
		return take_u32(rec, k, v, &rec->keepalive_intvl_s);
	case K_KEEPALIVE_CNT:
		rec->has |= FW_HAS_KA_SETTINGS;
		return take_u32(rec, k, v, &rec->keepalive_cnt);
	case K_USER_TIMEOUT_MS:
		return take_u32(rec, k, v, &rec->user_timeout_ms);
	default:
		return take_v2_key(pc, k, v);
	}
}

/* What a connection record says of its socket beyond its addresses. */
static int take_sock_key(struct parse_ctx *pc, enum key k,
			 const struct fwj_value *v)
{
	struct fw_rec *rec = pc->rec;

	switch (k) {
	case K_PID:
		rec->has |= FW_HAS_PID;
		return take_u32(rec, k, v, &rec->pid);
	case K_COMM:
		rec->has |= FW_HAS_COMM;
		return take_string(rec, k, v, rec->comm, sizeof(rec->comm)) < 0
			       ? -1
			       : 0;
	case K_ISN_LOCAL:
		return take_u32(rec, k, v, &rec->isn_local);
	case K_ISN_REMOTE:
		return take_u32(rec, k, v, &rec->isn_remote);
	case K_ACTIVE_OPEN:
		rec->has |= FW_HAS_ACTIVE_OPEN;
		return take_bool(rec, k, v, &rec->active_open);
	case K_CLOSE_RETRANS:
		rec->has |= FW_HAS_CLOSE_RETRANS;
		return take_u32(rec, k, v, &rec->close_retrans);
	case K_LAST_RECV_MS:
		rec->has |= FW_HAS_LAST_RECV;
		return take_u32(rec, k, v, &rec->last_recv_ms);
	case K_LAST_SEND_MS:
		rec->has |= FW_HAS_LAST_SEND;
		return take_u32(rec, k, v, &rec->last_send_ms);
	case K_TCP_FLAGS:
		if (want_type(rec, k, v, FWJ_STRING) < 0)
			return -1;
		rec->tcp_flags = (uint8_t)fw_tcp_flags_parse(v->s, v->len);
		return 0;
	case K_KEEPALIVE:
		rec->has |= FW_HAS_KEEPALIVE;
		return take_bool(rec, k, v, &rec->keepalive);
	case K_COUNT:
		rec->has |= FW_HAS_COUNT;
		return want_uint(rec, k, v, UINT64_MAX, &rec->count);
	case K_FROM_NS:
		return want_uint(rec, k, v, UINT64_MAX, &rec->from_ns);
	case K_MAPPED:
		return want_type(rec, k, v, FWJ_BOOL);
	case K_CLOSE_DROPS:
		rec->has |= FW_HAS_CLOSE_DROPS;
		return take_u32(rec, k, v, &rec->close_drops);
	case K_DIRECTION:
		if (want_type(rec, k, v, FWJ_STRING) < 0)
			return -1;
		if (v->len == 2 && fwj_same_bytes(v->s, "in", 2))
			rec->drop_in = true;
		else if (v->len != 3 || !fwj_same_bytes(v->s, "out", 3))
			return fw_rec_bad(rec,
					  "key \"direction\": not \"in\" or "
					  "\"out\"");
		return 0;
	case K_REASON:
		return take_string(rec, k, v, rec->reason,
				   sizeof(rec->reason)) < 0
			       ? -1
			       : 0;
	case K_SNAP:
		rec->has |= FW_HAS_SNAP;
		return want_uint(rec, k, v, UINT64_MAX, &rec->snap);
	case K_KEEPALIVE_IDLE_S:
		return take_u32(rec, k, v, &rec->keepalive_idle_s);
	default:
		return take_cause_key(pc, k, v);
	}
}

/* A connection record's namespace, socket, addresses and states. */
static int take_conn_key(struct parse_ctx *pc, enum key k,
			 const struct fwj_value *v)
{
	struct fw_rec *rec = pc->rec;
	uint64_t x = 0;

	switch (k) {
	case K_NETNS:
		/* start and snapshot_end records list namespaces instead */
		if (v->type == FWJ_ARRAY) {
			pc->netns_list = true;
			return take_netns_list(rec, v);
		}
		return want_uint(rec, k, v, UINT64_MAX, &rec->netns);
	case K_SOCK:
		return want_uint(rec, k, v, UINT64_MAX, &rec->sock);
	case K_FAMILY:
		if (want_uint(rec, k, v, 255, &x) < 0)
			return -1;
		if (x != 4 && x != 6)
			return fw_rec_bad(rec,
					  "key \"family\": %llu is not 4 or 6",
					  (unsigned long long)x);
		rec->family = (uint8_t)x;
		return 0;
	case K_LADDR:
	case K_RADDR:
		if (want_type(rec, k, v, FWJ_STRING) < 0)
			return -1;
		if (k == K_LADDR) {
			pc->laddr = v->s;
			pc->laddr_len = v->len;
		} else {
			pc->raddr = v->s;
			pc->raddr_len = v->len;
		}
		return 0;
	case K_LPORT:
		return take_u16(rec, k, v, &rec->lport);
	case K_RPORT:
		return take_u16(rec, k, v, &rec->rport);
	case K_ROLE:
		if (want_type(rec, k, v, FWJ_STRING) < 0)
			return -1;
		rec->role_server =
			v->len == 6 && fwj_same_bytes(v->s, "server", 6);
		return 0;
	case K_OLDSTATE:
		return take_state(rec, k, v, &rec->oldstate);
	case K_NEWSTATE:
		return take_state(rec, k, v, &rec->newstate);
	case K_STATE:
		/* snapshot: oldstate = newstate = state */
		if (take_state(rec, k, v, &rec->newstate) < 0)
			return -1;
		rec->oldstate = rec->newstate;
		return 0;
	default:
		return take_sock_key(pc, k, v);
	}
}

/* The keys every record has; the others by their group. */
static int take_key(struct parse_ctx *pc, enum key k, const struct fwj_value *v)
{
	struct fw_rec *rec = pc->rec;
	int n;

	switch (k) {
	case K_V:
		if (want_uint(rec, k, v, UINT64_MAX, &pc->version) < 0)
			return -1;
		/* a newer schema may change the meaning of every other key */
		if (pc->version < FW_JSON_VERSION_OLDEST ||
		    pc->version > FW_JSON_VERSION)
			return fw_rec_bad(rec, "unknown schema version %llu",
					  (unsigned long long)pc->version);
		rec->version = pc->version;
		return 0;
	case K_TYPE:
		if (want_type(rec, k, v, FWJ_STRING) < 0)
			return -1;
		rec->type = fw_rec_type_lookup(v->s, v->len);
		return 0;
	case K_TIME_NS:
		return want_uint(rec, k, v, UINT64_MAX, &rec->time_ns);
	case K_HOST:
		n = take_string(rec, k, v, rec->host_buf,
				sizeof(rec->host_buf));
		if (n < 0)
			return -1;
		if (n == 0)
			return fw_rec_bad(rec, "key \"host\": empty");
		rec->host = rec->host_buf;
		rec->host_len = (size_t)n;
		return 0;
	default:
		return take_conn_key(pc, k, v);
	}
}

static int check_addrs(struct parse_ctx *pc)
{
	struct fw_rec *rec = pc->rec;

	if (!fw_rec_parse_addr(pc->laddr, pc->laddr_len, rec->laddr))
		return fw_rec_bad(rec, "key \"laddr\": not an IP address");
	if (!fw_rec_parse_addr(pc->raddr, pc->raddr_len, rec->raddr))
		return fw_rec_bad(rec, "key \"raddr\": not an IP address");
	if (rec->family == 4) {
		fw_rec_unmap_v4(rec->laddr, pc->laddr, pc->laddr_len);
		fw_rec_unmap_v4(rec->raddr, pc->raddr, pc->raddr_len);
		return 0;
	}
	if (!fw_rec_is_v6_text(pc->laddr, pc->laddr_len) ||
	    !fw_rec_is_v6_text(pc->raddr, pc->raddr_len))
		return fw_rec_bad(rec, "address does not match family 6");
	return 0;
}

static uint64_t required_keys(enum fw_rec_type t)
{
	switch (t) {
	case FW_REC_STATE:
	case FW_REC_CLOSE:
	case FW_REC_RESET_SENT:
	case FW_REC_RESET_RECEIVED:
	case FW_REC_RETRANSMIT:
	case FW_REC_SNAPSHOT:
		return REQ_CONN;
	case FW_REC_DROP:
		return REQ_DROP;
	case FW_REC_LOST:
		return REQ_LOST;
	case FW_REC_NETNS:
		return REQ_NETNS;
	default:
		return REQ_ALL;
	}
}

static int check_required(struct parse_ctx *pc)
{
	uint64_t missing = required_keys(pc->rec->type) & ~pc->seen;

	if (!missing)
		return 0;
	for (unsigned int k = 1; k < K_MAX; k++)
		if (missing & BIT(k))
			return fw_rec_bad(pc->rec, "missing key \"%s\"",
					  key_names[k]);
	return 0;
}

int fw_rec_finish(struct parse_ctx *pc)
{
	struct fw_rec *rec = pc->rec;

	if (!(pc->seen & BIT(K_V)))
		return fw_rec_bad(rec, "missing key \"v\"");
	if (!(pc->seen & BIT(K_TYPE)))
		return fw_rec_bad(rec, "missing key \"type\"");
	if (check_required(pc) < 0)
		return -1;
	if ((pc->seen & (BIT(K_ISN_LOCAL) | BIT(K_ISN_REMOTE))) ==
	    (BIT(K_ISN_LOCAL) | BIT(K_ISN_REMOTE)))
		rec->has |= FW_HAS_ISN;
	if ((fw_rec_is_conn(rec->type) || rec->type == FW_REC_NETNS) &&
	    pc->netns_list)
		return fw_rec_bad(rec, "key \"netns\": expected integer");
	if (rec->type == FW_REC_NETNS) {
		rec->n_facts = 1;
		if (fw_rec_parse_facts(rec, pc->line, pc->len, rec->facts) < 0)
			return -1;
	}
	if (fw_rec_is_conn(rec->type) && check_addrs(pc) < 0)
		return -1;
	if (rec->type == FW_REC_LOST && rec->from_ns > rec->time_ns)
		return fw_rec_bad(rec, "lost window ends before it starts");
	return rec->type == FW_REC_UNKNOWN ? 1 : 0;
}

static void reset_v2_keys(struct fw_rec *rec)
{
	rec->npath = 0;
	rec->path_cut = rec->final = false;
	rec->gap = 0;
	rec->sk_err = rec->probes_out = rec->rto_retrans = 0;
	rec->pinned = rec->drops_only = rec->repair = rec->reopen = false;
	rec->version = 0;
	rec->tick_ms = 0;
	rec->boot_id[0] = '\0';
}

static void reset_cause_keys(struct fw_rec *rec)
{
	rec->keepalive_intvl_s = rec->keepalive_cnt = 0;
	rec->user_timeout_ms = 0;
	rec->ct = FW_CTV_UNKNOWN;
	rec->ct_hooked = false;
	rec->drop_reason_last[0] = rec->ct_last[0] = '\0';
	rec->n_facts = 0;
	rec->facts_more = false;
	rec->attach_drops = false;
}

void fw_rec_reset(struct fw_rec *rec)
{
	/* only the fields a record may leave unset */
	rec->type = FW_REC_UNKNOWN;
	rec->has = 0;
	rec->oldstate = rec->newstate = 0;
	rec->role_server = false;
	rec->pid = 0;
	rec->comm[0] = '\0';
	rec->tcp_flags = 0;
	rec->close_retrans = rec->close_drops = 0;
	rec->drop_in = false;
	rec->reason[0] = '\0';
	rec->keepalive = false;
	rec->keepalive_idle_s = 0;
	reset_cause_keys(rec);
	reset_v2_keys(rec);
	rec->snap = 0;
	rec->n_netns = 0;
	rec->netns_more = false;
	rec->count = rec->from_ns = 0;
	rec->host = NULL;
	rec->host_len = 0;
	rec->why[0] = '\0';
}

/* The key k's prediction for what comes after it, as the tokenizer's hint. */
static void hint_next(struct fwj_parser *jp, unsigned char *next,
		      enum key after)
{
	unsigned int k = next[after];

	/* K_UNKNOWN has length 0: no hint, and no branch for it */
	jp->hint = fw_rec_quoted_keys[k];
	jp->hint_len = fw_rec_quoted_len[k];
}

int fw_rec_slow_pair(struct parse_ctx *pc, struct fwj_parser *jp, enum key prev,
		     enum key *k)
{
	unsigned char *next = fw_rec_next_key[pc->rec->type];
	struct fwj_value key, val;
	int r;

	hint_next(jp, next, prev);
	r = fwj_next(jp, &key, &val);
	if (r <= 0)
		return r < 0 ? fw_rec_bad(pc->rec, "%s", jp->err) : 0;
	if (jp->hint_hit) {
		*k = (enum key)next[prev];
	} else {
		*k = key.escaped ? K_UNKNOWN
				 : fw_rec_key_lookup(key.s, key.len);
		next[prev] = (unsigned char)*k;
	}
	if (*k == K_UNKNOWN)
		return 1;
	if (*k < 64)
		pc->seen |= BIT(*k);
	return take_key(pc, *k, &val) < 0 ? -1 : 1;
}
