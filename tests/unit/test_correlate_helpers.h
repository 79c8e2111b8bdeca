/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the correlator's unit tests: write crafted trace records as
 * JSON lines, feed them to the engine, and keep the findings to assert on.
 */
#ifndef FW_TEST_CORRELATE_HELPERS_H
#define FW_TEST_CORRELATE_HELPERS_H

#include "correlate/correlate.h"
#include "check.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each test file uses some of these helpers, not all of them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

#define T0  1795996800000000000ull
#define SEC 1000000000ull
#define MS  1000000ull

struct got {
	enum fw_verdict verdict;
	char client[64], server[64];
	char client_host[64], server_host[64];
	uint64_t client_netns, server_netns;
	uint32_t client_pid, server_pid;
	char client_comm[64], server_comm[64];
	bool client_present, server_present;
	int closer_is_client; /* -1: no close */
	enum fw_close_kind kind;
	uint64_t close_time_ns, close_retrans, idle_ms, close_wait_ns;
	unsigned int surviving_state;
	enum fw_paired_by paired_by;
	uint64_t close_drops;
	char drop_reason[32];
	uint64_t surv_idle_ms; /* the surviving end's, FW_UNKNOWN */
	int surv_keepalive;    /* -1 unknown or no survivor */
	char evidence[768];
	char reason[384];
	bool before_finish; /* decided while input was still coming */
	char id[FW_FINDING_ID_MAX];
	bool provisional, revision;
	char reaped_by[32];
	uint64_t reaped_after_ms;
	uint64_t client_gap, server_gap;
	char cause_host[64];
};

#define CAPTURE_MAX 128

struct capture {
	struct got got[CAPTURE_MAX];
	int n;
	bool finishing;
};

static void copy_str(char *dst, size_t sz, const char *src)
{
	snprintf(dst, sz, "%s", src ? src : "");
}

static void capture_cb(const struct fw_finding *f, void *ctx)
{
	struct capture *cap = ctx;
	struct got *g;

	if (cap->n >= CAPTURE_MAX)
		return;
	g = &cap->got[cap->n++];
	memset(g, 0, sizeof(*g));
	g->verdict = f->verdict;
	copy_str(g->client, sizeof(g->client), f->client.endpoint);
	copy_str(g->server, sizeof(g->server), f->server.endpoint);
	copy_str(g->client_host, sizeof(g->client_host), f->client.host);
	copy_str(g->server_host, sizeof(g->server_host), f->server.host);
	copy_str(g->client_comm, sizeof(g->client_comm), f->client.comm);
	copy_str(g->server_comm, sizeof(g->server_comm), f->server.comm);
	g->client_present = f->client.present;
	g->server_present = f->server.present;
	g->client_netns = f->client.netns;
	g->server_netns = f->server.netns;
	g->client_pid = f->client.pid;
	g->server_pid = f->server.pid;
	g->closer_is_client =
		f->close_kind == FW_CLOSE_NONE ? -1 : f->closer_is_client;
	g->kind = f->close_kind;
	g->close_time_ns = f->close_time_ns;
	g->close_retrans = f->close_retrans;
	g->idle_ms = f->idle_before_close_ms;
	g->close_wait_ns = f->close_wait_ns;
	g->surviving_state = f->surviving_state;
	g->paired_by = f->paired_by;
	g->close_drops = f->close_drops;
	copy_str(g->drop_reason, sizeof(g->drop_reason), f->drop_reason);
	g->surv_idle_ms = f->survivor ? f->survivor->idle_ms : FW_UNKNOWN;
	g->surv_keepalive = f->survivor ? f->survivor->keepalive : -1;
	copy_str(g->evidence, sizeof(g->evidence), f->evidence);
	copy_str(g->reason, sizeof(g->reason), f->reason);
	g->before_finish = !cap->finishing;
	copy_str(g->id, sizeof(g->id), f->id);
	g->provisional = f->provisional;
	g->revision = f->revision;
	copy_str(g->reaped_by, sizeof(g->reaped_by), f->reaped_by);
	g->reaped_after_ms = f->reaped_after_ms;
	g->client_gap = f->client.gap;
	g->server_gap = f->server.gap;
	copy_str(g->cause_host, sizeof(g->cause_host), f->cause.host);
}

