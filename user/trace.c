// SPDX-License-Identifier: GPL-2.0
/*
 * finwatch trace: stream the lifecycle of every connection on the watched
 * ports as text or JSON Lines.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cli.h"
#include "cli_opts.h"
#include "logfile.h"
#include "loss.h"
#include "output.h"
#include "reorder.h"
#include "tracer.h"
#include "transport.h"
#include "util.h"

struct trace_opts {
	struct fw_cli_common common;
	bool json;
	const char *out_path;
	unsigned long long duration_ns;
	unsigned long long snapshot_every_ns;
};

struct trace_run {
	struct trace_opts *opts;
	struct fw_tracer tracer;
	struct fw_transport *transport;
	struct fw_output out;
	struct fw_reorder pending; /* read, not written yet */
	struct fw_loss loss;
	uint64_t events;
	uint64_t snapshot_ns; /* when the last baseline was taken */
	unsigned int snap;    /* baselines taken */
	/* The first baseline, held until the start record is out. */
	struct fw_sock_info *baseline;
	size_t nbaseline, baseline_cap;
	char hostname[256];
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

enum {
	OPT_PID = 0x100,
	OPT_TRANSPORT,
	OPT_SNAPSHOT_EVERY,
	OPT_BUFFER_PAGES,
};

static const struct argp_option trace_options[] = {
	{"pid", OPT_PID, "PID", 0, "Only sockets owned by this process", 0},
	{"json", 'j', NULL, 0, "Write JSON Lines (docs/SCHEMA.md)", 0},
	{"output", 'o', "FILE", 0, "Append to FILE instead of stdout", 0},
	{"duration", 'd', "DURATION", 0,
	 "Stop after DURATION (seconds, or with ms/s/m/h/d)", 0},
	{"transport", OPT_TRANSPORT, "auto|perf|ring", 0,
	 "Kernel-to-user transport (default auto: ring buffer where the kernel "
	 "has it)",
	 0},
	{"buffer-pages", OPT_BUFFER_PAGES, "N", 0,
	 "Size of the transport in pages, a power of two: the ring buffer's "
	 "(default 1024: 4 MiB), or the perf buffer's per CPU (default: 4 MiB "
	 "shared out over the CPUs, 16 to 1024 pages each)",
	 0},
	{"snapshot-every", OPT_SNAPSHOT_EVERY, "DURATION", 0,
	 "Repeat the baseline snapshot of open connections this often (it is "
	 "always taken at start)",
	 0},
	{},
};

static const struct argp_child trace_children[] = {
	{&fw_cli_common_argp, 0, NULL, 0},
	{},
};

static unsigned int parse_buffer_pages(const char *arg,
				       struct argp_state *state)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (!*arg || *end || !v || v > FW_TRANSPORT_MAX_PAGES || (v & (v - 1)))
		argp_failure(
			state, FW_EXIT_USAGE, 0,
			"--buffer-pages %s: want a power of two from 1 to %u",
			arg, FW_TRANSPORT_MAX_PAGES);
	return v;
}

static error_t parse_trace_opt(int key, char *arg, struct argp_state *state)
{
	struct trace_opts *o = state->input;
	struct fw_config *c = &o->common.cfg;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->common;
		return 0;
	case OPT_PID:
		if (fw_parse_pid(arg, &c->pid))
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--pid %s: not a process id", arg);
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case 'o':
		o->out_path = arg;
		return 0;
	case 'd':
		if (fw_parse_duration_ns(arg, &o->duration_ns) ||
		    !o->duration_ns)
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--duration %s: want a positive duration "
				     "like 30, 500ms, 5m",
				     arg);
		return 0;
	case OPT_TRANSPORT:
		if (fw_transport_parse(arg, &c->transport))
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--transport %s: want auto, perf or ring",
				     arg);
		return 0;
	case OPT_BUFFER_PAGES:
		c->buffer_pages = parse_buffer_pages(arg, state);
		return 0;
	case OPT_SNAPSHOT_EVERY:
		if (fw_parse_duration_ns(arg, &o->snapshot_every_ns) ||
		    o->snapshot_every_ns < 1000000000ULL)
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--snapshot-every %s: want a duration of "
				     "1s or more, like 60, 10m",
				     arg);
		return 0;
	case ARGP_KEY_ARG:
		argp_failure(state, FW_EXIT_USAGE, 0,
			     "unexpected argument '%s'", arg);
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen_requested = 1;
	else
		stop_requested = 1;
}

