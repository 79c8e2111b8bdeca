// SPDX-License-Identifier: GPL-2.0
/*
 * The CLI's inputs: opening the files, their lines in whatever format a
 * pipeline delivered them (lineformat.h), warnings about bad lines, the
 * hosts they hold, and the records seen twice (dedup.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dedup.h"
#include "lineformat.h"

#define MAX_WARNINGS 100 /* per file; the count goes on */

void fw_cli_out_of_memory(struct cli *cli)
{
	if (cli->status != EXIT_USAGE || !fw_cli_stop)
		fprintf(stderr, "%s: out of memory\n", cli->prog);
	cli->status = EXIT_USAGE;
	fw_cli_stop = 1;
}

static const char *display_name(const struct source *s)
{
	return strcmp(s->in.name, "-") ? s->in.name : "(stdin)";
}

static void warn_line(struct cli *cli, struct source *s, const char *why)
{
	fw_corr_count_bad(cli->corr);
	if (cli->strict) {
		fprintf(stderr, "%s:%lu: %s (--strict)\n", display_name(s),
			s->in.lineno, why);
		cli->status = EXIT_USAGE;
		fw_cli_stop = 1;
		return;
	}
	if (++s->warnings <= MAX_WARNINGS)
		fprintf(stderr, "%s:%lu: %s\n", display_name(s), s->in.lineno,
			why);
	if (s->warnings == MAX_WARNINGS)
		fprintf(stderr, "%s: further warnings suppressed\n",
			display_name(s));
}

/* The host named name (len bytes), made when new; NULL out of memory. */
static struct cli_host *host_get(struct cli *cli, const char *name, size_t len)
{
	struct cli_host *h, **hosts;

	for (size_t i = 0; i < cli->nhosts; i++)
		if (!strncmp(cli->hosts[i]->name, name, len) &&
		    !cli->hosts[i]->name[len])
			return cli->hosts[i];
	hosts = realloc(cli->hosts, (cli->nhosts + 1) * sizeof(*hosts));
	if (!hosts)
		return NULL;
	cli->hosts = hosts;
	h = calloc(1, sizeof(*h));
	if (h) {
		h->name = strndup(name, len);
		h->seen = fw_dedup_new(cli->opts.skew_ns + FW_FLIGHT_NS);
	}
	if (!h || !h->name || !h->seen) {
		if (h) {
			free(h->name);
			fw_dedup_free(h->seen);
		}
		free(h);
		return NULL;
	}
	cli->hosts[cli->nhosts++] = h;
	return h;
}

static bool note_host(struct source *s, struct cli_host *h)
{
	char **hosts;

	for (size_t i = 0; i < s->nhosts; i++)
		if (s->hosts[i] == h->name)
			return true;
	hosts = realloc(s->hosts, (s->nhosts + 1) * sizeof(*s->hosts));
	if (!hosts)
		return false;
	s->hosts = hosts;
	s->hosts[s->nhosts++] = h->name;
	return true;
}

