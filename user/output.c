// SPDX-License-Identifier: GPL-2.0
/*
 * The tracer's records: JSON Lines appended by hand with the schema's line
 * builder (this runs for every record the kernel hands up), or the text
 * tables, where snprintf is cheap enough for a person reading along.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_help.h"
#include "kernel_features.h"
#include "output.h"
#include "schema.h"
#include "textsafe.h"

/* Room for the longest record with a --host of 255 bytes, escaped. */
#define FW_LINE_MAX 8192

/* The kernel's record types are the schema's, by number. */
#define KERNEL_TYPE(name)                                                      \
	_Static_assert((int)FW_EV_##name == (int)FW_REC_##name, #name)
KERNEL_TYPE(STATE);
KERNEL_TYPE(CLOSE);
KERNEL_TYPE(RESET_SENT);
KERNEL_TYPE(RESET_RECEIVED);
KERNEL_TYPE(RETRANSMIT);
KERNEL_TYPE(SNAPSHOT);
KERNEL_TYPE(DROP);

static enum fw_rec_type event_rec_type(unsigned int type)
{
	return type <= FW_EV_DROP ? (enum fw_rec_type)type : FW_REC_UNKNOWN;
}

const char *fw_event_type_name(unsigned int type)
{
	return fw_rec_type_name(event_rec_type(type));
}

/* Appends to a line buffer; a line that would overflow is cut, never
 * written past its end. */
struct line {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void put(struct line *l,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->used >= l->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->used, l->len - l->used, fmt, ap);
	va_end(ap);
	l->used += n > 0 ? (size_t)n : 0;
	if (l->used >= l->len)
		l->used = l->len - 1;
}

static uint64_t wall_ns(const struct fw_output *o, uint64_t mono_ns)
{
	return mono_ns + o->clock_offset_ns;
}

static void put_json_head(struct fw_jbuf *b, const struct fw_output *o,
			  enum fw_rec_type type, uint64_t mono_ns)
{
	fw_jb_object_begin(b);
	fw_jb_key_u64(b, "v", FW_JSON_VERSION);
	fw_jb_key_str(b, "type", fw_rec_type_name(type));
	fw_jb_key_u64(b, "time_ns", wall_ns(o, mono_ns));
	fw_jb_key(b, "host");
	fw_jb_str(b, o->host, 256);
}

static void put_json_addr(struct fw_jbuf *b, const char *key,
			  const struct fw_event *ev, const __u8 *addr)
{
	char a[FW_ADDR_STRLEN];

	fw_jb_key_str(b, key, fw_addr_str(ev->family, addr, a, sizeof(a)));
}

/* Nothing invented: an unknown owner is pid 0 and comm "", unknown ISNs
 * and an opening not seen are left out. */
static void put_json_owner(struct fw_jbuf *b, const struct fw_event *ev)
{
	bool owner = ev->flags & FW_F_OWNER_KNOWN;

	fw_jb_key_u64(b, "pid", owner ? ev->pid : 0);
	fw_jb_key(b, "comm");
	fw_jb_str(b, owner ? ev->comm : "", FW_COMM_LEN);
	if (ev->flags & FW_F_ISN_KNOWN) {
		fw_jb_key_u64(b, "isn_local", ev->isn_local);
		fw_jb_key_u64(b, "isn_remote", ev->isn_remote);
	}
	/* Only what was seen: for a socket met mid-life it is a guess. */
	if (ev->flags & FW_F_OPEN_SEEN)
		fw_jb_key_bool(b, "active_open", ev->flags & FW_F_ACTIVE_OPEN);
}

/* Values a source cannot give (sock_diag has no keepalive timings, and
 * without the kernel's HZ jiffies mean nothing) are left out. */
static void put_json_u32_known(struct fw_jbuf *b, const char *key, uint32_t v)
{
	if (v != FW_AGE_UNKNOWN)
		fw_jb_key_u64(b, key, v);
}

static void put_json_conn(struct fw_jbuf *b, const struct fw_event *ev)
{
	fw_jb_key_u64(b, "netns", ev->netns);
	fw_jb_key_u64(b, "sock", ev->sock_id);
	fw_jb_key_u64(b, "family", ev->family);
	put_json_addr(b, "laddr", ev, ev->laddr);
	fw_jb_key_u64(b, "lport", ev->lport);
	put_json_addr(b, "raddr", ev, ev->raddr);
	fw_jb_key_u64(b, "rport", ev->rport);
	fw_jb_key_str(b, "role",
		      ev->role == FW_ROLE_SERVER ? "server" : "client");
	if (ev->flags & FW_F_V4_MAPPED)
		fw_jb_key_bool(b, "mapped", true);
	fw_jb_key_str(b, "oldstate", fw_state_name(ev->oldstate));
	fw_jb_key_str(b, "newstate", fw_state_name(ev->newstate));
	put_json_owner(b, ev);
	fw_jb_key_u64(b, "bytes_sent", ev->bytes_acked);
	fw_jb_key_u64(b, "bytes_received", ev->bytes_received);
	fw_jb_key_u64(b, "retrans", ev->total_retrans);
	fw_jb_key_u64(b, "close_retrans", ev->close_retrans);
	fw_jb_key_u64(b, "close_drops", ev->close_drops);
	put_json_u32_known(b, "last_recv_ms", ev->last_recv_ms);
	put_json_u32_known(b, "last_send_ms", ev->last_send_ms);
}

/* The transitions that came before this record without one of their own:
 * [from, to, time_ns], time null when nobody saw it. */
static void put_json_path(struct fw_jbuf *b, const struct fw_output *o,
			  const struct fw_event *ev)
{
	unsigned int n = ev->npath < FW_PATH_MAX ? ev->npath : FW_PATH_MAX;

	if (!n)
		return;
	fw_jb_key(b, "path");
	fw_jb_array_begin(b);
	for (unsigned int i = 0; i < n; i++) {
		fw_jb_array_begin(b);
		fw_jb_str(b, fw_state_name(ev->path_from[i]), SIZE_MAX);
		fw_jb_str(b, fw_state_name(ev->path_to[i]), SIZE_MAX);
		if (ev->path_ts[i] == FW_TIME_UNKNOWN)
			fw_jb_null(b);
		else
			fw_jb_u64(b, wall_ns(o, ev->path_ts[i]));
		fw_jb_array_end(b);
	}
	fw_jb_array_end(b);
	if (ev->flags & FW_F_PATH_CUT)
		fw_jb_key_bool(b, "path_cut", true);
}

static void put_json_errno(struct fw_jbuf *b, const char *key, unsigned int e)
{
	const char *name = e ? strerrorname_np(e) : NULL;

	if (name)
		fw_jb_key_str(b, key, name);
	else if (e)
		fw_jb_key_u64(b, key, e);
}

/* How a socket ended: its error, the probes and timeouts that went
 * unanswered, whether keepalive was on. */
static void put_json_final(struct fw_jbuf *b, const struct fw_event *ev)
{
	if (!(ev->flags & FW_F_FINAL))
		return;
	fw_jb_key_bool(b, "final", true);
	put_json_errno(b, "sk_err", ev->sk_err);
	fw_jb_key_u64(b, "probes_out", ev->probes_out);
	fw_jb_key_u64(b, "rto_retrans", ev->rto_retrans);
	fw_jb_key_bool(b, "keepalive", ev->flags & FW_F_KEEPALIVE);
}

static const char *ct_entry_name(unsigned int ct)
{
	switch (ct & FW_CT_ENTRY_MASK) {
	case FW_CT_UNTRACKED:
		return "untracked";
	case FW_CT_TRACKED:
		return "tracked";
	default:
		return "none";
	}
}

static void put_json_ct(struct fw_jbuf *b, const char *key,
			const char *hooked_key, unsigned int ct)
{
	fw_jb_key_str(b, key, ct_entry_name(ct));
	if (hooked_key && !(ct & FW_CT_HOOK_UNKNOWN))
		fw_jb_key_bool(b, hooked_key, ct & FW_CT_HOOKED);
}

static bool is_netfilter_drop(unsigned int reason)
{
	char buf[16];

	return !strcmp(fw_drop_reason_name(reason, buf, sizeof(buf)),
		       "NETFILTER_DROP");
}

/* A socket whose FIN or RST its host dropped says, on every record, how
 * the latest one died, even when the drop records were lost. */
static void put_json_last_drop(struct fw_jbuf *b, const struct fw_event *ev)
{
	char reason[16];

	if (ev->type == FW_EV_DROP || !ev->close_drops)
		return;
	fw_jb_key_str(
		b, "drop_reason_last",
		fw_drop_reason_name(ev->drop_reason, reason, sizeof(reason)));
	if (is_netfilter_drop(ev->drop_reason))
		put_json_ct(b, "ct_last", NULL, ev->drop_ct);
}

static void put_json_event_extra(struct fw_jbuf *b, const struct fw_event *ev)
{
	char flags[FW_TCP_FLAGS_STRLEN], reason[16];

	if (ev->type == FW_EV_RETRANSMIT || ev->type == FW_EV_DROP)
		fw_jb_key_str(
			b, "tcp_flags",
			fw_tcp_flags_str(ev->tcp_flags, flags, sizeof(flags)));
	if (ev->type == FW_EV_DROP) {
		fw_jb_key_str(b, "direction",
			      (ev->flags & FW_F_INBOUND) ? "in" : "out");
		fw_jb_key_str(b, "reason",
			      fw_drop_reason_name(ev->drop_reason, reason,
						  sizeof(reason)));
		if (is_netfilter_drop(ev->drop_reason))
			put_json_ct(b, "ct", "ct_hooked", ev->drop_ct);
	}
	if (ev->type == FW_EV_CLOSE)
		fw_jb_key_str(b, "via",
			      (ev->flags & FW_F_BY_OWNER) ? "tcp_close"
							  : "destroy");
}

/* What the socket's state carried into this record: the transitions
 * folded into it, its lost records, how it ended. */
static void put_json_sock_story(struct fw_jbuf *b, const struct fw_output *o,
				const struct fw_event *ev)
{
	put_json_path(b, o, ev);
	if (ev->gap)
		fw_jb_key_u64(b, "gap", ev->gap);
	put_json_final(b, ev);
	put_json_last_drop(b, ev);
}

static size_t format_event_json(const struct fw_output *o,
				const struct fw_event *ev, char *buf,
				size_t len)
{
	struct fw_jbuf b;

	fw_jb_init(&b, buf, len);
	put_json_head(&b, o, event_rec_type(ev->type), ev->ts_ns);
	put_json_conn(&b, ev);
	put_json_event_extra(&b, ev);
	put_json_sock_story(&b, o, ev);
	fw_jb_object_end(&b);
	return fw_jb_line_end(&b);
}

static void put_text_time(struct line *l, const struct fw_output *o,
			  uint64_t mono_ns)
{
	uint64_t ns = wall_ns(o, mono_ns);
	time_t secs = ns / 1000000000ULL;
	struct tm tm;

	localtime_r(&secs, &tm);
	put(l, "%02d:%02d:%02d.%03u ", tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (unsigned int)(ns % 1000000000ULL / 1000000));
}

static void put_text_header(struct line *l)
{
	put(l, "%-12s %-10s %-6s %7s %-15s %-28s %-28s %-14s %s\n", "TIME",
	    "NETNS", "ROLE", "PID", "COMM", "LOCAL", "REMOTE", "EVENT",
	    "STATE");
}

static void put_text_endpoint(struct line *l, unsigned int family,
			      const __u8 *addr, unsigned int port)
{
	char ep[FW_ENDPOINT_STRLEN];

	fw_format_endpoint(ep, sizeof(ep), family, addr, port);
	put(l, "%-28s ", ep);
}

const char *fw_format_age(uint32_t ms, char *buf, size_t len)
{
	uint32_t s = ms / 1000;

	if (ms == FW_AGE_UNKNOWN)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%ums", ms);
	else if (s < 60)
		snprintf(buf, len, "%u.%us", s, ms % 1000 / 100);
	else if (s < 3600)
		snprintf(buf, len, "%um%02us", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%uh%02um", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%ud%02uh", s / 86400, s % 86400 / 3600);
	return buf;
}

/* The owner's name as text: a comm is whatever the process set, control
 * characters included. */
static const char *text_comm(const struct fw_event *ev, char *buf, size_t len)
{
	if (!(ev->flags & FW_F_OWNER_KNOWN))
		return "?";
	return fw_text_escape(buf, len, ev->comm, sizeof(ev->comm));
}

static void put_socket_header(struct line *l)
{
	put(l, "%-10s %-11s %-28s %-28s %7s %-15s %-8s %-8s %-14s %6s %6s\n",
	    "NETNS", "STATE", "LOCAL", "REMOTE", "PID", "COMM", "RECV", "SEND",
	    "KEEPALIVE", "SNDQ", "RCVQ");
}

/* One socket the way `finwatch snapshot` lists it: what decides whether
 * anything will ever reap it is on the right. */
static void put_socket_row(struct line *l, const struct fw_sock_info *si)
{
	const struct fw_event *ev = &si->ev;
	bool owner = ev->flags & FW_F_OWNER_KNOWN;
	char recv[16], send[16], ka[24];
	char comm[FW_TEXT_ESCAPED_LEN(sizeof(ev->comm))];

	put(l, "%-10u %-11s ", ev->netns, fw_state_name(ev->newstate));
	put_text_endpoint(l, ev->family, ev->laddr, ev->lport);
	put_text_endpoint(l, ev->family, ev->raddr, ev->rport);
	if (si->keepalive && si->keepalive_idle_s != FW_AGE_UNKNOWN)
		snprintf(ka, sizeof(ka), "%us/%us/%u", si->keepalive_idle_s,
			 si->keepalive_intvl_s, si->keepalive_cnt);
	else if (si->keepalive)
		snprintf(ka, sizeof(ka), "on");
	else
		snprintf(ka, sizeof(ka), "off");
	put(l, "%7u %-15s %-8s %-8s %-14s %6u %6u\n", owner ? ev->pid : 0,
	    text_comm(ev, comm, sizeof(comm)),
	    fw_format_age(ev->last_recv_ms, recv, sizeof(recv)),
	    fw_format_age(ev->last_send_ms, send, sizeof(send)), ka, si->sndq,
	    si->rcvq);
}

static void put_text_event(struct line *l, const struct fw_output *o,
			   const struct fw_event *ev)
{
	bool owner = ev->flags & FW_F_OWNER_KNOWN;
	char flags[FW_TCP_FLAGS_STRLEN];
	char comm[FW_TEXT_ESCAPED_LEN(sizeof(ev->comm))];

	put_text_time(l, o, ev->ts_ns);
	put(l, "%-10u %-6s %7u %-15s ", ev->netns,
	    ev->role == FW_ROLE_SERVER ? "server" : "client",
	    owner ? ev->pid : 0, text_comm(ev, comm, sizeof(comm)));
	put_text_endpoint(l, ev->family, ev->laddr, ev->lport);
	put_text_endpoint(l, ev->family, ev->raddr, ev->rport);
	put(l, "%-14s ", fw_event_type_name(ev->type));
	if (ev->type == FW_EV_STATE)
		put(l, "%s -> %s", fw_state_name(ev->oldstate),
		    fw_state_name(ev->newstate));
	else
		put(l, "%s", fw_state_name(ev->oldstate));
	if (ev->type == FW_EV_RETRANSMIT || ev->type == FW_EV_DROP)
		put(l, " %s",
		    fw_tcp_flags_str(ev->tcp_flags, flags, sizeof(flags)));
	if (ev->type == FW_EV_DROP)
		put(l, " %s by this host (#%u)",
		    (ev->flags & FW_F_INBOUND) ? "received, dropped"
					       : "dropped",
		    ev->close_drops);
	if (ev->type == FW_EV_CLOSE)
		put(l, " retrans=%u close_retrans=%u", ev->total_retrans,
		    ev->close_retrans);
	put(l, "\n");
}

int fw_format_event(const struct fw_output *o, const struct fw_event *ev,
		    char *buf, size_t len)
{
	struct line l = { buf, len, 0 };

	if (o->json)
		return format_event_json(o, ev, buf, len);
	put_text_event(&l, o, ev);
	return l.used;
}

static int write_all(struct fw_output *o, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(o->fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->error = n < 0 ? errno : EIO;
			return -1;
		}
		off += n;
	}
	return 0;
}

