// SPDX-License-Identifier: GPL-2.0
/*
 * The writer's records read back by the reader: every record type the
 * tracer writes, built as the tracer builds it (struct fw_event,
 * struct fw_sock_info, the fw_out_* calls), formatted by output.c, parsed
 * by fw_rec_parse() and compared field by field. Keys the correlator does
 * not keep are read back with its tokenizer, and each line's keys are
 * listed, so that a key the writer adds cannot go unchecked.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "correlate/json.h"
#include "correlate/record.h"
#include "output.h"
#include "schema.h"
#include "util.h"

#define OFFSET_NS 1795996800000000000LL
#define FFFD	  "\xef\xbf\xbd"

/* UTF-8 and control characters, where the tracer takes text from others. */
#define HOST "h\xc3\xb4te\t\"1\"\x7f"
#define COMM                                                                   \
	"r\xc3\xa9"                                                            \
	"dis\n\x01\x7f\\"

static char hold[65536];

static struct fw_output out(void)
{
	struct fw_output o = {
		.fd = -1,
		.json = true,
		.host = HOST,
		.clock_offset_ns = OFFSET_NS,
		.hold = hold,
		.hold_size = sizeof(hold),
	};
	return o;
}

/* The one line an fw_out_* call held, without its newline. */
static const char *held_line(struct fw_output *o, size_t *len)
{
	CHECK(o->held > 0 && hold[o->held - 1] == '\n');
	CHECK(memchr(hold, '\n', o->held) == hold + o->held - 1);
	hold[o->held ? o->held - 1 : 0] = '\0';
	*len = o->held ? o->held - 1 : 0;
	o->held = 0;
	return hold;
}

/* The value of @key in @line, through the reader's own tokenizer. */
static bool find_key(const char *line, const char *key, struct fwj_value *v)
{
	struct fwj_parser jp;
	struct fwj_value k;

	if (fwj_begin(&jp, line, strlen(line)) < 0)
		return false;
	while (fwj_next(&jp, &k, v) == 1)
		if (k.len == strlen(key) && !memcmp(k.s, key, k.len))
			return true;
	return false;
}

static uint64_t key_u64(const char *line, const char *key)
{
	struct fwj_value v;

	if (!find_key(line, key, &v))
		return FW_UNKNOWN;
	CHECK_INT(v.type, FWJ_INT);
	return v.u;
}

static int key_bool(const char *line, const char *key)
{
	struct fwj_value v;

	if (!find_key(line, key, &v))
		return -1;
	CHECK_INT(v.type, FWJ_BOOL);
	return v.b;
}

static const char *key_str(const char *line, const char *key, char *buf,
			   size_t sz)
{
	struct fwj_value v;

	if (!find_key(line, key, &v))
		return "(absent)";
	CHECK_INT(v.type, FWJ_STRING);
	CHECK(fw_json_unescape(v.s, v.len, buf, sz) >= 0);
	return buf;
}

/* The text of @key's value as written: arrays stay arrays. */
static const char *key_raw(const char *line, const char *key, char *buf,
			   size_t sz)
{
	struct fwj_value v;

	if (!find_key(line, key, &v))
		return "(absent)";
	snprintf(buf, sz, "%.*s", (int)v.len, v.s);
	return buf;
}

/* "v,type,time_ns,...": the keys of @line in order. */
static const char *keys_of(const char *line, char *buf, size_t sz)
{
	struct fwj_parser jp;
	struct fwj_value k, v;
	size_t used = 0;

	buf[0] = '\0';
	CHECK_INT(fwj_begin(&jp, line, strlen(line)), 0);
	while (fwj_next(&jp, &k, &v) == 1 && used < sz)
		used += snprintf(buf + used, sz - used, "%s%.*s",
				 used ? "," : "", (int)k.len, k.s);
	return buf;
}

#define HEAD_KEYS "v,type,time_ns,host"
#define CONN_KEYS HEAD_KEYS ",netns,sock,family,laddr,lport,raddr,rport,role"
#define TAIL_KEYS "bytes_sent,bytes_received,retrans,close_retrans,close_drops"
/* An event of a socket whose every optional value is known. */
#define EVENT_KEYS                                                             \
	CONN_KEYS ",oldstate,newstate,pid,comm,isn_local,isn_remote,"          \
		  "active_open," TAIL_KEYS ",last_recv_ms,last_send_ms"