/* The findings with a given verdict. */
static int count_verdict(const struct capture *cap, enum fw_verdict v)
{
	int i, n = 0;

	for (i = 0; i < cap->n; i++)
		n += cap->got[i].verdict == v;
	return n;
}

static const struct got *find_client(const struct capture *cap,
				     const char *client)
{
	int i;

	for (i = 0; i < cap->n; i++)
		if (!strcmp(cap->got[i].client, client))
			return &cap->got[i];
	return NULL;
}

/*
 * One endpoint's view of a connection: host, netns, sock, addresses,
 * role, owner, ISNs (0,0 = absent).
 */
struct sk {
	const char *host;
	uint64_t netns, sock;
	int family;
	const char *laddr;
	int lport;
	const char *raddr;
	int rport;
	const char *role;
	int pid;
	const char *comm;
	uint32_t isn_local, isn_remote;
	int64_t clock_off_ns; /* this host's clock error */
};

/* A list of lines, fed in order or shuffled; it grows as needed. */
struct lines {
	char **line;
	int n, cap;
};

static void add_line(struct lines *ls, const char *fmt, ...)
{
	va_list ap;
	char buf[2048];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (ls->n == ls->cap) {
		int cap = ls->cap ? ls->cap * 2 : 512;
		char **line = realloc(ls->line, (size_t)cap * sizeof(*line));

		if (!line)
			return;
		ls->line = line;
		ls->cap = cap;
	}
	ls->line[ls->n++] = strdup(buf);
}

static void free_lines(struct lines *ls)
{
	int i;

	for (i = 0; i < ls->n; i++)
		free(ls->line[i]);
	free(ls->line);
	ls->line = NULL;
	ls->n = ls->cap = 0;
}

/* The "v" of the records the helpers write: 1, or 2 for schema v2. */
static int rec_v = 1;

static uint64_t at(const struct sk *s, double t)
{
	return (uint64_t)((int64_t)(T0 + (uint64_t)(t * 1e9)) +
			  s->clock_off_ns);
}

/* A connection record; extra holds more keys (",\"k\":v") or "". */
static void ev(struct lines *ls, const struct sk *s, double t, const char *type,
	       const char *old, const char *new, const char *extra)
{
	char isn[64] = "";

	if (s->isn_local || s->isn_remote)
		snprintf(isn, sizeof(isn),
			 ",\"isn_local\":%u,\"isn_remote\":%u", s->isn_local,
			 s->isn_remote);
	add_line(ls,
		 "{\"v\":%d,\"type\":\"%s\",\"time_ns\":%llu,\"host\":\"%s\","
		 "\"netns\":%llu,\"sock\":%llu,\"family\":%d,\"laddr\":\"%s\","
		 "\"lport\":%d,\"raddr\":\"%s\",\"rport\":%d,\"role\":\"%s\","
		 "\"oldstate\":\"%s\",\"newstate\":\"%s\",\"pid\":%d,"
		 "\"comm\":\"%s\"%s%s}",
		 rec_v, type, (unsigned long long)at(s, t), s->host,
		 (unsigned long long)s->netns, (unsigned long long)s->sock,
		 s->family ? s->family : 4, s->laddr, s->lport, s->raddr,
		 s->rport, s->role, old, new, s->pid, s->comm, isn, extra);
}

static void st(struct lines *ls, const struct sk *s, double t, const char *old,
	       const char *new)
{
	ev(ls, s, t, "state", old, new, "");
}

/* A host-level record: start, stop, lost. */
static void host_rec(struct lines *ls, const char *host, int64_t off, double t,
		     const char *type, const char *extra)
{
	add_line(
		ls,
		"{\"v\":%d,\"type\":\"%s\",\"time_ns\":%llu,\"host\":\"%s\"%s}",
		rec_v, type,
		(unsigned long long)((int64_t)(T0 + (uint64_t)(t * 1e9)) + off),
		host, extra);
}

