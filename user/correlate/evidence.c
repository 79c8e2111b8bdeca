// SPDX-License-Identifier: GPL-2.0
/*
 * The words of a verdict: the evidence of a finding, and the reason of an
 * incomplete one, written from the judgement's facts alone, so that
 * rewording them never touches a decision. Times are ISO 8601 UTC. The
 * buffer sizes of the parts bound how much of a long host name each part
 * keeps.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine.h"

#define FIN_STORY_MAX  320
#define SIDE_STORY_MAX 160
/* Room for "2026-12-01T20:25:35.123Z", and for "at some time before" it. */
#define ISO_MAX	 48
#define WHEN_MAX 80

static void say(char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}

/* Appends to what buf holds. */
static void say_more(char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say_more(char *buf, size_t sz, const char *fmt, ...)
{
	size_t n = strnlen(buf, sz);
	va_list ap;

	if (n + 1 >= sz)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, sz - n, fmt, ap);
	va_end(ap);
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

/* 2026-12-01T20:25:35.123Z: UTC, to the millisecond; "?" unknown. */
static const char *iso(char *out, size_t sz, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (!is_set(ns) || !gmtime_r(&s, &tm)) {
		snprintf(out, sz, "?");
		return out;
	}
	snprintf(out, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (unsigned int)(ns / 1000000 % 1000));
	return out;
}

/*
 * "at T", or "at some time before T" for a moment nobody saw (a step of
 * a v2 path without a time: T is the record that told of it).
 */
static const char *when(char *out, size_t sz, uint64_t ns, bool unseen)
{
	char t[ISO_MAX];

	iso(t, sizeof(t), ns);
	snprintf(out, sz, "%s%s", unseen ? "at some time before " : "at ", t);
	return out;
}

/* "3h12m", "7m05s", "2.5 s". */
static const char *span(char *out, size_t sz, uint64_t ns)
{
	uint64_t s = ns / 1000000000u;

	if (s >= 3600)
		snprintf(out, sz, "%lluh%02llum", ull(s / 3600),
			 ull(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, sz, "%llum%02llus", ull(s / 60), ull(s % 60));
	else
		snprintf(out, sz, "%.1f s", secs(ns));
	return out;
}

static const char *role(const struct end_facts *e)
{
	return e->client ? "client" : "server";
}

static const char *state(const struct end_facts *e)
{
	return fw_state_name(e->state);
}

/* ---- parts of the evidence ---- */

static void fin_story(const struct evidence_facts *ev, char *buf, size_t sz)
{
	const struct fin_facts *f = &ev->fin;
	char t[WHEN_MAX], died[WHEN_MAX + 32] = "";

	if (f->then_died)
		say(died, sizeof(died), ", then its socket died");
	when(t, sizeof(t), f->sent_ns, f->sent_unseen);
	switch (f->story) {
	case FIN_IN_SNAPSHOT:
		say(buf, sz, "%s on %s was in %s in its snapshot %s",
		    role(&ev->self), ev->self.host,
		    fw_state_name(f->snap_state), t);
		break;
	case FIN_DROPPED_BY_SENDER:
		say(buf, sz,
		    "%s on %s sent FIN %s; the sender's own host dropped "
		    "it %llu times (%s), so it never left%s%s",
		    role(&ev->self), ev->self.host, t, ull(f->drops),
		    f->drop_reason ? f->drop_reason : "?",
		    f->retrans ? " (plus retransmissions on the wire)" : "",
		    died);
		break;
	case FIN_RETRANSMITTED:
		say(buf, sz, "%s on %s sent FIN %s, retransmitted %llu times%s",
		    role(&ev->self), ev->self.host, t, ull(f->retrans), died);
		break;
	}
}

/* "idle 3h12m" and what keepalive can do about it. */
static void idle_story(const struct evidence_facts *ev, char *buf, size_t sz)
{
	char idle[48] = "idle time unknown";

	if (is_set(ev->idle_ms)) {
		uint64_t s = ev->idle_ms / 1000;

		if (s >= 3600)
			snprintf(idle, sizeof(idle), "idle %lluh%02llum",
				 ull(s / 3600), ull(s % 3600 / 60));
		else
			snprintf(idle, sizeof(idle), "idle %llum%02llus",
				 ull(s / 60), ull(s % 60));
	}
	say(buf, sz, "%s, %s", idle,
	    ev->keepalive < 0 ? "keepalive unknown"
	    : ev->keepalive   ? "keepalive on: its probes will reap it"
			      : "keepalive off: nothing will ever reap it");
}

/* Why an end that died unseen is known to be gone. */
static void gone_story(const struct end_facts *e, char *buf, size_t sz)
{
	char last[WHEN_MAX], gone[WHEN_MAX];

	iso(last, sizeof(last), e->last_ns);
	iso(gone, sizeof(gone), e->gone_ns);
	if (e->by_boot)
		say(buf, sz,
		    "%s on %s was last seen at %s, and %s booted again at %s",
		    role(e), e->host, last, e->host, gone);
	else
		say(buf, sz,
		    "%s on %s was last seen at %s, and the snapshot of %s at "
		    "%s no longer lists it: it died unseen",
		    role(e), e->host, last, e->host, gone);
}

/* ---- the evidence of each verdict ---- */

static void lost_fin(const struct evidence_facts *ev, char *buf, size_t sz)
{
	char story[FIN_STORY_MAX], arrival[SIDE_STORY_MAX] = "";
	char t[WHEN_MAX];

	fin_story(ev, story, sizeof(story));
	if (ev->arrival.drops)
		say(arrival, sizeof(arrival),
		    " (it arrived at %s, which dropped it %u times: %s)",
		    ev->peer.host, ev->arrival.drops, ev->arrival.reason);
	say(buf, sz, "%s; %s on %s never received it%s and is still %s at %s",
	    story, role(&ev->peer), ev->peer.host, arrival, state(&ev->peer),
	    iso(t, sizeof(t), ev->peer.still_ns));
}

static void unacked_fin(const struct evidence_facts *ev, char *buf, size_t sz)
{
	char story[FIN_STORY_MAX], t[WHEN_MAX], died[WHEN_MAX];

	if (ev->fin.drops) {
		fin_story(ev, story, sizeof(story));
		say(buf, sz,
		    "%s; the peer's log has no record of this connection",
		    story);
		return;
	}
	say(buf, sz,
	    "%s on %s sent FIN %s, retransmitted it %llu times without an ACK "
	    "until its socket died %s; the peer's log has no record of this "
	    "connection",
	    role(&ev->self), ev->self.host,
	    when(t, sizeof(t), ev->fin.sent_ns, ev->fin.sent_unseen),
	    ull(ev->fin.retrans),
	    when(died, sizeof(died), ev->fin.died_ns, ev->fin.died_unseen));
}

static void snapshot_vanished(const struct evidence_facts *ev, char *buf,
			      size_t sz)
{
	char idle[SIDE_STORY_MAX], t[WHEN_MAX], p[WHEN_MAX];

	idle_story(ev, idle, sizeof(idle));
	say(buf, sz,
	    "%s on %s is still ESTABLISHED at %s (%s); the snapshot of %s at "
	    "%s lists no socket for its peer: the peer is gone",
	    role(&ev->self), ev->self.host,
	    iso(t, sizeof(t), ev->self.still_ns), idle, ev->other,
	    iso(p, sizeof(p), ev->pass_ns));
}

static void vanished_unseen(const struct evidence_facts *ev, char *buf,
			    size_t sz)
{
	char gone[SIDE_STORY_MAX], t[WHEN_MAX];

	gone_story(&ev->peer, gone, sizeof(gone));
	say(buf, sz,
	    "%s; %s on %s never received its close and is still %s at %s", gone,
	    role(&ev->self), ev->self.host, state(&ev->self),
	    iso(t, sizeof(t), ev->self.still_ns));
}

/* A provisional lost FIN: the FIN is not there so far. */
static void live_fin(const struct evidence_facts *ev, char *buf, size_t sz)
{
	char story[FIN_STORY_MAX], t[WHEN_MAX], last[WHEN_MAX];

	fin_story(ev, story, sizeof(story));
	if (ev->fin.story == FIN_DROPPED_BY_SENDER) {
		say(buf, sz,
		    "provisional: %s; %s on %s cannot have received it and is "
		    "still %s",
		    story, role(&ev->peer), ev->peer.host, state(&ev->peer));
		return;
	}
	say(buf, sz,
	    "provisional: %s (the latest at %s); the log of %s, current "
	    "through %s, shows no sign of it: %s is still %s",
	    story, iso(last, sizeof(last), ev->fin.last_tx_ns), ev->peer.host,
	    iso(t, sizeof(t), ev->live_through_ns), role(&ev->peer),
	    state(&ev->peer));
}

/* The evidence of a connection that is fine (ok, open). */
static void write_fine(const struct judgement *j, char *buf, size_t sz)
{
	const struct end_facts *e = &j->ev.self;

	switch (j->ev.what) {
	case EV_FIN_UNSEEN:
		say(buf, sz,
		    "both ends closed; the FIN of the %s never reached the "
		    "other end, which closed anyway (RST or timeout)",
		    role(e));
		break;
	case EV_BOTH_CLOSED:
		say(buf, sz, "both ends closed and each saw the other's close");
		break;
	case EV_CLOSE_IN_FLIGHT:
		say(buf, sz,
		    "every FIN/RST sent was received; the log ended during "
		    "the close");
		break;
	case EV_BOTH_OPEN:
		say(buf, sz, "open on both ends at the end of the logs");
		break;
	case EV_CLOSED_ALONE:
		say(buf, sz, "%s on %s closed normally; no peer in the logs",
		    role(e), e->host);
		break;
	case EV_OPEN_ALONE:
		say(buf, sz,
		    "%s on %s is still %s at the end of its log; no peer in "
		    "the logs",
		    role(e), e->host, state(e));
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

static void close_wait_leak(const struct evidence_facts *ev, char *buf,
			    size_t sz)
{
	const struct end_facts *e = &ev->self;
	char t[WHEN_MAX];

	say(buf, sz,
	    "%s on %s received the FIN %s and stayed in CLOSE_WAIT %.1f s%s "
	    "(limit %.1f s): its application never closed",
	    role(e), e->host, when(t, sizeof(t), ev->cw_since_ns, false),
	    secs(ev->cw_for_ns),
	    ev->cw_through_end ? " through the end of its log" : "",
	    secs(ev->limit_ns));
}

static void peer_vanished(const struct evidence_facts *ev, char *buf, size_t sz)
{
	const struct end_facts *e = &ev->self;
	char est[WHEN_MAX], end[WHEN_MAX], from[WHEN_MAX], to[WHEN_MAX];

	say(buf, sz,
	    "%s on %s established at %s and is still %s at %s; the log of %s "
	    "covers %s..%s but has no socket for this connection",
	    role(e), e->host, iso(est, sizeof(est), ev->est_ns), state(e),
	    iso(end, sizeof(end), e->still_ns), ev->other,
	    iso(from, sizeof(from), ev->other_start_ns),
	    iso(to, sizeof(to), ev->other_end_ns));
}

static void lost_rst(const struct judgement *j, char *buf, size_t sz)
{
	const struct evidence_facts *ev = &j->ev;
	char t[WHEN_MAX], end[WHEN_MAX];

	say(buf, sz,
	    "%s on %s sent RST %s; %s on %s never received it and is "
	    "still %s at %s",
	    role(&ev->self), ev->self.host,
	    when(t, sizeof(t), j->close_ns, ev->close_unseen), role(&ev->peer),
	    ev->peer.host, state(&ev->peer),
	    iso(end, sizeof(end), ev->peer.still_ns));
}

static void dropped_on_arrival(const struct evidence_facts *ev, char *buf,
			       size_t sz)
{
	const struct end_facts *e = &ev->self;
	char t[WHEN_MAX], end[WHEN_MAX];

	say(buf, sz,
	    "the peer's FIN arrived at %s %s, which dropped it %u times (%s) "
	    "before %s could see it; %s is still %s at %s",
	    e->host, when(t, sizeof(t), ev->arrival.first_ns, false),
	    ev->arrival.drops, ev->arrival.reason, role(e), role(e), state(e),
	    iso(end, sizeof(end), e->still_ns));
}

/* The evidence of a verdict that is neither incomplete nor fine. */
static void write_decided(const struct judgement *j, char *buf, size_t sz)
{
	const struct evidence_facts *ev = &j->ev;

	switch (ev->what) {
	case EV_CLOSE_WAIT_LEAK:
		close_wait_leak(ev, buf, sz);
		break;
	case EV_LOST_RST:
		lost_rst(j, buf, sz);
		break;
	case EV_LOST_FIN:
		lost_fin(ev, buf, sz);
		break;
	case EV_DROPPED_ON_ARRIVAL:
		dropped_on_arrival(ev, buf, sz);
		break;
	case EV_UNACKED_FIN:
		unacked_fin(ev, buf, sz);
		break;
	case EV_PEER_VANISHED:
		peer_vanished(ev, buf, sz);
		break;
	case EV_SNAPSHOT_VANISHED:
		snapshot_vanished(ev, buf, sz);
		break;
	case EV_VANISHED_UNSEEN:
		vanished_unseen(ev, buf, sz);
		break;
	case EV_LIVE_FIN:
		live_fin(ev, buf, sz);
		break;
	case EV_LIVE_RST:
		say(buf, sz,
		    "provisional: %s on %s sent RST; its own host dropped it "
		    "(%s), so it never left: %s on %s is still %s",
		    role(&ev->self), ev->self.host,
		    ev->fin.drop_reason ? ev->fin.drop_reason : "?",
		    role(&ev->peer), ev->peer.host, state(&ev->peer));
		break;
	default:
		write_fine(j, buf, sz);
		break;
	}
}

/* What the words add about records the tracer lost, and the reaping. */
static const char *const reaper_words[] = {
	[REAPED_KEEPALIVE] = "its keepalive probes timed out",
	[REAPED_USER_TIMEOUT] = "TCP_USER_TIMEOUT expired",
	[REAPED_RETRANSMIT_TIMEOUT] = "its retransmissions timed out",
	[REAPED_REDIS_TIMEOUT] = "Redis closed it after its idle timeout",
	[REAPED_APP_CLOSE] = "its application closed it",
	[REAPED_RESET] = "a reset came back",
	[REAPED_UNKNOWN] = "it died, how is not known",
};

static void write_tail(const struct judgement *j, char *buf, size_t sz)
{
	const struct evidence_facts *ev = &j->ev;
	char t[WHEN_MAX], d[32];

	if (ev->self.gap)
		say_more(buf, sz,
			 "; the tracer lost %llu records of the %s's socket "
			 "(their steps came in later ones)",
			 ull(ev->self.gap), role(&ev->self));
	if (ev->peer.host && ev->peer.gap)
		say_more(buf, sz,
			 "; the tracer lost %llu records of the %s's socket "
			 "(their steps came in later ones)",
			 ull(ev->peer.gap), role(&ev->peer));
	if (ev->reaped_by == REAPED_NOT)
		return;
	say_more(buf, sz, "; the survivor was reaped at %s",
		 iso(t, sizeof(t), ev->reaped_ns));
	if (is_set(ev->reaped_after_ns))
		say_more(buf, sz, ", %s after the lost close",
			 span(d, sizeof(d), ev->reaped_after_ns));
	say_more(buf, sz, ": %s", reaper_words[ev->reaped_by]);
}

/* ---- the reasons of an incomplete verdict ---- */

static void lost_window(const struct evidence_facts *ev, char *buf, size_t sz)
{
	char from[WHEN_MAX], to[WHEN_MAX];

	iso(from, sizeof(from), ev->lost.from_ns);
	iso(to, sizeof(to), ev->lost.to_ns);
	if (!ev->lost.count)
		say(buf, sz, "tracer on %s was not running between %s and %s",
		    ev->lost_host, from, to);
	else if (ev->lost.pinned)
		say(buf, sz,
		    "tracer on %s lost %llu events between %s and %s, and no "
		    "snapshot pass of %s settled which sockets they were of",
		    ev->lost_host, ull(ev->lost.count), from, to,
		    ev->lost_host);
	else
		say(buf, sz, "tracer on %s lost %llu events between %s and %s",
		    ev->lost_host, ull(ev->lost.count), from, to);
}

/* "app1's log ends at T without a stop record" and the like. */
static void log_end(const struct end_facts *e, char *buf, size_t sz)
{
	char t[WHEN_MAX];

	iso(t, sizeof(t), e->log_end_ns);
	if (e->stalled)
		say(buf, sz, "%s's log stalled at %s (no heartbeat since)",
		    e->host, t);
	else if (e->log_cut)
		say(buf, sz, "%s's log ends at %s without a stop record",
		    e->host, t);
	else
		say(buf, sz, "%s's log ends at %s", e->host, t);
}

static void log_too_short(const struct judgement *j, char *buf, size_t sz)
{
	char end[SIDE_STORY_MAX], t[WHEN_MAX];

	log_end(&j->ev.self, end, sizeof(end));
	say(buf, sz, "%s (the %s's), too soon after the %s %s", end,
	    role(&j->ev.self), j->kind == FW_CLOSE_RST ? "RST" : "FIN",
	    when(t, sizeof(t), j->close_ns, j->ev.close_unseen));
}

static void died_unseen(const struct judgement *j, char *buf, size_t sz)
{
	const struct evidence_facts *ev = &j->ev;
	char gone[SIDE_STORY_MAX];

	gone_story(&ev->self, gone, sizeof(gone));
	if (ev->what == EV_DIED_UNSEEN_ALONE)
		say(buf, sz, "%s; how it closed is not known", gone);
	else
		say(buf, sz,
		    "%s; whether the %s of the %s reached it first is not "
		    "known",
		    gone, j->kind == FW_CLOSE_RST ? "RST" : "FIN",
		    role(&ev->peer));
}

static void history_cut(const struct end_facts *e, char *buf, size_t sz)
{
	char from[WHEN_MAX], to[WHEN_MAX];

	say(buf, sz,
	    "the steps of the %s's socket on %s between %s and %s did not "
	    "all come (path_cut)",
	    role(e), e->host, iso(from, sizeof(from), e->unk_from),
	    iso(to, sizeof(to), e->unk_to));
}

static void no_pass(const struct evidence_facts *ev, char *buf, size_t sz)
{
	char from[WHEN_MAX], to[WHEN_MAX];

	say(buf, sz,
	    "%s has no snapshot taken while this socket surely existed "
	    "(%s..%s on %s)",
	    ev->other, iso(from, sizeof(from), ev->seen_ns),
	    iso(to, sizeof(to), ev->self.log_end_ns), ev->self.host);
}

static void write_reason_more(const struct judgement *j, char *buf, size_t sz)
{
	const struct evidence_facts *ev = &j->ev;
	char t[WHEN_MAX];

	switch (ev->what) {
	case EV_PASS_MISSES_NETNS:
		say(buf, sz,
		    "the snapshot of %s at %s does not cover the network "
		    "namespace of the peer",
		    ev->other, iso(t, sizeof(t), ev->pass_ns));
		break;
	case EV_HISTORY_CUT:
		history_cut(&ev->self, buf, sz);
		break;
	case EV_DIED_UNSEEN:
	case EV_DIED_UNSEEN_ALONE:
		died_unseen(j, buf, sz);
		break;
	case EV_LOG_CUT:
		log_end(&ev->self, buf, sz);
		say_more(buf, sz,
			 ", with the %s still %s: what it did later "
			 "is not known",
			 role(&ev->self), state(&ev->self));
		break;
	case EV_LIVE_UNDONE:
		say(buf, sz,
		    "provisional: the earlier provisional %s no longer holds "
		    "(%s on %s shows the close or a doubt since); the final "
		    "verdict follows",
		    fw_verdict_name(ev->undone), role(&ev->peer),
		    ev->peer.host);
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

/* An unpaired end could be self's peer: the ISNs cannot tell. */
static void unproven_pairing(const struct evidence_facts *ev, char *buf,
			     size_t sz)
{
	const struct pair_doubt *d = &ev->doubt;
	char when[WHEN_MAX + 16] = "alive at the same time", t[ISO_MAX];

	if (is_set(d->est_ns))
		snprintf(when, sizeof(when), "established at %s",
			 iso(t, sizeof(t), d->est_ns));
	say(buf, sz,
	    "the %s on %s (socket %llu, %s, the same server port) could be "
	    "the peer of this %s: their ISNs do not mirror (a middlebox "
	    "rewriting sequence numbers?), so the pairing cannot be proven",
	    d->client ? "client" : "server", d->host->name, ull(d->sock), when,
	    role(&ev->self));
}

void evidence_write_reason(const struct judgement *j, char *buf, size_t sz)
{
	const struct evidence_facts *ev = &j->ev;
	const struct end_facts *e = &ev->self;

	switch (ev->what) {
	case EV_LOST_WINDOW:
		lost_window(ev, buf, sz);
		break;
	case EV_LOG_TOO_SHORT:
		log_too_short(j, buf, sz);
		break;
	case EV_FIN_ACKED_UNSEEN:
		say(buf, sz,
		    "the FIN of %s was acknowledged, yet %s on %s recorded "
		    "no FIN (a record missing?)",
		    role(e), role(&ev->peer), ev->peer.host);
		break;
	case EV_SHORT_CLOSE_WAIT:
		say(buf, sz,
		    "%s on %s was in CLOSE_WAIT for %.1f s when its log ended "
		    "(under --close-wait)",
		    role(e), e->host, secs(ev->cw_for_ns));
		break;
	case EV_FIN_UNACKED_AT_END:
		say(buf, sz,
		    "FIN still unacknowledged after %llu retransmissions when "
		    "the log ended; the peer's log has no record of it",
		    ull(ev->fin.retrans));
		break;
	case EV_NO_PASS_WHILE_OPEN:
		no_pass(ev, buf, sz);
		break;
	case EV_PEER_UNPROVEN:
		unproven_pairing(ev, buf, sz);
		break;
	default:
		write_reason_more(j, buf, sz);
		break;
	}
}

/* An incomplete verdict's evidence quotes its reason. */
void evidence_write(const struct judgement *j, const char *reason, char *buf,
		    size_t sz)
{
	if (j->verdict == FW_V_INCOMPLETE)
		say(buf, sz, "%snot enough evidence: %s",
		    j->provisional && j->ev.what != EV_LIVE_UNDONE
			    ? "provisional: "
			    : "",
		    reason);
	else
		write_decided(j, buf, sz);
	write_tail(j, buf, sz);
}