/* A socket with close_drops says how its latest drop died, on every
 * record but the drop records themselves. */
#define LAST_DROP_KEYS ",drop_reason_last"

static struct fw_event tracer_event(unsigned int type)
{
	struct fw_event ev = {
		.ts_ns = 5000000123ULL,
		.sock_id = 18446744073709551557ULL,
		.bytes_acked = 4294967296ULL * 3,
		.bytes_received = 7,
		.netns = 4026531840u,
		.pid = 4242,
		.isn_local = 4294967295u,
		.isn_remote = 0,
		.total_retrans = 9,
		.close_retrans = 2,
		.last_recv_ms = 30512,
		.last_send_ms = 0,
		.close_drops = 1,
		.lport = 40122,
		.rport = 6379,
		.type = type,
		.family = 4,
		.role = FW_ROLE_CLIENT,
		.oldstate = FW_TCP_ESTABLISHED,
		.newstate = FW_TCP_FIN_WAIT1,
		.flags = FW_F_OWNER_KNOWN | FW_F_ISN_KNOWN | FW_F_ACTIVE_OPEN |
			 FW_F_OPEN_SEEN,
		.comm = COMM,
	};

	inet_pton(AF_INET, "198.18.0.1", ev.laddr);
	inet_pton(AF_INET, "198.18.255.254", ev.raddr);
	return ev;
}

/* What every record says: its type, time and host. */
static void check_head(const struct fw_rec *r, enum fw_rec_type type,
		       uint64_t mono_ns)
{
	CHECK_INT(r->type, type);
	CHECK(r->time_ns == mono_ns + OFFSET_NS);
	CHECK_STR(r->host, HOST);
	CHECK_INT(r->host_len, strlen(HOST));
}

/* A state without a name is written "UNKNOWN" and read back as 0. */
static unsigned int named_state(unsigned int st)
{
	return st < FW_TCP_MAX_STATES ? st : 0;
}

/* The connection keys, against the event they came from. */
static void check_conn(const struct fw_event *ev, const struct fw_rec *r,
		       const char *line)
{
	bool owner = ev->flags & FW_F_OWNER_KNOWN;
	char buf[64];

	check_head(r, (enum fw_rec_type)ev->type, ev->ts_ns);
	CHECK(r->netns == ev->netns);
	CHECK(r->sock == ev->sock_id);
	CHECK_INT(r->family, ev->family);
	CHECK(!memcmp(r->laddr, ev->laddr, ev->family == 6 ? 16 : 4));
	CHECK(!memcmp(r->raddr, ev->raddr, ev->family == 6 ? 16 : 4));
	CHECK_INT(r->lport, ev->lport);
	CHECK_INT(r->rport, ev->rport);
	CHECK_INT(r->role_server, ev->role == FW_ROLE_SERVER);
	CHECK_INT(key_bool(line, "mapped"),
		  (ev->flags & FW_F_V4_MAPPED) ? 1 : -1);
	CHECK_INT(r->oldstate, named_state(ev->oldstate));
	CHECK_INT(r->newstate, named_state(ev->newstate));
	CHECK(r->has & FW_HAS_PID);
	CHECK_INT(r->pid, owner ? ev->pid : 0);
	CHECK(r->has & FW_HAS_COMM);
	CHECK_STR(r->comm, owner ? ev->comm : "");
	CHECK_INT(!!(r->has & FW_HAS_ISN), !!(ev->flags & FW_F_ISN_KNOWN));
	if (r->has & FW_HAS_ISN) {
		CHECK(r->isn_local == ev->isn_local);
		CHECK(r->isn_remote == ev->isn_remote);
	}
	CHECK_INT(!!(r->has & FW_HAS_ACTIVE_OPEN),
		  !!(ev->flags & FW_F_OPEN_SEEN));
	if (r->has & FW_HAS_ACTIVE_OPEN)
		CHECK_INT(r->active_open, !!(ev->flags & FW_F_ACTIVE_OPEN));
	CHECK(key_u64(line, "bytes_sent") == ev->bytes_acked);
	CHECK(key_u64(line, "bytes_received") == ev->bytes_received);
	CHECK(key_u64(line, "retrans") == ev->total_retrans);
	CHECK(r->has & FW_HAS_CLOSE_RETRANS);
	CHECK(r->close_retrans == ev->close_retrans);
	CHECK(r->has & FW_HAS_CLOSE_DROPS);
	CHECK(r->close_drops == ev->close_drops);
	CHECK_INT(!!(r->has & FW_HAS_LAST_RECV),
		  ev->last_recv_ms != FW_AGE_UNKNOWN);
	if (r->has & FW_HAS_LAST_RECV)
		CHECK(r->last_recv_ms == ev->last_recv_ms);
	CHECK_INT(!!(r->has & FW_HAS_LAST_SEND),
		  ev->last_send_ms != FW_AGE_UNKNOWN);
	if (r->has & FW_HAS_LAST_SEND)
		CHECK(r->last_send_ms == ev->last_send_ms);
	CHECK_STR(key_str(line, "via", buf, sizeof(buf)),
		  ev->type != FW_EV_CLOSE	? "(absent)"
		  : (ev->flags & FW_F_BY_OWNER) ? "tcp_close"
						: "destroy");
}