static void start_rec(struct lines *ls, const char *host, int64_t off, double t)
{
	host_rec(ls, host, off, t, "start",
		 ",\"ports\":[6379],\"netns\":[],\"transport\":\"ring\","
		 "\"version\":\"test\",\"attach\":[\"x\"]");
}

static void stop_rec(struct lines *ls, const char *host, int64_t off, double t)
{
	host_rec(ls, host, off, t, "stop", ",\"events\":1,\"lost\":0");
}

/* A connection's whole life: opened by the client at t. */
static void open_conn(struct lines *ls, const struct sk *cl,
		      const struct sk *sv, double t)
{
	st(ls, cl, t, "SYN_SENT", "ESTABLISHED");
	st(ls, sv, t + 0.0005, "SYN_RECV", "ESTABLISHED");
}

/* A normal close started by a (either end) at t, idle idle_ms before. */
static void clean_close(struct lines *ls, const struct sk *a,
			const struct sk *b, double t, int idle_ms)
{
	char idle[96];

	snprintf(idle, sizeof(idle), ",\"last_recv_ms\":%d,\"last_send_ms\":%d",
		 idle_ms, idle_ms + 5);
	ev(ls, a, t, "state", "ESTABLISHED", "FIN_WAIT1", idle);
	ev(ls, a, t, "close", "FIN_WAIT1", "CLOSE", ",\"via\":\"tcp_close\"");
	st(ls, b, t + 0.0005, "ESTABLISHED", "CLOSE_WAIT");
	st(ls, a, t + 0.001, "FIN_WAIT1", "FIN_WAIT2");
	ev(ls, b, t + 0.002, "close", "CLOSE_WAIT", "CLOSE",
	   ",\"via\":\"tcp_close\"");
	st(ls, b, t + 0.002, "CLOSE_WAIT", "LAST_ACK");
	st(ls, a, t + 0.0025, "FIN_WAIT2", "TIME_WAIT");
	st(ls, b, t + 0.003, "LAST_ACK", "CLOSE");
}

/* a's FIN never reaches b: retransmitted n times, then a gives up. */
static void lost_fin(struct lines *ls, const struct sk *a, double t,
		     int idle_ms, int n)
{
	char extra[128];
	double rto = 0.2, when = t;
	int i;

	snprintf(extra, sizeof(extra),
		 ",\"last_recv_ms\":%d,\"last_send_ms\":%d", idle_ms,
		 idle_ms + 2);
	ev(ls, a, t, "state", "ESTABLISHED", "FIN_WAIT1", extra);
	ev(ls, a, t, "close", "FIN_WAIT1", "CLOSE", ",\"via\":\"tcp_close\"");
	for (i = 0; i < n; i++) {
		when += rto;
		rto *= 2;
		snprintf(extra, sizeof(extra),
			 ",\"tcp_flags\":\"FIN|ACK\",\"close_retrans\":%d",
			 i + 1);
		ev(ls, a, when, "retransmit", "FIN_WAIT1", "FIN_WAIT1", extra);
	}
	st(ls, a, when + rto, "FIN_WAIT1", "CLOSE");
}

/*
 * A snapshot record of s in state, idle idle_ms, keepalive on or off,
 * pass 1.
 */
static void snap(struct lines *ls, const struct sk *s, double t,
		 const char *state, int idle_ms, bool keepalive)
{
	char extra[256];

	snprintf(extra, sizeof(extra),
		 ",\"close_retrans\":0,\"close_drops\":0,\"last_recv_ms\":%d,"
		 "\"last_send_ms\":%d,\"state\":\"%s\",\"snap\":1,\"source\":"
		 "\"iter\",\"keepalive\":%s,\"keepalive_idle_s\":7200",
		 idle_ms, idle_ms, state, keepalive ? "true" : "false");
	ev(ls, s, t, "snapshot", state, state, extra);
}

