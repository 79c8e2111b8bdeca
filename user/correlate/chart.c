// SPDX-License-Identifier: GPL-2.0
/*
 * --chart FILE.svg: the timeline as a line chart, written by hand (no
 * library): per server and client host, the connections the server
 * holds, those the client host holds too, and the ghosts, at each
 * snapshot pass; a time axis in UTC, a count axis and a legend.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report_priv.h"

#define WIDTH	  960
#define LEFT	  70
#define RIGHT	  900
#define TOP	  50
#define BOTTOM	  370
#define LEGEND_Y  432
#define LEGEND_DY 22
#define MAX_DOTS  100 /* a dot per pass up to this many passes */

enum metric { M_SERVER, M_CLIENT, M_GHOSTS, M_COUNT };

static const char *const metric_names[M_COUNT] = { "server holds",
						   "client host holds",
						   "ghosts" };
static const char *const metric_ids[M_COUNT] = { "server_holds", "client_holds",
						 "ghosts" };
/* one pair: a colour per metric; several: a colour per pair */
static const char *const metric_colours[M_COUNT] = { "#1f77b4", "#2ca02c",
						     "#d62728" };
static const char *const pair_colours[] = { "#1f77b4", "#d62728", "#2ca02c",
					    "#9467bd", "#ff7f0e", "#8c564b",
					    "#e377c2", "#17becf" };
static const char *const metric_dash[M_COUNT] = { "", "6 4", "" };
static const char *const metric_width[M_COUNT] = { "2", "2", "3" };

struct frame {
	uint64_t t0, t1; /* the time axis */
	uint64_t ymax;	 /* the count axis */
	uint64_t ystep;	 /* between its ticks */
	bool one_pair;	 /* colours by metric */
};

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			/* XML 1.0 has no place for control characters */
			fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
		}
	}
}

static uint64_t point_value(const struct fw_tl_point *p, enum metric m)
{
	return m == M_SERVER   ? p->server_holds
	       : m == M_CLIENT ? p->client_holds
			       : p->ghosts;
}

/* 1, 2 or 5 times a power of ten, at least v. */
static uint64_t nice_step(uint64_t v)
{
	uint64_t p = 1;

	while (p * 10 <= v)
		p *= 10;
	if (v <= p)
		return p;
	if (v <= 2 * p)
		return 2 * p;
	return v <= 5 * p ? 5 * p : 10 * p;
}

static void frame_of(const struct fw_timeline *tl, struct frame *fr)
{
	uint64_t max = 0;

	fr->t0 = UINT64_MAX;
	fr->t1 = 0;
	for (size_t i = 0; i < tl->n; i++) {
		for (size_t k = 0; k < tl->series[i].n; k++) {
			const struct fw_tl_point *p = &tl->series[i].points[k];

			fr->t0 = p->time_ns < fr->t0 ? p->time_ns : fr->t0;
			fr->t1 = p->time_ns > fr->t1 ? p->time_ns : fr->t1;
			max = p->server_holds > max ? p->server_holds : max;
		}
	}
	if (fr->t0 > fr->t1)
		fr->t0 = fr->t1 = 0;
	if (fr->t1 - fr->t0 < 60000000000ull) { /* at least a minute */
		fr->t0 = fr->t0 > 30000000000ull ? fr->t0 - 30000000000ull : 0;
		fr->t1 = fr->t0 + 60000000000ull;
	}
	if (max <= 5) {
		fr->ystep = 1;
		fr->ymax = 5;
	} else {
		fr->ystep = nice_step((max + 4) / 5);
		fr->ymax = (max + fr->ystep - 1) / fr->ystep * fr->ystep;
	}
	fr->one_pair = tl->n == 1;
}

static double x_of(const struct frame *fr, uint64_t t)
{
	return LEFT + (double)(t - fr->t0) / (double)(fr->t1 - fr->t0) *
			      (RIGHT - LEFT);
}

static double y_of(const struct frame *fr, uint64_t v)
{
	return BOTTOM - (double)v / (double)fr->ymax * (BOTTOM - TOP);
}

static void y_axis(FILE *f, const struct frame *fr)
{
	fputs("<g id=\"y-axis\" stroke=\"#ddd\">\n", f);
	for (uint64_t v = 0; v <= fr->ymax; v += fr->ystep) {
		double y = y_of(fr, v);

		fprintf(f,
			"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			"<text x=\"%d\" y=\"%.1f\" stroke=\"none\" "
			"fill=\"#333\" text-anchor=\"end\">%" PRIu64
			"</text>\n",
			LEFT, y, RIGHT, y, LEFT - 6, y + 4, v);
	}
	fprintf(f,
		"<text x=\"18\" y=\"%d\" stroke=\"none\" fill=\"#333\" "
		"transform=\"rotate(-90 18 %d)\" text-anchor=\"middle\">"
		"connections</text>\n</g>\n",
		(TOP + BOTTOM) / 2, (TOP + BOTTOM) / 2);
}

/* The largest tick interval that still gives at most 8 ticks. */
static uint64_t time_step_s(uint64_t span_s)
{
	static const uint64_t steps[] = {
		1,     2,     5,      10,     15,      30,	60,	120,
		300,   600,   900,    1800,   3600,    7200,	10800,	21600,
		43200, 86400, 172800, 604800, 1209600, 2592000, 7776000
	};
	size_t n = sizeof(steps) / sizeof(steps[0]);

	for (size_t i = 0; i < n; i++)
		if (span_s / steps[i] <= 8)
			return steps[i];
	return steps[n - 1];
}

