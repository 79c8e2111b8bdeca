// SPDX-License-Identifier: GPL-2.0
/* A judged connection as the struct fw_finding the callback receives. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"

const char *fw_verdict_name(enum fw_verdict v)
{
	static const char *const names[FW_V_COUNT] = {
		[FW_V_LOST_FIN] = "lost_fin",
		[FW_V_LOST_RST] = "lost_rst",
		[FW_V_CLOSE_WAIT_LEAK] = "close_wait_leak",
		[FW_V_PEER_VANISHED] = "peer_vanished",
		[FW_V_UNACKED_FIN] = "unacked_fin",
		[FW_V_INCOMPLETE] = "incomplete",
		[FW_V_OK] = "ok",
		[FW_V_OPEN] = "open",
	};

	return (unsigned int)v < FW_V_COUNT ? names[v] : "?";
}

static uint64_t rst_repeats(const struct end *e)
{
	return e->rst_count ? e->rst_count - 1 : 0;
}

static void fill_end(struct fw_corr *c, struct fw_finding_end *fe,
		     const struct end *e, const struct end *peer)
{
	memset(fe, 0, sizeof(*fe));
	fe->comm = "";
	fe->idle_ms = FW_UNKNOWN;
	fe->keepalive = -1;
	if (e) {
		fe->present = true;
		fe->open = !end_dead(e);
		fe->idle_ms = e->snap_idle_ms;
		fe->keepalive = e->keepalive;
		fw_format_endpoint(fe->endpoint, sizeof(fe->endpoint),
				   e->family, e->laddr, e->lport);
		fe->host = e->host->name;
		fe->netns = e->netns;
		fe->sock = e->sock;
		fe->pid = e->pid;
		fe->comm = e->comm;
		fe->state = e->state;
		fe->gap = e->gap;
		fe->family = e->family;
		memcpy(fe->laddr, e->laddr, sizeof(fe->laddr));
		memcpy(fe->raddr, e->raddr, sizeof(fe->raddr));
		fe->lport = e->lport;
		fe->rport = e->rport;
		fe->has_isn = e->has_isn;
		fe->isn_local = e->isn_local;
		fe->isn_remote = e->isn_remote;
	} else if (peer) {
		struct host *h = addr_peer_host(c, peer);

		fw_format_endpoint(fe->endpoint, sizeof(fe->endpoint),
				   peer->family, peer->raddr, peer->rport);
		fe->host = h ? h->name : NULL;
	}
}

/* Tries of the close that a host dropped: the sender's, else on arrival. */
static void fill_drops(struct fw_finding *f, const struct judgement *j)
{
	const struct end *s = j->closer, *r = j->survivor;

	if (j->kind != FW_CLOSE_FIN && j->kind != FW_CLOSE_RST)
		return;
	f->close_drops = 0;
	if (s && end_out_drops(s)) {
		f->close_drops = j->kind == FW_CLOSE_FIN ? end_out_drops(s) : 0;
		f->drop_reason = s->drop_reason;
	} else if (r && r->fin_drops_in && j->kind == FW_CLOSE_FIN) {
		f->close_drops = r->fin_drops_in;
		f->drop_reason = r->drop_in_reason;
	}
}

static void conn_roles(const struct conn *cn, const struct end **client,
		       const struct end **server)
{
	const struct end *a = cn->e[0], *b = cn->e[1];

	if (!b) {
		*client = end_is_client(a) ? a : NULL;
		*server = end_is_client(a) ? NULL : a;
		return;
	}
	if (!end_is_client(a) && end_is_client(b)) {
		*client = b;
		*server = a;
	} else {
		*client = a;
		*server = b;
	}
}

/* The close the verdict is about: when, by whom, its retries. */
static void fill_close(struct fw_finding *f, const struct judgement *j,
		       const struct end *client)
{
	f->close_kind = j->kind;
	f->close_time_ns = f->close_retrans = f->idle_before_close_ms =
		f->close_drops = FW_UNKNOWN;
	if (j->kind == FW_CLOSE_NONE)
		return;
	f->close_time_ns = j->close_ns;
	if (j->closer) {
		f->closer_is_client = j->closer == client;
		f->close_retrans = j->kind == FW_CLOSE_FIN
					   ? end_fin_resends(j->closer)
					   : rst_repeats(j->closer);
		f->idle_before_close_ms = j->closer->idle_ms;
	} else {
		/* only the receiver is known: the closer is its peer */
		f->closer_is_client = j->survivor != client;
	}
}

/*
 * When the survivor's peer was surely closed or gone, in the survivor's
 * clock, early by the allowance between the two clocks; UNSET when no
 * moment proves it, or the finding is provisional.
 */
