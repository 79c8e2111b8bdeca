// SPDX-License-Identifier: GPL-2.0
/*
 * How the end that survived a lost close died later (issue 15): its
 * keepalive, TCP_USER_TIMEOUT or retransmissions timing out (the final
 * record's error and counters, schema v2), a reset coming back, or its
 * own application closing it (Redis' idle timeout when it is Redis).
 */
#include <errno.h>
#include <string.h>

#include "engine.h"

/* A lost close whose survivor may be reaped: its finding waits for it. */
bool judgement_reapable(const struct judgement *j)
{
	return !j->provisional && j->survivor &&
	       (j->verdict == FW_V_LOST_FIN || j->verdict == FW_V_LOST_RST ||
		j->verdict == FW_V_PEER_VANISHED);
}

static bool after(uint64_t t, uint64_t close)
{
	return is_set(t) && (!is_set(close) || t >= close);
}

/* A keepalive probe found the peer gone: unanswered, or answered by RST. */
static bool probes_out(const struct end *s)
{
	return s->probes_out != UINT32_MAX && s->probes_out > 0 &&
	       s->keepalive == 1;
}

/*
 * What killed s, and when (its clock): close is when the lost close was
 * sent, in s's clock (UNSET: not known). Its own close comes first: what
 * follows (the peer's host answering with a reset) is its consequence.
 */
static enum reaper reaper_of(const struct end *s, uint64_t close,
			     uint64_t *when)
{
	*when = s->died_ns;
	if (s->died_unseen)
		return REAPED_UNKNOWN;
	if (after(s->fin_sent_ns, close)) {
		*when = s->fin_sent_ns;
		return strstr(s->comm, "redis") ? REAPED_REDIS_TIMEOUT
						: REAPED_APP_CLOSE;
	}
	/*
	 * Before the RST: the keepalive timer sends one of its own just
	 * before it times the socket out (tcp_keepalive_timer), where an
	 * application's abort leaves ECONNRESET (tcp_disconnect).
	 */
	if (sk_err_timed_out(s->sk_err)) {
		if (probes_out(s))
			return REAPED_KEEPALIVE;
		if (s->cause.user_timeout_ms)
			return REAPED_USER_TIMEOUT;
		if (s->rto_retrans != UINT32_MAX && s->rto_retrans > 0)
			return REAPED_RETRANSMIT_TIMEOUT;
		return REAPED_UNKNOWN;
	}
	if (after(s->rst_sent_ns, close) && !is_set(s->rst_recv_ns)) {
		*when = s->rst_sent_ns;
		return REAPED_APP_CLOSE;
	}
	if (is_set(s->rst_recv_ns) || s->sk_err == ECONNRESET)
		return probes_out(s) ? REAPED_KEEPALIVE : REAPED_RESET;
	return REAPED_UNKNOWN;
}

/* j's survivor died: how, when, and how long after the lost close. */
void reap_note(const struct fw_corr *c, struct judgement *j)
{
	const struct end *s = j->survivor;
	uint64_t close = UNSET, when;

	(void)c;
	if (j->kind != FW_CLOSE_NONE && is_set(j->close_ns))
		close = j->closer ? clock_convert(j->closer, s, j->close_ns)
				  : j->close_ns; /* already in s's clock */
	j->ev.reaped_by = reaper_of(s, close, &when);
	j->ev.reaped_ns = when;
	j->ev.reaped_after_ns = is_set(close) && is_set(when) && when >= close
					? when - close
					: UNSET;
}
