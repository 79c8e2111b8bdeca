// SPDX-License-Identifier: GPL-2.0
/*
 * What to do about the lost closes follows from what killed them
 * (cause.c): an expired conntrack entry wants keepalive below conntrack's
 * timeout, a longer timeout or a rule that lets late closes through; a
 * plain rule wants the rule fixed; a close lost between the hosts wants
 * keepalive below the middlebox's idle timeout, whose bounds the idle
 * times before lost and clean closes give. A value meant to be pasted is
 * never printed below a sane floor: then the advice says what to look
 * at instead. Ghosts on servers that already run keepalive are told how
 * long they live with the settings in force.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice_priv.h"
#include "schema.h"

/* Cloud middleboxes' default idle timeouts. */
static const struct middlebox {
	const char *name;
	uint64_t timeout_s;
} middleboxes[] = {
	{ "Azure NAT gateway / load balancer", 240 },
	{ "AWS NAT gateway / Network Firewall", 350 },
	{ "GCP Cloud NAT", 1200 },
};

struct fw_advice *fw_advice_new(void)
{
	struct fw_advice *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->net_idle_min_ms = a->clean_idle_max_ms = FW_UNKNOWN;
	a->ka.idle_max_s = FW_UNKNOWN;
	return a;
}

void fw_advice_free(struct fw_advice *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->ngroups; i++)
		free(a->groups[i].host);
	free(a->groups);
	free(a);
}

/* ---- what the findings say ---- */

static struct cause_group *group_get(struct fw_advice *a,
				     const struct fw_cause_info *ci)
{
	const char *host = ci->host ? ci->host : "";
	struct cause_group *g;

	for (size_t i = 0; i < a->ngroups; i++)
		if (a->groups[i].cause == ci->cause &&
		    !strcmp(a->groups[i].host, host))
			return &a->groups[i];
	if (a->ngroups == a->capgroups) {
		size_t cap = a->capgroups ? a->capgroups * 2 : 8;
		struct cause_group *gs = realloc(a->groups, cap * sizeof(*gs));

		if (!gs)
			return NULL; /* out of memory: the advice loses one */
		a->groups = gs;
		a->capgroups = cap;
	}
	g = &a->groups[a->ngroups];
	memset(g, 0, sizeof(*g));
	g->host = strdup(host);
	if (!g->host)
		return NULL;
	g->cause = ci->cause;
	g->idle_min_ms = g->idle_max_ms = FW_UNKNOWN;
	g->ct_timeout_s = g->be_liberal = FW_UNKNOWN;
	a->ngroups++;
	return g;
}

static void note_group(struct fw_advice *a, const struct fw_cause_info *ci)
{
	struct cause_group *g = group_get(a, ci);

	if (!g)
		return;
	g->count++;
	g->idle_min_ms = min_known(g->idle_min_ms, ci->idle_ms);
	g->idle_max_ms = max_known(g->idle_max_ms, ci->idle_ms);
	if (is_known(ci->ct_timeout_s))
		g->ct_timeout_s = ci->ct_timeout_s;
	if (is_known(ci->ct_be_liberal))
		g->be_liberal = ci->ct_be_liberal;
	if (is_known(ci->ct_timeout_s) && is_known(ci->idle_ms)) {
		if (ci->idle_ms / 1000 >= ci->ct_timeout_s)
			g->over_timeout++;
		else
			g->under_timeout++;
	}
	g->on_arrival |= ci->on_arrival;
	if (ci->reason)
		snprintf(g->reason, sizeof(g->reason), "%s", ci->reason);
}

static bool is_lost_close(enum fw_verdict v)
{
	return v == FW_V_LOST_FIN || v == FW_V_LOST_RST ||
	       v == FW_V_UNACKED_FIN;
}

/* No traced host dropped it: it says how long a middlebox keeps flows. */
static bool lost_on_the_way(const struct fw_cause_info *ci)
{
	return ci->cause == FW_CAUSE_LOST_IN_NETWORK ||
	       (ci->cause == FW_CAUSE_UNKNOWN && !ci->reason);
}

static void note_idle(struct fw_advice *a, const struct fw_finding *f)
{
	uint64_t idle = f->idle_before_close_ms;

	if (f->verdict == FW_V_OK) {
		a->clean_idle_max_ms = max_known(a->clean_idle_max_ms, idle);
	} else if (is_lost_close(f->verdict) && lost_on_the_way(&f->cause)) {
		a->net_lost++;
		a->net_idle_min_ms = min_known(a->net_idle_min_ms, idle);
	}
}

/*
 * How long a ghost lives on a socket with keepalive on: the idle time,
 * then the probes; TCP_USER_TIMEOUT replaces their count.
 */