static uint64_t peer_gone_at(struct fw_corr *c, const struct judgement *j)
{
	const struct end *s = j->survivor, *gone = j->ev.peer.end;
	const struct host *other;
	uint64_t t;

	if (!s || end_dead(s) || j->provisional)
		return UNSET;
	switch (j->ev.what) {
	case EV_LOST_FIN:
	case EV_LOST_RST:
		if (!j->closer || !is_set(j->close_ns))
			return UNSET;
		t = clock_convert(j->closer, s, j->close_ns);
		return sub_sat(t, clock_tolerance(c, j->closer, s));
	case EV_DROPPED_ON_ARRIVAL: /* the drops are the survivor's own */
		return j->close_ns;
	case EV_SNAPSHOT_VANISHED:
		other = j->ev.other
				? host_find(c, j->ev.other, strlen(j->ev.other))
				: NULL;
		if (!other || !is_set(j->ev.pass_ns))
			return UNSET;
		t = from_ref(s->host, to_ref(other, j->ev.pass_ns));
		return sub_sat(t, tolerance(c));
	case EV_VANISHED_UNSEEN: /* gone unseen by then (a pass, a boot) */
		if (!gone || !is_set(gone->died_ns))
			return UNSET;
		t = clock_convert(gone, s, gone->died_ns);
		return sub_sat(t, clock_tolerance(c, gone, s));
	default:
		return UNSET;
	}
}

/*
 * The id of a connection: its end seen first, "HOST:SOCK", with the
 * boot of that host it belongs to after the first (cookies are unique
 * within a boot only).
 */
static void conn_id(const struct conn *cn, char *buf, size_t sz)
{
	const struct end *e = cn->e[0];

	if (cn->e[1] && cn->e[1]->seq < e->seq)
		e = cn->e[1];
	if (e->boot_gen)
		snprintf(buf, sz, "%s:%" PRIu64 ":b%u", e->host->name, e->sock,
			 e->boot_gen);
	else
		snprintf(buf, sz, "%s:%" PRIu64, e->host->name, e->sock);
}

static const char *const reaper_names[] = {
	[REAPED_NOT] = NULL,
	[REAPED_KEEPALIVE] = "keepalive",
	[REAPED_USER_TIMEOUT] = "user_timeout",
	[REAPED_RETRANSMIT_TIMEOUT] = "retransmit_timeout",
	[REAPED_REDIS_TIMEOUT] = "redis_timeout",
	[REAPED_APP_CLOSE] = "app_close",
	[REAPED_RESET] = "reset",
	[REAPED_UNKNOWN] = "unknown",
};

static void fill_facts(struct fw_corr *c, struct conn *cn, struct fw_finding *f,
		       const struct judgement *j)
{
	const struct end *client, *server;

	conn_roles(cn, &client, &server);
	f->verdict = j->verdict;
	fill_end(c, &f->client, client, server);
	fill_end(c, &f->server, server, client);
	f->paired_by = cn->paired_by;
	fill_close(f, j, client);
	f->close_wait_ns =
		j->verdict == FW_V_CLOSE_WAIT_LEAK ? j->cw_ns : FW_UNKNOWN;
	fill_drops(f, j);
	f->peer_gone_ns = peer_gone_at(c, j);
	/* a lone closer survives no close: it is no "other end" */
	if (j->survivor && j->survivor != j->closer && j->surviving_state &&
	    j->surviving_state != FW_TCP_CLOSE &&
	    j->surviving_state != FW_TCP_TIME_WAIT) {
		f->surviving_state = j->surviving_state;
		f->survivor = j->survivor == client ? &f->client : &f->server;
	}
	f->reaped_by = reaper_names[j->ev.reaped_by];
	f->reaped_after_ms = is_set(j->ev.reaped_after_ns)
				     ? j->ev.reaped_after_ns / 1000000
				     : FW_UNKNOWN;
	conn_id(cn, f->id, sizeof(f->id));
}

/*
 * A finding of cn goes out: provisional (--follow, the truth so far),
 * or its verdict, the first time or again with more to say (a revision).
 * Only a connection's first final finding is counted.
 */
void finding_report(struct fw_corr *c, struct conn *cn,
		    const struct judgement *decided, enum report_kind how)
{
	char evidence[FW_EVIDENCE_MAX], reason[FW_REASON_MAX] = "";
	char cause[FW_CAUSE_TEXT_MAX];
	struct judgement j = *decided;
	struct fw_finding f;

	judgement_refresh(&j);
	memset(&f, 0, sizeof(f));
	fill_facts(c, cn, &f, &j);
	f.provisional = how == REPORT_PROVISIONAL;
	f.revision = cn->emitted;
	f.counted = how == REPORT_FINAL;
	if (j.verdict == FW_V_INCOMPLETE) {
		evidence_write_reason(&j, reason, sizeof(reason));
		f.reason = reason;
	}
	evidence_write(&j, reason, evidence, sizeof(evidence));
	pair_note_evidence(cn, evidence, sizeof(evidence));
	f.evidence = evidence;
	cause_fill(c, cn, &j, &f, cause, sizeof(cause));
	if (how == REPORT_FINAL) {
		c->stats.connections++;
		c->stats.verdicts[j.verdict]++;
	}
	c->stats.provisional += f.provisional;
	c->stats.revisions += f.revision;
	cn->emitted = true;
	cn->live_out = f.provisional;
	cn->live_verdict = j.verdict;
	if (c->cb)
		c->cb(&f, c->ctx);
}