int fw_out_flush(struct fw_output *o)
{
	int rc = 0;

	if (o->held && !o->error)
		rc = write_all(o, o->hold, o->held);
	o->held = 0;
	return o->error ? -1 : rc;
}

/* One write per record, unless the output holds records for a batch.
 * Once a write failed, the output is dead: the caller stops at the
 * error, and nothing half-written follows it. */
static int emit_line(struct fw_output *o, const char *buf, size_t len)
{
	if (o->error)
		return -1;
	if (o->hold) {
		if (o->held + len > o->hold_size && fw_out_flush(o))
			return -1;
		memcpy(o->hold + o->held, buf, len);
		o->held += len;
	} else if (write_all(o, buf, len)) {
		return -1;
	}
	o->records++;
	return 0;
}

static int emit_text(struct fw_output *o, struct line *l)
{
	if (!o->header_done) {
		char hdr[256];
		struct line h = { hdr, sizeof(hdr), 0 };

		if (o->socket_table)
			put_socket_header(&h);
		else
			put_text_header(&h);
		if (emit_line(o, hdr, h.used))
			return -1;
		o->header_done = true;
	}
	return emit_line(o, l->buf, l->used);
}

int fw_out_event(struct fw_output *o, const struct fw_event *ev)
{
	char buf[FW_LINE_MAX];
	int n = fw_format_event(o, ev, buf, sizeof(buf));

	if (o->json)
		return emit_line(o, buf, n);
	struct line l = { buf, sizeof(buf), n };
	return emit_text(o, &l);
}

