// SPDX-License-Identifier: GPL-2.0
/*
 * What `finwatch reap` decides, from the logs' findings and from what
 * the kernel shows of each socket: which sockets are ghosts, and whether
 * the socket found now is still the one proven a ghost. Nothing here
 * touches the kernel.
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "output.h"
#include "reap.h"
#include "schema.h"

static bool refuse(char *why, size_t sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool refuse(char *why, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sz, fmt, ap);
	va_end(ap);
	return false;
}

bool reap_finding_is_ghost(const struct fw_finding *f)
{
	if (f->verdict != FW_V_LOST_FIN && f->verdict != FW_V_PEER_VANISHED)
		return false;
	return f->survivor == &f->server && f->server.present &&
	       f->server.open && f->server.state == FW_TCP_ESTABLISHED &&
	       f->surviving_state == FW_TCP_ESTABLISHED;
}

void reap_cand_fill(struct reap_cand *c, const struct fw_finding *f)
{
	const struct fw_finding_end *s = &f->server;

	memset(c, 0, sizeof(*c));
	c->verdict = f->verdict;
	c->netns = s->netns;
	c->sock = s->sock;
	c->family = s->family;
	memcpy(c->laddr, s->laddr, sizeof(c->laddr));
	memcpy(c->raddr, s->raddr, sizeof(c->raddr));
	c->lport = s->lport;
	c->rport = s->rport;
	c->has_isn = s->has_isn;
	c->isn_local = s->isn_local;
	c->isn_remote = s->isn_remote;
	c->peer_gone_ns = f->peer_gone_ns;
	snprintf(c->client_host, sizeof(c->client_host), "%s",
		 f->client.host ? f->client.host : "");
	c->peer_logged = f->client.present;
	c->peer_open = f->client.open;
	c->peer_state = (uint8_t)f->client.state;
	if (reap_finding_is_ghost(f))
		return;
	if (f->verdict == FW_V_LOST_FIN || f->verdict == FW_V_PEER_VANISHED)
		c->not_ghost = "the logs show its end closing or closed later";
	else
		c->not_ghost = "a later finding about it undoes the verdict";
}

int reap_cand_cmp(const void *a, const void *b)
{
	const struct reap_cand *x = a, *y = b;
	int d;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->lport != y->lport)
		return x->lport < y->lport ? -1 : 1;
	if (x->rport != y->rport)
		return x->rport < y->rport ? -1 : 1;
	d = memcmp(x->laddr, y->laddr, sizeof(x->laddr));
	return d ? d : memcmp(x->raddr, y->raddr, sizeof(x->raddr));
}

/* ---- the last check ---- */

bool reap_peer_let_go(const struct reap_cand *c, char *why, size_t sz)
{
	if (c->verdict != FW_V_LOST_FIN)
		return true;
	if (!c->peer_logged)
		return refuse(why, sz,
			      "its peer's end is in no log: whether it let go "
			      "cannot be told");
	if (c->peer_open)
		return refuse(why, sz,
			      "its peer%s%s still held its end (%s) when its "
			      "log ended: no ghost until it lets go",
			      *c->client_host ? " on " : "", c->client_host,
			      fw_state_name(c->peer_state));
	return true;
}

static bool is_cookie(uint64_t id)
{
	return id < FW_OWN_SOCK_ID_BASE;
}

static bool check_state(const struct reap_cand *c, const struct fw_diag_sock *d,
			char *why, size_t sz)
{
	const struct reap_iter_view *it = &c->it;

	if (d->state != FW_TCP_ESTABLISHED)
		return refuse(why, sz, "it is %s now, not ESTABLISHED",
			      fw_state_name(d->state));
	if (!it->seen)
		return refuse(why, sz, "the tcp iterator did not list it");
	if (it->state != FW_TCP_ESTABLISHED)
		return refuse(why, sz, "the tcp iterator listed it %s",
			      fw_state_name(it->state));
	return true;
}

/*
 * The same connection as in the logs: the ISNs, where the log has them,
 * are the strongest proof (a new connection on the same 4-tuple has
 * others); a cookie in the log is the socket's own, unique per boot.
 */
