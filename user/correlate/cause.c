// SPDX-License-Identifier: GPL-2.0
/*
 * The cause of a lost close (docs/CORRELATE.md, "Causes"). A close dies
 * on the sender's host (a drop on the way out), on the receiver's (a drop
 * on arrival) or between them. A netfilter drop is told apart by what
 * conntrack had attached to the segment: no entry while conntrack's hook
 * was on the path is a segment conntrack refused as INVALID (a FIN for a
 * flow whose entry expired) that a rule such as `ct state invalid drop`
 * then dropped; an entry, or no conntrack at all, is a plain rule. A
 * close that left its sender (retransmitted) and that no traced host
 * dropped, with both hosts tracing drops, died on the way.
 */
#include <stdio.h>
#include <string.h>

#include "engine.h"

const char *fw_cause_name(enum fw_cause c)
{
	static const char *const names[FW_CAUSE_COUNT] = {
		[FW_CAUSE_NONE] = "none",
		[FW_CAUSE_CONNTRACK_INVALID] = "conntrack_invalid",
		[FW_CAUSE_FIREWALL_RULE] = "firewall_rule",
		[FW_CAUSE_DROPPED_ON_ARRIVAL] = "dropped_on_arrival",
		[FW_CAUSE_HOST_DROP] = "host_drop",
		[FW_CAUSE_LOST_IN_NETWORK] = "lost_in_network",
		[FW_CAUSE_PEER_GONE] = "peer_gone",
		[FW_CAUSE_UNKNOWN] = "unknown",
	};

	return (unsigned int)c < FW_CAUSE_COUNT ? names[c] : "?";
}

/* ---- what the records teach ---- */

static bool in_idle_known(const struct end_cause *ec)
{
	return ec->in_idle_ms != UINT32_MAX;
}

/* The value, as far as a field of max can hold it. */
static uint32_t clamp(uint32_t v, uint32_t max)
{
	return v < max ? v : max;
}

static void note_drop(struct fw_corr *c, struct end_cause *ec,
		      const struct fw_rec *r)
{
	struct ct_seen *v = r->drop_in ? &ec->in : &ec->out;
	bool rst = r->tcp_flags & FW_TCPF_RST;

	if (!(r->tcp_flags & (FW_TCPF_FIN | FW_TCPF_RST)))
		return;
	v->ct = r->ct;
	v->hooked_known = r->has & FW_HAS_CT_HOOKED;
	v->hooked = r->ct_hooked;
	if (r->drop_in && !in_idle_known(ec) && is_set(rec_idle_ms(r)))
		ec->in_idle_ms =
			(uint32_t)min_u64(rec_idle_ms(r), UINT32_MAX - 1);
	if (rst && r->drop_in) {
		ec->rst_drops_in += ec->rst_drops_in < UINT16_MAX;
		ec->rst_in_reason = intern_reason(c, r->reason);
	} else if (rst) {
		ec->rst_drops_out += ec->rst_drops_out < UINT16_MAX;
	}
}

/* The counters' view of its latest drop, when its drop records are gone. */
static void note_drop_last(struct fw_corr *c, struct end_cause *ec,
			   const struct fw_rec *r)
{
	uint8_t ct = (uint8_t)fw_ct_view(r->ct_last, strlen(r->ct_last));

	ec->out_reason = intern_reason(c, r->drop_reason_last);
	if (ct && ct != ec->out.ct) {
		ec->out.ct = ct;
		ec->out.hooked_known = false; /* ct_last does not say */
	}
}

void cause_end_init(struct end_cause *ec)
{
	ec->in_idle_ms = UINT32_MAX;
}

void cause_apply_record(struct fw_corr *c, struct end *e,
			const struct fw_rec *r)
{
	struct end_cause *ec = &e->cause;

	if (r->drop_reason_last[0])
		note_drop_last(c, ec, r);
	if (r->type == FW_REC_DROP)
		note_drop(c, ec, r);
	if (r->type == FW_REC_SNAPSHOT && (r->has & FW_HAS_KA_SETTINGS) &&
	    r->keepalive_cnt) {
		ec->ka_idle_s =
			(uint16_t)clamp(r->keepalive_idle_s, UINT16_MAX);
		ec->ka_intvl_s =
			(uint16_t)clamp(r->keepalive_intvl_s, UINT16_MAX);
		ec->ka_cnt = (uint8_t)clamp(r->keepalive_cnt, UINT8_MAX);
		ec->user_timeout_ms = r->user_timeout_ms;
	}
}

