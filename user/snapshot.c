// SPDX-License-Identifier: GPL-2.0
/*
 * finwatch snapshot: the connections open now on the watched ports, with
 * what decides whether anything will ever reap them.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cli.h"
#include "cli_help.h"
#include "cli_opts.h"
#include "output.h"
#include "snapshot_prom.h"
#include "sock_diag.h"
#include "tracer.h"
#include "util.h"

enum {
	OPT_CHECK = 0x100,
	OPT_IDLE,
	OPT_SOURCE,
	OPT_PROM,
};

enum snapshot_source {
	SOURCE_AUTO,
	SOURCE_ITER,
	SOURCE_SOCK_DIAG,
};

static const char *const source_names[] = {
	[SOURCE_ITER] = "iter",
	[SOURCE_SOCK_DIAG] = "sock_diag",
};

#define FW_DEFAULT_IDLE_NS (5 * 60 * 1000000000ULL)
/* --check: 0 nothing found, 1 found some, 2 usage, 3 could not tell. */
#define FW_EXIT_UNKNOWN 3

struct snapshot_opts {
	struct fw_cli_common common;
	bool json;
	bool check;
	unsigned long long idle_ns;
	enum snapshot_source source;
	const char *prom; /* --prom FILE */
};

/* What --check found, for its summary. */
struct check_state {
	struct fw_output *out;
	const char *source;
	const struct snapshot_opts *opts;
	struct fw_snap_metrics *metrics; /* --prom */
	unsigned int established;
	unsigned int unreapable;
	unsigned int idle_unknown; /* no keepalive, but no idle time either */
	uint32_t oldest_ms;
};

static const struct argp_option snapshot_options[] = {
	{ "json", 'j', NULL, 0, "Write JSON Lines (docs/SCHEMA.md)", 0 },
	{ "check", OPT_CHECK, NULL, 0,
	  "List only connections idle longer than --idle that nothing will "
	  "ever "
	  "reap; exit 1 if there are any, 3 if it cannot tell",
	  0 },
	{ "idle", OPT_IDLE, "DURATION", 0,
	  "Idle threshold of --check and --prom (default 5m; ms, s, m, h, d)",
	  0 },
	{ "prom", OPT_PROM, "FILE", 0,
	  "Write Prometheus metrics to FILE (for node_exporter's textfile "
	  "collector, atomically) instead of listing the connections",
	  0 },
	{ "source", OPT_SOURCE, "SOURCE", 0,
	  "Where sockets are read: iter, the BPF tcp iterator (with sequence "
	  "numbers), sock_diag, NETLINK_SOCK_DIAG as ss does, or auto (the "
	  "default: the iterator where the kernel has it)",
	  0 },
	{},
};

static const struct argp_child snapshot_children[] = {
	{ &fw_cli_common_argp, 0, NULL, 0 },
	{ &fw_cli_help_argp, 0, NULL, -1 },
	{},
};

static error_t parse_snapshot_opt(int key, char *arg, struct argp_state *state)
{
	struct snapshot_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->common;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case OPT_SOURCE:
		if (!strcmp(arg, "auto"))
			o->source = SOURCE_AUTO;
		else if (!strcmp(arg, "iter"))
			o->source = SOURCE_ITER;
		else if (!strcmp(arg, "sock_diag"))
			o->source = SOURCE_SOCK_DIAG;
		else
			argp_failure(
				state, FW_EXIT_USAGE, 0,
				"--source %s: want auto, iter or sock_diag",
				arg);
		return 0;
	case OPT_CHECK:
		o->check = true;
		return 0;
	case OPT_PROM:
		o->prom = arg;
		return 0;
	case OPT_IDLE:
		if (fw_parse_duration_ns(arg, &o->idle_ns) || !o->idle_ns)
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--idle %s: want a positive duration like "
				     "300, 5m, 2h",
				     arg);
		return 0;
	case ARGP_KEY_ARG:
		argp_failure(state, FW_EXIT_USAGE, 0,
			     "unexpected argument '%s'", arg);
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static int print_socket(void *ctx, const struct fw_sock_info *si)
{
	struct check_state *cs = ctx;

	return fw_out_snapshot(cs->out, si, 1, cs->source);
}