/* The text of a record as it is compared with others: no trailing \r. */
static size_t trimmed(const char *s, size_t len)
{
	while (len &&
	       (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len;
}

/* A line that is no valid record: why, with what it looked like. */
static void warn_bad_record(struct cli *cli, struct source *s,
			    const struct fw_line_msg *m, bool unterminated)
{
	char why[320];
	int n = 0;

	if (unterminated)
		n = snprintf(why, sizeof(why), "truncated last line: ");
	if (m->format != FW_FMT_JSON)
		n += snprintf(why + n, sizeof(why) - (size_t)n,
			      "%s line: ", fw_line_format_name(m->format));
	if (m->why)
		snprintf(why + n, sizeof(why) - (size_t)n, "%s", m->why);
	else if (!unterminated && fw_json_is_cut(m->msg, m->len))
		snprintf(why + n, sizeof(why) - (size_t)n,
			 "cut record: it ends inside its JSON object after "
			 "%zu bytes (a message size limit on the way? see "
			 "docs/FLEET.md): %s",
			 m->len, s->rec.why);
	else
		snprintf(why + n, sizeof(why) - (size_t)n, "%s", s->rec.why);
	warn_line(cli, s, why);
}

/* Parses a line into s->rec; returns true when it holds a record. */
static bool take_line(struct cli *cli, struct source *s, const char *line,
		      size_t len, bool unterminated)
{
	struct fw_line_msg m;
	int r;

	if (len == 0 || (len == 1 && line[0] == '\r'))
		return false; /* blank lines are harmless */
	if (!s->msg && !(s->msg = malloc(FW_MAX_LINE + 1))) {
		fw_cli_out_of_memory(cli);
		return false;
	}
	if (fw_line_decode(line, len, s->msg, FW_MAX_LINE + 1, &m) < 0) {
		warn_bad_record(cli, s, &m, unterminated);
		return false;
	}
	/* the host is most likely the last record's: its slot comes in
	 * from memory while the line is parsed */
	s->hash = fw_dedup_hash(m.msg, trimmed(m.msg, m.len));
	fw_dedup_prefetch(s->host ? s->host->seen : NULL, s->hash);
	r = fw_rec_parse(m.msg, m.len, &s->rec);
	if (r < 0) {
		warn_bad_record(cli, s, &m, unterminated);
		return false;
	}
	s->ignored = r > 0;
	return true;
}

/*
 * Records of s may be missing here: each of its hosts gets a loss window
 * up to its next record (its first, when s has none yet).
 */
static void note_gap(struct cli *cli, struct source *s, const char *why)
{
	fprintf(stderr, "%s: %s\n", display_name(s), why);
	s->gap = true;
	for (size_t k = 0; k < s->nhosts; k++) {
		struct cli_host *h =
			host_get(cli, s->hosts[k], strlen(s->hosts[k]));

		if (h)
			h->gap = true;
	}
}

/* The next line of s, taken; false when there is none now. */
static bool read_line(struct cli *cli, struct source *s)
{
	const char *line, *why;
	size_t len;

	switch (fw_input_line(&s->in, &line, &len, &why)) {
	case FW_LINE_OK:
		s->has_rec = take_line(cli, s, line, len, false);
		return true;
	case FW_LINE_UNTERMINATED:
		s->has_rec = take_line(cli, s, line, len, true);
		return true;
	case FW_LINE_TOO_LONG:
		warn_line(cli, s, "line too long");
		return true;
	case FW_LINE_GAP:
		note_gap(cli, s, why);
		return true;
	case FW_LINE_ERROR:
		fprintf(stderr, "%s: read error: %s\n", display_name(s),
			why ? why : "?");
		cli->status = EXIT_USAGE;
		s->done = true;
		return false;
	case FW_LINE_NONE:
		if (!s->in.follow)
			s->done = true;
		return false;
	}
	return false;
}

bool fw_cli_fill(struct cli *cli, struct source *s)
{
	while (!s->has_rec && !s->done && !fw_cli_stop)
		if (!read_line(cli, s))
			return false;
	if (s->has_rec && !s->keyed) {
		s->host = host_get(cli, s->rec.host, s->rec.host_len);
		if (!s->host || !note_host(s, s->host)) {
			fw_cli_out_of_memory(cli);
			s->has_rec = false;
			return false;
		}
		if (s->gap) {
			s->host->gap = true;
			s->gap = false;
		}
		s->key = fw_corr_ref_time(cli->corr, s->rec.host,
					  s->rec.host_len, s->rec.time_ns);
		s->keyed = true;
		fw_corr_prefetch(cli->corr, &s->rec);
	}
	return s->has_rec;
}

/* Whether another unfinished file also holds records of host. */
static bool host_elsewhere(struct cli *cli, const struct source *s,
			   const char *host)
{
	for (size_t i = 0; i < cli->nfiles; i++) {
		const struct source *o = &cli->src[i];

		if (o == s || o->done)
			continue;
		for (size_t k = 0; k < o->nhosts; k++)
			if (o->hosts[k] == host)
				return true;
	}
	return false;
}

void fw_cli_source_finished(struct cli *cli, struct source *s)
{
	for (size_t k = 0; k < s->nhosts; k++)
		if (!host_elsewhere(cli, s, s->hosts[k]))
			fw_corr_host_done(cli->corr, s->hosts[k]);
}

/* A loss window on h from its last record to rec: records may be gone. */
static void feed_gap(struct cli *cli, struct cli_host *h,
		     const struct fw_rec *rec)
{
	static struct fw_rec lost;

	h->gap = false;
	if (!h->fed || rec->time_ns < h->last_ns)
		return;
	memset(&lost, 0, sizeof(lost));
	lost.type = FW_REC_LOST;
	lost.time_ns = rec->time_ns;
	lost.from_ns = h->last_ns;
	memcpy(lost.host_buf, rec->host, rec->host_len + 1);
	lost.host = lost.host_buf;
	lost.host_len = rec->host_len;
	fw_corr_feed(cli->corr, &lost);
}

void fw_cli_feed(struct cli *cli, struct source *s)
{
	struct cli_host *h = s->host;
	int dup = fw_dedup_check_and_remember(h->seen, s->rec.time_ns, s->hash);

	s->has_rec = s->keyed = false;
	if (dup < 0) {
		fw_cli_out_of_memory(cli);
		return;
	}
	if (dup) {
		cli->duplicates++;
		fw_corr_count_duplicate(cli->corr);
		return;
	}
	if (h->gap)
		feed_gap(cli, h, &s->rec);
	if (s->ignored) {
		fw_corr_count_ignored(cli->corr);
		return;
	}
	fw_corr_feed(cli->corr, &s->rec);
	cli->fed++;
	h->fed = true;
	if (s->rec.time_ns > h->last_ns)
		h->last_ns = s->rec.time_ns;
}

int fw_cli_open_sources(struct cli *cli)
{
	for (size_t i = 0; i < cli->nfiles; i++) {
		struct source *s = &cli->src[i];

		if (fw_input_open(&s->in, cli->files[i], cli->opts.follow) <
		    0) {
			fprintf(stderr, "%s: %s: %s\n", cli->prog,
				cli->files[i], strerror(errno));
			return -1;
		}
		if (s->in.fl.missing)
			fprintf(stderr,
				"%s: %s: not there yet, waiting for it\n",
				cli->prog, cli->files[i]);
	}
	return 0;
}

void fw_cli_close_sources(struct cli *cli)
{
	for (size_t i = 0; i < cli->nfiles; i++) {
		fw_input_close(&cli->src[i].in);
		free(cli->src[i].hosts);
		free(cli->src[i].msg);
	}
	free(cli->src);
	for (size_t i = 0; i < cli->nhosts; i++) {
		free(cli->hosts[i]->name);
		fw_dedup_free(cli->hosts[i]->seen);
		free(cli->hosts[i]);
	}
	free(cli->hosts);
}