static void snap_end(struct lines *ls, const char *host, double t, int n)
{
	char extra[64];

	snprintf(extra, sizeof(extra), ",\"snap\":1,\"count\":%d", n);
	host_rec(ls, host, 0, t, "snapshot_end", extra);
}

/* Sorts lines by time_ns, as the CLI's merge of several files would. */
static uint64_t line_time(const char *l)
{
	const char *p = strstr(l, "\"time_ns\":");

	return p ? strtoull(p + 10, NULL, 10) : 0;
}

static int by_time(const void *a, const void *b)
{
	uint64_t x = line_time(*(char *const *)a);
	uint64_t y = line_time(*(char *const *)b);

	return x < y ? -1 : x > y;
}

static void sort_lines(struct lines *ls)
{
	qsort(ls->line, (size_t)ls->n, sizeof(ls->line[0]), by_time);
}

static struct fw_corr_opts default_opts(void)
{
	struct fw_corr_opts o = {
		.skew_ns = FW_DEFAULT_SKEW_NS,
		.close_wait_ns = FW_DEFAULT_CLOSE_WAIT_NS,
	};

	return o;
}

/* app1 (client, ruby, 10.0.0.1) talks to db1 (redis-server) on 6379. */
static struct sk client_sk(int port, uint32_t isn_c, uint32_t isn_s)
{
	struct sk s = { "app1",
			4026531840ull,
			1000 + (uint64_t)port,
			4,
			"10.0.0.1",
			port,
			"10.0.0.2",
			6379,
			"client",
			4242,
			"ruby",
			isn_c,
			isn_s,
			0 };
	return s;
}

static struct sk server_sk(int port, uint32_t isn_c, uint32_t isn_s)
{
	struct sk s = { "db1",
			4026532000ull,
			5000 + (uint64_t)port,
			4,
			"10.0.0.2",
			6379,
			"10.0.0.1",
			port,
			"server",
			77,
			"redis-server",
			isn_s,
			isn_c,
			0 };
	return s;
}

static void both_start(struct lines *ls)
{
	start_rec(ls, "app1", 0, 0);
	start_rec(ls, "db1", 0, 0);
}

static void both_stop(struct lines *ls, double t)
{
	stop_rec(ls, "app1", 0, t);
	stop_rec(ls, "db1", 0, t);
}

/* Feeds all lines (a bad line fails the test) and finishes. */
static struct fw_corr *run_lines(struct lines *ls, struct capture *cap,
				 const struct fw_corr_opts *opts)
{
	struct fw_corr *c = fw_corr_new(opts, capture_cb, cap);
	char why[256];
	int i;

	memset(cap, 0, sizeof(*cap));
	for (i = 0; i < ls->n; i++) {
		if (fw_corr_feed_line(c, ls->line[i], strlen(ls->line[i]), why,
				      sizeof(why)) < 0)
			printf("  unexpected bad line %d: %s\n", i, why);
	}
	cap->finishing = true;
	fw_corr_finish(c);
	return c;
}

/*
 * The lines merged by time as the CLI would, fed with default options to
 * an engine whose findings go to cb (a bad line fails the test); frees
 * the lines and the engine.
 */
static void run_sorted_cb(struct lines *ls, fw_finding_cb cb, void *ctx)
{
	struct fw_corr_opts o = default_opts();
	struct fw_corr *c = fw_corr_new(&o, cb, ctx);
	char why[256];

	sort_lines(ls);
	for (int i = 0; i < ls->n; i++)
		if (fw_corr_feed_line(c, ls->line[i], strlen(ls->line[i]), why,
				      sizeof(why)) < 0)
			printf("  unexpected bad line %d: %s\n", i, why);
	fw_corr_finish(c);
	fw_corr_free(c);
	free_lines(ls);
}

/*
 * The usual test: the lines merged by time as the CLI would, default
 * options; frees the lines and the engine, the findings stay in cap.
 */
static void run_default(struct lines *ls, struct capture *cap)
{
	struct fw_corr_opts o = default_opts();

	sort_lines(ls);
	fw_corr_free(run_lines(ls, cap, &o));
	free_lines(ls);
}

#pragma GCC diagnostic pop

#endif