/* ---- the facts of one lost close ---- */

/* Why a cause is unknown. */
enum unknown_why {
	UNK_NONE,
	UNK_ONE_LOG,	      /* only one end's log has the connection */
	UNK_BEFORE_TRACE,     /* a snapshot showed the FIN, sent earlier */
	UNK_NOT_SEEN_LEAVING, /* no retransmission: it may never have left */
	UNK_DROPS_UNTRACED,   /* a host's tracer did not trace drops */
	UNK_NETFILTER_CT,     /* a netfilter drop, conntrack's view unknown */
	UNK_DROPS_LOST,	      /* a host lost drop records after the close */
};

struct lost_close {
	const struct fw_corr *c;
	const struct end *s, *r; /* sender, receiver; either may be NULL */
	enum fw_close_kind kind;
	/* a drop of it: by whose host, which way, conntrack's view */
	const struct end *at; /* NULL: no host recorded dropping it */
	bool on_arrival;
	uint64_t drops;
	const char *reason;
	struct ct_seen ct;
	const struct fw_rec_facts *facts; /* of at's (else s's) netns */
	uint64_t idle_ms;		  /* the flow's, before the close */
	bool inferred; /* conntrack_invalid from the idle, not the hook */
	enum unknown_why why;
	const struct host *untraced; /* UNK_DROPS_UNTRACED/LOST: whose */
};

static const char *kind_name(const struct lost_close *x)
{
	return x->kind == FW_CLOSE_RST ? "RST" : "FIN";
}

static uint64_t fact(const struct lost_close *x, enum fw_netns_fact f)
{
	return x->facts ? x->facts->v[f] : FW_UNKNOWN;
}

static const struct end *other_end(const struct conn *cn, const struct end *e)
{
	return cn->e[0] == e ? cn->e[1] : cn->e[0];
}

/* Tries of the close that s's host dropped on the way out. */
static uint64_t drops_out(const struct end *s, enum fw_close_kind kind)
{
	return kind == FW_CLOSE_FIN ? end_out_drops(s) : s->cause.rst_drops_out;
}

static uint64_t drops_in(const struct end *r, enum fw_close_kind kind)
{
	return kind == FW_CLOSE_FIN ? r->fin_drops_in : r->cause.rst_drops_in;
}

/* The host that dropped it: the sender's first (then it never left). */
static void find_drop(struct lost_close *x)
{
	const struct end *s = x->s, *r = x->r;

	if (s && drops_out(s, x->kind)) {
		x->at = s;
		x->drops = drops_out(s, x->kind);
		x->reason =
			s->drop_reason ? s->drop_reason : s->cause.out_reason;
		x->ct = s->cause.out;
	} else if (r && drops_in(r, x->kind)) {
		x->at = r;
		x->on_arrival = true;
		x->drops = drops_in(r, x->kind);
		x->reason = x->kind == FW_CLOSE_FIN ? r->drop_in_reason
						    : r->cause.rst_in_reason;
		x->ct = r->cause.in;
	}
}

static bool idle_over_timeout(const struct lost_close *x)
{
	uint64_t t = fact(x, FW_FACT_CT_TCP_ESTABLISHED);

	return is_set(x->idle_ms) && is_set(t) && x->idle_ms / 1000 >= t;
}

/*
 * A netfilter drop. No conntrack entry with conntrack's hook on the path:
 * conntrack refused the segment as INVALID, and a rule dropped it. With
 * the hook unknown, a namespace without conntrack makes it a plain rule,
 * and an idle past conntrack's timeout an expired entry.
 */
static enum fw_cause netfilter_cause(struct lost_close *x)
{
	const struct ct_seen *v = &x->ct;

