// SPDX-License-Identifier: GPL-2.0
/*
 * --prom FILE: the summary as Prometheus text-format metrics, for
 * node_exporter's textfile collector, which reads every *.prom file of
 * its directory: the file is written beside itself under another name
 * and renamed over, so that a scrape never sees half of it. All are
 * gauges: each run describes the logs as they are, it counts nothing of
 * its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "report_priv.h"

/* A label value: backslash, double quote and newline escaped. */
static void prom_label(FILE *f, const char *name, const char *v, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void prom_family(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* name{server_host="..",client_host=".."} */
static void prom_pair(FILE *f, const char *name, const char *server,
		      const char *client)
{
	fprintf(f, "%s{", name);
	prom_label(f, "server_host", server, true);
	prom_label(f, "client_host", client, false);
	fputs("} ", f);
}

static void prom_verdicts(FILE *f, const struct fw_corr_stats *st)
{
	prom_family(f, "finwatch_verdicts",
		    "Connections finwatch correlate judged, per verdict.");
	for (int v = 0; v < FW_V_COUNT; v++)
		fprintf(f, "finwatch_verdicts{verdict=\"%s\"} %" PRIu64 "\n",
			fw_verdict_name((enum fw_verdict)v), st->verdicts[v]);
}

static void prom_run(FILE *f, const struct fw_corr_stats *st)
{
	static const char *const names[] = { "finwatch_correlate_records",
					     "finwatch_correlate_bad_lines",
					     "finwatch_correlate_lost_events",
					     "finwatch_correlate_hosts",
					     "finwatch_correlate_connections" };
	static const char *const helps[] = {
		"Valid log lines read.", "Log lines skipped as bad.",
		"Records the tracers lost (the sum of their lost counts).",
		"Hosts in the logs.", "Connections judged, all verdicts."
	};
	uint64_t v[] = { st->records, st->bad_lines, st->lost_events, st->hosts,
			 st->connections };
	struct timespec now;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		prom_family(f, names[i], helps[i]);
		fprintf(f, "%s %" PRIu64 "\n", names[i], v[i]);
	}
	clock_gettime(CLOCK_REALTIME, &now);
	prom_family(f, "finwatch_correlate_timestamp_seconds",
		    "When finwatch correlate wrote these metrics.");
	fprintf(f, "finwatch_correlate_timestamp_seconds %lld\n",
		(long long)now.tv_sec);
}

/* What holdings tells per (server host, client host). */
enum hold_metric { H_GHOSTS, H_SERVER, H_CLIENT, H_KA_OFF, H_IDLE_MAX, H_N };

static const char *const hold_names[H_N] = {
	"finwatch_ghosts",
	"finwatch_server_holds",
	"finwatch_client_holds",
	"finwatch_ghosts_keepalive_off",
	"finwatch_ghost_idle_max_seconds",
};

static const char *const hold_helps[H_N] = {
	"Connections a server holds ESTABLISHED that its client host does "
	"not (ghosts), at the end of the logs.",
	"Connections ESTABLISHED on a server from a client host, at the end "
	"of the logs.",
	"Of those, the connections the client host holds too.",
	"Ghosts without keepalive: nothing will ever reap them.",
	"The longest idle time of a ghost, from the server's snapshots.",
};

static bool hold_value(struct group *g, enum hold_metric m, uint64_t *v)
{
	struct idle_dist d;

	switch (m) {
	case H_GHOSTS:
		*v = g->held - g->held_by_peer;
		return true;
	case H_SERVER:
		*v = g->held;
		return true;
	case H_CLIENT:
		*v = g->held_by_peer;
		return true;
	case H_KA_OFF:
		*v = g->ka[0];
		return true;
	default:
		holding_dist(g, &d);
		*v = d.max;
		return d.max != FW_UNKNOWN;
	}
}

static void prom_holdings(FILE *f, struct groups *g)
{
	uint64_t v;

	for (int m = 0; g->n && m < H_N; m++) {
		prom_family(f, hold_names[m], hold_helps[m]);
		for (size_t i = 0; i < g->n; i++) {
			if (!hold_value(g->all[i], (enum hold_metric)m, &v))
				continue;
			prom_pair(f, hold_names[m], g->all[i]->host,
				  g->all[i]->name);
			if (m == H_IDLE_MAX)
				fprintf(f, "%.3f\n", (double)v / 1e3);
			else
				fprintf(f, "%" PRIu64 "\n", v);
		}
	}
}

static void prom_holders(FILE *f, const struct holders *hs)
{
	char pid[16];

	if (!hs->n)
		return;
	prom_family(f, "finwatch_idle_holders",
		    "Connections both ends hold, idle longer than --idle, "
		    "per client process and server.");
	for (size_t i = 0; i < hs->n; i++) {
		const struct holder *h = hs->all[i];

		snprintf(pid, sizeof(pid), "%u", h->pid);
		fputs("finwatch_idle_holders{", f);
		prom_label(f, "client_host", h->client_host, true);
		prom_label(f, "comm", h->comm, false);
		prom_label(f, "pid", h->pid ? pid : "", false);
		prom_label(f, "server_host", h->server_host, false);
		prom_label(f, "server", h->server, false);
		fprintf(f, "} %zu\n", h->count);
	}
}

/* The latest snapshot pass of each pair, and the ghosts' growth. */
static void prom_timeline(FILE *f, const struct fw_timeline *tl)
{
	struct growth g;

	if (!tl || !tl->n)
		return;
	prom_family(f, "finwatch_timeline_ghosts",
		    "Ghosts at the latest snapshot pass of the server.");
	for (size_t i = 0; i < tl->n; i++) {
		const struct fw_tl_series *s = &tl->series[i];

		prom_pair(f, "finwatch_timeline_ghosts", s->server_host,
			  s->client_host);
		fprintf(f, "%" PRIu64 "\n", s->points[s->n - 1].ghosts);
	}
	prom_family(f, "finwatch_ghosts_growth_per_day",
		    "How fast the ghosts grow over the snapshot passes "
		    "(least squares), per day.");
	for (size_t i = 0; i < tl->n; i++) {
		growth_of(&tl->series[i], &g);
		if (!g.known)
			continue;
		prom_pair(f, "finwatch_ghosts_growth_per_day",
			  tl->series[i].server_host, tl->series[i].client_host);
		fprintf(f, "%.3f\n", g.per_day);
	}
}

static void prom_maxclients(FILE *f, const struct fw_report *r)
{
	const struct fw_timeline *tl = r->timeline;
	bool head = false;
	double per_day, days;

	for (size_t i = 0; tl && r->opts.maxclients && i < tl->n; i++) {
		const char *server = tl->series[i].server_host;
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(tl->series[k].server_host, server);
		days = days_to_maxclients(tl, server, r->opts.maxclients,
					  &per_day);
		if (seen || days < 0)
			continue;
		if (!head)
			prom_family(f, "finwatch_maxclients_left_seconds",
				    "Time until the server holds --maxclients "
				    "connections, at the ghosts' pace.");
		head = true;
		fputs("finwatch_maxclients_left_seconds{", f);
		prom_label(f, "server_host", server, true);
		fprintf(f, "} %.0f\n", days * 86400);
	}
}

void prom_write(FILE *f, struct fw_report *r, const struct fw_corr_stats *st)
{
	prom_verdicts(f, st);
	prom_holdings(f, &r->holdings);
	prom_holders(f, &r->holders);
	prom_timeline(f, r->timeline);
	prom_maxclients(f, r);
	prom_run(f, st);
}

/* ---- writing a file atomically ---- */

static int fail(const char *what, const char *path, const char *tmp)
{
	fprintf(stderr, "finwatch correlate: %s %s: %s\n", what, path,
		strerror(errno));
	if (tmp)
		unlink(tmp);
	return -1;
}

int write_file_atomic(const char *path, const char *what,
		      void (*write)(FILE *, void *), void *ctx)
{
	size_t len = strlen(path);
	char tmp[len + 8];
	FILE *f;
	int fd;

	/* not *.prom: the textfile collector skips it until renamed */
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return fail(what, path, NULL);
	/* the collector runs as another user: it must be able to read it */
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		close(fd);
		return fail(what, path, tmp);
	}
	write(f, ctx);
	if (fflush(f) || ferror(f) || fsync(fd) < 0) {
		int err = errno ? errno : EIO;

		fclose(f);
		errno = err;
		return fail(what, path, tmp);
	}
	if (fclose(f) || rename(tmp, path) < 0)
		return fail(what, path, tmp);
	return 0;
}
