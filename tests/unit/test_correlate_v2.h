/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the correlator's tests on schema v2 (SCHEMA-v2): a
 * socket's life written either as the all-states stream (a state record
 * per transition) or as the folded one (the uneventful steps carried in
 * the path of the socket's next record), heartbeats, and a comparison
 * of two runs' findings.
 */
#ifndef FW_TEST_CORRELATE_V2_H
#define FW_TEST_CORRELATE_V2_H

/* the v1 scenario helpers are not all used by each v2 test */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test_correlate_helpers.h"

/* What happens to a socket. */
enum happening {
	H_STATE,    /* from -> to */
	H_RETRANS,  /* its FIN retransmitted */
	H_DROP_OUT, /* its FIN dropped by its own host */
	H_DROP_IN,  /* the peer's FIN dropped on arrival */
	H_RST_SENT,
	H_RST_RECV,
};

struct happen {
	double t;
	enum happening what;
	const char *from, *to; /* H_STATE */
	const char *keys;      /* more keys of its record, or NULL */
};

#define ST(t, a, b)                                                            \
	{                                                                      \
		t, H_STATE, a, b, NULL                                         \
	}
#define STK(t, a, b, k)                                                        \
	{                                                                      \
		t, H_STATE, a, b, k                                            \
	}
#define EV(t, w)                                                               \
	{                                                                      \
		t, w, NULL, NULL, NULL                                         \
	}
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
/* The final record of a socket that gave up retransmitting. */
#define TIMED_OUT ",\"sk_err\":\"ETIMEDOUT\",\"rto_retrans\":7,\"probes_out\":0"
#define RESET	  ",\"sk_err\":\"ECONNRESET\""

/* The wall clock the engine sees with --follow (opts.now_ns). */
static uint64_t fake_now;

static uint64_t now_fn(void)
{
	return fake_now;
}

static struct fw_corr_opts clock_opts(bool follow)
{
	struct fw_corr_opts o = default_opts();

	o.follow = follow;
	o.now_ns = now_fn;
	return o;
}

/*
 * Feeds lines [from, to) of a sorted log as they would come while
 * following: each 200 ms after its time by the wall clock.
 */
static void feed_range(struct fw_corr *c, struct lines *ls, int from, int to)
{
	char why[256];

	for (int i = from; i < to && i < ls->n; i++) {
		fake_now = line_time(ls->line[i]) + 200 * MS;
		if (fw_corr_feed_line(c, ls->line[i], strlen(ls->line[i]), why,
				      sizeof(why)) < 0)
			printf("  unexpected bad line %d: %s\n", i, why);
	}
}

/* The start of a v2 trace: its stream, heartbeats and boot. */
static void start_v2(struct lines *ls, const char *host, double t, bool folded,
		     int tick_ms, const char *boot)
{
	char extra[320];

	snprintf(extra, sizeof(extra),
		 ",\"ports\":[6379],\"netns\":[],\"transport\":\"ring\","
		 "\"version\":\"test\",\"attach\":[\"x\"],\"stream\":\"%s\","
		 "\"tick_ms\":%d%s%s%s",
		 folded ? "folded" : "all-states", tick_ms,
		 boot ? ",\"boot_id\":\"" : "", boot ? boot : "",
		 boot ? "\"" : "");
	host_rec(ls, host, 0, t, "start", extra);
}

/* Heartbeats of host every `every` seconds in [from, to]. */
static void ticks(struct lines *ls, const char *host, double from, double to,
		  double every)
{
	for (double t = from; t <= to + 1e-9; t += every)
		host_rec(ls, host, 0, t, "tick",
			 ",\"lost\":0,\"lost_buffer_full\":0,"
			 "\"lost_recursion\":0,\"lost_unpinned\":0");
}

/* Whether the folded stream gives a move to `to` a record of its own. */
static bool own_record(const char *to)
{
	return !strcmp(to, "ESTABLISHED") || !strcmp(to, "CLOSE_WAIT") ||
	       !strcmp(to, "CLOSING") || !strcmp(to, "CLOSE") ||
	       !strcmp(to, "TIME_WAIT");
}

static bool is_final(const struct happen *h)
{
	return h->what == H_STATE &&
	       (!strcmp(h->to, "CLOSE") || !strcmp(h->to, "TIME_WAIT"));
}

/* The keys of one happening that is not a move. */
static const char *happening_keys(const struct happen *h, char *buf, size_t sz,
				  int *retx, int *drops)
{
	switch (h->what) {
	case H_RETRANS:
		snprintf(buf, sz,
			 ",\"tcp_flags\":\"FIN|ACK\",\"close_retrans\":%d",
			 ++*retx);
		return "retransmit";
	case H_DROP_OUT:
	case H_DROP_IN:
		snprintf(buf, sz,
			 ",\"close_drops\":%d,\"tcp_flags\":\"FIN|ACK\","
			 "\"direction\":\"%s\",\"reason\":\"NETFILTER_DROP\"",
			 h->what == H_DROP_OUT ? ++*drops : *drops,
			 h->what == H_DROP_OUT ? "out" : "in");
		return "drop";
	case H_RST_SENT:
		buf[0] = '\0';
		return "reset_sent";
	default:
		buf[0] = '\0';
		return "reset_received";
	}
}

/*
 * Writes a socket's happenings as v2 records: every move a record of
 * its own (all-states), or only the moves the folded stream gives one,
 * the others in the path of the next record. The last move to CLOSE
 * or TIME_WAIT is final.
 */
static void render(struct lines *ls, const struct sk *s, const struct happen *h,
		   int n, bool folded)
{
	char path[1024] = "", extra[1400], keys[256];
	const char *cur = "CLOSE", *type;
	int retx = 0, drops = 0;

	for (int i = 0; i < n; i++) {
		if (h[i].what == H_STATE && folded && !own_record(h[i].to)) {
			size_t len = strlen(path);

			snprintf(path + len, sizeof(path) - len,
				 "%s[\"%s\",\"%s\",%llu]", len ? "," : "",
				 h[i].from, h[i].to,
				 (unsigned long long)at(s, h[i].t));
			cur = h[i].to;
			continue;
		}
		keys[0] = '\0';
		type = h[i].what == H_STATE
			       ? "state"
			       : happening_keys(&h[i], keys, sizeof(keys),
						&retx, &drops);
		snprintf(extra, sizeof(extra), "%s%s%s%s%s%s", keys,
			 path[0] ? ",\"path\":[" : "", path, path[0] ? "]" : "",
			 is_final(&h[i]) ? ",\"final\":true" : "",
			 h[i].keys ? h[i].keys : "");
		if (h[i].what == H_STATE) {
			ev(ls, s, h[i].t, type, h[i].from, h[i].to, extra);
			cur = h[i].to;
		} else {
			ev(ls, s, h[i].t, type, cur, cur, extra);
		}
		path[0] = '\0';
	}
}

/* Both ends of a connection established at t (client first). */
static void established(struct lines *ls, const struct sk *cl,
			const struct sk *sv, double t, bool folded)
{
	const struct happen c[] = { ST(t, "CLOSE", "SYN_SENT"),
				    ST(t + 0.001, "SYN_SENT", "ESTABLISHED") };
	const struct happen s[] = {
		ST(t + 0.0006, "LISTEN", "SYN_RECV"),
		ST(t + 0.0008, "SYN_RECV", "ESTABLISHED"),
	};

	render(ls, cl, c, N(c), folded);
	render(ls, sv, s, N(s), folded);
}

/* The findings of two runs are the same, one by one, in any order. */
static bool same_finding(const struct got *a, const struct got *b)
{
	return a->verdict == b->verdict && !strcmp(a->client, b->client) &&
	       !strcmp(a->server, b->server) &&
	       !strcmp(a->client_host, b->client_host) &&
	       !strcmp(a->server_host, b->server_host) &&
	       a->closer_is_client == b->closer_is_client &&
	       a->kind == b->kind && a->close_time_ns == b->close_time_ns &&
	       a->close_retrans == b->close_retrans &&
	       a->close_drops == b->close_drops && a->idle_ms == b->idle_ms &&
	       a->close_wait_ns == b->close_wait_ns &&
	       a->surviving_state == b->surviving_state &&
	       a->paired_by == b->paired_by &&
	       !strcmp(a->drop_reason, b->drop_reason) &&
	       !strcmp(a->evidence, b->evidence) &&
	       !strcmp(a->reason, b->reason);
}

static void check_same_findings(const struct capture *a,
				const struct capture *b)
{
	CHECK_INT(a->n, b->n);
	for (int i = 0; i < a->n; i++) {
		const struct got *g = find_client(b, a->got[i].client);

		if (!g || !same_finding(&a->got[i], g)) {
			printf("  %s: %s / %s\n    %s\n    %s\n",
			       a->got[i].client,
			       fw_verdict_name(a->got[i].verdict),
			       g ? fw_verdict_name(g->verdict) : "(none)",
			       a->got[i].evidence, g ? g->evidence : "");
			check_current_failed = 1;
		}
	}
}

#endif