	if (v->ct == FW_CTV_TRACKED || v->ct == FW_CTV_UNTRACKED)
		return FW_CAUSE_FIREWALL_RULE;
	if (v->ct == FW_CTV_NONE && v->hooked_known)
		return v->hooked ? FW_CAUSE_CONNTRACK_INVALID
				 : FW_CAUSE_FIREWALL_RULE;
	if (x->facts && !is_set(fact(x, FW_FACT_CT_MAX)))
		return FW_CAUSE_FIREWALL_RULE; /* conntrack is not loaded */
	if (v->ct == FW_CTV_NONE && is_set(fact(x, FW_FACT_CT_MAX)) &&
	    idle_over_timeout(x)) {
		x->inferred = true;
		return FW_CAUSE_CONNTRACK_INVALID;
	}
	x->why = UNK_NETFILTER_CT;
	return FW_CAUSE_UNKNOWN;
}

static bool traces_drops(const struct host *h)
{
	return h->attach_known && h->traces_drops;
}

/* When the close left its sender (0: not known, so from the start). */
static uint64_t close_sent_ns(const struct lost_close *x)
{
	uint64_t t =
		x->kind == FW_CLOSE_FIN ? x->s->fin_sent_ns : x->s->rst_sent_ns;

	return is_set(t) ? t : 0;
}

/*
 * Whether a host lost drop records while the close was on its way: a drop
 * of it there would have gone unseen. The receiver's loss is on its own
 * clock: the close's time is taken there, as early as the clocks allow.
 */
static const struct host *drops_lost_host(const struct lost_close *x)
{
	uint64_t sent = close_sent_ns(x), sent_at_r = 0;

	if (sent)
		sent_at_r = sub_sat(clock_convert(x->s, x->r, sent),
				    clock_tolerance(x->c, x->s, x->r));
	if (x->s->host->drops_lost_to_ns &&
	    x->s->host->drops_lost_to_ns >= sent)
		return x->s->host;
	if (x->r->host->drops_lost_to_ns &&
	    x->r->host->drops_lost_to_ns >= sent_at_r)
		return x->r->host;
	return NULL;
}

/*
 * No host recorded dropping it: it died between the hosts if it surely
 * left the sender and both hosts traced their drops.
 */
static enum fw_cause wire_cause(struct lost_close *x)
{
	const struct end *s = x->s, *r = x->r;

	if (!s || !r)
		x->why = UNK_ONE_LOG;
	else if (x->kind == FW_CLOSE_FIN && s->fin_from_snap &&
		 !end_fin_retrans(s))
		x->why = UNK_BEFORE_TRACE;
	else if (x->kind == FW_CLOSE_FIN && !end_fin_retrans(s))
		x->why = UNK_NOT_SEEN_LEAVING;
	else if (!traces_drops(s->host) || !traces_drops(r->host))
		x->why = UNK_DROPS_UNTRACED;
	else if ((x->untraced = drops_lost_host(x)))
		x->why = UNK_DROPS_LOST;
	if (x->why == UNK_DROPS_UNTRACED)
		x->untraced = traces_drops(s->host) ? r->host : s->host;
	return x->why ? FW_CAUSE_UNKNOWN : FW_CAUSE_LOST_IN_NETWORK;
}

static enum fw_cause classify(struct lost_close *x)
{
	find_drop(x);
	if (!x->at)
		return wire_cause(x);
	x->facts = host_facts(x->at->host, x->at->netns);
	if (x->reason && !strcmp(x->reason, "NETFILTER_DROP"))
		return netfilter_cause(x);
	return x->on_arrival ? FW_CAUSE_DROPPED_ON_ARRIVAL : FW_CAUSE_HOST_DROP;
}

/* ---- the words ---- */

static void idle_words(const struct lost_close *x, char *buf, size_t sz)
{
	if (is_set(x->idle_ms))
		snprintf(buf, sz, "after %.1f s idle",
			 (double)x->idle_ms / 1e3);
	else
		snprintf(buf, sz, "after an idle time the logs do not give");
}

/* The rule's part: proven by conntrack's hook, or inferred from idle. */
static const char *invalid_rule_words(const struct lost_close *x)
{
	if (x->inferred)
		return "a netfilter rule dropped it with no conntrack entry "
		       "attached: most likely a rule dropping "
		       "conntrack-INVALID packets (such as `ct state invalid "
		       "drop`)";
	return "a rule dropping conntrack-INVALID packets (such as `ct state "
	       "invalid drop`) dropped it";
}