static uint64_t ghost_life_s(const struct fw_finding_end *e)
{
	uint64_t probes = e->keepalive_intvl_s * e->keepalive_cnt;
	uint64_t user_s = (e->user_timeout_ms + 999) / 1000;

	if (is_known(e->user_timeout_ms) && e->user_timeout_ms) {
		probes = e->keepalive_intvl_s;
		if (user_s > e->keepalive_idle_s + probes)
			return user_s;
	}
	return e->keepalive_idle_s + probes;
}

static void note_server_keepalive(struct fw_advice *a,
				  const struct fw_finding *f)
{
	const struct fw_finding_end *s = &f->server;
	struct server_keepalive *ka = &a->ka;

	if (f->survivor != s || !s->present)
		return;
	if (s->keepalive < 0) {
		ka->unknown++;
		return;
	}
	if (!s->keepalive) {
		ka->off++;
		return;
	}
	ka->on++;
	if (!ka->host[0])
		snprintf(ka->host, sizeof(ka->host), "%s", s->host);
	if (!is_known(s->keepalive_idle_s) || !is_known(s->keepalive_cnt))
		return;
	ka->idle_max_s = max_known(ka->idle_max_s, s->keepalive_idle_s);
	if (ghost_life_s(s) > ka->life_max_s)
		ka->life_max_s = ghost_life_s(s);
}

static void note_redis(struct fw_advice *a, const struct fw_finding *f)
{
	const char *ep = f->server.endpoint;
	size_t n = strlen(ep);

	if ((f->server.present && strstr(f->server.comm, "redis")) ||
	    (n > 5 && !strcmp(ep + n - 5, ":6379")))
		a->redis = true;
}

void fw_advice_note(struct fw_advice *a, const struct fw_finding *f)
{
	note_idle(a, f);
	if (f->verdict == FW_V_CLOSE_WAIT_LEAK)
		a->close_wait_leaks++;
	if (f->verdict == FW_V_INCOMPLETE)
		a->incomplete++;
	if (f->verdict != FW_V_OK && f->verdict != FW_V_OPEN)
		note_redis(a, f);
	if (f->cause.cause == FW_CAUSE_NONE)
		return;
	if (f->verdict == FW_V_PEER_VANISHED)
		a->gone++;
	else
		a->lost++;
	note_group(a, &f->cause);
	note_server_keepalive(a, f);
}

/* ---- the advice ---- */

/* Rounds seconds down to a unit a person would type: 5 s, 1 min, 10 min. */
static uint64_t round_down_s(uint64_t s)
{
	if (s >= 3600)
		return s / 600 * 600;
	if (s >= 120)
		return s / 60 * 60;
	if (s >= 10)
		return s / 5 * 5;
	return s ? s : 1;
}

/*
 * The idle timeout the causes show flows are forgotten after, in ms:
 * conntrack's, where it forgot them (*ct: that group), and the shortest
 * idle before a close lost on the way. FW_UNKNOWN when none.
 */
static uint64_t forget_bound_ms(const struct fw_advice *a,
				const struct cause_group **ct)
{
	uint64_t bound = FW_UNKNOWN;

	*ct = NULL;
	for (size_t i = 0; i < a->ngroups; i++) {
		const struct cause_group *g = &a->groups[i];

		if (g->cause != FW_CAUSE_CONNTRACK_INVALID ||
		    !is_known(g->ct_timeout_s) || !g->over_timeout ||
		    g->ct_timeout_s * 1000 >= bound)
			continue;
		bound = g->ct_timeout_s * 1000;
		*ct = g;
	}
	if (a->net_lost && a->net_idle_min_ms < bound) {
		bound = a->net_idle_min_ms;
		*ct = NULL;
	}
	return bound;
}

/*
 * The keepalive idle to suggest: half that bound, so the probes come
 * well before the flow is forgotten; 60 s when nothing bounds it.
 */
static uint64_t suggest_keepalive_s(const struct fw_advice *a)
{
	const struct cause_group *ct;
	uint64_t bound = forget_bound_ms(a, &ct);

	return is_known(bound) ? round_down_s(bound / 2000) : 60;
}

