// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "finwatch.skel.h"
#include "ksyms.h"
#include "netns.h"
#include "owners.h"
#include "schema.h"
#include "tracer.h"
#include "util.h"

static bool libbpf_verbose;

/* libbpf speaks only under --verbose: its warnings about programs we
 * chose not to load are noise, and the verifier log is not an error
 * message (the caller prints one). */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (!libbpf_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void configure_ports(struct finwatch_bpf *skel,
			    const struct fw_config *c)
{
	for (int i = 0; i < c->nports; i++)
		skel->rodata->fw_port_bitmap[c->ports[i] >> 6] |=
			1ULL << (c->ports[i] & 63);
}

/* Where finwatch's own socket ids start in this run: a random offset of
 * up to 2^52, so that two runs' logs hardly ever share one. */
static __u64 own_sock_id_start(void)
{
	__u32 r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = getpid();
	return (__u64)(r & 0xfffff) << 32;
}

static void configure(struct fw_tracer *t, const struct fw_config *c)
{
	struct finwatch_bpf *s = t->skel;

	configure_ports(s, c);
	s->rodata->fw_filter_netns = c->nnetns > 0;
	s->rodata->fw_filter_pid = c->pid;
	s->rodata->fw_hz = fw_kernel_hz();
	if (!s->rodata->fw_hz)
		fprintf(stderr,
			"%s: warning: the kernel's HZ is unknown (no kernel "
			"config in /proc/config.gz or /boot): idle times and "
			"keepalive timings are left out\n",
			t->prog);
	s->bss->fw_next_sock_id = own_sock_id_start();
	s->rodata->fw_all_states = c->all_states;
	s->rodata->fw_tracing = c->trace;
	fw_transport_configure(s, t->transport, c->buffer_pages, c->trace);
}

static int fill_netns_filter(struct fw_tracer *t, const struct fw_config *c)
{
	int fd = bpf_map__fd(t->skel->maps.fw_netns_filter);
	__u8 one = 1;

	for (int i = 0; i < c->nnetns; i++)
		if (bpf_map_update_elem(fd, &c->netns[i], &one, BPF_ANY))
			return -1;
	return 0;
}

static int open_skeleton(struct fw_tracer *t, const struct fw_config *c)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = c->btf_path);

	t->skel = finwatch_bpf__open_opts(&opts);
	if (!t->skel) {
		fprintf(stderr, "%s: cannot open the BPF object: %s\n", t->prog,
			strerror(errno));
		return -1;
	}
	if (fw_programs_find(&t->progs, t->skel->obj, &t->feat, c->trace,
			     t->prog))
		return -1;
	configure(t, c);
	return 0;
}

/* A program can pass its probe and still be refused (fentry: see
 * can_fentry()); then the object loads without it, and the programs that
 * stand in for it have to do. */
static int load(struct fw_tracer *t, const struct fw_config *c)
{
	int err = finwatch_bpf__load(t->skel);

	if (err && fw_programs_drop_unsure(&t->feat, c->trace, t->prog)) {
		finwatch_bpf__destroy(t->skel);
		t->skel = NULL;
		if (open_skeleton(t, c))
			return -1;
		err = finwatch_bpf__load(t->skel);
	}
	if (err) {
		fprintf(stderr,
			"%s: the kernel refused the BPF programs: %s%s\n",
			t->prog, strerror(-err),
			c->verbose ? ""
				   : " (--verbose shows the verifier log)");
		return -1;
	}
	return 0;
}

/*
 * conntrack's own netfilter hook functions, which the drop program looks
 * for on a namespace's hook lists (bpf/drop.bpf.c). _stext tells whether
 * the addresses are readable at all (kptr_restrict hides them as 0).
 */
static const char *const ct_hook_syms[] = {
	[FW_CT_HOOK_IPV4_OUT] = "ipv4_conntrack_local",
	[FW_CT_HOOK_IPV4_IN] = "ipv4_conntrack_in",
	[FW_CT_HOOK_IPV6_OUT] = "ipv6_conntrack_local",
	[FW_CT_HOOK_IPV6_IN] = "ipv6_conntrack_in",
	[FW_CT_HOOK_MAX] = "_stext",
};

/* Writes what /proc/kallsyms says now into fw_ct_hooks. Returns whether
 * conntrack is known to be loaded. */
static bool load_ct_hooks(struct fw_tracer *t)
{
	uint64_t addrs[FW_CT_HOOK_MAX + 1];
	int fd = bpf_map__fd(t->skel->maps.fw_ct_hooks);
	bool readable, loaded = false;

	readable =
		fw_ksyms_lookup(ct_hook_syms, addrs, FW_CT_HOOK_MAX + 1) > 0 &&
		addrs[FW_CT_HOOK_MAX];
	t->ct_hooks_checked_ns = fw_now_monotonic_ns();
	for (__u32 i = 0; i < FW_CT_HOOK_MAX; i++) {
		__u64 v = !readable  ? 0
			  : addrs[i] ? addrs[i]
				     : FW_CT_HOOK_ABSENT;

		loaded |= v > FW_CT_HOOK_ABSENT;
		bpf_map_update_elem(fd, &i, &v, BPF_ANY);
	}
	t->ct_loaded = loaded;
	return loaded;
}

