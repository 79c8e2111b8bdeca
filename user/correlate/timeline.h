/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The timeline (docs/CORRELATE.md, "Growth over time"): at each snapshot
 * pass of a server host, per client host, how many connections the pass
 * listed ESTABLISHED on the server, how many of them the client host still
 * held then, and how many it no longer did (the ghosts), as the logs show
 * them. The engine feeds it from its snapshot records (the timeline_*()
 * hooks, called by engine.c); the report reads it with fw_corr_timeline().
 */
#ifndef FW_CORRELATE_TIMELINE_H
#define FW_CORRELATE_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

struct fw_corr;
struct fw_rec;
struct host;

/* One snapshot pass of a server, as seen from one client host. */
struct fw_tl_point {
	uint64_t time_ns;      /* the end of the pass, in the server's clock */
	uint64_t server_holds; /* ESTABLISHED on the server in that pass */
	uint64_t client_holds; /* ... and the client host held them too */
	uint64_t ghosts;       /* ... and the client host held them no more */
	uint64_t unknown;      /* ... and the logs cannot tell which */
};

/* The passes of one (server host, client host) pair, in time order. */
struct fw_tl_series {
	char *server_host, *client_host;
	struct fw_tl_point *points;
	size_t n, cap;
};

struct fw_timeline {
	struct fw_tl_series *series; /* in order of their first pass */
	size_t n, cap;
};

/*
 * The timeline so far: points appear once every host's log has gone past
 * their pass by the allowance (--skew plus flight), and all of them by
 * fw_corr_finish(). Never NULL; valid until fw_corr_free().
 */
const struct fw_timeline *fw_corr_timeline(const struct fw_corr *c);

/* ---- the engine's hooks (engine.c) ---- */

/* A snapshot record r of h has been applied to its end. */
void timeline_note_listed(struct fw_corr *c, struct host *h,
			  const struct fw_rec *r);
/* h's snapshot_end r: its pass is complete. */
void timeline_end_pass(struct fw_corr *c, struct host *h,
		       const struct fw_rec *r);
/* Counts the passes that every log has gone past (all at the end). */
void timeline_settle(struct fw_corr *c);
void timeline_free(struct fw_corr *c);

#endif
