// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "owners.h"
#include "schema.h"
#include "sock_diag.h"
#include "util.h"

/* idiag_timer: which timer is armed (see inet_diag's get_info). */
#define FW_DIAG_TIMER_KEEPALIVE 2

struct diag_walk {
	const struct fw_config *cfg;
	const struct fw_owner_table *owners;
	fw_snapshot_fn fn;
	void *ctx;
	int count;
};

static bool port_watched(const struct fw_config *c, uint16_t port)
{
	for (int i = 0; i < c->nports; i++)
		if (c->ports[i] == port)
			return true;
	return false;
}

static int send_dump_request(int fd, int family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh =
			{
				.nlmsg_len = sizeof(msg),
				.nlmsg_type = SOCK_DIAG_BY_FAMILY,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			},
		.req =
			{
				.sdiag_family = family,
				.sdiag_protocol = IPPROTO_TCP,
				.idiag_states =
					~0u & ~(1u << FW_TCP_NEW_SYN_RECV),
				.idiag_ext = 1 << (INET_DIAG_INFO - 1),
			},
	};

	return send(fd, &msg, sizeof(msg), 0) == sizeof(msg) ? 0 : -1;
}

static void fill_tcp_info(struct fw_sock_info *si, const struct tcp_info *ti,
			  size_t len)
{
	struct fw_event *ev = &si->ev;

	/* Older kernels send a shorter tcp_info: take what is there. */
	if (len >= offsetof(struct tcp_info, tcpi_last_ack_recv) + 4) {
		ev->last_send_ms = ti->tcpi_last_data_sent;
		ev->last_recv_ms = ti->tcpi_last_ack_recv;
	}
	if (len >= offsetof(struct tcp_info, tcpi_total_retrans) + 4)
		ev->total_retrans = ti->tcpi_total_retrans;
	if (len >= offsetof(struct tcp_info, tcpi_bytes_received) + 8) {
		ev->bytes_acked = ti->tcpi_bytes_acked;
		ev->bytes_received = ti->tcpi_bytes_received;
	}
}

static void fill_from_msg(struct fw_sock_info *si,
			  const struct inet_diag_msg *m, size_t len,
			  uint32_t netns)
{
	struct fw_event *ev = &si->ev;
	const struct rtattr *rta = (const void *)(m + 1);
	size_t rest = len - NLMSG_ALIGN(sizeof(*m));

	ev->type = FW_EV_SNAPSHOT;
	ev->ts_ns = fw_now_monotonic_ns();
	ev->netns = netns;
	ev->sock_id =
		(uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	ev->family = m->idiag_family == AF_INET6 ? 6 : 4;
	ev->lport = ntohs(m->id.idiag_sport);
	ev->rport = ntohs(m->id.idiag_dport);
	memcpy(ev->laddr, m->id.idiag_src, ev->family == 6 ? 16 : 4);
	memcpy(ev->raddr, m->id.idiag_dst, ev->family == 6 ? 16 : 4);
	ev->oldstate = ev->newstate = m->idiag_state;
	ev->last_recv_ms = ev->last_send_ms = FW_AGE_UNKNOWN;
	si->inode = m->idiag_inode;
	si->sndq = m->idiag_wqueue;
	si->rcvq = m->idiag_rqueue;
	si->keepalive = m->idiag_timer == FW_DIAG_TIMER_KEEPALIVE;
	/* inet_diag does not tell these. */
	si->keepalive_idle_s = si->keepalive_intvl_s = FW_AGE_UNKNOWN;
	si->keepalive_cnt = si->user_timeout_ms = FW_AGE_UNKNOWN;
	for (; RTA_OK(rta, rest); rta = RTA_NEXT(rta, rest))
		if (rta->rta_type == INET_DIAG_INFO)
			fill_tcp_info(si, RTA_DATA(rta), RTA_PAYLOAD(rta));
}

/* An IPv6 socket talking IPv4 is reported as IPv4, as the iterator does. */
static void unmap_v4(struct fw_event *ev)
{
	if (ev->family != 6 || !fw_addr_is_v4_mapped(ev->raddr))
		return;
	ev->family = 4;
	ev->flags |= FW_F_V4_MAPPED;
	fw_addr_unmap_v4(ev->laddr);
	fw_addr_unmap_v4(ev->raddr);
}

static int handle_msg(struct diag_walk *w, const struct nlmsghdr *h,
		      uint32_t netns)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	struct fw_sock_info si = {};
	bool server;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return 0;
	server = port_watched(w->cfg, ntohs(m->id.idiag_sport));
	if (!server && !port_watched(w->cfg, ntohs(m->id.idiag_dport)))
		return 0;
	fill_from_msg(&si, m, h->nlmsg_len - NLMSG_LENGTH(0), netns);
	si.ev.role = server ? FW_ROLE_SERVER : FW_ROLE_CLIENT;
	unmap_v4(&si.ev);
	fw_owners_name(w->owners, si.inode, &si.ev);
	w->count++;
	return w->fn ? w->fn(w->ctx, &si) : 0;
}

/* Reads the dump until NLMSG_DONE. */
static int read_dump(int fd, struct diag_walk *w, uint32_t netns)
{
	static char buf[64 << 10];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *h = (const void *)buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				errno = EPROTO;
				return -1;
			}
			if (handle_msg(w, h, netns))
				return -1;
		}
	}
}

static int dump_netns(void *arg, uint32_t netns)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct diag_walk *w = arg;

	for (size_t i = 0; i < 2; i++) {
		int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
				NETLINK_SOCK_DIAG);
		int rc;

		if (fd < 0)
			return -1;
		rc = send_dump_request(fd, families[i])
			     ? -1
			     : read_dump(fd, w, netns);
		close(fd);
		if (rc)
			return -1;
	}
	return 0;
}

int fw_sock_diag_snapshot(const struct fw_config *c, fw_snapshot_fn fn,
			  void *ctx)
{
	struct fw_owner_table owners = {};
	struct diag_walk w = { c, &owners, fn, ctx, 0 };
	int rc;

	fw_owners_scan(&owners);
	rc = fw_netns_foreach(c->netns, c->nnetns, dump_netns, &w);
	fw_owners_free(&owners);
	return rc ? -1 : w.count;
}