/* A full table evicts entries early: say so when it was nearly full. */
static void table_words(const struct lost_close *x, char *buf, size_t sz)
{
	uint64_t n = fact(x, FW_FACT_CT_COUNT), max = fact(x, FW_FACT_CT_MAX);

	buf[0] = '\0';
	if (is_set(n) && is_set(max) && max && n >= max / 10 * 9)
		snprintf(buf, sz,
			 "; its table held %llu of %llu entries when the trace "
			 "began",
			 (unsigned long long)n, (unsigned long long)max);
}

static void conntrack_invalid_text(const struct lost_close *x, char *buf,
				   size_t sz)
{
	uint64_t t = fact(x, FW_FACT_CT_TCP_ESTABLISHED);
	const char *h = x->at->host->name, *arrival = "";
	char idle[64], came[FW_REC_HOST_MAX + 16], table[96];

	idle_words(x, idle, sizeof(idle));
	table_words(x, table, sizeof(table));
	snprintf(came, sizeof(came), "%s", "came");
	if (x->on_arrival) {
		snprintf(came, sizeof(came), "reached %s", h);
		arrival = " on arrival";
	}
	if (!is_set(t))
		snprintf(buf, sz,
			 "conntrack on %s no longer tracked the flow (its "
			 "nf_conntrack_tcp_timeout_established is not in the "
			 "logs); the %s %s %s, and %s%s",
			 h, kind_name(x), came, idle, invalid_rule_words(x),
			 arrival);
	else if (is_set(x->idle_ms) && !idle_over_timeout(x))
		snprintf(
			buf, sz,
			"the %s carried no conntrack entry when a rule on %s "
			"dropped it%s, although it came only %s, under "
			"conntrack's nf_conntrack_tcp_timeout_established of "
			"%llu s: either conntrack had lost the entry early (a "
			"full table or a flush%s) and a rule dropping "
			"conntrack-INVALID packets dropped it, or a rule ahead "
			"of conntrack (a chain of priority below -200, such "
			"as raw) dropped it before conntrack looked",
			kind_name(x), h, arrival, idle, (unsigned long long)t,
			table);
	else
		snprintf(buf, sz,
			 "conntrack on %s forgets an idle flow after %llu s "
			 "(nf_conntrack_tcp_timeout_established); the %s %s "
			 "%s, and %s%s",
			 h, (unsigned long long)t, kind_name(x), came, idle,
			 invalid_rule_words(x), arrival);
}

static const char *firewall_why(const struct lost_close *x)
{
	if (x->ct.ct == FW_CTV_TRACKED)
		return "while conntrack still tracked the flow: the rule "
		       "matches it, not an expired entry";
	if (x->ct.ct == FW_CTV_UNTRACKED)
		return "on a flow exempted from conntrack (notrack): the rule "
		       "matches it";
	return "with no conntrack on its path: the rule matches it";
}

/* What some of the kernel's drop reasons mean, for the words. */
static const char *reason_meaning(const char *reason)
{
	static const struct {
		const char *reason, *meaning;
	} known[] = {
		{ "NO_SOCKET", "no socket took it" },
		{ "TCP_INVALID_SEQUENCE",
		  "its sequence number was outside the window, as when a "
		  "middlebox rewrites sequence numbers" },
		{ "SOCKET_FILTER", "a socket filter refused it" },
		{ "XFRM_POLICY", "an IPsec policy refused it" },
		{ "QDISC_DROP", "a queueing discipline dropped it" },
		{ "NEIGH_FAILED", "the next hop's address did not resolve" },
		{ "TCP_CSUM", "its checksum was wrong" },
		{ "TCP_MD5FAILURE", "its TCP-MD5 signature did not match" },
	};

	for (size_t i = 0; reason && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(reason, known[i].reason))
			return known[i].meaning;
	return NULL;
}

