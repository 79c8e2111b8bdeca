// SPDX-License-Identifier: GPL-2.0
/*
 * One socket through NETLINK_SOCK_DIAG: an exact lookup (no dump, the
 * kernel's inet_diag_find_one_icsk()) and SOCK_DESTROY of what it found.
 * A netlink socket answers for the namespace it was made in, so each
 * request gets one of its own, made in the caller's current namespace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "schema.h"
#include "sock_destroy.h"

struct diag_request {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 req;
};

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static void fill_request(struct diag_request *m, uint16_t type, int family,
			 const struct inet_diag_sockid *id)
{
	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = sizeof(*m);
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m->nlh.nlmsg_seq = 1;
	m->req.sdiag_family = family;
	m->req.sdiag_protocol = IPPROTO_TCP;
	m->req.idiag_states = ~0u;
	m->req.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	m->req.id = *id;
}

static void read_ages(struct fw_diag_sock *s, const struct inet_diag_msg *m,
		      size_t len)
{
	const struct rtattr *rta = (const void *)(m + 1);
	size_t rest = len - NLMSG_ALIGN(sizeof(*m));
	size_t need = offsetof(struct tcp_info, tcpi_last_ack_recv) + 4;

	for (; RTA_OK(rta, rest); rta = RTA_NEXT(rta, rest)) {
		const struct tcp_info *ti = RTA_DATA(rta);

		if (rta->rta_type != INET_DIAG_INFO ||
		    (size_t)RTA_PAYLOAD(rta) < need)
			continue;
		s->last_data_recv_ms = ti->tcpi_last_data_recv;
		s->last_ack_recv_ms = ti->tcpi_last_ack_recv;
		s->has_ages = true;
	}
}

static void take_reply(struct fw_diag_sock *s, const struct nlmsghdr *h)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return;
	memset(s, 0, sizeof(*s));
	s->family = m->idiag_family;
	s->state = m->idiag_state;
	s->id = m->id;
	s->cookie =
		(uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	read_ages(s, m, h->nlmsg_len - NLMSG_LENGTH(0));
}

/*
 * Reads one batch of replies. Returns 1 to read on, else 0 (acknowledged
 * with a reply when one was asked for) or a negative errno.
 */
static int read_replies(const char *buf, ssize_t n, struct fw_diag_sock *out,
			bool *replied)
{
	for (const struct nlmsghdr *h = (const void *)buf;
	     NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY && out) {
			take_reply(out, h);
			*replied = true;
		} else if (h->nlmsg_type == NLMSG_ERROR) {
			if (e->error)
				return e->error;
			return out && !*replied ? -ENOENT : 0;
		}
	}
	return 1;
}

/*
 * Sends one request and reads to its acknowledgement; the reply to a
 * lookup goes to *out. Returns 0, or a negative errno.
 */
static int transact(const struct diag_request *m, struct fw_diag_sock *out)
{
	static char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool replied = false;
	int fd, rc = 1;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	n = send(fd, m, sizeof(*m), 0);
	if (n != sizeof(*m))
		rc = n < 0 ? -errno : -EIO;
	while (rc == 1) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = n < 0 ? -errno : -EPROTO;
		else
			rc = read_replies(buf, n, out, &replied);
	}
	close(fd);
	return rc;
}

/* The reply names the asked 4-tuple (an IPv6 socket carrying IPv4 too). */
static bool reply_is_exact(const struct fw_diag_sock *s, int family,
			   const struct inet_diag_sockid *want)
{
	uint8_t src[16], dst[16];

	if (s->id.idiag_sport != want->idiag_sport ||
	    s->id.idiag_dport != want->idiag_dport)
		return false;
	memcpy(src, s->id.idiag_src, sizeof(src));
	memcpy(dst, s->id.idiag_dst, sizeof(dst));
	if (s->family == AF_INET6 && family == AF_INET &&
	    fw_addr_is_v4_mapped(src) && fw_addr_is_v4_mapped(dst)) {
		fw_addr_unmap_v4(src);
		fw_addr_unmap_v4(dst);
	} else if (s->family != family) {
		return false;
	}
	return !memcmp(src, want->idiag_src, addr_len(family)) &&
	       !memcmp(dst, want->idiag_dst, addr_len(family));
}

int fw_diag_find(int family, const uint8_t *laddr, uint16_t lport,
		 const uint8_t *raddr, uint16_t rport, struct fw_diag_sock *out)
{
	struct inet_diag_sockid id = {};
	struct diag_request m;
	int af = family == 6 ? AF_INET6 : AF_INET, err;

	id.idiag_sport = htons(lport);
	id.idiag_dport = htons(rport);
	memcpy(id.idiag_src, laddr, addr_len(af));
	memcpy(id.idiag_dst, raddr, addr_len(af));
	id.idiag_cookie[0] = id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	fill_request(&m, SOCK_DIAG_BY_FAMILY, af, &id);
	err = transact(&m, out);
	if (err)
		return err;
	/* The kernel answered for another socket (the port's listener). */
	if (!reply_is_exact(out, af, &id))
		return -ENOENT;
	return 0;
}

int fw_diag_destroy(const struct fw_diag_sock *s)
{
	struct diag_request m;

	fill_request(&m, SOCK_DESTROY, s->family, &s->id);
	return transact(&m, NULL);
}
