// SPDX-License-Identifier: GPL-2.0
/*
 * `finwatch correlate`: options, the merge of the inputs' records by
 * time, --follow, exit codes. The inputs themselves are in sources.c.
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_help.h"
#include "duration.h"
#include "timeline.h"

#define FOLLOW_POLL_NS	      200000000L
#define DEFAULT_MAX_BAD_SHARE 0.01

volatile sig_atomic_t fw_cli_stop;

static void on_signal(int sig)
{
	(void)sig;
	fw_cli_stop = 1;
}

/* ---- options ---- */

enum {
	OPT_SKEW = 0x100,
	OPT_CLOSE_WAIT,
	OPT_STRICT,
	OPT_ALL,
	OPT_JSON,
	OPT_PROM,
	OPT_CHART,
	OPT_IDLE,
	OPT_MAXCLIENTS,
	OPT_MAX_BAD_SHARE,
	OPT_LIVE_RETRANS,
};

static const struct argp_option options[] = {
	{ "json", OPT_JSON, NULL, 0,
	  "One JSON object per finding, then one summary object", 0 },
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
	{ "live-retrans", OPT_LIVE_RETRANS, "N", 0,
	  "--follow: name a FIN retransmitted N times that its receiver's "
	  "current log shows no sign of at once, provisionally (default 2)",
	  0 },
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
	{ "max-bad-share", OPT_MAX_BAD_SHARE, "SHARE", 0,
	  "Exit 3 when more of the lines than this are bad: a fraction "
	  "(0.01) or a percentage (1%, the default)",
	  0 },
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

/* "0.05" or "5%" into 0.05; -1 when it is neither, or not in [0, 1]. */
static int parse_share(const char *arg, double *share)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || errno || v < 0)
		return -1;
	if (*end == '%') {
		v /= 100;
		end++;
	}
	if (*end || v > 1)
		return -1;
	*share = v;
	return 0;
}