/* An event through fw_format_event() and back; returns the line. */
static const char *round_trip(const struct fw_event *ev, struct fw_rec *r,
			      char *buf, size_t sz)
{
	struct fw_output o = out();
	int n = fw_format_event(&o, ev, buf, sz);

	CHECK(n > 0 && buf[n - 1] == '\n');
	buf[n - 1] = '\0';
	CHECK_INT(fw_rec_parse(buf, (size_t)n - 1, r), 0);
	if (r->why[0])
		printf("  %s\n  %s\n", r->why, buf);
	check_conn(ev, r, buf);
	return buf;
}

static void test_state(void)
{
	struct fw_event ev = tracer_event(FW_EV_STATE);
	char buf[4096], keys[1024];
	struct fw_rec r;
	const char *line = round_trip(&ev, &r, buf, sizeof(buf));

	CHECK_STR(keys_of(line, keys, sizeof(keys)), EVENT_KEYS LAST_DROP_KEYS);
	/* every other state, and one the schema has no name for */
	for (unsigned int st = 0; st <= FW_TCP_MAX_STATES; st++) {
		ev.oldstate = (uint8_t)st;
		ev.newstate = (uint8_t)(FW_TCP_MAX_STATES - st);
		round_trip(&ev, &r, buf, sizeof(buf));
	}
}

/* Unknown owner, ISNs and ages are left out, and read back as unknown. */
static void test_close_with_nothing_known(void)
{
	struct fw_event ev = tracer_event(FW_EV_CLOSE);
	char buf[4096], keys[1024];
	struct fw_rec r;
	const char *line;

	ev.flags = 0;
	ev.last_recv_ms = ev.last_send_ms = FW_AGE_UNKNOWN;
	ev.oldstate = FW_TCP_LAST_ACK;
	ev.newstate = FW_TCP_CLOSE;
	line = round_trip(&ev, &r, buf, sizeof(buf));
	CHECK_STR(keys_of(line, keys, sizeof(keys)),
		  CONN_KEYS ",oldstate,newstate,pid,comm," TAIL_KEYS
			    ",via" LAST_DROP_KEYS);
	CHECK_STR(r.comm, "");
	CHECK(!(r.has & (FW_HAS_ISN | FW_HAS_ACTIVE_OPEN | FW_HAS_LAST_RECV |
			 FW_HAS_LAST_SEND)));
	ev.flags = FW_F_BY_OWNER | FW_F_OPEN_SEEN;
	round_trip(&ev, &r, buf, sizeof(buf));
	CHECK(r.has & FW_HAS_ACTIVE_OPEN);
	CHECK(!r.active_open);
}

static void test_resets_ipv6(void)
{
	static const unsigned int types[] = { FW_EV_RESET_SENT,
					      FW_EV_RESET_RECEIVED };

	for (size_t i = 0; i < 2; i++) {
		struct fw_event ev = tracer_event(types[i]);
		char buf[4096], keys[1024], text[64];
		struct fw_rec r;
		const char *line;

		ev.family = 6;
		ev.role = FW_ROLE_SERVER;
		ev.oldstate = ev.newstate = FW_TCP_ESTABLISHED;
		ev.tcp_flags = FW_TCPF_RST;
		inet_pton(AF_INET6, "2001:db8::2", ev.laddr);
		inet_pton(AF_INET6, "2001:db8:0:1:ffff:ffff:ffff:1", ev.raddr);
		line = round_trip(&ev, &r, buf, sizeof(buf));
		CHECK_STR(key_str(line, "raddr", text, sizeof(text)),
			  "2001:db8:0:1:ffff:ffff:ffff:1");
		CHECK_STR(keys_of(line, keys, sizeof(keys)),
			  EVENT_KEYS LAST_DROP_KEYS);
	}
}