static void advise_conntrack_fixes(const struct cause_group *g, uint64_t k,
				   FILE *f)
{
	uint64_t t = g->ct_timeout_s;

	if (k >= KEEPALIVE_FLOOR_S)
		fprintf(f, "    - keepalive below %llu s: %llu s (below);\n",
			ull(t), ull(k));
	else
		fprintf(f,
			"    - keepalive below %llu s: that is under any sane "
			"keepalive (%d s), so raise the timeout instead;\n",
			ull(t), KEEPALIVE_FLOOR_S);
	if (t < 3600)
		fprintf(f,
			"    - raise the timeout: %llu s is far below the "
			"kernel's default (%d s, 5 days): find out what "
			"lowered it on %s (`sysctl "
			"net.netfilter.nf_conntrack_tcp_timeout_established`, "
			"/etc/sysctl.d/, a container runtime, kube-proxy's "
			"--conntrack-tcp-timeout-established) and raise it "
			"above the connections' longest idle;\n",
			ull(t), CT_DEFAULT_TIMEOUT_S, g->host);
	else
		fprintf(f,
			"    - raise the timeout on %s above the connections' "
			"longest idle (`sysctl -w "
			"net.netfilter.nf_conntrack_tcp_timeout_established=%d`"
			", the kernel's default), keeping nf_conntrack_count "
			"under nf_conntrack_max;\n",
			g->host, CT_DEFAULT_TIMEOUT_S);
}

static void advise_conntrack_rule(const struct cause_group *g, FILE *f)
{
	char liberal[48] = "";

	if (is_known(g->be_liberal))
		snprintf(liberal, sizeof(liberal), " (%llu on %s)",
			 ull(g->be_liberal), g->host);
	fprintf(f,
		"    - or keep the rule from killing late closes: find it "
		"(`nft list ruleset | grep -n invalid`, `iptables-save | grep "
		"INVALID`) and let FIN and RST through, or drop INVALID "
		"packets only for new flows. nf_conntrack_tcp_be_liberal=1%s "
		"stops out-of-window segments being marked INVALID and makes "
		"kube-proxy leave its INVALID drop rule out, but does not by "
		"itself make conntrack accept a FIN for a flow it forgot.\n",
		liberal);
}

static void advise_conntrack(const struct cause_group *g, uint64_t k, FILE *f)
{
	char idle[64];

	advice_idle_range(idle, sizeof(idle), g->idle_min_ms, g->idle_max_ms);
	if (!is_known(g->ct_timeout_s) || g->over_timeout) {
		fprintf(f,
			"  %llu close%s on %s died because conntrack there had "
			"forgotten the idle flow (%s came%s) and a rule "
			"dropping conntrack-INVALID packets dropped %s. "
			"Keepalive helps here: probes more often than "
			"conntrack's timeout keep its entries alive, whether "
			"the client, the server (Redis: tcp-keepalive) or both "
			"send them.",
			ull(g->count), plural(g->count), g->host,
			they(g->count), idle, them(g->count));
		if (!is_known(g->ct_timeout_s))
			fprintf(f,
				" The timeout is not in the logs (`sysctl "
				"net.netfilter.nf_conntrack_tcp_timeout_"
				"established` on %s tells it).\n",
				g->host);
		else
			fprintf(f, " Any of:\n");
		if (is_known(g->ct_timeout_s))
			advise_conntrack_fixes(g, k, f);
		advise_conntrack_rule(g, f);
	}
	if (g->under_timeout)
		fprintf(f,
			"  %llu close%s on %s %s dropped without a conntrack "
			"entry within conntrack's %llu s timeout: it lost "
			"those entries another way, a full table (`conntrack "
			"-S`: early_drop; nf_conntrack_count against "
			"nf_conntrack_max) or a flush, or a rule ahead of "
			"conntrack (a chain of priority below -200, such as "
			"raw) dropped them before it looked. Keepalive does "
			"not "
			"prevent that: look at the table's size and at the "
			"rules.\n",
			ull(g->under_timeout), plural(g->under_timeout),
			g->host, were(g->under_timeout), ull(g->ct_timeout_s));
}

