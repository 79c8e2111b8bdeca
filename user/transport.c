// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel-to-user transport: the BPF ring buffer or the perf buffer,
 * their sizes, when the kernel side wakes the reader, and reading them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>

#include "finwatch.h"
#include "finwatch.skel.h"
#include "percpu.h"
#include "transport.h"
#include "util.h"

/* The perf buffer gets as much memory in all as the ring buffer (4 MiB),
 * split over the CPUs: each CPU's part must absorb that CPU's bursts. */
#define FW_PERF_TOTAL_BYTES (4u << 20)
#define FW_PERF_MIN_PAGES   16
#define FW_PERF_MAX_PAGES   1024
/* The perf buffer wakes the reader once this many samples wait. */
#define FW_PERF_WAKEUP_EVENTS 64

struct fw_transport {
	struct ring_buffer *ring; /* one of the two */
	struct perf_buffer *perf;
	fw_record_fn fn;
	void *ctx;
	int counters_fd;
};

enum fw_transport_kind fw_transport_choose(enum fw_transport_kind want,
					   bool kernel_has_ring,
					   const char *prog)
{
	if (want == FW_TRANSPORT_PERF)
		return FW_TRANSPORT_PERF;
	if (want == FW_TRANSPORT_RING && !kernel_has_ring)
		fprintf(stderr,
			"%s: warning: this kernel has no BPF ring buffer; "
			"using the perf buffer\n",
			prog);
	return kernel_has_ring ? FW_TRANSPORT_RING : FW_TRANSPORT_PERF;
}

const char *fw_transport_name(enum fw_transport_kind kind)
{
	return kind == FW_TRANSPORT_RING ? "ring" : "perf";
}

int fw_transport_parse(const char *s, enum fw_transport_kind *kind)
{
	if (!strcmp(s, "auto"))
		*kind = FW_TRANSPORT_AUTO;
	else if (!strcmp(s, "perf"))
		*kind = FW_TRANSPORT_PERF;
	else if (!strcmp(s, "ring"))
		*kind = FW_TRANSPORT_RING;
	else
		return -1;
	return 0;
}

void fw_transport_configure(struct finwatch_bpf *skel,
			    enum fw_transport_kind kind, unsigned int pages,
			    bool reading)
{
	bool ring = kind == FW_TRANSPORT_RING;
	unsigned int bytes = pages * getpagesize();

	skel->rodata->fw_use_ringbuf = ring;
	/* The ring buffer not in use shrinks to nothing much. */
	if (!ring || !reading)
		bpf_map__set_max_entries(skel->maps.fw_ring, getpagesize());
	else if (pages)
		bpf_map__set_max_entries(skel->maps.fw_ring, bytes);
	/* Wake the reader early once a quarter of the ring is waiting. */
	if (pages && bytes / 4 < skel->rodata->fw_wakeup_bytes)
		skel->rodata->fw_wakeup_bytes = bytes / 4;
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

static int on_ring_record(void *ctx, void *data, size_t size)
{
	struct fw_transport *t = ctx;

	return t->fn(t->ctx, data, size);
}

static enum bpf_perf_event_ret on_perf_record(void *ctx, int cpu,
					      struct perf_event_header *h)
{
	struct fw_transport *t = ctx;
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
	if (t->fn(t->ctx, s->data, s->size))
		return LIBBPF_PERF_EVENT_ERROR;
	return LIBBPF_PERF_EVENT_CONT;
}

static struct perf_buffer *open_perf(struct finwatch_bpf *skel,
				     unsigned int pages, struct fw_transport *t)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW,
		.sample_period = 1,
		.wakeup_events = FW_PERF_WAKEUP_EVENTS,
	};

	return perf_buffer__new_raw(bpf_map__fd(skel->maps.fw_perf),
				    pages ? pages : default_perf_pages(), &attr,
				    on_perf_record, t, NULL);
}

struct fw_transport *fw_transport_open(struct finwatch_bpf *skel,
				       enum fw_transport_kind kind,
				       unsigned int pages, fw_record_fn fn,
				       void *ctx)
{
	struct fw_transport *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return NULL;
	t->fn = fn;
	t->ctx = ctx;
	t->counters_fd = bpf_map__fd(skel->maps.fw_counters);
	if (kind == FW_TRANSPORT_RING)
		t->ring = ring_buffer__new(bpf_map__fd(skel->maps.fw_ring),
					   on_ring_record, t, NULL);
	else
		t->perf = open_perf(skel, pages, t);
	if (t->ring || t->perf)
		return t;
	err = errno;
	free(t);
	errno = err;
	return NULL;
}

/* Everything there is gets read after the wait, whatever woke it. */
int fw_transport_read(struct fw_transport *t, uint64_t *read_ns)
{
	int err;

	if (t->ring) {
		err = ring_buffer__poll(t->ring, FW_TRANSPORT_POLL_MS);
		*read_ns = fw_now_monotonic_ns();
		if (err >= 0 || err == -EINTR)
			err = ring_buffer__consume(t->ring);
	} else {
		err = perf_buffer__poll(t->perf, FW_TRANSPORT_POLL_MS);
		*read_ns = fw_now_monotonic_ns();
		if (err >= 0 || err == -EINTR)
			err = perf_buffer__consume(t->perf);
	}
	if (err == -EINTR)
		err = 0;
	return err < 0 ? err : 0;
}

uint64_t fw_transport_lost(const struct fw_transport *t)
{
	return fw_percpu_sum(t->counters_fd, FW_CNT_LOST);
}

void fw_transport_free(struct fw_transport *t)
{
	if (!t)
		return;
	ring_buffer__free(t->ring);
	perf_buffer__free(t->perf);
	free(t);
}