static void time_label(char *out, size_t sz, uint64_t s, uint64_t step)
{
	time_t t = (time_t)s;
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, sz, "?");
		return;
	}
	if (step >= 86400)
		strftime(out, sz, "%Y-%m-%d", &tm);
	else if (step >= 60)
		strftime(out, sz, "%m-%d %H:%M", &tm);
	else
		strftime(out, sz, "%H:%M:%S", &tm);
}

static void x_axis(FILE *f, const struct frame *fr)
{
	uint64_t s0 = fr->t0 / 1000000000u, s1 = fr->t1 / 1000000000u;
	uint64_t step = time_step_s(s1 - s0);
	char label[32];

	fputs("<g id=\"x-axis\" stroke=\"#ddd\">\n", f);
	for (uint64_t s = (s0 + step - 1) / step * step; s <= s1; s += step) {
		double x = x_of(fr, s * 1000000000u);

		time_label(label, sizeof(label), s, step);
		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
			"<text x=\"%.1f\" y=\"%d\" stroke=\"none\" "
			"fill=\"#333\" text-anchor=\"middle\">%s</text>\n",
			x, TOP, x, BOTTOM, x, BOTTOM + 18, label);
	}
	fprintf(f,
		"<text x=\"%d\" y=\"%d\" stroke=\"none\" fill=\"#333\" "
		"text-anchor=\"middle\">time (UTC)</text>\n</g>\n",
		(LEFT + RIGHT) / 2, BOTTOM + 38);
	fprintf(f,
		"<g id=\"axes\" stroke=\"#333\"><line x1=\"%d\" y1=\"%d\" "
		"x2=\"%d\" y2=\"%d\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/></g>\n",
		LEFT, TOP, LEFT, BOTTOM, LEFT, BOTTOM, RIGHT, BOTTOM);
}

static const char *colour(const struct frame *fr, size_t pair, enum metric m)
{
	size_t n = sizeof(pair_colours) / sizeof(pair_colours[0]);

	return fr->one_pair ? metric_colours[m] : pair_colours[pair % n];
}

/* stroke, width and dashes of a line of metric m of pair */
static void line_style(FILE *f, const struct frame *fr, size_t pair,
		       enum metric m)
{
	fprintf(f, "fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"",
		colour(fr, pair, m), metric_width[m]);
	if (metric_dash[m][0])
		fprintf(f, " stroke-dasharray=\"%s\"", metric_dash[m]);
}

static void series_line(FILE *f, const struct frame *fr,
			const struct fw_tl_series *s, size_t pair,
			enum metric m)
{
	fprintf(f, "<polyline class=\"%s\" data-server=\"", metric_ids[m]);
	xml_text(f, s->server_host);
	fputs("\" data-client=\"", f);
	xml_text(f, s->client_host);
	fputs("\" ", f);
	line_style(f, fr, pair, m);
	fputs(" points=\"", f);
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%s%.1f,%.1f", i ? " " : "",
			x_of(fr, s->points[i].time_ns),
			y_of(fr, point_value(&s->points[i], m)));
	fputs("\"/>\n", f);
	for (size_t i = 0; s->n <= MAX_DOTS && i < s->n; i++)
		fprintf(f,
			"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
			"fill=\"%s\"/>\n",
			x_of(fr, s->points[i].time_ns),
			y_of(fr, point_value(&s->points[i], m)),
			colour(fr, pair, m));
}

static void series_all(FILE *f, const struct frame *fr,
		       const struct fw_timeline *tl)
{
	fputs("<g id=\"series\">\n", f);
	for (size_t i = 0; i < tl->n; i++)
		for (int m = 0; m < M_COUNT; m++)
			series_line(f, fr, &tl->series[i], i, (enum metric)m);
	fputs("</g>\n", f);
}

static void legend(FILE *f, const struct frame *fr,
		   const struct fw_timeline *tl)
{
	fputs("<g id=\"legend\">\n", f);
	for (size_t i = 0; i < tl->n; i++) {
		int y = LEGEND_Y + (int)i * LEGEND_DY;

		fprintf(f, "<text x=\"%d\" y=\"%d\">", LEFT, y + 4);
		xml_text(f, tl->series[i].server_host);
		fputs(" from ", f);
		xml_text(f, tl->series[i].client_host);
		fputs("</text>\n", f);
		for (int m = 0; m < M_COUNT; m++) {
			int x = LEFT + 260 + m * 200;

			fprintf(f,
				"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
				"y2=\"%d\" ",
				x, y, x + 30, y);
			line_style(f, fr, i, (enum metric)m);
			fprintf(f, "/><text x=\"%d\" y=\"%d\">%s</text>\n",
				x + 38, y + 4, metric_names[m]);
		}
	}
	fputs("</g>\n", f);
}

void chart_write(FILE *f, const struct fw_timeline *tl)
{
	int height = LEGEND_Y + (int)(tl->n ? tl->n : 1) * LEGEND_DY + 8;
	struct frame fr;

	frame_of(tl, &fr);
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"sans-serif\" font-size=\"12\">\n"
		"<title>finwatch: connections held per snapshot pass</title>\n"
		"<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n"
		"<text x=\"%d\" y=\"28\" font-size=\"16\">Connections the "
		"server holds, those its client host holds too, and the "
		"ghosts</text>\n",
		WIDTH, height, WIDTH, height, WIDTH, height, LEFT);
	y_axis(f, &fr);
	x_axis(f, &fr);
	if (tl->n)
		series_all(f, &fr, tl);
	else
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no "
			"snapshot pass listed a server's connections</text>\n",
			(LEFT + RIGHT) / 2, (TOP + BOTTOM) / 2);
	legend(f, &fr, tl);
	fputs("</svg>\n", f);
}
