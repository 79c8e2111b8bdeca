/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One TCP socket of the current network namespace through sock_diag:
 * looked up by its exact 4-tuple, and destroyed with SOCK_DESTROY as
 * `ss -K` does (CONFIG_INET_DIAG_DESTROY).
 */
#ifndef FW_SOCK_DESTROY_H
#define FW_SOCK_DESTROY_H

#include <linux/inet_diag.h>
#include <stdbool.h>
#include <stdint.h>

/* What the kernel says of the socket it found for a 4-tuple. */
struct fw_diag_sock {
	uint8_t family; /* AF_INET or AF_INET6, as the kernel reports it */
	uint8_t state;	/* the kernel's TCP state */
	uint64_t cookie;
	struct inet_diag_sockid id; /* its addresses, interface and cookie:
				     * what SOCK_DESTROY is given */
	bool has_ages;		    /* the two below are known */
	uint32_t last_data_recv_ms; /* tcpi_last_data_recv */
	uint32_t last_ack_recv_ms;  /* tcpi_last_ack_recv */
};

/*
 * The socket with this 4-tuple (family 4 or 6, IPv4 in the first 4 bytes
 * of the addresses, ports in host order). The kernel falls back on the
 * listener of the local port, and on a time-wait socket: look at state.
 * Returns 0, or a negative errno (-ENOENT: none).
 */
int fw_diag_find(int family, const uint8_t *laddr, uint16_t lport,
		 const uint8_t *raddr, uint16_t rport,
		 struct fw_diag_sock *out);

/*
 * SOCK_DESTROY of the socket fw_diag_find() found: the kernel looks it up
 * again by the same 4-tuple and cookie, and aborts it (the owner reads
 * ECONNABORTED, the peer is sent a RST). Returns 0, or a negative errno:
 * -ENOENT (no socket with that 4-tuple and cookie any more), -EOPNOTSUPP
 * (a kernel without CONFIG_INET_DIAG_DESTROY), -EPERM (no CAP_NET_ADMIN).
 */
int fw_diag_destroy(const struct fw_diag_sock *s);

#endif
