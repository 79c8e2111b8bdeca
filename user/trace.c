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
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "cli.h"
#include "cli_help.h"
#include "cli_opts.h"
#include "logfile.h"
#include "loss.h"
#include "netns_facts.h"
#include "output.h"
#include "reorder.h"
#include "trace_prom.h"
#include "tracer.h"
#include "transport.h"
#include "util.h"

/* Heartbeats, by default: a silent log says "nothing happened" this often. */
#define FW_DEFAULT_TICK_NS 1000000000ULL
/* The stream JSON logs get without --stream: folded (docs/SCHEMA.md). */
#define FW_JSON_ALL_STATES_DEFAULT 0
/* Repair passes (snapshot passes that settle a loss) come at most this
 * often, however often records go missing. */
#define FW_REPAIR_INTERVAL_NS 1000000000ULL
/* A repair pass stops the reading of the buffers while it lists the
 * sockets (about 7 us each: 0.8 s for the 117,000 left in a close burst
 * of 140,000), so the buffer must hold what comes meanwhile: the pass
 * waits while records come faster than this, for at most
 * FW_REPAIR_MAX_WAIT_NS. The rate is taken over FW_RATE_WINDOW_NS. */
#define FW_REPAIR_BUSY_RATE   10000 /* records per second */
#define FW_REPAIR_MAX_WAIT_NS 10000000000ULL
#define FW_RATE_WINDOW_NS     100000000ULL

struct trace_opts {
	struct fw_cli_common common;
	bool json;
	const char *out_path;
	unsigned long long duration_ns;
	unsigned long long snapshot_every_ns;
	unsigned long long tick_ns; /* 0: no heartbeats */
	int all_states;	  /* --stream: 1 all-states, 0 folded, -1 unset */
	const char *prom; /* --prom FILE */
};

