// SPDX-License-Identifier: GPL-2.0
/*
 * `finwatch correlate`: options, the input files and the merge of their
 * records by time, warnings about bad lines, --follow, exit codes.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "correlate.h"
#include "duration.h"
#include "input.h"
#include "record.h"
#include "report.h"
#include "timeline.h"

#define EXIT_USAGE     2
#define MAX_WARNINGS   100 /* per file; the count goes on */
#define FOLLOW_POLL_NS 200000000L

struct source {
	struct fw_input in;
	struct fw_rec rec; /* the next record, when has_rec */
	uint64_t key;	   /* its time in the reference clock */
	bool keyed;	   /* key (and hosts) done for this record */
	bool has_rec;
	bool done;
	char **hosts; /* hosts this file has records of */
	size_t nhosts;
	unsigned long warnings;
};

struct cli {
	struct fw_corr_opts opts;
	struct fw_report_opts ropts;
	bool strict;
	bool help; /* --help or --usage was given */
	char **files;
	size_t nfiles;
	struct source *src;
	struct fw_corr *corr;
	struct fw_report *report;
	int status;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* ---- options ---- */

enum {
	OPT_SKEW = 0x100,
	OPT_CLOSE_WAIT,
	OPT_STRICT,
	OPT_ALL,
	OPT_JSON,
	OPT_USAGE,
	OPT_PROM,
	OPT_CHART,
	OPT_IDLE,
	OPT_MAXCLIENTS,
};

static const struct argp_option options[] = {
	{ "json", OPT_JSON, NULL, 0,
	  "One JSON object per finding, then a summary object", 0 },
	{ "all", OPT_ALL, NULL, 0,
	  "Also show connections that are fine (ok, open)", 0 },
	{ "follow", 'f', NULL, 0,
	  "Keep reading files as they grow; report each finding once it is "
	  "decided; Ctrl-C ends with the summary",
	  0 },
	{ "skew", OPT_SKEW, "DURATION", 0,
	  "Largest clock difference between hosts (default 2s)", 0 },
	{ "close-wait", OPT_CLOSE_WAIT, "DURATION", 0,
	  "CLOSE_WAIT longer than this is a leak (default 60s)", 0 },
	{ "strict", OPT_STRICT, NULL, 0,
	  "Make the first bad input line fatal (exit 2)", 0 },
	{ "prom", OPT_PROM, "FILE", 0,
	  "Also write Prometheus metrics to FILE (node_exporter's textfile "
	  "collector), atomically",
	  0 },
	{ "chart", OPT_CHART, "FILE.svg", 0,
	  "Also draw the ghosts over the snapshot passes as an SVG chart", 0 },
	{ "idle", OPT_IDLE, "DURATION", 0,
	  "Connections both ends hold idle longer than this are idle holders "
	  "(default 1h)",
	  0 },
	{ "maxclients", OPT_MAXCLIENTS, "N", 0,
	  "The servers' connection limit: days left at the ghosts' pace", 0 },
	{ "help", '?', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ 0 }
};

/* A positive whole number. */
static int parse_count(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return *s >= '0' && *s <= '9' && !*end && !errno && *v ? 0 : -1;
}

static int parse_opt(int key, char *arg, struct argp_state *state)
{
	struct cli *cli = state->input;
	unsigned long long ns;

	switch (key) {
	case OPT_JSON:
		cli->ropts.json = true;
		break;
	case OPT_ALL:
		cli->ropts.all = true;
		break;
	case 'f':
		cli->opts.follow = cli->ropts.follow = true;
		break;
	case OPT_SKEW:
	case OPT_CLOSE_WAIT:
	case OPT_IDLE:
		if (fw_parse_duration_ns(arg, &ns) < 0) {
			argp_error(state,
				   "bad duration '%s' (e.g. 500ms, 2s, 5m)",
				   arg);
			return EINVAL;
		}
		if (key == OPT_SKEW)
			cli->opts.skew_ns = ns;
		else if (key == OPT_CLOSE_WAIT)
			cli->opts.close_wait_ns = ns;
		else
			cli->ropts.idle_ns = ns ? ns : 1;
		break;
	case OPT_PROM:
		cli->ropts.prom_path = arg;
		break;
	case OPT_CHART:
		cli->ropts.chart_path = arg;
		break;
	case OPT_MAXCLIENTS:
		if (parse_count(arg, &cli->ropts.maxclients) < 0) {
			argp_error(state, "bad --maxclients '%s'", arg);
			return EINVAL;
		}
		break;
	case OPT_STRICT:
		cli->strict = true;
		break;
	case ARGP_KEY_ARG:
		cli->files[cli->nfiles++] = arg;
		break;
	case '?':
	case OPT_USAGE:
		/* ARGP_NO_EXIT: argp prints, we return; main exits 0 */
		argp_state_help(state, stdout,
				key == '?' ? ARGP_HELP_STD_HELP
					   : ARGP_HELP_USAGE);
		cli->help = true;
		break;
	case ARGP_KEY_END:
		if (!cli->nfiles && !cli->help) {
			argp_error(state, "no input FILE (use - for stdin)");
			return EINVAL;
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options,
	parse_opt,
	"FILE...",
	"Pair the two ends of each TCP connection in the JSON Lines logs of "
	"`finwatch trace --json` (plain or .gz, - for stdin) and report FINs "
	"and RSTs that never arrived.\v"
	"Verdicts: lost_fin, lost_rst, close_wait_leak, peer_vanished, "
	"unacked_fin, incomplete, ok, open. Exit status: 0 when the logs "
	"were read (whatever was found), 2 on bad usage, an unreadable file "
	"or, with --strict, a bad line. See docs/CORRELATE.md.",
	NULL,
	NULL,
	NULL
};

/* ---- reading ---- */

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
		stop_requested = 1;
		return;
	}
	if (++s->warnings <= MAX_WARNINGS)
		fprintf(stderr, "%s:%lu: %s\n", display_name(s), s->in.lineno,
			why);
	if (s->warnings == MAX_WARNINGS)
		fprintf(stderr, "%s: further warnings suppressed\n",
			display_name(s));
}

static void note_host(struct source *s, const char *host)
{
	for (size_t i = 0; i < s->nhosts; i++)
		if (!strcmp(s->hosts[i], host))
			return;
	s->hosts = realloc(s->hosts, (s->nhosts + 1) * sizeof(*s->hosts));
	if (!s->hosts || !(s->hosts[s->nhosts] = strdup(host))) {
		fprintf(stderr, "finwatch correlate: out of memory\n");
		exit(EXIT_USAGE);
	}
	s->nhosts++;
}

/* Parses a line into s->rec; returns true when it holds a record to feed. */
static bool take_line(struct cli *cli, struct source *s, const char *line,
		      size_t len, bool unterminated)
{
	int r;

	if (len == 0 || (len == 1 && line[0] == '\r'))
		return false; /* blank lines are harmless */
	r = fw_rec_parse(line, len, &s->rec);
	if (r < 0) {
		char why[200];

		snprintf(why, sizeof(why), "%s%s",
			 unterminated ? "truncated last line: " : "",
			 s->rec.why);
		warn_line(cli, s, why);
		return false;
	}
	if (r > 0)
		fw_corr_count_ignored(cli->corr);
	return r == 0;
}

/* Reads s up to its next usable record; false when there is none now. */
static bool fill(struct cli *cli, struct source *s)
{
	const char *line, *why;
	size_t len;

	while (!s->has_rec && !s->done && !stop_requested) {
		switch (fw_input_line(&s->in, &line, &len, &why)) {
		case FW_LINE_OK:
			s->has_rec = take_line(cli, s, line, len, false);
			break;
		case FW_LINE_UNTERMINATED:
			s->has_rec = take_line(cli, s, line, len, true);
			break;
		case FW_LINE_TOO_LONG:
			warn_line(cli, s, "line too long");
			break;
		case FW_LINE_ERROR:
			fprintf(stderr, "%s: read error: %s\n", display_name(s),
				why ? why : "?");
			cli->status = EXIT_USAGE;
			s->done = true;
			break;
		case FW_LINE_NONE:
			if (!s->in.follow)
				s->done = true;
			return false;
		}
	}
	if (s->has_rec && !s->keyed) {
		note_host(s, s->rec.host);
		s->key = fw_corr_ref_time(cli->corr, s->rec.host,
					  s->rec.host_len, s->rec.time_ns);
		s->keyed = true;
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
			if (!strcmp(o->hosts[k], host))
				return true;
	}
	return false;
}

static void source_finished(struct cli *cli, struct source *s)
{
	for (size_t k = 0; k < s->nhosts; k++)
		if (!host_elsewhere(cli, s, s->hosts[k]))
			fw_corr_host_done(cli->corr, s->hosts[k]);
}

/* The file whose next record is the oldest; NULL if none has one. */
static struct source *oldest(struct cli *cli)
{
	struct source *best = NULL;

