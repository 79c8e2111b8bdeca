// SPDX-License-Identifier: GPL-2.0
/*
 * The judges: from what the ends recorded, and what their hosts' logs
 * cover, a connection's verdict, or the time to look again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

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

static const char *role_name(const struct end *e)
{
	return end_is_client(e) ? "client" : "server";
}

/* Incomplete because of a lost-event window; true if there was one. */
static bool lost_window(struct fw_corr *c, struct judgement *j,
			const struct host *h, uint64_t from, uint64_t to)
{
	const struct lost_win *w = host_lost_in(h, from, to);

	if (!w)
		return false;
	j->verdict = FW_V_INCOMPLETE;
	if (w->count)
		say(c->reason, sizeof(c->reason),
		    "tracer on %s lost %llu events between %llu and %llu",
		    h->name, (unsigned long long)w->count,
		    (unsigned long long)w->from_ns,
		    (unsigned long long)w->to_ns);
	else
		say(c->reason, sizeof(c->reason),
		    "tracer on %s was not running between %llu and %llu",
		    h->name, (unsigned long long)w->from_ns,
		    (unsigned long long)w->to_ns);
	return true;
}

/*
 * What the sender's side shows of its FIN: a closing state in a
 * snapshot, tries its own host dropped (the FIN never left), or
 * retransmissions on the wire.
 */
static void fin_story(const struct end *s, char *buf, size_t sz)
{
	char tail[64] = "";

	if (end_dead(s) && !s->fin_from_snap)
		snprintf(tail, sizeof(tail), ", then its socket died");
	if (s->fin_from_snap && !end_out_drops(s) && !end_fin_retrans(s)) {
		say(buf, sz, "%s on %s was in %s in its snapshot at %llu",
		    role_name(s), s->host->name, fw_state_name(s->snap_state),
		    (unsigned long long)s->fin_sent_ns);
		return;
	}
	if (end_out_drops(s)) {
		say(buf, sz,
		    "%s on %s sent FIN at %llu; the sender's own host dropped "
		    "it %llu times (%s), so it never left%s%s",
		    role_name(s), s->host->name,
		    (unsigned long long)s->fin_sent_ns,
		    (unsigned long long)end_out_drops(s),
		    s->drop_reason ? s->drop_reason : "?",
		    end_fin_retrans(s) ? " (plus retransmissions on the wire)"
				       : "",
		    tail);
		return;
	}
	say(buf, sz, "%s on %s sent FIN at %llu, retransmitted %llu times%s",
	    role_name(s), s->host->name, (unsigned long long)s->fin_sent_ns,
	    (unsigned long long)end_fin_retrans(s), tail);
}

/* The receiving host dropped the FIN on arrival: it came that far. */
static void arrival_story(const struct end *r, char *buf, size_t sz)
{
	buf[0] = '\0';
	if (r->fin_drops_in)
		say(buf, sz,
		    " (it arrived at %s, which dropped it %u times: %s)",
		    r->host->name, r->fin_drops_in, r->drop_in_reason);
}

/*
 * A CLOSE_WAIT longer than --close-wait, as soon as it is that long.
 * Returns the verdict, or UNDECIDED with *wake set while it might become
 * one, or PASSED.
 */
static int judge_close_wait(struct fw_corr *c, struct end *e,
			    struct judgement *j, uint64_t *wake)
{
	uint64_t until, limit = c->opts.close_wait_ns;

	if (!is_set(e->cw_ns))
		return PASSED;
	until = is_set(e->cw_left_ns) ? e->cw_left_ns : e->host->wm_ns;
	if (sub_sat(until, e->cw_ns) <= limit) {
		/* a host that stopped cannot make it longer */
		if (!is_set(e->cw_left_ns) && !e->host->done)
			*wake = min_u64(
				*wake,
				to_ref(e->host, add_sat(e->cw_ns, limit)) + 1);
		return PASSED;
	}
	j->survivor = e;
	j->cw_ns = until - e->cw_ns;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = e->cw_ns;
	if (lost_window(c, j, e->host, e->cw_ns, add_sat(e->cw_ns, limit)))
		return j->verdict;
	say(c->evidence, sizeof(c->evidence),
	    "%s on %s received the FIN at %llu and stayed in CLOSE_WAIT "
	    "%.1f s%s (limit %.1f s): its application never closed",
	    role_name(e), e->host->name, (unsigned long long)e->cw_ns,
	    secs(j->cw_ns),
	    is_set(e->cw_left_ns) ? "" : " through the end of its log",
	    secs(limit));
	return j->verdict = FW_V_CLOSE_WAIT_LEAK;
}