/* A drop keepalive does not prevent: where to look. */
static void advise_drop(const struct cause_group *g, FILE *f)
{
	const char *n = plural(g->count), *w = were(g->count);
	const char *seq = ": a middlebox that rewrites sequence numbers (a SYN "
			  "proxy, ISN randomisation) can cause it";

	fprintf(f, "  %llu close%s ", ull(g->count), n);
	switch (g->cause) {
	case FW_CAUSE_FIREWALL_RULE:
		fprintf(f,
			"%s dropped%s by a firewall rule on %s (%s) that "
			"matches %s, not by an expired conntrack entry: look "
			"at its ruleset (`nft list ruleset`, `iptables-save`) "
			"for a rule dropping FIN/RST or this traffic.",
			w, g->on_arrival ? " on arrival" : "", g->host,
			g->reason, them(g->count));
		break;
	case FW_CAUSE_HOST_DROP:
		fprintf(f,
			"%s dropped by %s itself before leaving (%s): look at "
			"that drop reason there (`tc -s qdisc`, `ip -s link`, "
			"`nstat`).",
			w, g->host, g->reason);
		break;
	case FW_CAUSE_DROPPED_ON_ARRIVAL:
		fprintf(f, "reached %s and %s dropped there (%s)%s.", g->host,
			w, g->reason,
			!strcmp(g->reason, "TCP_INVALID_SEQUENCE") ? seq : "");
		break;
	default: /* unknown, with a netfilter drop */
		fprintf(f,
			"%s dropped by a netfilter rule on %s, but the tracer "
			"could not tell whether conntrack had forgotten the "
			"flows: if its ruleset drops conntrack-INVALID packets "
			"and its nf_conntrack_tcp_timeout_established is below "
			"their idle times, keepalive below that timeout helps; "
			"against a plain rule it does not.\n",
			w, g->host);
		return;
	}
	fputs(" Keepalive does not prevent these.\n", f);
}

/* The known cloud middleboxes whose timeout lies in (lo, hi] seconds. */
static void cloud_words(double lo, double hi, char *buf, size_t sz)
{
	size_t len = 0, n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(middleboxes) / sizeof(*middleboxes);
	     i++) {
		double t = (double)middleboxes[i].timeout_s;

		if (t <= lo || t > hi || len + 1 >= sz)
			continue;
		len += (size_t)snprintf(buf + len, sz - len, "%s%s (%llu s)",
					n++ ? " and " : "", middleboxes[i].name,
					ull(middleboxes[i].timeout_s));
	}
}

static void advise_bounds(const struct fw_advice *a, FILE *f)
{
	double lo = (double)a->clean_idle_max_ms / 1e3;
	double hi = (double)a->net_idle_min_ms / 1e3;
	char cloud[256];

	if (!is_known(a->clean_idle_max_ms)) {
		fprintf(f,
			"  The shortest idle before a lost close was %.1f s -> "
			"a middlebox (conntrack, NAT, firewall, load balancer) "
			"forgets idle flows after at most %.1f s. No clean "
			"close with a known idle time was seen, so there is no "
			"lower bound: the timeout may be much shorter.\n",
			hi, hi);
		return;
	}
	if (a->clean_idle_max_ms >= a->net_idle_min_ms) {
		fprintf(f,
			"  Closes were lost after as little as %.1f s idle, "
			"yet others went through after %.1f s: no single idle "
			"timeout explains the losses, so the bounds are "
			"uncertain.\n",
			hi, lo);
		return;
	}
	cloud_words(lo, hi, cloud, sizeof(cloud));
	fprintf(f,
		"  The shortest idle before a lost close was %.1f s, the "
		"longest idle before a clean close was %.1f s -> a middlebox "
		"(conntrack, NAT, firewall, load balancer) forgets idle flows "
		"after between %.1f and %.1f s.%s%s%s%s\n",
		hi, lo, lo, hi,
		a->clean_idle_max_ms * 4 < a->net_idle_min_ms
			? " The lower bound is loose: no clean close came "
			  "after a long idle."
			: "",
		cloud[0] ? " That range holds the default idle timeout of "
			 : "",
		cloud, cloud[0] ? "." : "");
}

/* Closes no traced host dropped: the idle timeout the data implies. */
static void advise_network(const struct fw_advice *a, FILE *f)
{
	if (!a->net_lost)
		return;
	if (!is_known(a->net_idle_min_ms)) {
		fprintf(f,
			"  The logs do not say how long the %llu close%s lost "
			"on the way had been idle, so they imply no middlebox "
			"timeout.\n",
			ull(a->net_lost), plural(a->net_lost));
		return;
	}
	advise_bounds(a, f);
}

/* The ghosts' servers already probe: how long their ghosts live. */
static void advise_keepalive_in_force(const struct fw_advice *a, uint64_t k,
				      FILE *f)
{
	const struct server_keepalive *ka = &a->ka;
	const char *sit = ka->off == 1 ? "sits" : "sit";

	if (ka->off)
		fprintf(f,
			"  %llu of these connections %s on servers with "
			"keepalive off: nothing will ever reap them.\n",
			ull(ka->off), sit);
	sit = ka->on == 1 ? "sits" : "sit";
	if (!ka->on)
		return;
	if (!is_known(ka->idle_max_s)) {
		fprintf(f,
			"  %llu of these connections %s on servers with "
			"keepalive on (%s): its probes will reap them.\n",
			ull(ka->on), sit, ka->host);
		return;
	}
	fprintf(f,
		"  %llu of these connections %s on servers with keepalive "
		"already on (%s; idle up to %llu s): a ghost lives up to %llu "
		"s after its last traffic before the probes reap it (sooner "
		"when its client's host answers the first probe with a RST). "
		"Turning keepalive on changes nothing there;%s\n",
		ull(ka->on), sit, ka->host, ull(ka->idle_max_s),
		ull(ka->life_max_s),
		k >= KEEPALIVE_FLOOR_S && k < ka->idle_max_s
			? " to keep the flows alive, the idle must come down "
			  "(below)."
			: " a lower idle time shortens their lives.");
}