/* No SA_RESTART: a signal must cut the poll short. */
static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int on_record(void *ctx, const void *data, size_t size)
{
	struct trace_run *r = ctx;

	if (size < sizeof(struct fw_event))
		return 0;
	if (fw_reorder_add(&r->pending, data))
		return -1;
	r->events++;
	return 0;
}

static int write_record(void *ctx, const struct fw_event *ev)
{
	return fw_out_event(ctx, ev);
}

/* What one read of the buffers brings is written once no record read
 * later can be older. */
static int read_records(struct trace_run *r)
{
	uint64_t read_ns;
	int err = fw_transport_read(r->transport, &read_ns);

	fw_reorder_write_settled(&r->pending, read_ns, write_record, &r->out);
	return err;
}

static void report_lost(struct trace_run *r)
{
	fw_loss_report(&r->loss, &r->out, fw_transport_lost(r->transport),
		       fw_programs_missed_runs(&r->tracer.progs));
}

static int emit_snapshot_record(void *ctx, const struct fw_sock_info *si)
{
	struct trace_run *r = ctx;

	return fw_out_snapshot(&r->out, si, r->snap, "iter");
}

static int hold_baseline_record(void *ctx, const struct fw_sock_info *si)
{
	struct trace_run *r = ctx;

	if (fw_grow((void **)&r->baseline, &r->baseline_cap, r->nbaseline + 1,
		    sizeof(*r->baseline)))
		return -1;
	r->baseline[r->nbaseline++] = *si;
	return 0;
}

/* A baseline of the connections open now, so that each log shows the
 * sockets it will never see an event of. */
static int take_snapshot(struct trace_run *r, fw_snapshot_fn fn)
{
	int n;

	r->snap++;
	r->snapshot_ns = fw_now_monotonic_ns();
	n = fw_tracer_snapshot(&r->tracer, fn, r);
	if (n < 0)
		fprintf(stderr,
			"finwatch trace: warning: no baseline snapshot: %s\n",
			strerror(errno));
	return n;
}

static void emit_snapshot_end(struct trace_run *r, int count)
{
	const struct fw_config *c = &r->opts->common.cfg;

	fw_out_snapshot_end(&r->out, r->snap, count, c->netns, c->nnetns,
			    fw_now_monotonic_ns());
}

static void emit_snapshot(struct trace_run *r)
{
	int n = take_snapshot(r, emit_snapshot_record);

	if (n >= 0)
		emit_snapshot_end(r, n);
}

/*
 * The first baseline is taken before the start record goes out, since it
 * also tells the kernel side who owns the listeners and the sockets open
 * now: whoever waits for the start record to connect gets named owners.
 */
static void emit_start(struct trace_run *r)
{
	const struct fw_config *c = &r->opts->common.cfg;
	int n = take_snapshot(r, hold_baseline_record);

	fw_out_start(&r->out, c->ports, c->nports, c->netns, c->nnetns,
		     fw_transport_name(r->tracer.transport),
		     r->tracer.progs.attached, r->tracer.progs.nattached);
	for (size_t i = 0; i < r->nbaseline; i++)
		emit_snapshot_record(r, &r->baseline[i]);
	if (n >= 0)
		emit_snapshot_end(r, n);
	free(r->baseline);
	r->baseline = NULL;
	r->nbaseline = r->baseline_cap = 0;
}

static bool snapshot_due(const struct trace_run *r)
{
	return r->opts->snapshot_every_ns &&
	       fw_now_monotonic_ns() - r->snapshot_ns >=
		       r->opts->snapshot_every_ns;
}

static bool duration_over(const struct trace_run *r, uint64_t start_ns)
{
	return r->opts->duration_ns &&
	       fw_now_monotonic_ns() - start_ns >= r->opts->duration_ns;
}

static void reopen_log_if_asked(struct trace_run *r)
{
	if (!reopen_requested)
		return;
	reopen_requested = 0;
	fw_out_flush(&r->out);
	if (fw_logfile_reopen(r->opts->out_path, &r->out.fd))
		fprintf(stderr, "finwatch trace: cannot reopen %s: %s\n",
			r->opts->out_path, strerror(errno));
}

