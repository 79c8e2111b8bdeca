// SPDX-License-Identifier: GPL-2.0
/*
 * finwatch trace: stream the lifecycle of every connection on the watched
 * ports as text or JSON Lines.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>

#include "caps.h"
#include "cli.h"
#include "cli_opts.h"
#include "finwatch.skel.h"
#include "output.h"
#include "tracer.h"
#include "util.h"

/* How long a record may wait in the buffer before the reader looks. */
#define FW_POLL_MS 100
/* Perf buffer: pages per CPU, and samples per wakeup. */
/* The perf buffer gets as much memory in all as the ring buffer (4 MiB),
 * split over the CPUs: each CPU's part must absorb that CPU's bursts. */
#define FW_PERF_TOTAL_BYTES   (4u << 20)
#define FW_PERF_MIN_PAGES     16
#define FW_PERF_MAX_PAGES     1024
#define FW_MAX_BUFFER_PAGES   (1u << 18)
#define FW_PERF_WAKEUP_EVENTS 64
/* How much older than the read a record must be to be written. */
#define FW_REORDER_SLACK_NS 1000000ULL

struct trace_opts {
	struct fw_config cfg;
	bool json;
	const char *out_path;
	const char *host;
	unsigned long long duration_ns;
	unsigned long long snapshot_every_ns;
};

struct pending_event {
	struct fw_event ev;
	uint64_t seq; /* arrival order, for records of the same ns */
};

