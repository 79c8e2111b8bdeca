// SPDX-License-Identifier: GPL-2.0
/*
 * The summary's part of the causes: each cause with its host and words,
 * the one-line answer to "network or app?" (the closes lost against the
 * applications' leaks), and their keys in the JSON summary.
 */
#include <stdio.h>
#include <string.h>

#include "advice_priv.h"
#include "schema.h"

/* ---- the answer to "network or app?" ---- */

void advice_idle_range(char *buf, size_t sz, uint64_t lo_ms, uint64_t hi_ms)
{
	char lo[32], hi[32];

	if (!is_known(lo_ms)) {
		buf[0] = '\0';
		return;
	}
	snprintf(lo, sizeof(lo), "%.1f", (double)lo_ms / 1e3);
	snprintf(hi, sizeof(hi), "%.1f", (double)hi_ms / 1e3);
	/* 6017 and 6024 ms are both "6.0 s": no range to show */
	if (!strcmp(lo, hi))
		snprintf(buf, sz, " after %s s idle", lo);
	else
		snprintf(buf, sz, " after %s s to %s s idle", lo, hi);
}

/* "conntrack_invalid on app1, lost_in_network 4" for lost or gone. */
static void cause_list(const struct fw_advice *a, bool gone, char *buf,
		       size_t sz)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < a->ngroups && len + 1 < sz; i++) {
		const struct cause_group *g = &a->groups[i];
		int n;

		if ((g->cause == FW_CAUSE_PEER_GONE) != gone)
			continue;
		n = snprintf(buf + len, sz - len, "%s%s%s%s", len ? ", " : "",
			     fw_cause_name(g->cause), g->host[0] ? " on " : "",
			     g->host);
		len += n > 0 ? (size_t)n : 0;
		if (len < sz && a->ngroups > 1)
			len += (size_t)snprintf(buf + len, sz - len, " %llu",
						ull(g->count));
	}
}

static void network_words(const struct fw_advice *a, char *buf, size_t sz)
{
	uint64_t lo = FW_UNKNOWN, hi = FW_UNKNOWN;
	char idle[64], lost[256], gone[300];
	size_t len = 0;

	for (size_t i = 0; i < a->ngroups; i++) {
		if (a->groups[i].cause == FW_CAUSE_PEER_GONE)
			continue;
		lo = min_known(lo, a->groups[i].idle_min_ms);
		hi = max_known(hi, a->groups[i].idle_max_ms);
	}
	advice_idle_range(idle, sizeof(idle), lo, hi);
	cause_list(a, false, lost, sizeof(lost));
	len = (size_t)snprintf(gone, sizeof(gone), "%llu peer%s gone without ",
			       ull(a->gone), plural(a->gone));
	snprintf(gone + len, sizeof(gone) - len, "%s close arriving (",
		 a->gone == 1 ? "its" : "their");
	len = strlen(gone);
	cause_list(a, true, gone + len, sizeof(gone) - len - 1);
	strcat(gone, ")");
	if (a->lost && a->gone)
		snprintf(buf, sz, "%llu close%s lost%s (%s), and %s",
			 ull(a->lost), plural(a->lost), idle, lost, gone);
	else if (a->lost)
		snprintf(buf, sz, "%llu close%s lost%s (%s)", ull(a->lost),
			 plural(a->lost), idle, lost);
	else
		snprintf(buf, sz, "%s", gone);
}

static void app_words(const struct fw_advice *a, const struct fw_app_side *app,
		      char *buf, size_t sz)
{
	uint64_t idle = app ? app->idle_held : 0;
	char held[320] = "";

	if (idle && app->idle_words)
		snprintf(held, sizeof(held), "%s", app->idle_words);
	else if (idle)
		snprintf(held, sizeof(held),
			 "it never closes idle connections (%llu connection%s "
			 "both ends hold)",
			 ull(idle), plural(idle));
	if (a->close_wait_leaks)
		snprintf(buf, sz,
			 "%s%sit never closes after its peer did (%llu "
			 "connection%s in CLOSE_WAIT)",
			 held, held[0] ? "; and " : "",
			 ull(a->close_wait_leaks), plural(a->close_wait_leaks));
	else
		snprintf(buf, sz, "%s", held);
}

/* "network", "application", "both", "unknown" or "none", and the line. */
static const char *answer(const struct fw_advice *a,
			  const struct fw_app_side *app, char *buf, size_t sz)
{
	bool net = a->lost || a->gone;
	bool appl = a->close_wait_leaks || (app && app->idle_held);
	char nw[1024] = "", aw[512] = "";

	if (net)
		network_words(a, nw, sizeof(nw));
	if (appl)
		app_words(a, app, aw, sizeof(aw));
	if (net && appl) {
		snprintf(buf, sz,
			 "The evidence points to both the network and the "
			 "application: %s; %s",
			 nw, aw);
		return "both";
	}
	if (net || appl) {
		snprintf(buf, sz, "The evidence points to the %s: %s",
			 net ? "network" : "application", net ? nw : aw);
		return net ? "network" : "application";
	}
	if (a->incomplete) {
		snprintf(buf, sz,
			 "The evidence does not tell: %llu connection%s "
			 "incomplete, no close lost and no application leak "
			 "proven",
			 ull(a->incomplete), plural(a->incomplete));
		return "unknown";
	}
	snprintf(buf, sz,
		 "The evidence points to neither: no close was lost and no "
		 "application leak was seen");
	return "none";
}