static int count_socket(void *ctx, const struct fw_sock_info *si)
{
	struct check_state *cs = ctx;

	return fw_snap_metrics_add(cs->metrics, si);
}

static uint32_t idle_ms(const struct fw_event *ev)
{
	return ev->last_recv_ms < ev->last_send_ms ? ev->last_recv_ms
						   : ev->last_send_ms;
}

/*
 * Nothing will ever end an idle connection without keepalive: no timer
 * runs on it. Data waiting to be sent would at least be retransmitted
 * until tcp_retries2 gives up, so such a socket does not count.
 */
static bool never_reaped(const struct fw_sock_info *si)
{
	return si->ev.newstate == FW_TCP_ESTABLISHED && !si->keepalive &&
	       si->sndq == 0;
}

static int check_socket(void *ctx, const struct fw_sock_info *si)
{
	struct check_state *cs = ctx;
	uint32_t idle = idle_ms(&si->ev);

	if (si->ev.newstate != FW_TCP_ESTABLISHED)
		return 0;
	cs->established++;
	if (never_reaped(si) && idle == FW_AGE_UNKNOWN)
		cs->idle_unknown++;
	if (!never_reaped(si) || idle == FW_AGE_UNKNOWN ||
	    (unsigned long long)idle * 1000000ULL < cs->opts->idle_ns)
		return 0;
	cs->unreapable++;
	if (idle > cs->oldest_ms)
		cs->oldest_ms = idle;
	return cs->metrics ? 0 : fw_out_snapshot(cs->out, si, 1, cs->source);
}

/* --check and --prom together: both see every socket. */
static int check_and_count_socket(void *ctx, const struct fw_sock_info *si)
{
	return check_socket(ctx, si) ?: count_socket(ctx, si);
}

static fw_snapshot_fn socket_fn(const struct snapshot_opts *opts)
{
	if (opts->check)
		return opts->prom ? check_and_count_socket : check_socket;
	return opts->prom ? count_socket : print_socket;
}

static void print_check_advice(const struct check_state *cs)
{
	char age[16];

	fprintf(stderr,
		"finwatch snapshot --check: %u of %u established connections "
		"idle longer than %llus with no keepalive: nothing will ever "
		"close them (oldest idle %s).\n",
		cs->unreapable, cs->established,
		cs->opts->idle_ns / 1000000000ULL,
		fw_format_age(cs->oldest_ms, age, sizeof(age)));
	if (!cs->unreapable)
		return;
	fprintf(stderr,
		"If their peers are gone (a lost FIN, a middlebox that forgot "
		"the flow), they are ghosts. To reap them:\n"
		"  redis-cli CONFIG SET tcp-keepalive 60   # SO_KEEPALIVE on "
		"new connections, first probe after 60s idle\n"
		"  redis-cli CONFIG SET timeout 300        # close clients "
		"idle for 300s\n"
		"  sysctl net.ipv4.tcp_keepalive_time=300 "
		"net.ipv4.tcp_keepalive_intvl=30 "
		"net.ipv4.tcp_keepalive_probes=5\n"
		"                                          # for programs that "
		"set SO_KEEPALIVE without their own timings\n"
		"Existing ghosts keep their settings: CLIENT KILL them, or `ss "
		"-K` them.\n");
}

/* The iterator where it loads; sock_diag where it does not, or when
 * asked for. */