/*
 * r's log has not reached deadline yet: wait for it while it may grow,
 * else the close at t (of kind what) cannot be judged.
 */
static int too_soon(struct fw_corr *c, const struct end *r, struct judgement *j,
		    uint64_t deadline, const char *what, uint64_t t,
		    uint64_t *wake, bool final)
{
	if (!final && !r->host->done) {
		*wake = min_u64(*wake, to_ref(r->host, deadline));
		return UNDECIDED;
	}
	say(c->reason, sizeof(c->reason),
	    "%s's log (%s) ends at %llu, too soon after the %s at %llu",
	    role_name(r), r->host->name, (unsigned long long)r->host->wm_ns,
	    what, (unsigned long long)t);
	return j->verdict = FW_V_INCOMPLETE;
}

static int judge_rst(struct fw_corr *c, struct end *s, struct end *r,
		     struct judgement *j, uint64_t *wake, bool final)
{
	uint64_t t = s->rst_sent_ns;
	uint64_t t_r = clock_convert(s, r, t);
	uint64_t deadline = add_sat(t_r, clock_tolerance(c, s, r));

	if (is_set(r->rst_recv_ns) || end_dead(r))
		return PASSED;
	j->closer = s;
	j->survivor = r;
	j->kind = FW_CLOSE_RST;
	j->close_ns = t;
	if (r->host->wm_ns < deadline)
		return too_soon(c, r, j, deadline, "RST", t, wake, final);
	if (lost_window(c, j, r->host, sub_sat(t_r, c->opts.skew_ns), deadline))
		return j->verdict;
	say(c->evidence, sizeof(c->evidence),
	    "%s on %s sent RST at %llu; %s on %s never received it and is "
	    "still %s at %llu",
	    role_name(s), s->host->name, (unsigned long long)t, role_name(r),
	    r->host->name, fw_state_name(r->state),
	    (unsigned long long)r->host->wm_ns);
	return j->verdict = FW_V_LOST_RST;
}

/* When r's silence about s's FIN counts: s's socket died, or its log ended. */
static uint64_t fin_deadline(struct fw_corr *c, const struct end *s,
			     const struct end *r, bool final)
{
	if (end_dead(s))
		return add_sat(clock_convert(s, r, s->died_ns),
			       clock_tolerance(c, s, r));
	/*
	 * s's log ended while it was still retransmitting: r staying open
	 * past the first FIN through the end of its own log is the lost
	 * FIN; the last retransmission in flight changes nothing.
	 */
	if (final || s->host->done)
		return add_sat(clock_convert(s, r, s->fin_sent_ns),
			       clock_tolerance(c, s, r));
	return UNSET;
}

static int judge_fin(struct fw_corr *c, struct end *s, struct end *r,
		     struct judgement *j, uint64_t *wake, bool final)
{
	uint64_t t = s->fin_sent_ns, deadline;