static void test_retransmit_flags(void)
{
	struct fw_event ev = tracer_event(FW_EV_RETRANSMIT);
	char buf[4096], keys[1024];
	struct fw_rec r;
	const char *line;

	for (unsigned int f = 0; f < 32; f++) {
		ev.tcp_flags = (uint8_t)f;
		line = round_trip(&ev, &r, buf, sizeof(buf));
		CHECK_INT(r.tcp_flags, f);
	}
	CHECK_STR(keys_of(line, keys, sizeof(keys)),
		  EVENT_KEYS ",tcp_flags" LAST_DROP_KEYS);
}

static void test_drops(void)
{
	struct fw_event ev = tracer_event(FW_EV_DROP);
	char buf[4096], keys[1024];
	struct fw_rec r;
	const char *line;

	ev.tcp_flags = FW_TCPF_FIN | FW_TCPF_ACK;
	ev.drop_reason = 999; /* unknown to any BTF: written as a number */
	line = round_trip(&ev, &r, buf, sizeof(buf));
	CHECK_INT(r.tcp_flags, FW_TCPF_FIN | FW_TCPF_ACK);
	CHECK(!r.drop_in);
	CHECK_STR(r.reason, "999");
	CHECK_STR(keys_of(line, keys, sizeof(keys)),
		  EVENT_KEYS ",tcp_flags,direction,reason");
	ev.flags |= FW_F_INBOUND;
	round_trip(&ev, &r, buf, sizeof(buf));
	CHECK(r.drop_in);
}

/*
 * An IPv6 socket carrying IPv4: the BPF side (and sock_diag) report it as
 * family 4 with the flag; a family 6 record of a mapped address stays as
 * it is; a family 4 record written with the mapped text is unmapped.
 */
static void test_v4_mapped(void)
{
	struct fw_event ev = tracer_event(FW_EV_STATE);
	char buf[4096], keys[1024], text[64];
	struct fw_rec r;
	const char *line;

	ev.flags |= FW_F_V4_MAPPED;
	line = round_trip(&ev, &r, buf, sizeof(buf));
	CHECK(strstr(line, "\"family\":4,\"laddr\":\"198.18.0.1\""));
	CHECK_STR(keys_of(line, keys, sizeof(keys)),
		  CONN_KEYS ",mapped,oldstate,newstate,pid,comm,isn_local,"
			    "isn_remote,active_open," TAIL_KEYS
			    ",last_recv_ms,last_send_ms" LAST_DROP_KEYS);
	ev.flags &= ~FW_F_V4_MAPPED;
	ev.family = 6;
	inet_pton(AF_INET6, "::ffff:198.18.0.1", ev.laddr);
	inet_pton(AF_INET6, "::ffff:198.18.0.2", ev.raddr);
	line = round_trip(&ev, &r, buf, sizeof(buf));
	CHECK_STR(key_str(line, "laddr", text, sizeof(text)),
		  "::ffff:198.18.0.1");
	line = "{\"v\":1,\"type\":\"state\",\"time_ns\":1,\"host\":\"h\","
	       "\"netns\":1,\"sock\":2,\"family\":4,"
	       "\"laddr\":\"::ffff:198.18.0.1\",\"lport\":1,"
	       "\"raddr\":\"198.18.0.2\",\"rport\":2}";
	CHECK_INT(fw_rec_parse(line, strlen(line), &r), 0);
	CHECK_STR(fw_addr_str(4, r.laddr, text, sizeof(text)), "198.18.0.1");
	CHECK_INT(r.laddr[4], 0);
}

/* Text in comm and host comes back byte for byte, whatever it holds,
 * but for invalid UTF-8: each maximal invalid subpart is one U+FFFD. */