static void put_json_keepalive(struct fw_jbuf *b, const struct fw_sock_info *si)
{
	fw_jb_key_bool(b, "keepalive", si->keepalive);
	put_json_u32_known(b, "keepalive_idle_s", si->keepalive_idle_s);
	put_json_u32_known(b, "keepalive_intvl_s", si->keepalive_intvl_s);
	put_json_u32_known(b, "keepalive_cnt", si->keepalive_cnt);
	put_json_u32_known(b, "user_timeout_ms", si->user_timeout_ms);
	fw_jb_key_u64(b, "sndq", si->sndq);
	fw_jb_key_u64(b, "rcvq", si->rcvq);
}

static int emit_json(struct fw_output *o, struct fw_jbuf *b)
{
	return emit_line(o, b->buf, fw_jb_line_end(b));
}

int fw_out_snapshot(struct fw_output *o, const struct fw_sock_info *si,
		    unsigned int snap, const char *source)
{
	char buf[FW_LINE_MAX];
	struct line l = { buf, sizeof(buf), 0 };
	const struct fw_event *ev = &si->ev;
	struct fw_jbuf b;

	if (!o->json) {
		if (o->socket_table)
			put_socket_row(&l, si);
		else
			put_text_event(&l, o, ev);
		return emit_text(o, &l);
	}
	fw_jb_init(&b, buf, sizeof(buf));
	put_json_head(&b, o, FW_REC_SNAPSHOT, ev->ts_ns);
	put_json_conn(&b, ev);
	fw_jb_key_str(&b, "state", fw_state_name(ev->newstate));
	fw_jb_key_u64(&b, "snap", snap);
	fw_jb_key_str(&b, "source", source);
	if (ev->newstate != FW_TCP_LISTEN && ev->newstate != FW_TCP_TIME_WAIT)
		put_json_keepalive(&b, si);
	put_json_sock_story(&b, o, ev);
	fw_jb_object_end(&b);
	return emit_json(o, &b);
}