	if (is_set(r->fin_recv_ns))
		return PASSED;
	if (end_dead(r)) {
		if (!j->fin_unseen)
			j->fin_unseen = s;
		return PASSED;
	}
	j->closer = s;
	j->survivor = r;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = t;
	deadline = fin_deadline(c, s, r, final);
	if (deadline == UNSET)
		return UNDECIDED; /* s is still trying */
	if (r->host->wm_ns < deadline)
		return too_soon(c, r, j, deadline, "FIN", t, wake, final);
	if (lost_window(c, j, r->host,
			sub_sat(clock_convert(s, r, t), c->opts.skew_ns),
			deadline) ||
	    lost_window(c, j, s->host, t, fin_deadline(c, s, s, true)))
		return j->verdict;
	/*
	 * An acknowledged FIN the receiver never recorded means a record is
	 * missing, unless a snapshot showed both: the receiver listed as
	 * still open is evidence, not a gap (a proxy acknowledged it).
	 */
	if (s->fin_acked && !(s->fin_from_snap && r->in_snap)) {
		say(c->reason, sizeof(c->reason),
		    "the FIN of %s was acknowledged, yet %s on %s recorded "
		    "no FIN (a record missing?)",
		    role_name(s), role_name(r), r->host->name);
		return j->verdict = FW_V_INCOMPLETE;
	}
	fin_story(s, c->story, sizeof(c->story));
	arrival_story(r, c->story2, sizeof(c->story2));
	say(c->evidence, sizeof(c->evidence),
	    "%s; %s on %s never received it%s and is still %s at %llu",
	    c->story, role_name(r), r->host->name, c->story2,
	    fw_state_name(r->state), (unsigned long long)r->host->wm_ns);
	return j->verdict = FW_V_LOST_FIN;
}

struct action {
	struct end *s, *r;
	enum fw_close_kind kind;
	uint64_t t;
};

/* The FINs and RSTs the two ends sent, earliest first. */
static size_t list_actions(struct conn *cn, struct action *a)
{
	size_t n = 0;

	for (size_t i = 0; i < 2; i++) {
		struct end *s = cn->e[i], *r = cn->e[!i];

		if (is_set(s->fin_sent_ns))
			a[n++] = (struct action){s, r, FW_CLOSE_FIN,
						 s->fin_sent_ns};
		if (is_set(s->rst_sent_ns))
			a[n++] = (struct action){s, r, FW_CLOSE_RST,
						 s->rst_sent_ns};
	}
	/* at most four: an insertion sort */
	for (size_t i = 1; i < n; i++) {
		for (size_t k = i; k && a[k - 1].t > a[k].t; k--) {
			struct action tmp = a[k];

			a[k] = a[k - 1];
			a[k - 1] = tmp;
		}
	}
	return n;
}

static int judge_actions(struct fw_corr *c, struct conn *cn,
			 struct judgement *j, uint64_t *wake, bool final)
{
	struct action a[4];
	size_t n = list_actions(cn, a);
	int v;

	for (size_t i = 0; i < n; i++) {
		if (a[i].kind == FW_CLOSE_FIN)
			v = judge_fin(c, a[i].s, a[i].r, j, wake, final);
		else
			v = judge_rst(c, a[i].s, a[i].r, j, wake, final);
		if (v != PASSED)
			return v;
	}
	if (n) {
		j->closer = a[0].s;
		j->kind = a[0].kind;
		j->close_ns = a[0].t;
	}
	return PASSED;
}

static struct end *still_in_close_wait(struct conn *cn)
{
	for (size_t i = 0; i < 2; i++)
		if (cn->e[i] && cn->e[i]->state == FW_TCP_CLOSE_WAIT &&
		    !end_dead(cn->e[i]))
			return cn->e[i];
	return NULL;
}

static int short_close_wait(struct fw_corr *c, struct end *e,
			    struct judgement *j)
{
	j->survivor = e;
	say(c->reason, sizeof(c->reason),
	    "%s on %s was in CLOSE_WAIT for %.1f s when its log ended "
	    "(under --close-wait)",
	    role_name(e), e->host->name,
	    secs(sub_sat(e->host->wm_ns, e->cw_ns)));
	return j->verdict = FW_V_INCOMPLETE;
}