/* Whatever is still in the buffers, then the totals. */
static void emit_stop(struct trace_run *r)
{
	read_records(r);
	fw_reorder_write_settled(&r->pending, UINT64_MAX, write_record,
				 &r->out);
	report_lost(r);
	fw_out_stop(&r->out, r->events, r->loss.buffer_full, r->loss.recursion);
	fw_out_flush(&r->out);
}

/* A reader that went away is the end of the run, not an error. */
static int write_status(const struct trace_run *r)
{
	if (!r->out.error || r->out.error == EPIPE)
		return 0;
	fprintf(stderr, "finwatch trace: writing %s: %s\n",
		r->opts->out_path ? r->opts->out_path : "stdout",
		strerror(r->out.error));
	return 1;
}

static int run_loop(struct trace_run *r)
{
	uint64_t start = fw_now_monotonic_ns();

	r->loss.checked_ns = start;
	emit_start(r);
	fw_out_flush(&r->out);
	while (!stop_requested && !r->out.error && !duration_over(r, start)) {
		reopen_log_if_asked(r);
		if (read_records(r) && !r->out.error) {
			fprintf(stderr, "finwatch trace: reading events: %s\n",
				strerror(errno));
			return 1;
		}
		report_lost(r);
		if (snapshot_due(r))
			emit_snapshot(r);
		fw_out_flush(&r->out);
	}
	if (!r->out.error)
		emit_stop(r);
	return write_status(r);
}

static void close_run(struct trace_run *r)
{
	fw_reorder_free(&r->pending);
	fw_transport_free(r->transport);
	fw_tracer_close(&r->tracer);
	if (r->out.fd > STDOUT_FILENO)
		close(r->out.fd);
}

static int check_environment(const struct trace_opts *o)
{
	if (fw_check_tracing_caps("finwatch trace"))
		return -1;
	if (!o->common.cfg.btf_path &&
	    access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr,
			"finwatch trace: no kernel BTF at "
			"/sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF); give "
			"one with --btf FILE\n");
		return -1;
	}
	return 0;
}

static void set_up_output(struct trace_run *r)
{
	/* The records of one read of the buffers go out in one write,
	 * whole lines only, at most FW_TRANSPORT_POLL_MS after they
	 * happened. */
	static char out_hold[1 << 16];

	r->out.host =
		fw_cli_host(&r->opts->common, r->hostname, sizeof(r->hostname));
	r->out.json = r->opts->json;
	r->out.clock_offset_ns = fw_monotonic_to_realtime_offset();
	r->out.hold = out_hold;
	r->out.hold_size = sizeof(out_hold);
}

static int open_kernel_side(struct trace_run *r)
{
	struct fw_tracer *t = &r->tracer;

	if (fw_tracer_open(t, &r->opts->common.cfg, "finwatch trace"))
		return -1;
	r->transport = fw_transport_open(t->skel, t->transport,
					 r->opts->common.cfg.buffer_pages,
					 on_record, r);
	if (!r->transport) {
		fprintf(stderr,
			"finwatch trace: cannot open the %s buffer: %s\n",
			fw_transport_name(t->transport), strerror(errno));
		return -1;
	}
	r->loss.transport = fw_transport_name(t->transport);
	r->loss.prog = "finwatch trace";
	return 0;
}

int trace_main(int argc, char **argv)
{
	struct argp argp = {
		trace_options,
		parse_trace_opt,
		NULL,
		"Trace TCP connection lifecycles on the watched ports.",
		trace_children,
		NULL,
		NULL};
	struct trace_opts opts = {.common.cfg.trace = true};
	struct trace_run run = {.opts = &opts};
	int rc;

	argp_err_exit_status = FW_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, &opts))
		return FW_EXIT_USAGE;
	if (check_environment(&opts))
		return FW_EXIT_USAGE;
	run.out.fd = fw_logfile_open(opts.out_path);
	if (run.out.fd < 0) {
		fprintf(stderr, "finwatch trace: cannot open %s: %s\n",
			opts.out_path, strerror(errno));
		return FW_EXIT_USAGE;
	}
	set_up_output(&run);
	install_signals();
	rc = open_kernel_side(&run) ? 1 : run_loop(&run);
	close_run(&run);
	return rc;
}
