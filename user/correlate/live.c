// SPDX-License-Identifier: GPL-2.0
/*
 * --follow: live verdicts (issue 14). A connection is named before its
 * final verdict as soon as the evidence is conclusive for now:
 *
 *  - its sender's own host dropped every try of the FIN (or the RST)
 *    so far: it never left;
 *  - its FIN went out and was retransmitted --live-retrans times, and
 *    the receiver's log, current (its heartbeats) past the latest try
 *    plus the allowance, shows no sign of it: no CLOSE_WAIT, CLOSING or
 *    TIME_WAIT, no reset, the receiver alive, nothing of its records
 *    possibly missing then (a loss not settled yet, a cut path).
 *
 * Such a finding is provisional: the truth so far. When the evidence no
 * longer holds (the FIN arrived after all, a loss came to light) a
 * provisional incomplete finding says so; the final verdict follows as
 * in batch mode, with the same id.
 */
#include "engine.h"

static unsigned int live_retrans(const struct fw_corr *c)
{
	return c->opts.live_retrans ? c->opts.live_retrans
				    : FW_DEFAULT_LIVE_RETRANS;
}

/* r has shown nothing of a close (so far as its records go). */
static bool no_sign(const struct end *r)
{
	return !is_set(r->fin_recv_ns) && !is_set(r->rst_recv_ns) &&
	       !end_dead(r);
}

/* Nothing that the words rest on may be missing from h's log. */
static bool all_there(const struct fw_corr *c, const struct host *h,
		      uint64_t from, uint64_t to, const struct end *who)
{
	struct judgement scratch = { .final = false, .wake = UNSET };

	return judge_window(c, &scratch, h, from, to, who) == JUDGE_PASSED;
}

static void live_facts(const struct fw_corr *c, struct judgement *j,
		       struct end *s, struct end *r, enum fw_close_kind kind)
{
	j->provisional = true;
	j->closer = s;
	j->survivor = r;
	j->kind = kind;
	j->close_ns = kind == FW_CLOSE_FIN ? s->fin_sent_ns : s->rst_sent_ns;
	j->ev.close_unseen =
		kind == FW_CLOSE_FIN ? s->fin_sent_unseen : s->rst_sent_unseen;
	note_end(c, &j->ev.self, s);
	note_end(c, &j->ev.peer, r);
	note_fin(&j->ev.fin, s);
	j->ev.live_through_ns = r->host->wm_ns;
}

/* Every try of s's FIN so far was dropped by its own host: it never left. */
static bool fin_never_left(const struct fw_corr *c, struct end *s,
			   struct end *r, struct judgement *j)
{
	if (!is_set(s->fin_sent_ns) || s->fin_from_snap ||
	    !s->first_try_dropped || end_fin_retrans(s) || !end_out_drops(s) ||
	    !no_sign(r) ||
	    !all_there(c, s->host, s->fin_sent_ns, s->last_ns, s))
		return false;
	live_facts(c, j, s, r, FW_CLOSE_FIN);
	return decide(j, FW_V_LOST_FIN, EV_LIVE_FIN) == JUDGE_DECIDED;
}

/*
 * s's FIN was retransmitted enough, and r's log is current past the
 * latest try without a sign of it. *wake: when r's log will be.
 */
static bool fin_not_arrived(const struct fw_corr *c, struct end *s,
			    struct end *r, struct judgement *j, uint64_t *wake)
{
	uint64_t need, sent;

	if (!is_set(s->fin_sent_ns) || s->fin_from_snap || s->fin_acked ||
	    end_fin_retrans(s) < live_retrans(c) || !no_sign(r))
		return false;
	need = add_sat(clock_convert(s, r, s->fin_last_tx_ns),
		       clock_tolerance(c, s, r));
	if (r->host->wm_ns < need) {
		*wake = min_u64(*wake, to_ref(r->host, need));
		return false;
	}
	sent = clock_convert(s, r, s->fin_sent_ns);
	if (!all_there(c, r->host, sub_sat(sent, c->opts.skew_ns),
		       r->host->wm_ns, r))
		return false;
	live_facts(c, j, s, r, FW_CLOSE_FIN);
	return decide(j, FW_V_LOST_FIN, EV_LIVE_FIN) == JUDGE_DECIDED;
}

