/* SPDX-License-Identifier: GPL-2.0 */
/*
 * finwatch reap: destroys the server sockets that the logs prove to be
 * ghosts, each checked against the kernel just before (docs/REAP.md).
 * reap.c is the command and its kernel side; reap_check.c decides, from
 * what the logs and the kernel say, without touching anything.
 */
#ifndef FW_REAP_H
#define FW_REAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "correlate/correlate.h"
#include "finwatch.h"
#include "sock_destroy.h"

#define FW_REAP_WHY_MAX 224

/* What the tcp iterator showed for a candidate's 4-tuple. */
struct reap_iter_view {
	bool seen;
	uint8_t state; /* enum fw_tcp_state */
	bool isn_known;
	uint32_t isn_local, isn_remote;
	uint64_t sock_id; /* its cookie, or an id of finwatch's own when
			   * the cookie is its listener's too */
};

enum reap_outcome {
	REAP_PENDING,
	REAP_DESTROYED,
	REAP_WOULD, /* --dry-run: would have been destroyed */
	REAP_GONE,  /* no such connection any more: nothing to do */
	REAP_LEFT,  /* left alone; why says why */
};

/* A server socket the logs prove a ghost: the logs' view, the kernel's. */
struct reap_cand {
	enum fw_verdict verdict;
	uint64_t netns, sock;
	uint8_t family; /* 4 or 6 */
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
	bool has_isn;
	uint32_t isn_local, isn_remote;
	uint64_t peer_gone_ns; /* its own clock, or FW_UNKNOWN */
	const char *not_ghost; /* why a later finding undoes it, or NULL */
	char client_host[64];  /* "" when not known */
	bool peer_logged;      /* its peer's end is in a log */
	bool peer_open;	       /* and still open when that log ended */
	uint8_t peer_state;    /* its last state there */
	struct reap_iter_view it;
	enum reap_outcome outcome;
	char why[FW_REAP_WHY_MAX];
};

/*
 * Whether a finding proves its server end a ghost that reap may look at:
 * lost_fin or peer_vanished, the server the survivor, in its log,
 * still open and ESTABLISHED.
 */
bool reap_finding_is_ghost(const struct fw_finding *f);

/* The candidate of a finding about its server end (ghost or not). */
void reap_cand_fill(struct reap_cand *c, const struct fw_finding *f);

/*
 * Whether the logs alone leave the candidate a ghost: the peer of a
 * lost_fin must have let go of its end too (a peer still sending its
 * FIN, or half-closed and reading, holds on). Returns true, or false
 * with the reason in why.
 */
bool reap_peer_let_go(const struct reap_cand *c, char *why, size_t sz);

/* Orders candidates by namespace, then 4-tuple (for bsearch). */
int reap_cand_cmp(const void *a, const void *b);

/*
 * The last check before SOCK_DESTROY: the socket sock_diag found for the
 * candidate's 4-tuple (d) is the one the logs speak of, and still the
 * ghost they prove: ESTABLISHED, the same socket (its ISNs, else its
 * cookie), a cookie of its own (so that SOCK_DESTROY cannot reach
 * another), and nothing received since its peer was gone (margin_ns
 * short of it). now_ns is the wall clock. Returns true, or false with
 * the reason in why.
 */
bool reap_recheck(const struct reap_cand *c, const struct fw_diag_sock *d,
		  uint64_t now_ns, uint64_t margin_ns, char *why, size_t sz);

#endif