static void host_drop_text(const struct lost_close *x, enum fw_cause cause,
			   char *buf, size_t sz)
{
	const char *h = x->at->host->name,
		   *reason = x->reason ? x->reason : "?";
	const char *meaning = reason_meaning(x->reason);
	unsigned long long n = x->drops;

	if (cause == FW_CAUSE_FIREWALL_RULE)
		snprintf(buf, sz,
			 "a firewall rule on %s dropped the %s%s %llu time%s "
			 "(%s) %s",
			 h, kind_name(x), x->on_arrival ? " on arrival" : "", n,
			 n == 1 ? "" : "s", reason, firewall_why(x));
	else if (cause == FW_CAUSE_DROPPED_ON_ARRIVAL)
		snprintf(buf, sz,
			 "the %s reached %s, which dropped it %llu time%s on "
			 "arrival (%s%s%s)",
			 kind_name(x), h, n, n == 1 ? "" : "s", reason,
			 meaning ? ": " : "", meaning ? meaning : "");
	else
		snprintf(buf, sz,
			 "%s dropped the %s itself %llu time%s before it left "
			 "(%s%s%s)",
			 h, kind_name(x), n, n == 1 ? "" : "s", reason,
			 meaning ? ": " : "", meaning ? meaning : "");
}

static void lost_in_network_text(const struct lost_close *x, char *buf,
				 size_t sz)
{
	char idle[64], left[64];

	idle_words(x, idle, sizeof(idle));
	if (x->kind == FW_CLOSE_FIN)
		snprintf(left, sizeof(left), "retransmitted %llu time%s",
			 (unsigned long long)end_fin_retrans(x->s),
			 end_fin_retrans(x->s) == 1 ? "" : "s");
	else
		snprintf(left, sizeof(left), "its host dropped none");
	snprintf(buf, sz,
		 "the %s left %s (%s) %s, and neither %s nor %s recorded "
		 "dropping it: something between them (a NAT, firewall or load "
		 "balancer, or the path) lost it",
		 kind_name(x), x->s->host->name, left, idle, x->s->host->name,
		 x->r->host->name);
}

static void unknown_text(const struct lost_close *x, char *buf, size_t sz)
{
	const struct end *e = x->s ? x->s : x->r;
	const char *h = e->host->name;

	switch (x->why) {
	case UNK_NETFILTER_CT:
		snprintf(buf, sz,
			 "a netfilter rule on %s dropped the %s (%s); whether "
			 "conntrack had forgotten the flow is not known (the "
			 "tracer could not tell conntrack's view)",
			 x->at->host->name, kind_name(x),
			 x->reason ? x->reason : "?");
		break;
	case UNK_BEFORE_TRACE:
		snprintf(buf, sz,
			 "the FIN was sent before the trace of %s began (its "
			 "snapshot showed it closing): where it died was not "
			 "traced",
			 h);
		break;
	case UNK_NOT_SEEN_LEAVING:
		snprintf(buf, sz,
			 "the FIN was never seen retransmitted, so whether it "
			 "left %s is not known",
			 h);
		break;
	case UNK_DROPS_UNTRACED:
	case UNK_DROPS_LOST:
		snprintf(buf, sz,
			 "no traced host recorded dropping the %s, but the "
			 "tracer of %s %s",
			 kind_name(x), x->untraced->name,
			 x->why == UNK_DROPS_LOST
				 ? "lost drop records after it was sent (a "
				   "lost record of scope drops)"
				 : "did not trace drops (no kfree_skb among "
				   "its start record's attach points)");
		break;
	default:
		snprintf(buf, sz,
			 "only the log of %s has this connection, and %s "
			 "recorded no drop of the %s: where it died cannot be "
			 "told",
			 h, h, kind_name(x));
		break;
	}
}

static void cause_text(const struct lost_close *x, enum fw_cause cause,
		       char *buf, size_t sz)
{
	switch (cause) {
	case FW_CAUSE_CONNTRACK_INVALID:
		conntrack_invalid_text(x, buf, sz);
		break;
	case FW_CAUSE_FIREWALL_RULE:
	case FW_CAUSE_DROPPED_ON_ARRIVAL:
	case FW_CAUSE_HOST_DROP:
		host_drop_text(x, cause, buf, sz);
		break;
	case FW_CAUSE_LOST_IN_NETWORK:
		lost_in_network_text(x, buf, sz);
		break;
	default:
		unknown_text(x, buf, sz);
		break;
	}
}

/* ---- the finding's fields ---- */