void fw_advice_answer(const struct fw_advice *a, const struct fw_app_side *app,
		      char *buf, size_t sz)
{
	answer(a, app, buf, sz);
}

/* ---- the summary's causes ---- */

static void group_words(const struct cause_group *g, char *buf, size_t sz)
{
	const char *arrival = g->on_arrival ? " on arrival" : "";
	const char *it = they(g->count), *obj = them(g->count);
	char idle[64];

	advice_idle_range(idle, sizeof(idle), g->idle_min_ms, g->idle_max_ms);
	switch (g->cause) {
	case FW_CAUSE_CONNTRACK_INVALID:
		if (is_known(g->ct_timeout_s))
			snprintf(
				buf, sz,
				"conntrack on %s forgets an idle flow after "
				"%llu s "
				"(nf_conntrack_tcp_timeout_established); %s "
				"came%s, and a rule dropping conntrack-INVALID "
				"packets dropped %s%s",
				g->host, ull(g->ct_timeout_s), it, idle, obj,
				arrival);
		else
			snprintf(buf, sz,
				 "conntrack on %s no longer tracked the flow "
				 "when "
				 "%s came%s, and a rule dropping "
				 "conntrack-INVALID "
				 "packets dropped %s%s",
				 g->host, it, idle, obj, arrival);
		break;
	case FW_CAUSE_FIREWALL_RULE:
		snprintf(buf, sz, "a firewall rule on %s dropped %s%s (%s)",
			 g->host, obj, arrival, g->reason);
		break;
	case FW_CAUSE_HOST_DROP:
		snprintf(buf, sz, "%s dropped %s itself before %s left (%s)",
			 g->host, obj, it, g->reason);
		break;
	case FW_CAUSE_DROPPED_ON_ARRIVAL:
		snprintf(buf, sz, "%s reached %s, which dropped %s (%s)", it,
			 g->host, obj, g->reason);
		break;
	case FW_CAUSE_LOST_IN_NETWORK:
		snprintf(
			buf, sz,
			"%s left the sender%s%s and no traced host dropped %s: "
			"something between the hosts lost %s",
			it, plural(g->count), idle, obj, obj);
		break;
	case FW_CAUSE_PEER_GONE:
		snprintf(buf, sz,
			 "%s has no socket left for connections servers still "
			 "hold",
			 g->host);
		break;
	default:
		snprintf(buf, sz,
			 "where %s died is not in the logs (each finding says "
			 "why)",
			 it);
		break;
	}
}

void fw_advice_write_causes(const struct fw_advice *a,
			    const struct fw_app_side *app, FILE *f)
{
	char words[512], line[2048];

	if (a->ngroups)
		fputs("causes:\n", f);
	for (size_t i = 0; i < a->ngroups; i++) {
		const struct cause_group *g = &a->groups[i];

		group_words(g, words, sizeof(words));
		fprintf(f, "  %s%s%s, %llu %s%s: %s\n", fw_cause_name(g->cause),
			g->host[0] ? " on " : "", g->host, ull(g->count),
			g->cause == FW_CAUSE_PEER_GONE ? "peer" : "close",
			plural(g->count), words);
	}
	answer(a, app, line, sizeof(line));
	fprintf(f, "%s\n", line);
}

/* ---- the JSON summary's keys ---- */

static void jb_u64_or_null(struct fw_jbuf *b, const char *key, uint64_t v)
{
	fw_jb_key(b, key);
	if (is_known(v))
		fw_jb_u64(b, v);
	else
		fw_jb_null(b);
}

static void json_causes(const struct fw_advice *a, struct fw_jbuf *b)
{
	fw_jb_key(b, "causes");
	fw_jb_array_begin(b);
	for (size_t i = 0; i < a->ngroups; i++) {
		const struct cause_group *g = &a->groups[i];

		fw_jb_object_begin(b);
		fw_jb_key_str(b, "cause", fw_cause_name(g->cause));
		fw_jb_key(b, "host");
		if (g->host[0])
			fw_jb_str(b, g->host, SIZE_MAX);
		else
			fw_jb_null(b);
		fw_jb_key_u64(b, "count", g->count);
		fw_jb_key(b, "idle_ms");
		fw_jb_object_begin(b);
		jb_u64_or_null(b, "min", g->idle_min_ms);
		jb_u64_or_null(b, "max", g->idle_max_ms);
		fw_jb_object_end(b);
		jb_u64_or_null(b, "ct_timeout_s", g->ct_timeout_s);
		fw_jb_object_end(b);
	}
	fw_jb_array_end(b);
}

void fw_advice_json(const struct fw_advice *a, const struct fw_app_side *app,
		    FILE *f)
{
	char buf[16384], line[2048];
	struct fw_jbuf b;
	const char *what;

	fw_jb_init(&b, buf, sizeof(buf));
	b.comma = true; /* members of the summary object being written */
	jb_u64_or_null(&b, "lost_idle_min_ms",
		       a->net_lost ? a->net_idle_min_ms : FW_UNKNOWN);
	jb_u64_or_null(&b, "clean_idle_max_ms", a->clean_idle_max_ms);
	json_causes(a, &b);
	what = answer(a, app, line, sizeof(line));
	fw_jb_key_str(&b, "answer", what);
	fw_jb_key_str(&b, "answer_text", line);
	fwrite(b.buf, 1, b.len, f);
}