static int judge_pair(struct fw_corr *c, struct conn *cn, struct judgement *j,
		      uint64_t *wake, bool final)
{
	struct end *cw;
	int v;

	for (size_t i = 0; i < 2; i++) {
		v = judge_close_wait(c, cn->e[i], j, wake);
		if (v != PASSED) {
			j->closer = cn->e[!i];
			if (is_set(j->closer->fin_sent_ns))
				j->close_ns = j->closer->fin_sent_ns;
			return v;
		}
	}
	v = judge_actions(c, cn, j, wake, final);
	if (v != PASSED)
		return v;
	if (conn_dead(cn) && j->fin_unseen) {
		say(c->evidence, sizeof(c->evidence),
		    "both ends closed; the FIN of the %s never reached the "
		    "other end, which closed anyway (RST or timeout)",
		    role_name(j->fin_unseen));
		return j->verdict = FW_V_OK;
	}
	if (conn_dead(cn)) {
		say(c->evidence, sizeof(c->evidence),
		    "both ends closed and each saw the other's close");
		return j->verdict = FW_V_OK;
	}
	if (!final)
		return UNDECIDED;
	cw = still_in_close_wait(cn);
	if (cw)
		return short_close_wait(c, cw, j);
	if (j->closer) {
		say(c->evidence, sizeof(c->evidence),
		    "every FIN/RST sent was received; the log ended during "
		    "the close");
		return j->verdict = FW_V_OK;
	}
	j->survivor = cn->e[0];
	say(c->evidence, sizeof(c->evidence),
	    "open on both ends at the end of the logs");
	return j->verdict = FW_V_OPEN;
}

/*
 * One end, whose FIN went unacknowledged until its socket died, or that
 * its own host dropped (then it never left: decisive even while the
 * socket still tries).
 */
static int judge_unacked(struct fw_corr *c, struct end *e, struct judgement *j)
{
	uint64_t until = end_dead(e) ? e->died_ns : e->host->wm_ns;

	j->closer = e;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = e->fin_sent_ns;
	if (!end_dead(e))
		j->survivor = e;
	if (lost_window(c, j, e->host, e->fin_sent_ns, until))
		return j->verdict;
	if (end_out_drops(e)) {
		fin_story(e, c->story, sizeof(c->story));
		say(c->evidence, sizeof(c->evidence),
		    "%s; the peer's log has no record of this connection",
		    c->story);
		return j->verdict = FW_V_UNACKED_FIN;
	}
	say(c->evidence, sizeof(c->evidence),
	    "%s on %s sent FIN at %llu, retransmitted it %llu times without "
	    "an ACK until its socket died at %llu; the peer's log has no "
	    "record of this connection",
	    role_name(e), e->host->name, (unsigned long long)e->fin_sent_ns,
	    (unsigned long long)end_fin_retrans(e),
	    (unsigned long long)e->died_ns);
	return j->verdict = FW_V_UNACKED_FIN;
}

/* A lone open end whose host dropped its peer's FIN on arrival. */
static int judge_dropped_arrival(struct fw_corr *c, struct end *e,
				 struct judgement *j)
{
	j->survivor = e;
	j->kind = FW_CLOSE_FIN;
	j->close_ns = e->fin_drop_in_ns;
	if (lost_window(c, j, e->host, e->fin_drop_in_ns, e->host->wm_ns))
		return j->verdict;
	say(c->evidence, sizeof(c->evidence),
	    "the peer's FIN arrived at %s at %llu, which dropped it %u times "
	    "(%s) before %s could see it; %s is still %s at %llu",
	    e->host->name, (unsigned long long)e->fin_drop_in_ns,
	    e->fin_drops_in, e->drop_in_reason, role_name(e), role_name(e),
	    fw_state_name(e->state), (unsigned long long)e->host->wm_ns);
	return j->verdict = FW_V_LOST_FIN;
}