void fw_tracer_check_drop_ct(struct fw_tracer *t, struct fw_event *ev)
{
	/* How often the drop records of a busy host may read kallsyms. */
	const uint64_t min_interval_ns = 10000000000ULL;

	if (ev->type != FW_EV_DROP || (ev->drop_ct & FW_CT_ENTRY_MASK) ||
	    (ev->drop_ct & (FW_CT_HOOKED | FW_CT_HOOK_UNKNOWN)))
		return;
	/* With conntrack's hooks known, "not hooked" was looked up. */
	if (t->ct_loaded)
		return;
	/* "No hook" because conntrack was not loaded: still true? */
	if (fw_now_monotonic_ns() - t->ct_hooks_checked_ns < min_interval_ns ||
	    load_ct_hooks(t))
		ev->drop_ct |= FW_CT_HOOK_UNKNOWN;
}

int fw_tracer_open(struct fw_tracer *t, const struct fw_config *c,
		   const char *prog)
{
	memset(t, 0, sizeof(*t));
	t->prog = prog;
	t->nnetns = c->nnetns;
	t->trace = c->trace;
	memcpy(t->netns, c->netns, sizeof(t->netns));
	libbpf_verbose = c->verbose;
	libbpf_set_print(libbpf_print);
	if (fw_probe_features(c->btf_path, c->trace, &t->feat)) {
		fprintf(stderr, "%s: cannot read kernel BTF from %s\n", prog,
			c->btf_path ? c->btf_path : "/sys/kernel/btf/vmlinux");
		return -1;
	}
	if (fw_programs_check_features(&t->feat, c->trace, prog))
		return -1;
	t->transport = fw_transport_choose(c->transport,
					   t->feat.have[FW_FEAT_RINGBUF], prog);
	if (open_skeleton(t, c) || load(t, c))
		goto fail;
	if (fill_netns_filter(t, c)) {
		fprintf(stderr, "%s: cannot set the netns filter: %s\n", prog,
			strerror(errno));
		goto fail;
	}
	if (c->trace)
		load_ct_hooks(t);
	if (fw_programs_attach(&t->progs, prog))
		goto fail;
	if (c->verbose)
		for (int i = 0; i < t->progs.nattached; i++)
			fprintf(stderr, "%s: attached %s\n", prog,
				t->progs.attached[i]);
	return 0;
fail:
	fw_tracer_close(t);
	return -1;
}

/*
 * A read of an iterator. It answers EAGAIN when it visited a million
 * objects without writing one (finwatch filters hard, and a big host has
 * that many files or sockets): that is not the end, so read on.
 */
static ssize_t read_batch(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && (errno == EAGAIN || errno == EINTR));
	return n;
}

struct iter_walk {
	struct fw_tracer *t;
	fw_snapshot_fn fn;
	void *ctx;
	int count;
};

/* One iterator instance: the sockets of the current netns. The iterator
 * hands out whole records, as many as fit in the read. */
static int read_iterator(void *arg, uint32_t netns)
{
	static struct fw_sock_info batch[256];
	struct iter_walk *w = arg;
	ssize_t n;
	int fd;

	if (w->t->on_netns && w->t->on_netns(w->t->on_netns_ctx, netns))
		return -1;
	fd = bpf_iter_create(
		bpf_link__fd(fw_programs_link(&w->t->progs, "fw_iter_tcp")));
	if (fd < 0)
		return -1;
	while ((n = read_batch(fd, batch, sizeof(batch))) > 0) {
		for (size_t i = 0; i < n / sizeof(batch[0]); i++) {
			w->count++;
			if (w->fn && w->fn(w->ctx, &batch[i])) {
				close(fd);
				return -1;
			}
		}
	}
	close(fd);
	return n < 0 ? -1 : 0;
}

/* Without the task_file iterator, /proc has the owners (as for ss -p),
 * and the map gets them from here. */
static void load_owners_from_proc(struct fw_tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.fw_owners_by_inode);
	struct fw_owner_table owners = {};

	fw_owners_scan(&owners);
	for (size_t i = 0; i < owners.n; i++) {
		struct fw_owner o = { .pid = owners.v[i].pid };

		memcpy(o.comm, owners.v[i].comm, FW_COMM_LEN);
		bpf_map_update_elem(fd, &owners.v[i].inode, &o, BPF_NOEXIST);
	}
	fw_owners_free(&owners);
}

/*
 * Fills fw_owners_by_inode, from which the tcp iterator names the owners
 * of the sockets it lists: the task_file iterator writes it itself, where
 * it attached; reading it to the end is what runs it.
 */
static void load_owners(struct fw_tracer *t)
{
	struct bpf_link *link =
		fw_programs_link(&t->progs, "fw_iter_task_file");
	char buf[64];
	int fd;

	fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	if (fd < 0) {
		load_owners_from_proc(t);
		return;
	}
	while (read_batch(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

/* Inode numbers are reused: a pass's owners do not outlive it. Inode 0
 * is no socket's, so asking what follows it starts at the first key. */
static void clear_owners(struct fw_tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.fw_owners_by_inode);
	__u64 none = 0, key;

	while (!bpf_map_get_next_key(fd, &none, &key))
		bpf_map_delete_elem(fd, &key);
}

/* The tcp iterator shows only the sockets of the namespace it was
 * created in, so each namespace is entered in turn. */
int fw_tracer_snapshot(struct fw_tracer *t, fw_snapshot_fn fn, void *ctx)
{
	struct iter_walk w = { t, fn, ctx, 0 };
	int rc;

	if (!fw_programs_link(&t->progs, "fw_iter_tcp")) {
		errno = ENOTSUP;
		return -1;
	}
	load_owners(t);
	rc = fw_netns_foreach(t->netns, t->nnetns, read_iterator, &w);
	clear_owners(t);
	return rc ? -1 : w.count;
}

void fw_tracer_close(struct fw_tracer *t)
{
	fw_programs_detach(&t->progs);
	finwatch_bpf__destroy(t->skel);
	t->skel = NULL;
}
