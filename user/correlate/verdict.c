// SPDX-License-Identifier: GPL-2.0
/*
 * Judging and judging again: a connection is decided as soon as its
 * evidence allows, reported, and freed once its sockets are gone. The
 * decision about a lost close is kept while the end that survived it
 * lives, so that its finding can say how that end died (issue 15): in
 * batch mode that finding waits; with --follow it goes out at once and
 * again, revised, when the survivor dies. With --follow, a connection
 * that is not decided yet may be named provisionally (live.c).
 */
#include <stdlib.h>

#include "engine.h"

/* The survivor of a kept decision died, or the input ended: report it. */
static void conn_reaped(struct fw_corr *c, struct conn *cn, bool final)
{
	struct judgement *k = cn->kept;
	bool dead;

	if (!k)
		return;
	dead = end_dead(k->survivor);
	if (!dead && !final)
		return;
	if (dead)
		reap_note(c, k);
	if (!c->opts.follow)
		finding_report(c, cn, k, REPORT_FINAL);
	else if (dead)
		finding_report(c, cn, k, REPORT_REVISED);
	cn->kept = NULL;
	free(k);
	cn->kept_prev->kept_next = cn->kept_next;
	cn->kept_next->kept_prev = cn->kept_prev;
}

/* cn's verdict is decided: report it, or keep it for its survivor. */
static void conn_decided(struct fw_corr *c, struct conn *cn,
			 const struct judgement *j)
{
	struct judgement done = *j;

	cn->reported = true;
	heap_remove(c, cn);
	held_del(c, cn);
	if (judgement_reapable(&done) && !end_dead(done.survivor)) {
		cn->kept = corr_calloc(c, 1, sizeof(*cn->kept));
		if (!cn->kept)
			return;
		*cn->kept = done;
		cn->kept_prev = c->kept.kept_prev;
		cn->kept_next = &c->kept;
		c->kept.kept_prev->kept_next = cn;
		c->kept.kept_prev = cn;
		if (c->opts.follow)
			finding_report(c, cn, &done, REPORT_FINAL);
		return;
	}
	if (judgement_reapable(&done))
		reap_note(c, &done); /* it died before the verdict was known */
	finding_report(c, cn, &done, REPORT_FINAL);
}

/* Decides cn if its evidence allows; frees it once reported and dead. */
void conn_evaluate(struct fw_corr *c, struct conn *cn, bool final)
{
	struct judgement j = { .verdict = FW_V_OK, .cw_ns = UNSET };
	enum judge_status st;
	uint64_t wake;

	if (c->failed)
		return;
	if (cn->reported) {
		conn_reaped(c, cn, final);
		if (final || conn_dead(cn))
			conn_free(c, cn);
		return;
	}
	st = judge_conn(c, cn, &j, final);
	if (c->failed)
		return; /* a nested eviction ran out of memory */
	switch (st) {
	case JUDGE_DECIDED:
		break;
	case JUDGE_DISCARD:
		conn_free(c, cn);
		return;
	default: /* undecided: no judge has a say yet */
		wake = j.wake;
		if (c->opts.follow && cn->e[1])
			wake = min_u64(wake, live_judge(c, cn));
		heap_set(c, cn, wake);
		return;
	}
	conn_decided(c, cn, &j);
	if (c->failed)
		return;
	if (final || conn_dead(cn)) {
		conn_reaped(c, cn, final);
		conn_free(c, cn);
	}
}