static int walk_sockets(struct snapshot_opts *opts, struct check_state *cs)
{
	fw_snapshot_fn fn = socket_fn(opts);
	struct fw_tracer tracer;
	int n;

	if (opts->source != SOURCE_SOCK_DIAG) {
		if (fw_tracer_open(&tracer, &opts->common.cfg,
				   "finwatch snapshot") == 0) {
			bool have_iter = tracer.feat.have[FW_FEAT_ITER_TCP];

			cs->source = source_names[SOURCE_ITER];
			n = have_iter ? fw_tracer_snapshot(&tracer, fn, cs) : 0;
			fw_tracer_close(&tracer);
			if (have_iter)
				return n;
		}
		if (opts->source == SOURCE_ITER) {
			fprintf(stderr, "finwatch snapshot: no tcp iterator on "
					"this kernel (Linux 5.9+ with BTF)\n");
			errno = ENOTSUP;
			return -1;
		}
		fprintf(stderr,
			"finwatch snapshot: no tcp iterator; reading sockets "
			"through sock_diag, without sequence numbers\n");
	}
	cs->source = source_names[SOURCE_SOCK_DIAG];
	return fw_sock_diag_snapshot(&opts->common.cfg, fn, cs);
}

/* The listing's end: the snapshot_end record, and everything out. */
static int finish_listing(struct check_state *cs, int n)
{
	const struct fw_config *c = &cs->opts->common.cfg;

	fw_out_snapshot_end(cs->out, 1, n, c->netns, c->nnetns,
			    fw_now_monotonic_ns(), false);
	if (fw_out_flush(cs->out) && cs->out->error != EPIPE) {
		fprintf(stderr, "finwatch snapshot: writing: %s\n",
			strerror(cs->out->error));
		return 1;
	}
	return 0;
}

static int write_metrics(struct check_state *cs)
{
	if (fw_snap_metrics_write(cs->metrics, cs->opts->prom, cs->source)) {
		fprintf(stderr, "finwatch snapshot: --prom %s: %s\n",
			cs->opts->prom, strerror(errno));
		return 1;
	}
	return 0;
}

/* --check's exit code, once its connections are listed. */
static int check_status(const struct check_state *cs)
{
	print_check_advice(cs);
	if (cs->unreapable)
		return 1;
	/* Unknown is not clean: a probe must not pass what it cannot see. */
	if (cs->idle_unknown) {
		fprintf(stderr,
			"finwatch snapshot --check: %u connections without "
			"keepalive have no known idle time (kernel HZ "
			"unknown): cannot tell\n",
			cs->idle_unknown);
		return FW_EXIT_UNKNOWN;
	}
	return 0;
}

int snapshot_main(int argc, char **argv)
{
	struct argp argp = {
		snapshot_options,
		parse_snapshot_opt,
		NULL,
		"List the TCP connections open now on the watched ports.",
		snapshot_children,
		NULL,
		NULL
	};
	struct snapshot_opts opts = { .idle_ns = FW_DEFAULT_IDLE_NS };
	static char hold[1 << 16];
	struct fw_output out = { .fd = STDOUT_FILENO,
				 .socket_table = true,
				 .hold = hold,
				 .hold_size = sizeof(hold) };
	struct check_state cs = { .out = &out, .opts = &opts };
	char hostname[256];
	int n, rc;

	argp_err_exit_status = FW_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, ARGP_NO_HELP, NULL, &opts))
		return FW_EXIT_USAGE;
	if (fw_check_tracing_caps("finwatch snapshot"))
		return FW_EXIT_USAGE;
	out.host = fw_cli_host(&opts.common, hostname, sizeof(hostname));
	out.json = opts.json;
	out.clock_offset_ns = fw_monotonic_to_realtime_offset();
	if (opts.prom && !(cs.metrics = fw_snap_metrics_new(opts.idle_ns))) {
		fprintf(stderr, "finwatch snapshot: out of memory\n");
		return 1;
	}
	n = walk_sockets(&opts, &cs);
	if (n < 0) {
		fprintf(stderr, "finwatch snapshot: walking the sockets: %s\n",
			strerror(errno));
		fw_out_flush(&out);
		fw_snap_metrics_free(cs.metrics);
		return opts.check ? FW_EXIT_UNKNOWN : 1;
	}
	rc = opts.prom ? write_metrics(&cs) : finish_listing(&cs, n);
	fw_snap_metrics_free(cs.metrics);
	if (rc || !opts.check)
		return rc;
	return check_status(&cs);
}