/* Ports are 16 bits, namespaces 32. */
static void put_json_uint_array(struct fw_jbuf *b, const char *key,
				const void *vals, int n, bool is16)
{
	fw_jb_key(b, key);
	fw_jb_array_begin(b);
	for (int i = 0; i < n; i++)
		fw_jb_u64(b, is16 ? ((const uint16_t *)vals)[i]
				  : ((const uint32_t *)vals)[i]);
	fw_jb_array_end(b);
}

int fw_out_snapshot_end(struct fw_output *o, unsigned int snap,
			unsigned int count, const uint32_t *netns, int nnetns,
			uint64_t mono_ns, bool repair)
{
	char buf[FW_LINE_MAX];
	struct fw_jbuf b;

	if (!o->json)
		return 0;
	fw_jb_init(&b, buf, sizeof(buf));
	put_json_head(&b, o, FW_REC_SNAPSHOT_END, mono_ns);
	fw_jb_key_u64(&b, "snap", snap);
	fw_jb_key_u64(&b, "count", count);
	put_json_uint_array(&b, "netns", netns, nnetns, false);
	if (repair)
		fw_jb_key_bool(&b, "repair", true);
	fw_jb_object_end(&b);
	return emit_json(o, &b);
}

int fw_out_lost(struct fw_output *o, const struct fw_lost_window *w)
{
	char buf[FW_LINE_MAX];
	struct line l = { buf, sizeof(buf), 0 };
	struct fw_jbuf b;

	if (!o->json) {
		put_text_time(&l, o, w->to_mono_ns);
		put(&l, "LOST %llu records (%s, %s%s%s)\n",
		    (unsigned long long)w->count, w->transport, w->reason,
		    w->program ? " of " : "", w->program ? w->program : "");
		return emit_text(o, &l);
	}
	fw_jb_init(&b, buf, sizeof(buf));
	put_json_head(&b, o, FW_REC_LOST, w->to_mono_ns);
	fw_jb_key_u64(&b, "count", w->count);
	fw_jb_key_u64(&b, "from_ns", wall_ns(o, w->from_mono_ns));
	fw_jb_key_str(&b, "transport", w->transport);
	fw_jb_key_str(&b, "reason", w->reason);
	if (w->program)
		fw_jb_key_str(&b, "program", w->program);
	fw_jb_key_bool(&b, "pinned", w->pinned);
	fw_jb_key_str(&b, "scope", w->scope);
	fw_jb_object_end(&b);
	return emit_json(o, &b);
}

