// SPDX-License-Identifier: GPL-2.0
/* The snapshot as Prometheus metrics (docs in finwatch(8), METRICS). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli_help.h"
#include "prom.h"
#include "schema.h"
#include "snapshot_prom.h"
#include "util.h"

struct metric_key {
	uint32_t netns;
	uint16_t port; /* the watched port: local on a server, remote else */
	uint8_t state;
	uint8_t role;
};

struct metric_row {
	struct metric_key key;
	uint64_t conns;
	uint64_t unreaped;	  /* idle past the threshold, nothing reaps */
	uint32_t unreaped_max_ms; /* the longest idle of those */
};

struct fw_snap_metrics {
	uint64_t idle_ns;
	uint64_t sockets;
	uint64_t idle_unknown; /* no keepalive, and no idle time known */
	struct metric_row *rows;
	size_t n, cap;
};

struct fw_snap_metrics *fw_snap_metrics_new(uint64_t idle_ns)
{
	struct fw_snap_metrics *m = calloc(1, sizeof(*m));

	if (m)
		m->idle_ns = idle_ns;
	return m;
}

void fw_snap_metrics_free(struct fw_snap_metrics *m)
{
	if (m)
		free(m->rows);
	free(m);
}

static bool same_key(const struct metric_key *a, const struct metric_key *b)
{
	return a->netns == b->netns && a->port == b->port &&
	       a->state == b->state && a->role == b->role;
}

static struct metric_row *row_of(struct fw_snap_metrics *m,
				 const struct metric_key *k)
{
	for (size_t i = 0; i < m->n; i++)
		if (same_key(&m->rows[i].key, k))
			return &m->rows[i];
	if (fw_grow((void **)&m->rows, &m->cap, m->n + 1, sizeof(*m->rows)))
		return NULL;
	m->rows[m->n] = (struct metric_row){ .key = *k };
	return &m->rows[m->n++];
}

static uint32_t idle_ms(const struct fw_event *ev)
{
	return ev->last_recv_ms < ev->last_send_ms ? ev->last_recv_ms
						   : ev->last_send_ms;
}

int fw_snap_metrics_add(struct fw_snap_metrics *m,
			const struct fw_sock_info *si)
{
	const struct fw_event *ev = &si->ev;
	struct metric_key k = {
		.netns = ev->netns,
		.port = ev->role == FW_ROLE_SERVER ? ev->lport : ev->rport,
		.state = ev->newstate,
		.role = ev->role,
	};
	struct metric_row *r = row_of(m, &k);
	uint32_t idle = idle_ms(ev);

	if (!r)
		return -1;
	m->sockets++;
	r->conns++;
	/* the same rule as --check: nothing will ever end such a socket */
	if (ev->newstate != FW_TCP_ESTABLISHED || si->keepalive || si->sndq)
		return 0;
	if (idle == FW_AGE_UNKNOWN) {
		m->idle_unknown++;
		return 0;
	}
	if ((uint64_t)idle * 1000000ULL < m->idle_ns)
		return 0;
	r->unreaped++;
	if (idle > r->unreaped_max_ms)
		r->unreaped_max_ms = idle;
	return 0;
}

/* The labels of a row; @with_state for finwatch_connections. */
static size_t row_labels(const struct metric_row *r, bool with_state,
			 char bufs[2][16], struct fw_prom_label *l)
{
	size_t n = 0;

	snprintf(bufs[0], sizeof(bufs[0]), "%u", r->key.port);
	snprintf(bufs[1], sizeof(bufs[1]), "%u", r->key.netns);
	if (with_state)
		l[n++] = (struct fw_prom_label){ "state",
						 fw_state_name(r->key.state) };
	l[n++] = (struct fw_prom_label){ "port", bufs[0] };
	l[n++] = (struct fw_prom_label){ "role", r->key.role == FW_ROLE_SERVER
							 ? "server"
							 : "client" };
	l[n++] = (struct fw_prom_label){ "netns", bufs[1] };
	return n;
}

static void write_connections(struct fw_prom *p,
			      const struct fw_snap_metrics *m)
{
	struct fw_prom_label l[4];
	char bufs[2][16];

	fw_prom_family(p, "finwatch_connections", "gauge",
		       "TCP sockets open on the watched ports, by state.");
	for (size_t i = 0; i < m->n; i++)
		fw_prom_sample(p, "finwatch_connections", l,
			       row_labels(&m->rows[i], true, bufs, l),
			       (double)m->rows[i].conns);
}

/* Per established row: how many nothing reaps, and the oldest's idle. */
static void write_unreaped(struct fw_prom *p, const struct fw_snap_metrics *m,
			   bool oldest)
{
	const char *name = oldest ? "finwatch_idle_no_keepalive_max_seconds"
				  : "finwatch_idle_no_keepalive";
	struct fw_prom_label l[4];
	char bufs[2][16];

	fw_prom_family(
		p, name, "gauge",
		oldest ? "The longest idle time of those connections."
		       : "Established connections idle longer than the "
			 "threshold, without keepalive or unacknowledged "
			 "data: nothing will ever close them.");
	for (size_t i = 0; i < m->n; i++) {
		const struct metric_row *r = &m->rows[i];

		if (r->key.state != FW_TCP_ESTABLISHED ||
		    (oldest && !r->unreaped))
			continue;
		fw_prom_sample(p, name, l, row_labels(r, false, bufs, l),
			       oldest ? r->unreaped_max_ms / 1e3
				      : (double)r->unreaped);
	}
}

static void write_run(struct fw_prom *p, const struct fw_snap_metrics *m,
		      const char *source)
{
	struct fw_prom_label info[2] = { { "version", fw_version },
					 { "source", source } };

	fw_prom_single(p, "finwatch_idle_threshold_seconds", "gauge",
		       "The idle time past which a connection counts above.",
		       m->idle_ns / 1e9);
	fw_prom_single(p, "finwatch_idle_unknown", "gauge",
		       "Connections without keepalive whose idle time is not "
		       "known (kernel HZ unknown).",
		       (double)m->idle_unknown);
	fw_prom_single(p, "finwatch_snapshot_sockets", "gauge",
		       "Sockets the snapshot found, all states.",
		       (double)m->sockets);
	fw_prom_single(p, "finwatch_snapshot_timestamp_seconds", "gauge",
		       "When the snapshot was taken.", (double)time(NULL));
	fw_prom_family(p, "finwatch_snapshot_info", "gauge",
		       "The finwatch that took the snapshot, and how.");
	fw_prom_sample(p, "finwatch_snapshot_info", info, 2, 1);
}

int fw_snap_metrics_write(const struct fw_snap_metrics *m, const char *path,
			  const char *source)
{
	struct fw_prom p;

	if (fw_prom_open(&p, path))
		return -1;
	write_connections(&p, m);
	write_unreaped(&p, m, false);
	write_unreaped(&p, m, true);
	write_run(&p, m, source);
	return fw_prom_commit(&p);
}