static void test_comm_and_host_text(void)
{
	static const char *const comms[] = {
		"",
		"redis-server",
		"abcdefghijklm\xc3\xa9",
		"\xe6\x97\xa5\xe6\x9c\xac",
		"\xf0\x9f\x90\xb3\"\\/\b\f",
		"\x01\x02\x1f\x7f\x7f\x7f",
	};
	struct fw_event ev = tracer_event(FW_EV_STATE);
	char buf[4096];
	struct fw_rec r;

	for (size_t i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
		memset(ev.comm, 0, sizeof(ev.comm));
		memcpy(ev.comm, comms[i], strlen(comms[i]));
		round_trip(&ev, &r, buf, sizeof(buf));
	}
}

/* Not UTF-8: the kernel cut a character in half, or a process named
 * itself with bytes that are none. Each maximal invalid subpart reads
 * back as one U+FFFD, the rest as it was. */
static void test_invalid_utf8_becomes_fffd(void)
{
	static const char *const comms[][2] = {
		{ "abcdefghijklmn\xc3", "abcdefghijklmn" FFFD },
		{ "ab\xe2\x82", "ab" FFFD },
		{ "\xff\xfe-\x80", FFFD FFFD "-" FFFD },
		{ "\xed\xa0\x80z", FFFD FFFD FFFD "z" },
	};
	struct fw_event ev = tracer_event(FW_EV_STATE);
	struct fw_output o = out();
	char buf[4096];
	struct fw_rec r;

	for (size_t i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
		int n;

		memset(ev.comm, 0, sizeof(ev.comm));
		memcpy(ev.comm, comms[i][0], strlen(comms[i][0]));
		n = fw_format_event(&o, &ev, buf, sizeof(buf));
		CHECK_INT(fw_rec_parse(buf, (size_t)n - 1, &r), 0);
		CHECK_STR(r.comm, comms[i][1]);
	}
}

static struct fw_sock_info tracer_sock(unsigned int state)
{
	struct fw_sock_info si = {
		.ev = tracer_event(FW_EV_SNAPSHOT),
		.inode = 123456,
		.keepalive_idle_s = 7200,
		.keepalive_intvl_s = 75,
		.keepalive_cnt = 9,
		.user_timeout_ms = 0,
		.sndq = 12,
		.rcvq = 4294967295u,
		.keepalive = 1,
	};

	si.ev.oldstate = si.ev.newstate = (uint8_t)state;
	return si;
}

static const char *snapshot_line(const struct fw_sock_info *si,
				 const char *source, struct fw_rec *r)
{
	struct fw_output o = out();
	const char *line;
	size_t len;

	CHECK_INT(fw_out_snapshot(&o, si, 17, source), 0);
	line = held_line(&o, &len);
	CHECK_INT(fw_rec_parse(line, len, r), 0);
	check_conn(&si->ev, r, line);
	CHECK(r->has & FW_HAS_SNAP);
	CHECK(r->snap == 17);
	return line;
}

static void test_snapshot(void)
{
	struct fw_sock_info si = tracer_sock(FW_TCP_ESTABLISHED);
	char keys[1024], text[64];
	struct fw_rec r;
	const char *line = snapshot_line(&si, "iter", &r);

	CHECK_STR(keys_of(line, keys, sizeof(keys)), EVENT_KEYS
		  ",state,snap,source,keepalive,keepalive_idle_s,keepalive_"
		  "intvl_s,keepalive_cnt,user_timeout_ms,sndq,"
		  "rcvq" LAST_DROP_KEYS);
	CHECK_STR(key_str(line, "state", text, sizeof(text)), "ESTABLISHED");
	CHECK_STR(key_str(line, "source", text, sizeof(text)), "iter");
	CHECK(r.has & FW_HAS_KEEPALIVE);
	CHECK(r.keepalive);
	CHECK_INT(r.keepalive_idle_s, 7200);
	CHECK(key_u64(line, "keepalive_intvl_s") == 75);
	CHECK(key_u64(line, "keepalive_cnt") == 9);
	CHECK(key_u64(line, "user_timeout_ms") == 0);
	CHECK(key_u64(line, "sndq") == 12);
	CHECK(key_u64(line, "rcvq") == 4294967295u);

	/* sock_diag cannot tell the timings: left out, not invented */
	si.keepalive = 0;
	si.keepalive_idle_s = si.keepalive_intvl_s = FW_AGE_UNKNOWN;
	si.keepalive_cnt = si.user_timeout_ms = FW_AGE_UNKNOWN;
	si.ev.flags = 0;
	si.ev.last_recv_ms = si.ev.last_send_ms = FW_AGE_UNKNOWN;
	line = snapshot_line(&si, "sock_diag", &r);
	CHECK_STR(keys_of(line, keys, sizeof(keys)), CONN_KEYS
		  ",oldstate,newstate,pid,comm," TAIL_KEYS
		  ",state,snap,source,keepalive,sndq,rcvq" LAST_DROP_KEYS);
	CHECK(!r.keepalive);
	CHECK_INT(r.keepalive_idle_s, 0);

	/* a listener and a time-wait socket have no keepalive to tell */
	si = tracer_sock(FW_TCP_LISTEN);
	line = snapshot_line(&si, "iter", &r);
	CHECK(!(r.has & FW_HAS_KEEPALIVE));
	si = tracer_sock(FW_TCP_TIME_WAIT);
	line = snapshot_line(&si, "iter", &r);
	CHECK_INT(key_bool(line, "keepalive"), -1);
}