static uint64_t now_mono_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000000000ULL + now.tv_nsec;
}

/* The facts of one namespace as keys of the record being built. */
static void put_json_facts(struct fw_jbuf *b, const struct fw_netns_facts *f)
{
	fw_jb_key_u64(b, "netns", f->netns);
	for (int i = 0; i < FW_FACT_COUNT; i++)
		if (f->v[i] != FW_FACT_UNKNOWN)
			fw_jb_key_u64(b, fw_netns_fact_key(i), f->v[i]);
}

static void put_json_start_facts(struct fw_jbuf *b,
				 const struct fw_trace_desc *t)
{
	fw_jb_key(b, "netns_facts");
	fw_jb_array_begin(b);
	for (int i = 0; i < t->nfacts; i++) {
		fw_jb_object_begin(b);
		put_json_facts(b, &t->facts[i]);
		fw_jb_object_end(b);
	}
	fw_jb_array_end(b);
}

int fw_out_start(struct fw_output *o, const struct fw_trace_desc *t)
{
	/* The facts of many namespaces make a long line. */
	char buf[FW_LINE_MAX * 8];
	struct fw_jbuf b;

	if (!o->json)
		return 0;
	fw_jb_init(&b, buf, sizeof(buf));
	put_json_head(&b, o, FW_REC_START, now_mono_ns());
	put_json_uint_array(&b, "ports", t->ports, t->nports, true);
	put_json_uint_array(&b, "netns", t->netns, t->nnetns, false);
	fw_jb_key_str(&b, "transport", t->transport);
	fw_jb_key_str(&b, "version", fw_version);
	fw_jb_key(&b, "attach");
	fw_jb_array_begin(&b);
	for (int i = 0; i < t->nattach; i++)
		fw_jb_str(&b, t->attach[i], SIZE_MAX);
	fw_jb_array_end(&b);
	fw_jb_key_str(&b, "stream", t->all_states ? "all-states" : "folded");
	fw_jb_key_u64(&b, "tick_ms", t->tick_ms);
	if (t->reopen)
		fw_jb_key_bool(&b, "reopen", true);
	if (t->boot_id && *t->boot_id)
		fw_jb_key_str(&b, "boot_id", t->boot_id);
	put_json_start_facts(&b, t);
	fw_jb_object_end(&b);
	return emit_json(o, &b);
}