struct trace_run {
	struct trace_opts *opts;
	struct fw_tracer tracer;
	struct fw_transport *transport;
	struct fw_output out;
	struct fw_reorder pending; /* read, not written yet */
	struct fw_loss loss;
	struct fw_facts_cache facts; /* of the namespaces met */
	uint64_t events;
	uint64_t snapshot_ns; /* when the last baseline was taken */
	unsigned int snap;    /* baselines taken */
	uint64_t written;     /* records written, at the last tick check */
	uint64_t written_ns;  /* when the last record was written */
	uint64_t prom_ns;     /* when --prom FILE was last written */
	uint64_t start_s;     /* wall clock, for --prom */
	char boot_id[40];
	/* The first baseline, held until the start record is out. */
	struct fw_sock_info *baseline;
	size_t nbaseline, baseline_cap;
	char hostname[256];
	/* Whether a repair pass may stop the reading now. */
	uint64_t repair_asked_ns; /* when one became due; 0: none */
	uint64_t rate_ns;	  /* start of the read rate's window */
	uint64_t rate_events;	  /* events then */
	bool busy;		  /* the last window's rate was too high */
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

enum {
	OPT_PID = 0x100,
	OPT_TRANSPORT,
	OPT_SNAPSHOT_EVERY,
	OPT_BUFFER_PAGES,
	OPT_ALL_STATES,
	OPT_STREAM,
	OPT_TICK,
	OPT_PROM,
};

static const struct argp_option trace_options[] = {
	{ "pid", OPT_PID, "PID", 0, "Only sockets owned by this process", 0 },
	{ "json", 'j', NULL, 0, "Write JSON Lines (docs/SCHEMA.md)", 0 },
	{ "output", 'o', "FILE", 0, "Append to FILE instead of stdout", 0 },
	{ "duration", 'd', "DURATION", 0,
	  "Stop after DURATION (seconds, or with ms/s/m/h/d)", 0 },
	{ "transport", OPT_TRANSPORT, "auto|perf|ring", 0,
	  "Kernel-to-user transport (default auto: ring buffer where the "
	  "kernel "
	  "has it)",
	  0 },
	{ "buffer-pages", OPT_BUFFER_PAGES, "N", 0,
	  "Size of the transport in pages, a power of two: the ring buffer's "
	  "(default 1024: 4 MiB), or the perf buffer's per CPU (default: 4 MiB "
	  "shared out over the CPUs, 16 to 1024 pages each)",
	  0 },
	{ "stream", OPT_STREAM, "folded|all-states", 0,
	  "folded: a record only for the transitions that matter while a "
	  "connection lives, the others riding in its next record; "
	  "all-states: a record for every transition (docs/SCHEMA.md)",
	  0 },
	{ "all-states", OPT_ALL_STATES, NULL, 0,
	  "The same as --stream all-states", 0 },
	{ "tick", OPT_TICK, "DURATION", 0,
	  "Write a heartbeat record when nothing was written for DURATION "
	  "(default 1s; 0: none), so that a silent log can be told from a "
	  "stalled one",
	  0 },
	{ "prom", OPT_PROM, "FILE", 0,
	  "Write the tracer's counters (records written, lost, recovered) as "
	  "Prometheus metrics to FILE every 15s, atomically, for "
	  "node_exporter's textfile collector",
	  0 },
	{ "snapshot-every", OPT_SNAPSHOT_EVERY, "DURATION", 0,
	  "Repeat the baseline snapshot of open connections this often (it is "
	  "always taken at start)",
	  0 },
	{},
};

static const struct argp_child trace_children[] = {
	{ &fw_cli_common_argp, 0, NULL, 0 },
	{ &fw_cli_help_argp, 0, NULL, -1 },
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
	case OPT_PROM:
		o->prom = arg;
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
	case OPT_ALL_STATES:
		o->all_states = 1;
		return 0;
	case OPT_STREAM:
		if (strcmp(arg, "folded") && strcmp(arg, "all-states"))
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--stream %s: want folded or all-states",
				     arg);
		o->all_states = !strcmp(arg, "all-states");
		return 0;
	case ARGP_KEY_END:
		/* A person reading the text table wants every transition;
		 * logs get the folded stream unless asked. */
		c->all_states = o->all_states >= 0 ? o->all_states
				: o->json	   ? FW_JSON_ALL_STATES_DEFAULT
						   : 1;
		return 0;
	case OPT_TICK:
		if (fw_parse_duration_ns(arg, &o->tick_ns) ||
		    (o->tick_ns && o->tick_ns < 100000000ULL))
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--tick %s: want 0 or a duration of "
				     "100ms or more, like 1s, 5s",
				     arg);
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
	struct sigaction sa = { .sa_handler = on_signal };

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

/*
 * The facts of a namespace go into the log before its first record: its
 * conntrack timeouts and keepalive settings decide what a lost close
 * means (docs/SCHEMA.md, netns).
 */
static void announce_netns(struct trace_run *r, uint32_t netns)
{
	struct fw_facts_entry *e = fw_facts_cache_find(&r->facts, netns);

	if (e && e->announced)
		return;
	if (!e)
		e = fw_facts_cache_learn(&r->facts, netns);
	if (!e)
		return;
	e->announced = true;
	fw_out_netns(&r->out, &e->facts);
}

static int write_record(void *ctx, const struct fw_event *ev)
{
	struct trace_run *r = ctx;
	struct fw_event checked;

	announce_netns(r, ev->netns);
	if (ev->type != FW_EV_DROP)
		return fw_out_event(&r->out, ev);
	checked = *ev;
	fw_tracer_check_drop_ct(&r->tracer, &checked);
	return fw_out_event(&r->out, &checked);
}

/* What one read of the buffers brings is written once no record read
 * later can be older. */
static int read_records(struct trace_run *r)
{
	uint64_t read_ns;
	int err = fw_transport_read(r->transport, &read_ns);

	fw_reorder_write_settled(&r->pending, read_ns, write_record, r);
	return err;
}