struct trace_run {
	struct trace_opts *opts;
	struct fw_tracer tracer;
	struct fw_output out;
	struct ring_buffer *ring;
	struct perf_buffer *perf;
	uint64_t events;
	uint64_t lost_reported;
	uint64_t missed_reported;
	uint64_t lost_checked_ns;
	uint64_t snapshot_ns; /* when the last baseline was taken */
	unsigned int snap;    /* baselines taken */
	/* Records read but not written yet: the perf buffer is per CPU, so
	 * one socket's records can arrive out of order, and are put back
	 * in time order before they are written. */
	struct pending_event *pending;
	size_t npending, pending_cap;
	uint64_t seq;
	/* The first baseline, held until the start record is out. */
	struct fw_sock_info *baseline;
	size_t nbaseline, baseline_cap;
	char hostname[256];
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

enum {
	OPT_NETNS = 0x100,
	OPT_PID,
	OPT_TRANSPORT,
	OPT_HOST,
	OPT_BTF,
	OPT_VERBOSE,
	OPT_SNAPSHOT_EVERY,
	OPT_BUFFER_PAGES,
};

static const struct argp_option trace_options[] = {
	{"port", 'p', "PORT", 0,
	 "Watch this TCP port (repeatable; default 6379)", 0},
	{"netns", OPT_NETNS, "NETNS", 0,
	 "Only this network namespace: a path (/run/netns/NAME, "
	 "/proc/PID/ns/net) or an inode (repeatable)",
	 0},
	{"pid", OPT_PID, "PID", 0, "Only sockets owned by this process", 0},
	{"json", 'j', NULL, 0, "Write JSON Lines (docs/SCHEMA.md)", 0},
	{"output", 'o', "FILE", 0, "Append to FILE instead of stdout", 0},
	{"duration", 'd', "DURATION", 0,
	 "Stop after DURATION (seconds, or with ms/s/m/h/d)", 0},
	{"transport", OPT_TRANSPORT, "auto|perf|ring", 0,
	 "Kernel-to-user transport (default auto: ring buffer where the kernel "
	 "has it)",
	 0},
	{"host", OPT_HOST, "NAME", 0,
	 "Host name recorded in each record (default: hostname)", 0},
	{"btf", OPT_BTF, "FILE", 0,
	 "Kernel BTF to use instead of /sys/kernel/btf/vmlinux", 0},
	{"verbose", OPT_VERBOSE, NULL, 0,
	 "List the active attach points; show libbpf's messages", 0},
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

static error_t parse_trace_opt(int key, char *arg, struct argp_state *state)
{
	struct trace_opts *o = state->input;

	switch (key) {
	case 'p':
		fw_cli_add_port(&o->cfg, arg, state);
		return 0;
	case OPT_NETNS:
		fw_cli_add_netns(&o->cfg, arg, state);
		return 0;
	case OPT_PID:
		if (fw_parse_pid(arg, &o->cfg.pid))
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
		if (!strcmp(arg, "auto"))
			o->cfg.transport = FW_TRANSPORT_AUTO;
		else if (!strcmp(arg, "perf"))
			o->cfg.transport = FW_TRANSPORT_PERF;
		else if (!strcmp(arg, "ring"))
			o->cfg.transport = FW_TRANSPORT_RING;
		else
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--transport %s: want auto, perf or ring",
				     arg);
		return 0;
	case OPT_HOST:
		if (!*arg || strlen(arg) > 255)
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--host: want a name of 1 to 255 bytes");
		o->host = arg;
		return 0;
	case OPT_BTF:
		fw_cli_set_btf(&o->cfg, arg, state);
		return 0;
	case OPT_VERBOSE:
		o->cfg.verbose = true;
		return 0;
	case OPT_BUFFER_PAGES: {
		char *end;
		unsigned long v = strtoul(arg, &end, 10);

		if (!*arg || *end || !v || v > FW_MAX_BUFFER_PAGES ||
		    (v & (v - 1)))
			argp_failure(state, FW_EXIT_USAGE, 0,
				     "--buffer-pages %s: want a power of two "
				     "from 1 to %u",
				     arg, FW_MAX_BUFFER_PAGES);
		o->cfg.buffer_pages = v;
		return 0;
	}
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
	case ARGP_KEY_END:
		fw_cli_finish_config(&o->cfg);
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

/* -o never follows a symlink planted at its path, and keeps what is
 * there: several tracers may append to one log. */
static int open_output(const char *path)
{
	if (!path)
		return STDOUT_FILENO;
	return open(path,
		    O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
		    0640);
}

static int reopen_output(struct trace_run *r)
{
	int fd;

	if (!r->opts->out_path)
		return 0; /* stdout is not ours to reopen */
	fd = open_output(r->opts->out_path);
	if (fd < 0)
		return -1;
	close(r->out.fd);
	r->out.fd = fd;
	return 0;
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t cap2 = *cap ? *cap : 64;
	void *v2;

	if (need <= *cap)
		return 0;
	while (cap2 < need)
		cap2 *= 2;
	v2 = realloc(*v, cap2 * size);
	if (!v2)
		return -1;
	*v = v2;
	*cap = cap2;
	return 0;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct trace_run *r = ctx;
	struct pending_event *p;

	if (size < sizeof(struct fw_event))
		return 0;
	if (grow((void **)&r->pending, &r->pending_cap, r->npending + 1,
		 sizeof(*r->pending)))
		return -1;
	p = &r->pending[r->npending++];
	memcpy(&p->ev, data, sizeof(p->ev));
	p->seq = r->seq++;
	r->events++;
	return 0;
}

static int cmp_pending(const void *a, const void *b)
{
	const struct pending_event *x = a, *y = b;

	if (x->ev.ts_ns != y->ev.ts_ns)
		return x->ev.ts_ns < y->ev.ts_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Writes, in time order, the records stamped before @before. A record
 * stamped earlier than that has reached its buffer by the time the
 * buffers were read (a BPF program runs without preemption: stamping and
 * writing are microseconds apart), so nothing older can come later.
 */
static void write_pending(struct trace_run *r, uint64_t before)
{
	size_t n = 0;

	qsort(r->pending, r->npending, sizeof(*r->pending), cmp_pending);
	while (n < r->npending && r->pending[n].ev.ts_ns < before &&
	       !fw_out_event(&r->out, &r->pending[n].ev))
		n++;
	memmove(r->pending, r->pending + n,
		(r->npending - n) * sizeof(*r->pending));
	r->npending -= n;
}

static enum bpf_perf_event_ret handle_perf_record(void *ctx, int cpu,
						  struct perf_event_header *h)
{
	struct sample {
		struct perf_event_header header;
		__u32 size;
		char data[];
	} *s = (void *)h;

	(void)cpu;
	/* Lost samples are counted in the kernel program itself (the
	 * output helper fails), the same way for both transports. */
	if (h->type != PERF_RECORD_SAMPLE)
		return LIBBPF_PERF_EVENT_CONT;
	if (handle_event(ctx, s->data, s->size))
		return LIBBPF_PERF_EVENT_ERROR;
	return LIBBPF_PERF_EVENT_CONT;
}

static unsigned int default_perf_pages(void)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned int want, pages = FW_PERF_MIN_PAGES;

	want = FW_PERF_TOTAL_BYTES / getpagesize() / (ncpu > 0 ? ncpu : 1);
	while (pages * 2 <= want && pages * 2 <= FW_PERF_MAX_PAGES)
		pages *= 2;
	return pages;
}

static int open_transport(struct trace_run *r)
{
	struct finwatch_bpf *s = r->tracer.skel;
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW,
		.sample_period = 1,
		.wakeup_events = FW_PERF_WAKEUP_EVENTS,
	};

	if (r->tracer.use_ring) {
		r->ring = ring_buffer__new(bpf_map__fd(s->maps.fw_ring),
					   handle_event, r, NULL);
		return r->ring ? 0 : -1;
	}
	r->perf = perf_buffer__new_raw(bpf_map__fd(s->maps.fw_perf),
				       r->opts->cfg.buffer_pages
					       ? r->opts->cfg.buffer_pages
					       : default_perf_pages(),
				       &attr, handle_perf_record, r, NULL);
	return r->perf ? 0 : -1;
}

/* Records wait in the buffer for at most FW_POLL_MS (the kernel side
 * does not wake us per record); then everything there is read. */
static int poll_transport(struct trace_run *r)
{
	uint64_t round_start;
	int err;

	if (r->ring) {
		err = ring_buffer__poll(r->ring, FW_POLL_MS);
		round_start = fw_now_monotonic_ns();
		if (err >= 0 || err == -EINTR)
			err = ring_buffer__consume(r->ring);
	} else {
		err = perf_buffer__poll(r->perf, FW_POLL_MS);
		round_start = fw_now_monotonic_ns();
		if (err >= 0 || err == -EINTR)
			err = perf_buffer__consume(r->perf);
	}
	write_pending(r, round_start - FW_REORDER_SLACK_NS);
	if (err == -EINTR)
		err = 0;
	return err < 0 ? err : 0;
}

static const char *transport_name(const struct trace_run *r)
{
	return r->tracer.use_ring ? "ring" : "perf";
}

static void report_loss(struct trace_run *r, uint64_t total, uint64_t *reported,
			const char *reason, uint64_t now)
{
	uint64_t n = total - *reported;

	if (total <= *reported)
		return;
	fprintf(stderr, "finwatch trace: lost %llu records (%s, %s)\n",
		(unsigned long long)n, transport_name(r), reason);
	fw_out_lost(&r->out, n, r->lost_checked_ns, now, transport_name(r),
		    reason);
	*reported = total;
}

/* Both ways records go missing are counted in the kernel; each increase
 * becomes a "lost" record covering the time since the last check. */
static void report_lost(struct trace_run *r)
{
	uint64_t now = fw_now_monotonic_ns();

	report_loss(r, fw_tracer_counter(&r->tracer, FW_CNT_LOST),
		    &r->lost_reported, "buffer_full", now);
	report_loss(r, fw_programs_missed_runs(&r->tracer.progs),
		    &r->missed_reported, "recursion", now);
	r->lost_checked_ns = now;
}

static int emit_snapshot_record(void *ctx, const struct fw_sock_info *si)
{
	struct trace_run *r = ctx;

	return fw_out_snapshot(&r->out, si, r->snap, "iter");
}

static int hold_baseline_record(void *ctx, const struct fw_sock_info *si)
{
	struct trace_run *r = ctx;

	if (grow((void **)&r->baseline, &r->baseline_cap, r->nbaseline + 1,
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

static void emit_snapshot(struct trace_run *r)
{
	int n = take_snapshot(r, emit_snapshot_record);

	if (n >= 0)
		fw_out_snapshot_end(&r->out, r->snap, n, r->opts->cfg.netns,
				    r->opts->cfg.nnetns, fw_now_monotonic_ns());
}

/*
 * The first baseline is taken before the start record goes out, since it
 * also tells the kernel side who owns the listeners and the sockets open
 * now: whoever waits for the start record to connect gets named owners.
 */
static void emit_start(struct trace_run *r)
{
	struct fw_config *c = &r->opts->cfg;
	int n = take_snapshot(r, hold_baseline_record);

	fw_out_start(&r->out, c->ports, c->nports, c->netns, c->nnetns,
		     transport_name(r), r->tracer.progs.attached,
		     r->tracer.progs.nattached);
	for (size_t i = 0; i < r->nbaseline; i++)
		emit_snapshot_record(r, &r->baseline[i]);
	if (n >= 0)
		fw_out_snapshot_end(&r->out, r->snap, n, r->opts->cfg.netns,
				    r->opts->cfg.nnetns, fw_now_monotonic_ns());
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

static int run_loop(struct trace_run *r)
{
	uint64_t start = fw_now_monotonic_ns();

	r->lost_checked_ns = start;
	emit_start(r);
	fw_out_flush(&r->out);
	while (!stop_requested && !r->out.error && !duration_over(r, start)) {
		if (reopen_requested) {
			reopen_requested = 0;
			fw_out_flush(&r->out);
			if (reopen_output(r))
				fprintf(stderr,
					"finwatch trace: cannot reopen %s: "
					"%s\n",
					r->opts->out_path, strerror(errno));
		}
		if (poll_transport(r) && !r->out.error) {
			fprintf(stderr, "finwatch trace: reading events: %s\n",
				strerror(errno));
			return 1;
		}
		report_lost(r);
		if (snapshot_due(r))
			emit_snapshot(r);
		fw_out_flush(&r->out);
	}
	if (!r->out.error) {
		poll_transport(r);
		write_pending(r, UINT64_MAX);
		report_lost(r);
		fw_out_stop(&r->out, r->events, r->lost_reported,
			    r->missed_reported);
		fw_out_flush(&r->out);
	}
	/* A reader that went away is the end of the run, not an error. */
	if (r->out.error == EPIPE)
		return 0;
	if (r->out.error) {
		fprintf(stderr, "finwatch trace: writing %s: %s\n",
			r->opts->out_path ? r->opts->out_path : "stdout",
			strerror(r->out.error));
		return 1;
	}
	return 0;
}

static void close_run(struct trace_run *r)
{
	free(r->pending);
	ring_buffer__free(r->ring);
	perf_buffer__free(r->perf);
	fw_tracer_close(&r->tracer);
	if (r->out.fd > STDOUT_FILENO)
		close(r->out.fd);
}

static int check_environment(const struct trace_opts *o)
{
	if (fw_check_tracing_caps("finwatch trace"))
		return -1;
	if (!o->cfg.btf_path && access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr,
			"finwatch trace: no kernel BTF at "
			"/sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF); give "
			"one with --btf FILE\n");
		return -1;
	}
	return 0;
}

int trace_main(int argc, char **argv)
{
	static char out_hold[1 << 16];
	struct argp argp = {
		trace_options,
		parse_trace_opt,
		NULL,
		"Trace TCP connection lifecycles on the watched ports.",
		NULL,
		NULL,
		NULL};
	struct trace_opts opts = {.cfg.trace = true};
	struct trace_run run = {.opts = &opts};
	int rc;

	argp_err_exit_status = FW_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, &opts))
		return FW_EXIT_USAGE;
	if (check_environment(&opts))
		return FW_EXIT_USAGE;
	run.out.fd = open_output(opts.out_path);
	if (run.out.fd < 0) {
		fprintf(stderr, "finwatch trace: cannot open %s: %s\n",
			opts.out_path, strerror(errno));
		return FW_EXIT_USAGE;
	}
	if (!opts.host && gethostname(run.hostname, sizeof(run.hostname) - 1))
		strcpy(run.hostname, "unknown");
	run.out.host = opts.host ? opts.host : run.hostname;
	run.out.json = opts.json;
	run.out.clock_offset_ns = fw_monotonic_to_realtime_offset();
	/* The records of one read of the buffers go out in one write, whole
	 * lines only, at most FW_POLL_MS after they happened. */
	run.out.hold = out_hold;
	run.out.hold_size = sizeof(out_hold);
	install_signals();
	if (fw_tracer_open(&run.tracer, &opts.cfg, "finwatch trace")) {
		close_run(&run);
		return 1;
	}
	if (open_transport(&run)) {
		fprintf(stderr,
			"finwatch trace: cannot open the %s buffer: %s\n",
			transport_name(&run), strerror(errno));
		close_run(&run);
		return 1;
	}
	rc = run_loop(&run);
	close_run(&run);
	return rc;
}