static void test_snapshot_end(void)
{
	static const uint32_t netns[3] = { 4026531840u, 4026532000u, 1 };
	struct fw_output o = out();
	char keys[256], text[128];
	struct fw_rec r;
	const char *line;
	size_t len;

	CHECK_INT(fw_out_snapshot_end(&o, 17, 250, netns, 3, 9000000000ULL,
				      false),
		  0);
	line = held_line(&o, &len);
	CHECK_INT(fw_rec_parse(line, len, &r), 0);
	check_head(&r, FW_REC_SNAPSHOT_END, 9000000000ULL);
	CHECK_STR(keys_of(line, keys, sizeof(keys)),
		  HEAD_KEYS ",snap,count,netns");
	CHECK(r.has & FW_HAS_SNAP);
	CHECK(r.snap == 17);
	CHECK(r.count == 250);
	CHECK(r.has & FW_HAS_NETNS_LIST);
	CHECK_INT(r.n_netns, 3);
	for (int i = 0; i < 3; i++)
		CHECK(r.netns_list[i] == netns[i]);
	CHECK(!r.netns_more);
	/* all namespaces: an empty list */
	CHECK_INT(fw_out_snapshot_end(&o, 18, 0, NULL, 0, 1, true), 0);
	line = held_line(&o, &len);
	CHECK_INT(fw_rec_parse(line, len, &r), 0);
	CHECK_STR(key_raw(line, "netns", text, sizeof(text)), "[]");
	CHECK(r.has & FW_HAS_NETNS_LIST);
	CHECK_INT(r.n_netns, 0);
}

static void test_lost(void)
{
	static const char *const reasons[] = { "buffer_full", "recursion" };
	char keys[256], text[64];
	struct fw_rec r;

	for (size_t i = 0; i < 2; i++) {
		struct fw_output o = out();
		const char *line;
		size_t len;

		struct fw_lost_window w = {
			.count = 5 + i,
			.from_mono_ns = 1000,
			.to_mono_ns = 2000,
			.transport = "perf",
			.reason = reasons[i],
			.program = i ? "fw_kfree_skb" : NULL,
			.pinned = !i,
			.scope = i ? "drops" : "all",
		};

		CHECK_INT(fw_out_lost(&o, &w), 0);
		line = held_line(&o, &len);
		CHECK_INT(fw_rec_parse(line, len, &r), 0);
		check_head(&r, FW_REC_LOST, 2000);
		CHECK_STR(keys_of(line, keys, sizeof(keys)),
			  i ? HEAD_KEYS ",count,from_ns,transport,reason,"
					"program,pinned,scope"
			    : HEAD_KEYS ",count,from_ns,transport,reason,"
					"pinned,scope");
		CHECK(r.count == 5 + i);
		CHECK(r.from_ns == 1000 + OFFSET_NS);
		CHECK_STR(r.reason, reasons[i]);
		CHECK_STR(key_str(line, "transport", text, sizeof(text)),
			  "perf");
	}
}