static void report_lost(struct trace_run *r)
{
	struct fw_loss_counts c;

	fw_loss_read_counts(&r->tracer, fw_transport_lost(r->transport), &c);
	fw_loss_report(&r->loss, &r->out, &c);
}

static int emit_snapshot_record(void *ctx, const struct fw_sock_info *si)
{
	struct trace_run *r = ctx;

	announce_netns(r, si->ev.netns);
	return fw_out_snapshot(&r->out, si, r->snap, "iter");
}

static int hold_baseline_record(void *ctx, const struct fw_sock_info *si)
{
	struct trace_run *r = ctx;
	struct fw_facts_entry *e = fw_facts_cache_find(&r->facts, si->ev.netns);

	if (e)
		e->in_baseline = true;
	if (fw_grow((void **)&r->baseline, &r->baseline_cap, r->nbaseline + 1,
		    sizeof(*r->baseline)))
		return -1;
	r->baseline[r->nbaseline++] = *si;
	return 0;
}

/* A pass enters each namespace: the moment to read its facts. */
static int learn_netns_facts(void *ctx, uint32_t netns)
{
	struct trace_run *r = ctx;

	fw_facts_cache_learn_here(&r->facts, netns);
	return 0;
}

/*
 * A snapshot pass of the connections open now: the baseline each log
 * starts with, the periodic ones, and the repair passes after a loss,
 * in which every socket owns up to what it lost. What the buffers hold
 * goes out first, so that the pass's records come after older ones.
 */
static int take_snapshot(struct trace_run *r, fw_snapshot_fn fn)
{
	int n;

	/* Before the first start record nothing may be written: what the
	 * buffers hold then waits for the main loop. */
	if (r->snap) {
		read_records(r);
		fw_reorder_write_settled(&r->pending, fw_now_monotonic_ns(),
					 write_record, r);
	}
	r->snap++;
	r->snapshot_ns = fw_now_monotonic_ns();
	r->loss.repair_due = false;
	r->repair_asked_ns = 0;
	n = fw_tracer_snapshot(&r->tracer, fn, r);
	if (n < 0)
		fprintf(stderr,
			"finwatch trace: warning: no snapshot pass: %s\n",
			strerror(errno));
	return n;
}

static void emit_snapshot_end(struct trace_run *r, int count, bool repair)
{
	const struct fw_config *c = &r->opts->common.cfg;

	fw_out_snapshot_end(&r->out, r->snap, count, c->netns, c->nnetns,
			    fw_now_monotonic_ns(), repair);
}

static void emit_snapshot(struct trace_run *r, bool repair)
{
	int n = take_snapshot(r, emit_snapshot_record);

	if (n >= 0)
		emit_snapshot_end(r, n, repair);
}

static const char *read_boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	buf[0] = '\0';
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	return buf;
}

/* The namespaces whose facts the start record carries: those the
 * baseline found watched sockets in, those asked for by --netns, and
 * those the log has spoken of before (a reopened file). */
static struct fw_netns_facts *start_facts(struct trace_run *r, int *n)
{
	const struct fw_config *c = &r->opts->common.cfg;
	struct fw_netns_facts *v = calloc(r->facts.n + 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; v && i < r->facts.n; i++) {
		struct fw_facts_entry *e = &r->facts.v[i];
		bool asked = false;

		for (int k = 0; k < c->nnetns; k++)
			asked |= c->netns[k] == e->facts.netns;
		if (!e->in_baseline && !asked && !e->announced)
			continue;
		v[(*n)++] = e->facts;
	}
	fw_facts_cache_forget_announced(&r->facts);
	for (int i = 0; i < *n; i++)
		fw_facts_cache_find(&r->facts, v[i].netns)->announced = true;
	return v;
}

static void drop_baseline(struct trace_run *r)
{
	free(r->baseline);
	r->baseline = NULL;
	r->nbaseline = r->baseline_cap = 0;
}