static void peer_gone(struct fw_cause_info *ci, const struct judgement *j,
		      char *buf, size_t sz)
{
	const struct end *e = j->survivor;
	/* a snapshot that lacks the peer names its host; a peer that died
	 * unseen is in the words itself */
	const char *gone = j->ev.other ? j->ev.other : j->ev.peer.host;

	ci->cause = FW_CAUSE_PEER_GONE;
	ci->host = gone;
	snprintf(buf, sz,
		 "%s on %s still holds the connection, but %s has no socket "
		 "for it: its close never arrived, or %s lost the socket "
		 "without one (a crash, a reboot, a killed socket)",
		 end_is_client(e) ? "client" : "server", e->host->name, gone,
		 gone);
}

static void lost_close(const struct fw_corr *c, struct fw_cause_info *ci,
		       const struct conn *cn, const struct judgement *j,
		       char *buf, size_t sz)
{
	struct lost_close x = { .c = c, .s = j->closer, .kind = j->kind };
	const struct end *e;

	x.r = x.s ? other_end(cn, x.s) : j->survivor;
	x.idle_ms = x.s ? x.s->idle_ms : UNSET;
	if (!x.s && x.r && in_idle_known(&x.r->cause))
		x.idle_ms = x.r->cause.in_idle_ms;
	ci->cause = classify(&x);
	e = x.at ? x.at : x.s ? x.s : x.r;
	if (!x.facts && e)
		x.facts = host_facts(e->host, e->netns);
	if (x.at)
		ci->host = x.at->host->name;
	ci->on_arrival = x.on_arrival;
	ci->reason = x.reason;
	ci->idle_ms = x.idle_ms;
	ci->ct_timeout_s = fact(&x, FW_FACT_CT_TCP_ESTABLISHED);
	ci->ct_be_liberal = fact(&x, FW_FACT_CT_TCP_BE_LIBERAL);
	ci->keepalive_time_s = fact(&x, FW_FACT_TCP_KEEPALIVE_TIME);
	cause_text(&x, ci->cause, buf, sz);
}

static void fill_keepalive(struct fw_finding_end *fe, const struct end *e)
{
	const struct end_cause *ec = &e->cause;

	if (!ec->ka_cnt)
		return;
	fe->keepalive_idle_s = ec->ka_idle_s;
	fe->keepalive_intvl_s = ec->ka_intvl_s;
	fe->keepalive_cnt = ec->ka_cnt;
	fe->user_timeout_ms = ec->user_timeout_ms;
}

/* The finding's end that is e (the finding names each end's socket). */
static struct fw_finding_end *finding_end(struct fw_finding *f,
					  const struct end *e)
{
	struct fw_finding_end *fe[2] = { &f->client, &f->server };

	for (size_t i = 0; i < 2; i++)
		if (fe[i]->present && fe[i]->host == e->host->name &&
		    fe[i]->netns == e->netns && fe[i]->sock == e->sock)
			return fe[i];
	return NULL;
}

void cause_fill(const struct fw_corr *c, const struct conn *cn,
		const struct judgement *j, struct fw_finding *f, char *buf,
		size_t sz)
{
	struct fw_finding_end *ends[2] = { &f->client, &f->server };
	struct fw_cause_info *ci = &f->cause;

	for (size_t i = 0; i < 2; i++) {
		ends[i]->keepalive_idle_s = ends[i]->keepalive_intvl_s =
			FW_UNKNOWN;
		ends[i]->keepalive_cnt = ends[i]->user_timeout_ms = FW_UNKNOWN;
	}
	for (size_t i = 0; i < 2; i++) {
		struct fw_finding_end *fe =
			cn->e[i] ? finding_end(f, cn->e[i]) : NULL;

		if (fe)
			fill_keepalive(fe, cn->e[i]);
	}
	memset(ci, 0, sizeof(*ci));
	ci->idle_ms = ci->ct_timeout_s = FW_UNKNOWN;
	ci->ct_be_liberal = ci->keepalive_time_s = FW_UNKNOWN;
	if (j->verdict == FW_V_PEER_VANISHED)
		peer_gone(ci, j, buf, sz);
	else if (j->verdict == FW_V_LOST_FIN || j->verdict == FW_V_LOST_RST ||
		 j->verdict == FW_V_UNACKED_FIN)
		lost_close(c, ci, cn, j, buf, sz);
	else
		return;
	ci->text = buf;
}