static void test_start_and_stop(void)
{
	static const uint16_t ports[2] = { 6379, 65535 };
	static const uint32_t netns[1] = { 4026531840u };
	static const char *const attach[3] = { "state", "close", "drop" };
	struct fw_output o = out();
	char keys[256], text[128];
	uint64_t before = fw_now_monotonic_ns(), after;
	struct fw_rec r;
	const char *line;
	size_t len;

	struct fw_netns_facts facts = { .netns = 4026531840u };
	struct fw_trace_desc d = {
		.ports = ports,
		.nports = 2,
		.netns = netns,
		.nnetns = 1,
		.transport = "ring",
		.attach = attach,
		.nattach = 3,
		.tick_ms = 1000,
		.boot_id = "0693b9b6-3c38-4815-9d8d-12d30de48509",
		.facts = &facts,
		.nfacts = 1,
	};
	const struct fw_loss_totals totals = { .buffer_full = 5,
					       .recursion = 2 };

	for (int i = 0; i < FW_FACT_COUNT; i++)
		facts.v[i] = i == FW_FACT_CT_MAX ? FW_FACT_UNKNOWN : 100 + i;
	CHECK_INT(fw_out_start(&o, &d), 0);
	after = fw_now_monotonic_ns();
	line = held_line(&o, &len);
	CHECK_INT(fw_rec_parse(line, len, &r), 0);
	CHECK_INT(r.type, FW_REC_START);
	CHECK(r.time_ns >= before + OFFSET_NS &&
	      r.time_ns <= after + OFFSET_NS);
	CHECK_STR(r.host, HOST);
	CHECK_STR(keys_of(line, keys, sizeof(keys)),
		  HEAD_KEYS ",ports,netns,transport,version,attach,stream,"
			    "tick_ms,boot_id,netns_facts");
	CHECK_STR(key_str(line, "stream", text, sizeof(text)), "folded");
	CHECK(key_u64(line, "tick_ms") == 1000);
	/* An unreadable fact is left out, never written as a number. */
	CHECK(!strstr(line, "\"ct_max\""));
	CHECK(strstr(line, "\"netns_facts\":[{\"netns\":4026531840,"
			   "\"ct_count\":101,"));
	CHECK_STR(key_raw(line, "ports", text, sizeof(text)), "[6379,65535]");
	CHECK_INT(r.n_netns, 1);
	CHECK(r.netns_list[0] == netns[0]);
	CHECK_STR(key_str(line, "transport", text, sizeof(text)), "ring");
	CHECK(key_str(line, "version", text, sizeof(text))[0] != '\0');
	CHECK(strcmp(text, "(absent)") != 0);
	CHECK_STR(key_raw(line, "attach", text, sizeof(text)),
		  "[\"state\",\"close\",\"drop\"]");
	/* the correlator reads the facts back (its causes use them) */
	CHECK_INT(r.n_facts, 1);
	CHECK(r.facts[0].netns == netns[0]);
	CHECK(r.facts[0].v[FW_FACT_CT_MAX] == FW_UNKNOWN);
	CHECK(r.facts[0].v[FW_FACT_CT_TCP_ESTABLISHED] ==
	      100 + FW_FACT_CT_TCP_ESTABLISHED);
	CHECK((r.has & FW_HAS_ATTACH) && !r.attach_drops);

	CHECK_INT(fw_out_stop(&o, 1000, &totals, 1000), 0);
	line = held_line(&o, &len);
	CHECK_INT(fw_rec_parse(line, len, &r), 0);
	CHECK_INT(r.type, FW_REC_STOP);
	CHECK_STR(r.host, HOST);
	CHECK_STR(keys_of(line, keys, sizeof(keys)),
		  HEAD_KEYS ",events,lost,lost_buffer_full,lost_recursion,"
			    "lost_unpinned,recovered,tick_ms");
	CHECK(key_u64(line, "events") == 1000);
	CHECK(key_u64(line, "lost") == 7);
	CHECK(key_u64(line, "lost_buffer_full") == 5);
	CHECK(key_u64(line, "lost_recursion") == 2);
}

int main(void)
{
	RUN_TEST(test_state);
	RUN_TEST(test_close_with_nothing_known);
	RUN_TEST(test_resets_ipv6);
	RUN_TEST(test_retransmit_flags);
	RUN_TEST(test_drops);
	RUN_TEST(test_v4_mapped);
	RUN_TEST(test_comm_and_host_text);
	RUN_TEST(test_invalid_utf8_becomes_fffd);
	RUN_TEST(test_snapshot);
	RUN_TEST(test_snapshot_end);
	RUN_TEST(test_lost);
	RUN_TEST(test_start_and_stop);
	return CHECK_EXIT();
}
