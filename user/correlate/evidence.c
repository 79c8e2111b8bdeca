// SPDX-License-Identifier: GPL-2.0
/*
 * The words of a verdict: the evidence of a finding, and the reason of an
 * incomplete one, written from the judgement's facts alone, so that
 * rewording them never touches a decision. The buffer sizes of the parts
 * bound how much of a long host name each part keeps.
 */
#include <stdarg.h>
#include <stdio.h>

#include "engine.h"

#define FIN_STORY_MAX  256
#define SIDE_STORY_MAX 128

static void say(char *buf, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
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
	const char *tail = f->then_died ? ", then its socket died" : "";

	switch (f->story) {
	case FIN_IN_SNAPSHOT:
		say(buf, sz, "%s on %s was in %s in its snapshot at %llu",
		    role(&ev->self), ev->self.host,
		    fw_state_name(f->snap_state), ull(f->sent_ns));
		break;
	case FIN_DROPPED_BY_SENDER:
		say(buf, sz,
		    "%s on %s sent FIN at %llu; the sender's own host dropped "
		    "it %llu times (%s), so it never left%s%s",
		    role(&ev->self), ev->self.host, ull(f->sent_ns),
		    ull(f->drops), f->drop_reason ? f->drop_reason : "?",
		    f->retrans ? " (plus retransmissions on the wire)" : "",
		    tail);
		break;
	case FIN_RETRANSMITTED:
		say(buf, sz,
		    "%s on %s sent FIN at %llu, retransmitted %llu times%s",
		    role(&ev->self), ev->self.host, ull(f->sent_ns),
		    ull(f->retrans), tail);
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

/* ---- the evidence of each verdict ---- */

static void lost_fin(const struct evidence_facts *ev, char *buf, size_t sz)
{
	char story[FIN_STORY_MAX], arrival[SIDE_STORY_MAX] = "";

	fin_story(ev, story, sizeof(story));
	if (ev->arrival.drops)
		say(arrival, sizeof(arrival),
		    " (it arrived at %s, which dropped it %u times: %s)",
		    ev->peer.host, ev->arrival.drops, ev->arrival.reason);
	say(buf, sz, "%s; %s on %s never received it%s and is still %s at %llu",
	    story, role(&ev->peer), ev->peer.host, arrival, state(&ev->peer),
	    ull(ev->peer.log_end_ns));
}

static void unacked_fin(const struct evidence_facts *ev, char *buf, size_t sz)
{
	char story[FIN_STORY_MAX];

	if (ev->fin.drops) {
		fin_story(ev, story, sizeof(story));
		say(buf, sz,
		    "%s; the peer's log has no record of this connection",
		    story);
		return;
	}
	say(buf, sz,
	    "%s on %s sent FIN at %llu, retransmitted it %llu times without "
	    "an ACK until its socket died at %llu; the peer's log has no "
	    "record of this connection",
	    role(&ev->self), ev->self.host, ull(ev->fin.sent_ns),
	    ull(ev->fin.retrans), ull(ev->fin.died_ns));
}

static void snapshot_vanished(const struct evidence_facts *ev, char *buf,
			      size_t sz)
{
	char idle[SIDE_STORY_MAX];

	idle_story(ev, idle, sizeof(idle));
	say(buf, sz,
	    "%s on %s is still ESTABLISHED at %llu (%s); the snapshot of %s "
	    "at %llu lists no socket for its peer: the peer is gone",
	    role(&ev->self), ev->self.host, ull(ev->self.log_end_ns), idle,
	    ev->other, ull(ev->pass_ns));
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

/* The evidence of a verdict that is neither incomplete nor fine. */
static void write_decided(const struct judgement *j, char *buf, size_t sz)
{
	const struct evidence_facts *ev = &j->ev;
	const struct end_facts *e = &ev->self;

	switch (ev->what) {
	case EV_CLOSE_WAIT_LEAK:
		say(buf, sz,
		    "%s on %s received the FIN at %llu and stayed in "
		    "CLOSE_WAIT %.1f s%s (limit %.1f s): its application "
		    "never closed",
		    role(e), e->host, ull(ev->cw_since_ns), secs(ev->cw_for_ns),
		    ev->cw_through_end ? " through the end of its log" : "",
		    secs(ev->limit_ns));
		break;
	case EV_LOST_RST:
		say(buf, sz,
		    "%s on %s sent RST at %llu; %s on %s never received it "
		    "and is still %s at %llu",
		    role(e), e->host, ull(j->close_ns), role(&ev->peer),
		    ev->peer.host, state(&ev->peer), ull(ev->peer.log_end_ns));
		break;
	case EV_LOST_FIN:
		lost_fin(ev, buf, sz);
		break;
	case EV_DROPPED_ON_ARRIVAL:
		say(buf, sz,
		    "the peer's FIN arrived at %s at %llu, which dropped it "
		    "%u times (%s) before %s could see it; %s is still %s at "
		    "%llu",
		    e->host, ull(ev->arrival.first_ns), ev->arrival.drops,
		    ev->arrival.reason, role(e), role(e), state(e),
		    ull(e->log_end_ns));
		break;
	case EV_UNACKED_FIN:
		unacked_fin(ev, buf, sz);
		break;
	case EV_PEER_VANISHED:
		say(buf, sz,
		    "%s on %s established at %llu and is still %s at %llu; "
		    "the log of %s covers %llu..%llu but has no socket for "
		    "this connection",
		    role(e), e->host, ull(ev->est_ns), state(e),
		    ull(e->log_end_ns), ev->other, ull(ev->other_start_ns),
		    ull(ev->other_end_ns));
		break;
	case EV_SNAPSHOT_VANISHED:
		snapshot_vanished(ev, buf, sz);
		break;
	default:
		write_fine(j, buf, sz);
		break;
	}
}

/* ---- the reasons of an incomplete verdict ---- */

static void lost_window(const struct evidence_facts *ev, char *buf, size_t sz)
{
	if (ev->lost.count)
		say(buf, sz,
		    "tracer on %s lost %llu events between %llu and %llu",
		    ev->lost_host, ull(ev->lost.count), ull(ev->lost.from_ns),
		    ull(ev->lost.to_ns));
	else
		say(buf, sz,
		    "tracer on %s was not running between %llu and %llu",
		    ev->lost_host, ull(ev->lost.from_ns), ull(ev->lost.to_ns));
}

/* An unpaired end could be self's peer: the ISNs cannot tell. */
static void unproven_pairing(const struct evidence_facts *ev, char *buf,
			     size_t sz)
{
	const struct pair_doubt *d = &ev->doubt;
	char when[64] = "alive at the same time";

	if (is_set(d->est_ns))
		snprintf(when, sizeof(when), "established at %llu",
			 ull(d->est_ns));
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
		say(buf, sz,
		    "%s's log (%s) ends at %llu, too soon after the %s at %llu",
		    role(e), e->host, ull(e->log_end_ns),
		    j->kind == FW_CLOSE_RST ? "RST" : "FIN", ull(j->close_ns));
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
		say(buf, sz,
		    "%s has no snapshot taken while this socket surely existed "
		    "(%llu..%llu on %s)",
		    ev->other, ull(ev->seen_ns), ull(e->log_end_ns), e->host);
		break;
	case EV_PASS_MISSES_NETNS:
		say(buf, sz,
		    "the snapshot of %s at %llu does not cover the network "
		    "namespace of the peer",
		    ev->other, ull(ev->pass_ns));
		break;
	case EV_PEER_UNPROVEN:
		unproven_pairing(ev, buf, sz);
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

/* An incomplete verdict's evidence quotes its reason. */
void evidence_write(const struct judgement *j, const char *reason, char *buf,
		    size_t sz)
{
	if (j->verdict == FW_V_INCOMPLETE)
		say(buf, sz, "not enough evidence: %s", reason);
	else
		write_decided(j, buf, sz);
}