static bool check_identity(const struct reap_cand *c,
			   const struct fw_diag_sock *d, char *why, size_t sz)
{
	const struct reap_iter_view *it = &c->it;

	if (c->has_isn && !it->isn_known)
		return refuse(why, sz, "the tcp iterator gave no ISNs for it");
	if (c->has_isn &&
	    (it->isn_local != c->isn_local || it->isn_remote != c->isn_remote))
		return refuse(why, sz,
			      "its ISNs are %u/%u, the log's %u/%u: another "
			      "connection on the same 4-tuple",
			      it->isn_local, it->isn_remote, c->isn_local,
			      c->isn_remote);
	if (is_cookie(c->sock) && d->cookie != c->sock)
		return refuse(why, sz,
			      "its cookie is %llu, the log's %llu: another "
			      "socket",
			      (unsigned long long)d->cookie,
			      (unsigned long long)c->sock);
	if (!c->has_isn && !is_cookie(c->sock))
		return refuse(why, sz,
			      "the log has neither its ISNs nor its cookie: "
			      "nothing shows it is the same socket");
	return true;
}

/*
 * SOCK_DESTROY finds its socket again by 4-tuple and cookie, and falls
 * back on the port's listener when the connection is gone: the cookie
 * must be this socket's alone. Kernels that copy a listener's cookie to
 * the sockets it accepts (up to 6.1 at least) give those an id of
 * finwatch's own in the iterator.
 */
static bool check_cookie(const struct reap_cand *c,
			 const struct fw_diag_sock *d, char *why, size_t sz)
{
	if (!is_cookie(c->it.sock_id))
		return refuse(why, sz,
			      "its cookie %llu is its listener's too (this "
			      "kernel copies it to accepted sockets): "
			      "SOCK_DESTROY could reach the listener",
			      (unsigned long long)d->cookie);
	if (c->it.sock_id != d->cookie)
		return refuse(why, sz,
			      "sock_diag gives cookie %llu, the tcp iterator "
			      "%llu: not the socket the iterator checked",
			      (unsigned long long)d->cookie,
			      (unsigned long long)c->it.sock_id);
	return true;
}

static const char *age(uint64_t ns, char *buf, size_t len)
{
	uint64_t ms = ns / 1000000;

	return fw_format_age(ms >= FW_AGE_UNKNOWN ? FW_AGE_UNKNOWN - 1 : ms,
			     buf, len);
}

/* Nothing arrived since its peer was gone: a live peer would show. */
static bool check_idle(const struct reap_cand *c, const struct fw_diag_sock *d,
		       uint64_t now_ns, uint64_t margin_ns, char *why,
		       size_t sz)
{
	uint64_t recv_ms, last_ns, since_ns;
	char a[16], b[16];

	if (!d->has_ages)
		return refuse(why, sz, "the kernel gave no receive times");
	if (c->peer_gone_ns > now_ns)
		return refuse(why, sz,
			      "its peer's end is dated after now: the clock "
			      "went back since the log");
	recv_ms = d->last_data_recv_ms < d->last_ack_recv_ms
			  ? d->last_data_recv_ms
			  : d->last_ack_recv_ms;
	since_ns = recv_ms * 1000000ULL;
	last_ns = since_ns < now_ns ? now_ns - since_ns : 0;
	if (last_ns > c->peer_gone_ns)
		return refuse(why, sz,
			      "it received a segment %s ago, after its peer "
			      "was gone (%s ago): someone is still there",
			      age(since_ns, a, sizeof(a)),
			      age(now_ns - c->peer_gone_ns, b, sizeof(b)));
	if (last_ns + margin_ns > c->peer_gone_ns)
		return refuse(why, sz,
			      "it received a segment %s ago, too close to "
			      "its peer's end (%s ago) to tell",
			      age(since_ns, a, sizeof(a)),
			      age(now_ns - c->peer_gone_ns, b, sizeof(b)));
	snprintf(why, sz,
		 "nothing received for %s, since before its peer was gone "
		 "(%s ago)",
		 age(since_ns, a, sizeof(a)),
		 age(now_ns - c->peer_gone_ns, b, sizeof(b)));
	return true;
}

bool reap_recheck(const struct reap_cand *c, const struct fw_diag_sock *d,
		  uint64_t now_ns, uint64_t margin_ns, char *why, size_t sz)
{
	return check_state(c, d, why, sz) && check_identity(c, d, why, sz) &&
	       check_cookie(c, d, why, sz) &&
	       check_idle(c, d, now_ns, margin_ns, why, sz);
}