	for (size_t i = 0; i < cli->nfiles; i++) {
		struct source *s = &cli->src[i];
		bool was_done = s->done;

		if (!fill(cli, s)) {
			if (s->done && !was_done)
				source_finished(cli, s);
			continue;
		}
		if (!best || s->key < best->key)
			best = s;
	}
	return best;
}

static bool all_done(const struct cli *cli)
{
	for (size_t i = 0; i < cli->nfiles; i++)
		if (!cli->src[i].done)
			return false;
	return true;
}

/*
 * --follow and every file is idle: tracers flush each record as they
 * write it, so an idle log has seen nothing up to about now. Allow for
 * the clock skew and a second of flush and transport delay.
 */
static void idle_logs_are_current(struct cli *cli)
{
	uint64_t now, lag = cli->opts.skew_ns + FW_FLIGHT_NS;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (now <= lag)
		return;
	for (size_t i = 0; i < cli->nfiles; i++) {
		struct source *s = &cli->src[i];

		if (s->done || s->has_rec)
			continue;
		for (size_t k = 0; k < s->nhosts; k++)
			fw_corr_host_alive(cli->corr, s->hosts[k], now - lag);
	}
}

static void run(struct cli *cli)
{
	const struct timespec pause = { 0, FOLLOW_POLL_NS };
	struct source *s;

	while (!stop_requested && !fw_corr_failed(cli->corr)) {
		s = oldest(cli);
		if (s) {
			fw_corr_feed(cli->corr, &s->rec);
			s->has_rec = s->keyed = false;
			continue;
		}
		if (all_done(cli))
			break;
		idle_logs_are_current(cli);
		nanosleep(&pause, NULL);
	}
}

static int open_sources(struct cli *cli)
{
	for (size_t i = 0; i < cli->nfiles; i++) {
		if (fw_input_open(&cli->src[i].in, cli->files[i],
				  cli->opts.follow) < 0) {
			fprintf(stderr, "finwatch correlate: %s: %s\n",
				cli->files[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void close_sources(struct cli *cli)
{
	for (size_t i = 0; i < cli->nfiles; i++) {
		fw_input_close(&cli->src[i].in);
		for (size_t k = 0; k < cli->src[i].nhosts; k++)
			free(cli->src[i].hosts[k]);
		free(cli->src[i].hosts);
	}
	free(cli->src);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void out_of_memory(struct cli *cli)
{
	fprintf(stderr, "finwatch correlate: out of memory\n");
	cli->status = EXIT_USAGE;
}

static void report_finish(struct cli *cli)
{
	fw_report_timeline(cli->report, fw_corr_timeline(cli->corr));
	if (fw_report_finish(cli->report, fw_corr_stats(cli->corr)) < 0)
		cli->status = EXIT_USAGE;
}

/*
 * Reads every file and reports. Out of memory the engine stops; the
 * findings printed so far stand, the summary would not be true.
 */
static void correlate(struct cli *cli)
{
	if (cli->opts.follow) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		install_signals();
	}
	run(cli);
	if (!fw_corr_failed(cli->corr) && (!cli->strict || cli->status == 0))
		fw_corr_finish(cli->corr);
	if (fw_corr_failed(cli->corr))
		out_of_memory(cli);
	else if (!cli->strict || cli->status == 0)
		report_finish(cli);
}

static int parse_args(struct cli *cli, int argc, char **argv)
{
	char *args[argc + 1];

	/* argp names the program after argv[0] in its messages */
	args[0] = "finwatch correlate";
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	args[argc] = NULL;
	cli->files = calloc((size_t)argc + 1, sizeof(*cli->files));
	if (!cli->files)
		return -1;
	/* no exit() inside a library function: errors come back to us */
	return argp_parse(&argp, argc, args, ARGP_NO_EXIT | ARGP_NO_HELP, NULL,
			  cli)
		       ? -1
		       : 0;
}

int correlate_main(int argc, char **argv)
{
	struct cli cli = {
		.opts = { .skew_ns = FW_DEFAULT_SKEW_NS,
			  .close_wait_ns = FW_DEFAULT_CLOSE_WAIT_NS },
		.ropts = { .out = stdout },
	};

	stop_requested = 0;
	if (argc < 1 || parse_args(&cli, argc, argv) < 0 || cli.help) {
		free(cli.files);
		return cli.help ? 0 : EXIT_USAGE;
	}
	cli.src = calloc(cli.nfiles, sizeof(*cli.src));
	if (!cli.src || open_sources(&cli) < 0) {
		if (cli.src)
			close_sources(&cli);
		free(cli.files);
		return EXIT_USAGE;
	}
	cli.report = fw_report_new(&cli.ropts);
	if (!cli.report) {
		fprintf(stderr, "finwatch correlate: cannot create a report\n");
		cli.status = EXIT_USAGE;
	} else {
		cli.corr =
			fw_corr_new(&cli.opts, fw_report_finding, cli.report);
		if (cli.corr)
			correlate(&cli);
		else
			out_of_memory(&cli);
	}
	fw_corr_free(cli.corr);
	fw_report_free(cli.report);
	close_sources(&cli);
	free(cli.files);
	return cli.status;
}