int fw_out_netns(struct fw_output *o, const struct fw_netns_facts *f)
{
	char buf[FW_LINE_MAX];
	struct fw_jbuf b;

	if (!o->json)
		return 0;
	fw_jb_init(&b, buf, sizeof(buf));
	put_json_head(&b, o, FW_REC_NETNS, now_mono_ns());
	put_json_facts(&b, f);
	fw_jb_object_end(&b);
	return emit_json(o, &b);
}

static void put_json_loss_totals(struct fw_jbuf *b,
				 const struct fw_loss_totals *t)
{
	fw_jb_key_u64(b, "lost", t->buffer_full + t->recursion);
	fw_jb_key_u64(b, "lost_buffer_full", t->buffer_full);
	fw_jb_key_u64(b, "lost_recursion", t->recursion);
	fw_jb_key_u64(b, "lost_unpinned", t->unpinned);
	fw_jb_key_u64(b, "recovered", t->recovered);
}

int fw_out_tick(struct fw_output *o, const struct fw_loss_totals *t,
		uint64_t mono_ns)
{
	char buf[FW_LINE_MAX];
	struct fw_jbuf b;

	if (!o->json)
		return 0;
	fw_jb_init(&b, buf, sizeof(buf));
	put_json_head(&b, o, FW_REC_TICK, mono_ns);
	put_json_loss_totals(&b, t);
	fw_jb_object_end(&b);
	return emit_json(o, &b);
}

int fw_out_stop(struct fw_output *o, uint64_t events,
		const struct fw_loss_totals *t, unsigned int tick_ms)
{
	char buf[FW_LINE_MAX];
	struct fw_jbuf b;

	if (!o->json)
		return 0;
	fw_jb_init(&b, buf, sizeof(buf));
	put_json_head(&b, o, FW_REC_STOP, now_mono_ns());
	fw_jb_key_u64(&b, "events", events);
	put_json_loss_totals(&b, t);
	fw_jb_key_u64(&b, "tick_ms", tick_ms);
	fw_jb_object_end(&b);
	return emit_json(o, &b);
}