static void advise_redis(const struct fw_advice *a, uint64_t k, FILE *f)
{
	const char *timeout =
		"and `CONFIG SET timeout N` with N above your clients' longest "
		"legitimate idle (e.g. 3600) to reap the clients that are "
		"already dead; `timeout 0` keeps idle clients forever. Persist "
		"both in redis.conf";

	if (!a->redis)
		return;
	if (k < KEEPALIVE_FLOOR_S)
		fprintf(f,
			"  Redis: no tcp-keepalive value is suggested (it "
			"would have to be under %d s); %s.\n",
			KEEPALIVE_FLOOR_S, timeout + 4);
	else if (a->ka.on && is_known(a->ka.idle_max_s) &&
		 a->ka.idle_max_s <= k)
		fprintf(f,
			"  Redis: keep tcp-keepalive at %llu s or lower (it "
			"applies to connections accepted after it is set), "
			"%s.\n",
			ull(a->ka.idle_max_s), timeout);
	else
		fprintf(f,
			"  Redis: `CONFIG SET tcp-keepalive %llu` (probes keep "
			"the middlebox's or conntrack's state alive and detect "
			"dead peers; it applies to connections accepted "
			"afterwards), %s.\n",
			ull(k), timeout);
}

static void advise_sysctl(const struct fw_advice *a, uint64_t k, FILE *f)
{
	uint64_t intvl = k / 3 ? (k / 3 < 75 ? k / 3 : 75) : 1;
	const struct cause_group *ct;
	uint64_t bound = forget_bound_ms(a, &ct);

	if (k >= KEEPALIVE_FLOOR_S)
		fprintf(f,
			"  OS keepalive (for sockets with SO_KEEPALIVE, both "
			"ends): sysctl -w net.ipv4.tcp_keepalive_time=%llu "
			"net.ipv4.tcp_keepalive_intvl=%llu "
			"net.ipv4.tcp_keepalive_probes=3\n",
			ull(k), ull(intvl));
	else if (ct)
		fprintf(f,
			"  No keepalive setting is suggested: conntrack on %s "
			"forgets flows after %llu s, and a keepalive under %d "
			"s is no fix: raise that timeout, or fix the rule "
			"(above).\n",
			ct->host, ull(ct->ct_timeout_s), KEEPALIVE_FLOOR_S);
	else
		fprintf(f,
			"  No keepalive setting is suggested: flows were "
			"forgotten after only %.1f s idle, and a keepalive "
			"under %d s is no fix. Timeouts that short are "
			"unusual: investigate first a conntrack with a short "
			"nf_conntrack_tcp_timeout_established on a host or "
			"router between the ends (`sysctl "
			"net.netfilter.nf_conntrack_tcp_timeout_established`), "
			"a rule dropping FIN/RST (`nft list ruleset`), or loss "
			"on the path (`ip -s link`, `nstat -az "
			"TcpRetransSegs`).\n",
			(double)bound / 1e3, KEEPALIVE_FLOOR_S);
}

void fw_advice_write(const struct fw_advice *a, FILE *f)
{
	uint64_t k = suggest_keepalive_s(a);

	if (!a->lost && !a->gone)
		return;
	fputs("\nadvice:\n", f);
	fputs("  FINs/RSTs were lost, or peers vanished, while servers held "
	      "the connections open. A server without TCP keepalive never "
	      "notices and keeps such connections forever.\n",
	      f);
	for (size_t i = 0; i < a->ngroups; i++) {
		const struct cause_group *g = &a->groups[i];

		if (g->cause == FW_CAUSE_CONNTRACK_INVALID)
			advise_conntrack(g, k, f);
		else if (g->cause != FW_CAUSE_LOST_IN_NETWORK &&
			 g->cause != FW_CAUSE_PEER_GONE &&
			 (g->cause != FW_CAUSE_UNKNOWN || g->reason[0]))
			advise_drop(g, f);
	}
	advise_network(a, f);
	advise_keepalive_in_force(a, k, f);
	advise_redis(a, k, f);
	advise_sysctl(a, k, f);
}