/* An open end whose peer host's log covers its start yet has no peer. */
static bool peer_vanished(struct fw_corr *c, struct end *e, struct judgement *j,
			  int *v)
{
	struct host *h = addr_peer_host(c, e);
	uint64_t tol = tolerance(c), est;

	if (!h || !is_set(e->est_ns))
		return false;
	est = from_ref(h, to_ref(e->host, e->est_ns)); /* in h's clock */
	if (h->start_ns > sub_sat(est, c->opts.skew_ns) ||
	    h->wm_ns < add_sat(est, tol))
		return false;
	j->survivor = e;
	if (lost_window(c, j, h, sub_sat(est, c->opts.skew_ns),
			add_sat(est, tol))) {
		*v = j->verdict;
		return true;
	}
	say(c->evidence, sizeof(c->evidence),
	    "%s on %s established at %llu and is still %s at %llu; the log of "
	    "%s covers %llu..%llu but has no socket for this connection",
	    role_name(e), e->host->name, (unsigned long long)e->est_ns,
	    fw_state_name(e->state), (unsigned long long)e->host->wm_ns,
	    h->name, (unsigned long long)h->start_ns,
	    (unsigned long long)h->wm_ns);
	*v = j->verdict = FW_V_PEER_VANISHED;
	return true;
}

/* "idle 3h12m" and what keepalive can do about it, for the evidence. */
static void idle_story(const struct end *e, char *buf, size_t sz)
{
	char idle[48] = "idle time unknown";
	uint64_t s;

	if (is_set(e->snap_idle_ms)) {
		s = e->snap_idle_ms / 1000;
		if (s >= 3600)
			snprintf(idle, sizeof(idle), "idle %lluh%02llum",
				 (unsigned long long)(s / 3600),
				 (unsigned long long)(s % 3600 / 60));
		else
			snprintf(idle, sizeof(idle), "idle %llum%02llus",
				 (unsigned long long)(s / 60),
				 (unsigned long long)(s % 60));
	}
	say(buf, sz, "%s, %s", idle,
	    e->keepalive < 0 ? "keepalive unknown"
	    : e->keepalive   ? "keepalive on: its probes will reap it"
			     : "keepalive off: nothing will ever reap it");
}

/*
 * An established end (perhaps older than the logs) whose peer's host
 * listed its sockets while this end surely existed, and listed none for
 * it: the peer is gone without a trace (its FIN or RST lost long ago).
 */
static bool snap_vanished(struct fw_corr *c, struct end *e, struct judgement *j,
			  int *v)
{
	struct host *h = addr_peer_host(c, e);
	const struct snap_pass *p;
	uint64_t ns = 0;
	bool known;

	if (!h || e->state != FW_TCP_ESTABLISHED ||
	    (!h->nsnaps && !e->from_snap))
		return false;
	j->survivor = e;
	p = host_pass_while_open(c, h, e);
	if (!p) {
		say(c->reason, sizeof(c->reason),
		    "%s has no snapshot taken while this socket surely existed "
		    "(%llu..%llu on %s)",
		    h->name, (unsigned long long)e->seen_ns,
		    (unsigned long long)e->host->wm_ns, e->host->name);
		*v = j->verdict = FW_V_INCOMPLETE;
		return true;
	}
	known = addr_peer_netns(c, e, &ns);
	if (!pass_covers(p, known, ns)) {
		say(c->reason, sizeof(c->reason),
		    "the snapshot of %s at %llu does not cover the network "
		    "namespace of the peer",
		    h->name, (unsigned long long)p->end_ns);
		*v = j->verdict = FW_V_INCOMPLETE;
		return true;
	}
	if (lost_window(c, j, h, p->begin_ns, p->end_ns)) {
		*v = j->verdict;
		return true;
	}
	idle_story(e, c->story2, sizeof(c->story2));
	say(c->evidence, sizeof(c->evidence),
	    "%s on %s is still ESTABLISHED at %llu (%s); the snapshot of %s "
	    "at %llu lists no socket for its peer: the peer is gone",
	    role_name(e), e->host->name, (unsigned long long)e->host->wm_ns,
	    c->story2, h->name, (unsigned long long)p->end_ns);
	*v = j->verdict = FW_V_PEER_VANISHED;
	return true;
}

static int judge_single_open(struct fw_corr *c, struct end *e,
			     struct judgement *j)
{
	int v;

