// SPDX-License-Identifier: GPL-2.0
/*
 * The timeline in the report: per server and client host, a one-line
 * sparkline of the ghosts at each snapshot pass and how fast they grow
 * (least squares over all passes: the seed incident's "70-80 a day"),
 * and, given the server's maxclients, how many days are left at that
 * pace. The same in the summary's JSON.
 */
#include <inttypes.h>
#include <string.h>

#include "report_priv.h"
#include "schema.h"

#define DAY_NS	      86400e9
#define SPARK_COLUMNS 48

void growth_of(const struct fw_tl_series *s, struct growth *g)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, n = (double)s->n;

	memset(g, 0, sizeof(*g));
	if (!s->n)
		return;
	g->first_ns = s->points[0].time_ns;
	g->last_ns = s->points[s->n - 1].time_ns;
	g->last_held = s->points[s->n - 1].server_holds;
	if (s->n < 2 || g->last_ns <= g->first_ns)
		return;
	for (size_t i = 0; i < s->n; i++) {
		/* days since the first pass, small numbers for precision */
		double x =
			(double)(s->points[i].time_ns - g->first_ns) / DAY_NS;
		double y = (double)s->points[i].ghosts;

		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	if (n * sxx - sx * sx <= 0)
		return;
	g->known = true;
	g->per_day = (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

double days_to_maxclients(const struct fw_timeline *tl, const char *server,
			  uint64_t maxclients, double *per_day)
{
	uint64_t held = 0;
	struct growth g;

	*per_day = 0;
	for (size_t i = 0; i < tl->n; i++) {
		if (strcmp(tl->series[i].server_host, server))
			continue;
		growth_of(&tl->series[i], &g);
		held += g.last_held;
		if (g.known)
			*per_day += g.per_day;
	}
	if (held >= maxclients)
		return 0;
	if (*per_day <= 0)
		return -1;
	return (double)(maxclients - held) / *per_day;
}

/* ---- text ---- */

static void spark(FILE *f, const struct fw_tl_series *s)
{
	static const char *const bars[8] = { "▁", "▂", "▃", "▄",
					     "▅", "▆", "▇", "█" };
	size_t cols = s->n < SPARK_COLUMNS ? s->n : SPARK_COLUMNS;
	uint64_t max = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->points[i].ghosts > max)
			max = s->points[i].ghosts;
	for (size_t c = 0; c < cols; c++) {
		size_t i = cols > 1 ? c * (s->n - 1) / (cols - 1) : 0;
		uint64_t v = s->points[i].ghosts;

		fputs(bars[max ? (v * 7 + max / 2) / max : 0], f);
	}
}

/*
 * "+74 ghosts per day", "-0.5 ghosts per hour": per day, unless the
 * passes span less than a day (then per hour, or per minute).
 */
static void fmt_rate(char *out, size_t sz, double per_day, uint64_t span_ns)
{
	const char *unit = "day";
	double r = per_day;

	if ((double)span_ns < DAY_NS / 24) {
		unit = "minute";
		r /= 1440;
	} else if ((double)span_ns < DAY_NS) {
		unit = "hour";
		r /= 24;
	}
	if (r >= 9.95 || r <= -9.95)
		snprintf(out, sz, "%+.0f ghosts per %s", r, unit);
	else
		snprintf(out, sz, "%+.1f ghosts per %s", r, unit);
}

/* "3.0 days", "5.2 hours", "12 minutes", "40 seconds" */
static void fmt_span(char *out, size_t sz, uint64_t ns)
{
	double d = (double)ns / DAY_NS;

	if (d >= 1)
		snprintf(out, sz, "%.1f days", d);
	else if (d * 24 >= 1)
		snprintf(out, sz, "%.1f hours", d * 24);
	else if (d * 1440 >= 1)
		snprintf(out, sz, "%.0f minutes", d * 1440);
	else
		snprintf(out, sz, "%.0f seconds", d * 86400);
}

static void text_series(FILE *f, const struct fw_tl_series *s)
{
	const struct fw_tl_point *first = &s->points[0];
	const struct fw_tl_point *last = &s->points[s->n - 1];
	char rate[48], span[32], when[40];
	struct growth g;

	growth_of(s, &g);
	fprintf(f, "  %s from %s: ", s->server_host, s->client_host);
	spark(f, s);
	fprintf(f, " %" PRIu64 " -> %" PRIu64 " %s", first->ghosts,
		last->ghosts, report_plural(last->ghosts, "ghost", "ghosts"));
	if (g.known) {
		fmt_rate(rate, sizeof(rate), g.per_day, g.last_ns - g.first_ns);
		fmt_span(span, sizeof(span), g.last_ns - g.first_ns);
		fprintf(f, " over %s (%zu passes): %s\n", span, s->n, rate);
	} else {
		fprintf(f, " (%zu %s: no growth rate yet)\n", s->n,
			report_plural(s->n, "pass", "passes"));
	}
	fmt_time(when, sizeof(when), last->time_ns);
	fprintf(f,
		"    at the last pass (%s) %s held %" PRIu64 " %s from %s; %s "
		"held %" PRIu64 " of them; %" PRIu64 " %s",
		when, s->server_host, last->server_holds,
		report_plural(last->server_holds, "connection", "connections"),
		s->client_host, s->client_host, last->client_holds,
		last->ghosts,
		report_plural(last->ghosts, "was a ghost", "were ghosts"));
	if (last->unknown)
		fprintf(f, "; %" PRIu64 " the logs cannot tell", last->unknown);
	fputc('\n', f);
}

/* Whether series i is the first of its server host. */
static bool first_of_server(const struct fw_timeline *tl, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (!strcmp(tl->series[k].server_host,
			    tl->series[i].server_host))
			return false;
	return true;
}

static void text_maxclients(FILE *f, const struct fw_timeline *tl,
			    const char *server, uint64_t maxclients)
{
	double per_day,
		days = days_to_maxclients(tl, server, maxclients, &per_day);
	char rate[48], left[32];

	/* the pace of all passes, per day: what maxclients is counted in */
	fmt_rate(rate, sizeof(rate), per_day, (uint64_t)DAY_NS);
	fmt_span(left, sizeof(left), days > 0 ? (uint64_t)(days * DAY_NS) : 0);
	if (days == 0)
		fprintf(f,
			"  %s already holds maxclients (%" PRIu64 ") or more\n",
			server, maxclients);
	else if (days < 0)
		fprintf(f,
			"  %s: the ghosts are not growing, maxclients (%" PRIu64
			") is not in sight\n",
			server, maxclients);
	else if (days < 1)
		fprintf(f,
			"  at that pace (%s) %s reaches maxclients (%" PRIu64
			") in %s\n",
			rate, server, maxclients, left);
	else
		fprintf(f,
			"  at that pace (%s) %s reaches maxclients (%" PRIu64
			") in %.0f %s\n",
			rate, server, maxclients, days,
			days < 1.5 ? "day" : "days");
}

void text_timeline(FILE *f, const struct fw_report *r)
{
	const struct fw_timeline *tl = r->timeline;

	if (!tl || !tl->n)
		return;
	fputs("ghosts over time, server from client host (snapshot passes):\n",
	      f);
	for (size_t i = 0; i < tl->n; i++)
		if (tl->series[i].n)
			text_series(f, &tl->series[i]);
	for (size_t i = 0; r->opts.maxclients && i < tl->n; i++)
		if (first_of_server(tl, i))
			text_maxclients(f, tl, tl->series[i].server_host,
					r->opts.maxclients);
}

/* ---- JSON ---- */

static void json_points(FILE *f, const struct fw_tl_series *s)
{
	fputs(",\"points\":[", f);
	for (size_t i = 0; i < s->n; i++) {
		const struct fw_tl_point *p = &s->points[i];

		fprintf(f,
			"%s{\"time_ns\":%" PRIu64 ",\"server_holds\":%" PRIu64
			",\"client_holds\":%" PRIu64 ",\"ghosts\":%" PRIu64
			",\"unknown\":%" PRIu64 "}",
			i ? "," : "", p->time_ns, p->server_holds,
			p->client_holds, p->ghosts, p->unknown);
	}
	fputc(']', f);
}

static void json_growth(FILE *f, const struct fw_report *r,
			const struct fw_tl_series *s)
{
	double per_day, days;
	struct growth g;

	growth_of(s, &g);
	fputs(",\"ghosts_per_day\":", f);
	if (g.known)
		fprintf(f, "%.2f", g.per_day);
	else
		fputs("null", f);
	fputs(",\"days_to_maxclients\":", f);
	days = r->opts.maxclients
		       ? days_to_maxclients(r->timeline, s->server_host,
					    r->opts.maxclients, &per_day)
		       : -1;
	if (days >= 0)
		fprintf(f, "%.1f", days);
	else
		fputs("null", f);
}

void json_timeline(FILE *f, const struct fw_report *r)
{
	const struct fw_timeline *tl = r->timeline;

	fputs(",\"timeline\":[", f);
	for (size_t i = 0; tl && i < tl->n; i++) {
		const struct fw_tl_series *s = &tl->series[i];

		fputs(i ? ",{\"server_host\":" : "{\"server_host\":", f);
		fw_json_string(f, s->server_host);
		fputs(",\"client_host\":", f);
		fw_json_string(f, s->client_host);
		json_growth(f, r, s);
		json_points(f, s);
		fputc('}', f);
	}
	fputc(']', f);
}