/*
 * A log file's first records: the start record, then the baseline. The
 * baseline is taken before the start record goes out, since it also
 * tells the kernel side who owns the listeners and the sockets open now:
 * whoever waits for the start record to connect gets named owners. A
 * reopened file (SIGHUP, log rotation) starts the same way, so that each
 * file stands alone. @n: the count of the baseline the caller took with
 * take_snapshot(r, hold_baseline_record) (-1: none).
 */
static void emit_start(struct trace_run *r, bool reopen, int n)
{
	const struct fw_config *c = &r->opts->common.cfg;
	int nfacts;
	struct fw_netns_facts *facts = start_facts(r, &nfacts);
	struct fw_trace_desc d = {
		.ports = c->ports,
		.nports = c->nports,
		.netns = c->netns,
		.nnetns = c->nnetns,
		.transport = fw_transport_name(r->tracer.transport),
		.attach = r->tracer.progs.attached,
		.nattach = r->tracer.progs.nattached,
		.all_states = c->all_states,
		.tick_ms = r->opts->tick_ns / 1000000,
		.reopen = reopen,
		.boot_id = r->boot_id,
		.facts = facts,
		.nfacts = nfacts,
	};

	fw_out_start(&r->out, &d);
	free(facts);
	for (size_t i = 0; i < r->nbaseline; i++)
		emit_snapshot_record(r, &r->baseline[i]);
	if (n >= 0)
		emit_snapshot_end(r, n, false);
	drop_baseline(r);
}

static bool snapshot_due(const struct trace_run *r)
{
	return r->opts->snapshot_every_ns &&
	       fw_now_monotonic_ns() - r->snapshot_ns >=
		       r->opts->snapshot_every_ns;
}

/* How fast records come, and since when a repair pass waits for them. */
static void update_read_rate(struct trace_run *r)
{
	uint64_t now = fw_now_monotonic_ns();
	uint64_t span = now - r->rate_ns;

	if (r->loss.repair_due && !r->repair_asked_ns)
		r->repair_asked_ns = now;
	if (span < FW_RATE_WINDOW_NS)
		return;
	r->busy = (r->events - r->rate_events) * 1000000000ULL >
		  (uint64_t)FW_REPAIR_BUSY_RATE * span;
	r->rate_ns = now;
	r->rate_events = r->events;
}

/* After a loss, a pass makes every socket own up to what it lost: once
 * records come slowly enough for the buffer to hold them meanwhile. */
static bool repair_due(const struct trace_run *r)
{
	uint64_t now = fw_now_monotonic_ns();

	if (!r->loss.repair_due || now - r->snapshot_ns < FW_REPAIR_INTERVAL_NS)
		return false;
	return !r->busy || now - r->repair_asked_ns >= FW_REPAIR_MAX_WAIT_NS;
}

static bool duration_over(const struct trace_run *r, uint64_t start_ns)
{
	return r->opts->duration_ns &&
	       fw_now_monotonic_ns() - start_ns >= r->opts->duration_ns;
}

/*
 * The new file's baseline is taken before the switch, so that what the
 * buffers held until then goes to the old file: the new one begins with
 * its start record (stdout is not reopened).
 */
static void reopen_log_if_asked(struct trace_run *r)
{
	int n;

	if (!reopen_requested)
		return;
	reopen_requested = 0;
	if (!r->opts->out_path)
		return;
	n = take_snapshot(r, hold_baseline_record);
	fw_out_flush(&r->out);
	if (fw_logfile_reopen(r->opts->out_path, &r->out.fd)) {
		fprintf(stderr, "finwatch trace: cannot reopen %s: %s\n",
			r->opts->out_path, strerror(errno));
		drop_baseline(r);
		return;
	}
	emit_start(r, true, n);
}

/* --prom FILE, every FW_TRACE_PROM_INTERVAL_NS and at the end; a file
 * that cannot be written is said once, and the trace goes on. */