	j->survivor = e;
	if (is_set(e->fin_sent_ns) && !e->fin_acked && end_out_drops(e) &&
	    !is_set(e->fin_recv_ns) && !is_set(e->rst_recv_ns))
		return judge_unacked(c, e, j);
	if (e->fin_drops_in && !is_set(e->fin_recv_ns) &&
	    !is_set(e->rst_recv_ns))
		return judge_dropped_arrival(c, e, j);
	if (is_set(e->fin_sent_ns) && !e->fin_acked) {
		j->closer = e;
		j->kind = FW_CLOSE_FIN;
		j->close_ns = e->fin_sent_ns;
		say(c->reason, sizeof(c->reason),
		    "FIN still unacknowledged after %llu retransmissions when "
		    "the log ended; the peer's log has no record of it",
		    (unsigned long long)end_fin_retrans(e));
		return j->verdict = FW_V_INCOMPLETE;
	}
	if (e->state == FW_TCP_CLOSE_WAIT)
		return short_close_wait(c, e, j);
	if (peer_vanished(c, e, j, &v) || snap_vanished(c, e, j, &v))
		return v;
	say(c->evidence, sizeof(c->evidence),
	    "%s on %s is still %s at the end of its log; no peer in the logs",
	    role_name(e), e->host->name, fw_state_name(e->state));
	return j->verdict = FW_V_OPEN;
}

/*
 * Whether e's peer can no longer show up: its host's log has gone past
 * e's establishment (plus tolerance) without it. While the peer's host
 * is unknown, dead ends are held (held_add), open ones just wait.
 */
static bool alone(struct fw_corr *c, struct conn *cn, uint64_t *wake)
{
	struct end *e = cn->e[0];
	struct host *h = addr_peer_host(c, e);
	uint64_t until;

	if (!h) {
		if (end_dead(e))
			held_add(c, cn);
		return false;
	}
	held_del(c, cn);
	until = add_sat(from_ref(h, to_ref(e->host, e->pair_ns)), tolerance(c));
	if (h->wm_ns >= until || h->done)
		return true;
	*wake = min_u64(*wake, to_ref(h, until));
	return false;
}

static int judge_single(struct fw_corr *c, struct conn *cn, struct judgement *j,
			uint64_t *wake, bool final)
{
	struct end *e = cn->e[0];
	int v;

	v = judge_close_wait(c, e, j, wake);
	if (v != PASSED)
		return v;
	if (!final && !c->evicting && !alone(c, cn, wake))
		return UNDECIDED;
	if (is_set(e->fin_sent_ns) && !e->fin_acked && end_dead(e) &&
	    !is_set(e->fin_recv_ns) && !is_set(e->rst_recv_ns) &&
	    (end_fin_retrans(e) > 0 || end_out_drops(e) > 0))
		return judge_unacked(c, e, j);
	/*
	 * A socket a snapshot found already closing, with no peer to tell
	 * whether its close arrived: history from before the logs, no
	 * connection of theirs.
	 */
	if (end_dead(e) && e->from_snap)
		return DISCARD;
	if (end_dead(e)) {
		if (is_set(e->fin_sent_ns) || is_set(e->rst_sent_ns)) {
			j->closer = e;
			j->kind = is_set(e->fin_sent_ns) ? FW_CLOSE_FIN
							 : FW_CLOSE_RST;
			j->close_ns = j->kind == FW_CLOSE_FIN ? e->fin_sent_ns
							      : e->rst_sent_ns;
		}
		say(c->evidence, sizeof(c->evidence),
		    "%s on %s closed normally; no peer in the logs",
		    role_name(e), e->host->name);
		return j->verdict = FW_V_OK;
	}
	if (!final)
		return UNDECIDED;
	return judge_single_open(c, e, j);
}

/* A verdict, or UNDECIDED with *wake set, or DISCARD. */
int judge_conn(struct fw_corr *c, struct conn *cn, struct judgement *j,
	       uint64_t *wake, bool final)
{
	if (cn->e[1])
		return judge_pair(c, cn, j, wake, final);
	return judge_single(c, cn, j, wake, final);
}