/* --maxclients N, --live-retrans N (at most 1000). */
static int parse_count_opt(int key, char *arg, struct argp_state *state)
{
	struct cli *cli = state->input;
	uint64_t n;

	if (parse_count(arg, &n) < 0 || (key == OPT_LIVE_RETRANS && n > 1000)) {
		argp_error(state, "bad --%s '%s'",
			   key == OPT_MAXCLIENTS ? "maxclients"
						 : "live-retrans",
			   arg);
		return EINVAL;
	}
	if (key == OPT_MAXCLIENTS)
		cli->ropts.maxclients = n;
	else
		cli->opts.live_retrans = (unsigned int)n;
	return 0;
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
	case OPT_LIVE_RETRANS:
		return parse_count_opt(key, arg, state);
	case OPT_STRICT:
		cli->strict = true;
		break;
	case OPT_MAX_BAD_SHARE:
		if (parse_share(arg, &cli->max_bad_share) < 0) {
			argp_error(state,
				   "bad share '%s' (a fraction from 0 to 1, "
				   "or a percentage such as 1%%)",
				   arg);
			return EINVAL;
		}
		break;
	case ARGP_KEY_ARG:
		cli->files[cli->nfiles++] = arg;
		break;
	case ARGP_KEY_INIT:
		/* -h, --usage, -V: printed, and main exits 0 */
		state->child_inputs[0] = &cli->help;
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

static const struct argp_child children[] = {
	{ &fw_cli_help_argp, 0, NULL, -1 },
	{ 0 },
};

static const struct argp argp = {
	options,
	parse_opt,
	"FILE...",
	"Pair the two ends of each TCP connection in the JSON Lines logs of "
	"`finwatch trace --json` (plain or .gz, - for stdin) and report FINs "
	"and RSTs that never arrived.\v"
	"Lines may be raw JSON, syslog (RFC 3164, RFC 3339, RFC 5424: as "
	"rsyslog writes them) or journalctl -o json / -o cat; rotated files "
	"in any order; the same record given twice counts once.\n"
	"Verdicts: lost_fin, lost_rst, close_wait_leak, peer_vanished, "
	"unacked_fin, incomplete, ok, open. Exit status: 0 when every input "
	"was read (whatever was found), 2 on bad usage, an unreadable file "
	"or, with --strict, a bad line, 3 when no record could be used or "
	"more lines than --max-bad-share were bad. See docs/CORRELATE.md.",
	children,
	NULL,
	NULL
};

/* ---- the merge ---- */

/* The file whose next record is the oldest; NULL if none has one. */
static struct source *oldest(struct cli *cli)
{
	struct source *best = NULL;

	for (size_t i = 0; i < cli->nfiles; i++) {
		struct source *s = &cli->src[i];
		bool was_done = s->done;

		if (!fw_cli_fill(cli, s)) {
			if (s->done && !was_done)
				fw_cli_source_finished(cli, s);
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

static void run(struct cli *cli)
{
	const struct timespec pause = { 0, FOLLOW_POLL_NS };
	struct source *s;

	while (!fw_cli_stop && !fw_corr_failed(cli->corr)) {
		s = oldest(cli);
		if (s) {
			fw_cli_feed(cli, s);
			continue;
		}
		if (all_done(cli))
			break;
		nanosleep(&pause, NULL);
	}
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void report_finish(struct cli *cli)
{
	fw_report_timeline(cli->report, fw_corr_timeline(cli->corr));
	if (fw_report_finish(cli->report, fw_corr_stats(cli->corr)) < 0)
		cli->status = EXIT_USAGE;
}

/* Followed files that never appeared were not read. */
static bool all_inputs_seen(struct cli *cli)
{
	bool all = true;

	for (size_t i = 0; i < cli->nfiles; i++) {
		if (!cli->src[i].in.fl.missing)
			continue;
		fprintf(stderr, "%s: %s never appeared\n", cli->prog,
			cli->files[i]);
		all = false;
	}
	return all;
}

/*
 * The exit status the input deserves, with one line saying why when it
 * is not 0: the report over what could be read stands either way.
 */
static void judge_inputs(struct cli *cli)
{
	const struct fw_corr_stats *st = fw_corr_stats(cli->corr);
	uint64_t lines = st->records + st->bad_lines + st->duplicates;

	if (!all_inputs_seen(cli))
		cli->status = EXIT_USAGE;
	if (cli->status)
		return;
	if (!cli->fed) {
		fprintf(stderr,
			"%s: no usable record in the input (%" PRIu64
			" lines, %" PRIu64 " bad)\n",
			cli->prog, lines, st->bad_lines);
		cli->status = EXIT_INPUT;
	} else if ((double)st->bad_lines > cli->max_bad_share * (double)lines) {
		fprintf(stderr,
			"%s: %" PRIu64 " of %" PRIu64
			" lines (%.1f%%) were bad, more than --max-bad-share "
			"%g%%\n",
			cli->prog, st->bad_lines, lines,
			100.0 * (double)st->bad_lines / (double)lines,
			100.0 * cli->max_bad_share);
		cli->status = EXIT_INPUT;
	}
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
	if (fw_corr_failed(cli->corr)) {
		fw_cli_out_of_memory(cli);
	} else if (!cli->strict || cli->status == 0) {
		if (cli->report)
			report_finish(cli);
		judge_inputs(cli);
	}
}

/* Opens the files, correlates them into cb, closes them: the status. */
static int read_files(struct cli *cli, fw_finding_cb cb, void *ctx)
{
	cli->src = calloc(cli->nfiles, sizeof(*cli->src));
	if (!cli->src || fw_cli_open_sources(cli) < 0) {
		if (cli->src)
			fw_cli_close_sources(cli);
		return EXIT_USAGE;
	}
	cli->corr = fw_corr_new(&cli->opts, cb, ctx);
	if (cli->corr)
		correlate(cli);
	else
		fw_cli_out_of_memory(cli);
	fw_corr_free(cli->corr);
	fw_cli_close_sources(cli);
	return cli->status;
}

int fw_corr_read_files(const struct fw_corr_opts *opts, char *const *files,
		       size_t nfiles, fw_finding_cb cb, void *ctx,
		       const char *prog)
{
	struct cli cli = { .prog = prog,
			   .opts = *opts,
			   .max_bad_share = DEFAULT_MAX_BAD_SHARE,
			   .files = (char **)files,
			   .nfiles = nfiles };

	fw_cli_stop = 0;
	return read_files(&cli, cb, ctx);
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
		.prog = "finwatch correlate",
		.opts = { .skew_ns = FW_DEFAULT_SKEW_NS,
			  .close_wait_ns = FW_DEFAULT_CLOSE_WAIT_NS },
		.ropts = { .out = stdout },
		.max_bad_share = DEFAULT_MAX_BAD_SHARE,
	};

	fw_cli_stop = 0;
	if (argc < 1 || parse_args(&cli, argc, argv) < 0 || cli.help) {
		free(cli.files);
		return cli.help ? 0 : EXIT_USAGE;
	}
	cli.report = fw_report_new(&cli.ropts);
	if (!cli.report) {
		fprintf(stderr, "finwatch correlate: cannot create a report\n");
		cli.status = EXIT_USAGE;
	} else {
		cli.status = read_files(&cli, fw_report_finding, cli.report);
	}
	fw_report_free(cli.report);
	free(cli.files);
	return cli.status;
}