static void write_prom_if_due(struct trace_run *r, bool now)
{
	static bool warned;
	struct fw_trace_counts c = {
		.events = r->events,
		.records = r->out.records,
		.snapshots = r->snap,
		.lost = r->loss.reported,
		.start_s = r->start_s,
		.transport = fw_transport_name(r->tracer.transport),
		.all_states = r->opts->common.cfg.all_states,
	};
	uint64_t mono = fw_now_monotonic_ns();

	if (!r->opts->prom ||
	    (!now && mono - r->prom_ns < FW_TRACE_PROM_INTERVAL_NS))
		return;
	r->prom_ns = mono;
	if (fw_trace_prom_write(r->opts->prom, &c) && !warned) {
		warned = true;
		fprintf(stderr, "finwatch trace: warning: --prom %s: %s\n",
			r->opts->prom, strerror(errno));
	}
}

static void loss_totals(const struct trace_run *r, struct fw_loss_totals *t)
{
	*t = r->loss.reported;
}

/* Nothing written for a tick: say that nothing happened. */
static void tick_if_silent(struct trace_run *r)
{
	uint64_t now = fw_now_monotonic_ns();
	struct fw_loss_totals t;

	if (r->out.records != r->written) {
		r->written = r->out.records;
		r->written_ns = now;
		return;
	}
	if (!r->opts->tick_ns || now - r->written_ns < r->opts->tick_ns)
		return;
	loss_totals(r, &t);
	fw_out_tick(&r->out, &t, now);
	r->written = r->out.records;
	r->written_ns = now;
}

/*
 * Whatever is still in the buffers, then the totals. The folded stream
 * ends with a pass, so that the transitions the sockets still hold back
 * (a FIN_WAIT2 that lasts) are in the log too.
 */
static void emit_stop(struct trace_run *r)
{
	struct fw_loss_totals t;

	if (!r->opts->common.cfg.all_states)
		emit_snapshot(r, false);
	read_records(r);
	fw_reorder_write_settled(&r->pending, UINT64_MAX, write_record, r);
	report_lost(r);
	loss_totals(r, &t);
	fw_out_stop(&r->out, r->events, &t, r->opts->tick_ns / 1000000);
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
	r->rate_ns = start;
	r->start_s = time(NULL);
	emit_start(r, false, take_snapshot(r, hold_baseline_record));
	fw_out_flush(&r->out);
	write_prom_if_due(r, true);
	r->written_ns = fw_now_monotonic_ns();
	while (!stop_requested && !r->out.error && !duration_over(r, start)) {
		reopen_log_if_asked(r);
		if (read_records(r) && !r->out.error) {
			fprintf(stderr, "finwatch trace: reading events: %s\n",
				strerror(errno));
			return 1;
		}
		report_lost(r);
		update_read_rate(r);
		if (repair_due(r))
			emit_snapshot(r, true);
		else if (snapshot_due(r))
			emit_snapshot(r, false);
		tick_if_silent(r);
		fw_out_flush(&r->out);
		write_prom_if_due(r, false);
	}
	if (!r->out.error)
		emit_stop(r);
	write_prom_if_due(r, true);
	return write_status(r);
}

static void close_run(struct trace_run *r)
{
	fw_facts_cache_free(&r->facts);
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
	r->loss.can_repair = fw_programs_link(&t->progs, "fw_iter_tcp");
	t->on_netns = learn_netns_facts;
	t->on_netns_ctx = r;
	read_boot_id(r->boot_id, sizeof(r->boot_id));
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
		NULL
	};
	struct trace_opts opts = { .common.cfg.trace = true,
				   .tick_ns = FW_DEFAULT_TICK_NS,
				   .all_states = -1 };
	struct trace_run run = { .opts = &opts };
	int rc;

	argp_err_exit_status = FW_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, ARGP_NO_HELP, NULL, &opts))
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