/* Every RST s sent was dropped by its own host, and r lives on. */
static bool rst_never_left(const struct fw_corr *c, struct end *s,
			   struct end *r, struct judgement *j)
{
	if (!is_set(s->rst_sent_ns) || !s->cause.rst_drops_out ||
	    s->cause.rst_drops_out < s->rst_count || !no_sign(r) ||
	    !all_there(c, s->host, s->rst_sent_ns, s->last_ns, s))
		return false;
	live_facts(c, j, s, r, FW_CLOSE_RST);
	j->ev.fin.drop_reason = s->drop_reason;
	return decide(j, FW_V_LOST_RST, EV_LIVE_RST) == JUDGE_DECIDED;
}

static bool live_case(const struct fw_corr *c, struct conn *cn,
		      struct judgement *j, uint64_t *wake)
{
	for (size_t i = 0; i < 2; i++) {
		struct end *s = cn->e[i], *r = cn->e[!i];

		if (fin_never_left(c, s, r, j) ||
		    fin_not_arrived(c, s, r, j, wake) ||
		    rst_never_left(c, s, r, j))
			return true;
	}
	return false;
}

/*
 * Whether the provisional finding about s's close to r still stands:
 * nothing has come to light since that says the close got there, or
 * may have (a FIN that left after all, a loss, a cut).
 */
static bool still_stands(const struct fw_corr *c, struct end *s, struct end *r,
			 enum fw_verdict v)
{
	if (!no_sign(r))
		return false;
	if (v == FW_V_LOST_RST)
		return s->cause.rst_drops_out >= s->rst_count &&
		       all_there(c, s->host, s->rst_sent_ns, s->last_ns, s);
	if (s->fin_acked)
		return false;
	if (s->first_try_dropped && !end_fin_retrans(s))
		return all_there(c, s->host, s->fin_sent_ns, s->last_ns, s);
	return end_fin_retrans(s) >= live_retrans(c) &&
	       all_there(c, r->host,
			 sub_sat(clock_convert(s, r, s->fin_sent_ns),
				 c->opts.skew_ns),
			 r->host->wm_ns, r);
}

/* The earlier provisional finding of cn no longer holds: say so. */
static void live_undone(struct fw_corr *c, struct conn *cn)
{
	struct end *s = cn->live_closer,
		   *r = s == cn->e[0] ? cn->e[1] : cn->e[0];
	struct judgement j = { .verdict = FW_V_INCOMPLETE,
			       .provisional = true,
			       .cw_ns = UNSET,
			       .survivor_at = UNSET };

	j.ev.reaped_ns = j.ev.reaped_after_ns = UNSET;
	j.ev.undone = cn->live_verdict;
	j.closer = s;
	j.survivor = r;
	note_end(c, &j.ev.self, s);
	note_end(c, &j.ev.peer, r);
	decide(&j, FW_V_INCOMPLETE, EV_LIVE_UNDONE);
	finding_report(c, cn, &j, REPORT_PROVISIONAL);
}

/*
 * Names cn provisionally when the evidence is conclusive so far, or
 * says that an earlier provisional finding no longer holds. Returns
 * when to look again (UNSET: at a record).
 */
uint64_t live_judge(struct fw_corr *c, struct conn *cn)
{
	struct judgement j = { .verdict = FW_V_INCOMPLETE,
			       .cw_ns = UNSET,
			       .survivor_at = UNSET };
	uint64_t wake = UNSET;

	j.ev.reaped_ns = j.ev.reaped_after_ns = UNSET;
	if (cn->live_out && cn->live_verdict != FW_V_INCOMPLETE) {
		struct end *s = cn->live_closer;

		if (!still_stands(c, s, s == cn->e[0] ? cn->e[1] : cn->e[0],
				  cn->live_verdict))
			live_undone(c, cn);
		return wake;
	}
	if (live_case(c, cn, &j, &wake)) {
		finding_report(c, cn, &j, REPORT_PROVISIONAL);
		cn->live_closer = j.closer;
	}
	return wake;
}
