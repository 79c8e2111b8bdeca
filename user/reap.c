// SPDX-License-Identifier: GPL-2.0
/*
 * finwatch reap: correlates the logs, then destroys exactly the server
 * sockets of this host that they prove to be ghosts (docs/REAP.md). Each
 * is checked against the kernel just before: the tcp iterator for its
 * ISNs and cookie, sock_diag for its state, cookie and receive times,
 * in its own network namespace; SOCK_DESTROY then aborts it, as `ss -K`
 * does. Whatever does not match exactly is left alone, with the reason.
 */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caps.h"
#include "cli.h"
#include "cli_help.h"
#include "cli_opts.h"
#include "netns.h"
#include "reap.h"
#include "schema.h"
#include "tracer.h"
#include "util.h"

#define PROG		  "finwatch reap"
#define DEFAULT_MARGIN_NS 1000000000ULL
/* 0: nothing left alone; 1: some ghosts left alone; 2: FW_EXIT_USAGE. */
#define EXIT_LEFT_ALONE 1

enum {
	OPT_DRY_RUN = 'n',
	OPT_SKEW = 0x100,
	OPT_MARGIN,
};

struct reap {
	struct fw_cli_common common;
	bool dry_run;
	uint64_t skew_ns, margin_ns;
	char **files;
	size_t nfiles;
	const char *host; /* this host, as its log names it */
	char hostbuf[256];
	struct reap_cand *cand;
	size_t ncand, capcand;
	uint32_t *slots; /* (netns, sock) -> index + 1; 0: free */
	size_t nslots;
	bool oom;
	uint64_t elsewhere; /* ghosts of other hosts' servers */
	unsigned int count[REAP_LEFT + 1];
	int fatal; /* an errno that stops all destroying */
};

static const struct argp_option reap_options[] = {
	{ "dry-run", OPT_DRY_RUN, NULL, 0,
	  "Check every ghost against the kernel, destroy none: list what "
	  "would be",
	  0 },
	{ "skew", OPT_SKEW, "DURATION", 0,
	  "Largest clock difference between hosts (default 2s)", 0 },
	{ "margin", OPT_MARGIN, "DURATION", 0,
	  "A socket must have received nothing for this long before its "
	  "peer was gone (default 1s)",
	  0 },
	{},
};

static const struct argp_child reap_children[] = {
	{ &fw_cli_common_argp, 0, NULL, 0 },
	{ &fw_cli_help_argp, 0, NULL, -1 },
	{},
};

static void parse_duration(struct argp_state *state, const char *opt,
			   const char *arg, uint64_t *ns)
{
	unsigned long long v;

	if (fw_parse_duration_ns(arg, &v))
		argp_failure(state, FW_EXIT_USAGE, 0,
			     "%s %s: want a duration like 500ms, 2s, 5m", opt,
			     arg);
	*ns = v;
}

static error_t parse_reap_opt(int key, char *arg, struct argp_state *state)
{
	struct reap *r = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &r->common;
		return 0;
	case OPT_DRY_RUN:
		r->dry_run = true;
		return 0;
	case OPT_SKEW:
		parse_duration(state, "--skew", arg, &r->skew_ns);
		return 0;
	case OPT_MARGIN:
		parse_duration(state, "--margin", arg, &r->margin_ns);
		return 0;
	case ARGP_KEY_ARGS:
		r->files = state->argv + state->next;
		r->nfiles = (size_t)(state->argc - state->next);
		return 0;
	case ARGP_KEY_NO_ARGS:
		argp_failure(state, FW_EXIT_USAGE, 0,
			     "no LOG to read (use - for stdin)");
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

/* ---- the ghosts the logs prove ---- */

static size_t slot_of(const struct reap *r, uint64_t netns, uint64_t sock)
{
	uint64_t h = (netns * 0x9e3779b97f4a7c15ULL) ^ sock;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (size_t)(h ^ (h >> 32)) & (r->nslots - 1);
}

static struct reap_cand *cand_find(const struct reap *r, uint64_t netns,
				   uint64_t sock)
{
	if (!r->nslots)
		return NULL;
	for (size_t i = slot_of(r, netns, sock); r->slots[i];
	     i = (i + 1) & (r->nslots - 1)) {
		struct reap_cand *c = &r->cand[r->slots[i] - 1];

		if (c->netns == netns && c->sock == sock)
			return c;
	}
	return NULL;
}

static void slot_put(struct reap *r, size_t idx)
{
	const struct reap_cand *c = &r->cand[idx];
	size_t i = slot_of(r, c->netns, c->sock);

	while (r->slots[i])
		i = (i + 1) & (r->nslots - 1);
	r->slots[i] = (uint32_t)idx + 1;
}

/* Keeps the table at most half full. Returns 0, or -1 out of memory. */
static int slots_grow(struct reap *r)
{
	size_t n = r->nslots ? r->nslots * 2 : 64;
	uint32_t *s;

	if (r->ncand * 2 < r->nslots)
		return 0;
	s = calloc(n, sizeof(*s));
	if (!s)
		return -1;
	free(r->slots);
	r->slots = s;
	r->nslots = n;
	for (size_t i = 0; i < r->ncand; i++)
		slot_put(r, i);
	return 0;
}

/* A new candidate, known by its socket, in the table. */
static struct reap_cand *cand_add(struct reap *r, uint64_t netns, uint64_t sock)
{
	struct reap_cand *c;

	if (r->ncand >= UINT32_MAX - 1 ||
	    fw_grow((void **)&r->cand, &r->capcand, r->ncand + 1,
		    sizeof(*r->cand)) ||
	    slots_grow(r))
		return NULL;
	c = &r->cand[r->ncand++];
	memset(c, 0, sizeof(*c));
	c->netns = netns;
	c->sock = sock;
	slot_put(r, r->ncand - 1);
	return c;
}

/*
 * A finding about a server socket of this host: a ghost becomes a
 * candidate; a later finding about the same socket replaces it.
 */
static void on_finding(const struct fw_finding *f, void *ctx)
{
	struct reap *r = ctx;
	bool ghost = reap_finding_is_ghost(f);
	const struct fw_finding_end *s = &f->server;
	struct reap_cand *c;

	if (!s->present || !s->host || strcmp(s->host, r->host)) {
		r->elsewhere += ghost;
		return;
	}
	c = cand_find(r, s->netns, s->sock);
	if (!c && !ghost)
		return;
	if (!c && !(c = cand_add(r, s->netns, s->sock))) {
		r->oom = true;
		return;
	}
	reap_cand_fill(c, f);
}

/* ---- what was done, in words ---- */

static const char *const outcome_words[] = {
	[REAP_DESTROYED] = "destroyed",
	[REAP_WOULD] = "would destroy",
	[REAP_GONE] = "gone",
	[REAP_LEFT] = "left alone",
};

static void settle(struct reap *r, struct reap_cand *c, enum reap_outcome how)
{
	char server[FW_ENDPOINT_STRLEN], peer[FW_ENDPOINT_STRLEN];

	c->outcome = how;
	r->count[how]++;
	fw_format_endpoint(server, sizeof(server), c->family, c->laddr,
			   c->lport);
	fw_format_endpoint(peer, sizeof(peer), c->family, c->raddr, c->rport);
	printf("%-13s %s <- %s netns %llu sock %llu: %s%s%s, %s\n",
	       outcome_words[how], server, peer, (unsigned long long)c->netns,
	       (unsigned long long)c->sock, fw_verdict_name(c->verdict),
	       *c->client_host ? " from " : "", c->client_host, c->why);
}

static void leave(struct reap *r, struct reap_cand *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void leave(struct reap *r, struct reap_cand *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	settle(r, c, REAP_LEFT);
}

static bool port_watched(const struct fw_config *cfg, uint16_t port)
{
	for (int i = 0; i < cfg->nports; i++)
		if (cfg->ports[i] == port)
			return true;
	return false;
}

static bool netns_wanted(const struct fw_config *cfg, uint64_t netns)
{
	if (!cfg->nnetns)
		return true;
	for (int i = 0; i < cfg->nnetns; i++)
		if (cfg->netns[i] == netns)
			return true;
	return false;
}

/* What the logs alone rule out, before the kernel is asked. */
static void scope_cand(struct reap *r, struct reap_cand *c)
{
	const struct fw_config *cfg = &r->common.cfg;
	char why[FW_REAP_WHY_MAX];

	if (c->not_ghost)
		leave(r, c, "but %s", c->not_ghost);
	else if (c->family != 4 && c->family != 6)
		leave(r, c, "but the log has no addresses for it");
	else if (!port_watched(cfg, c->lport))
		leave(r, c, "but its port %u is not watched (--port)",
		      c->lport);
	else if (c->netns > UINT32_MAX || !netns_wanted(cfg, c->netns))
		leave(r, c, "but its namespace is not a --netns");
	else if (c->peer_gone_ns == FW_UNKNOWN)
		leave(r, c,
		      "but the logs date no moment by which its peer was "
		      "gone");
	else if (!reap_peer_let_go(c, why, sizeof(why)))
		leave(r, c, "but %s", why);
}

/* ---- the kernel's view ---- */

static bool same_tuple(const struct reap_cand *c, const struct fw_event *ev)
{
	size_t len = c->family == 6 ? 16 : 4;

	return ev->family == c->family && ev->lport == c->lport &&
	       ev->rport == c->rport && !memcmp(ev->laddr, c->laddr, len) &&
	       !memcmp(ev->raddr, c->raddr, len);
}

/* The candidates of one namespace are next to each other (sorted). */
static struct reap_cand *first_in_netns(struct reap *r, uint64_t netns,
					size_t *n)
{
	size_t lo = 0, hi = r->ncand;

	*n = 0;
	if (!r->ncand)
		return r->cand;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->cand[mid].netns < netns)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + *n < r->ncand && r->cand[lo + *n].netns == netns)
		(*n)++;
	return &r->cand[lo];
}

/* One socket the tcp iterator listed: the candidates of its 4-tuple. */
static int on_iter_sock(void *ctx, const struct fw_sock_info *si)
{
	struct reap *r = ctx;
	const struct fw_event *ev = &si->ev;
	size_t n;
	struct reap_cand *c = first_in_netns(r, ev->netns, &n);

	for (size_t i = 0; i < n; i++) {
		struct reap_iter_view *it = &c[i].it;

		if (c[i].outcome != REAP_PENDING || !same_tuple(&c[i], ev))
			continue;
		/* a time-wait namesake does not hide the connection */
		if (it->seen && it->state == FW_TCP_ESTABLISHED)
			continue;
		it->seen = true;
		it->state = ev->newstate;
		it->isn_known = ev->flags & FW_F_ISN_KNOWN;
		it->isn_local = ev->isn_local;
		it->isn_remote = ev->isn_remote;
		it->sock_id = ev->sock_id;
	}
	return 0;
}

/* The namespaces of the candidates still pending, once each. */
static int pending_netns(const struct reap *r, uint32_t *ns, int max)
{
	int n = 0;

	for (size_t i = 0; i < r->ncand; i++) {
		const struct reap_cand *c = &r->cand[i];

		if (c->outcome != REAP_PENDING ||
		    (n && ns[n - 1] == (uint32_t)c->netns))
			continue;
		if (n == max)
			return -1;
		ns[n++] = (uint32_t)c->netns;
	}
	return n;
}

/*
 * The ISNs and cookies of the candidates' sockets, from the tcp
 * iterator. Returns 0, or -1 after one line (nothing was touched).
 */
static int read_iterator(struct reap *r, const uint32_t *ns, int nns)
{
	struct fw_config cfg = r->common.cfg;
	struct fw_tracer t;
	int n;

	cfg.trace = false;
	cfg.nnetns = nns;
	memcpy(cfg.netns, ns, (size_t)nns * sizeof(*ns));
	if (fw_tracer_open(&t, &cfg, PROG))
		return -1;
	if (!t.feat.have[FW_FEAT_ITER_TCP]) {
		fw_tracer_close(&t);
		fprintf(stderr,
			"%s: no tcp iterator on this kernel (Linux 5.9+ with "
			"BTF): the sockets' ISNs cannot be checked; nothing "
			"was touched\n",
			PROG);
		return -1;
	}
	n = fw_tracer_snapshot(&t, on_iter_sock, r);
	fw_tracer_close(&t);
	if (n < 0) {
		fprintf(stderr,
			"%s: walking the sockets: %s; nothing was touched\n",
			PROG, strerror(errno));
		return -1;
	}
	return 0;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* SOCK_DESTROY failed in a way that no other socket would escape. */
static void note_fatal(struct reap *r, int err)
{
	r->fatal = err;
	if (err == EOPNOTSUPP)
		fprintf(stderr,
			"%s: this kernel cannot destroy sockets (SOCK_DESTROY: "
			"%s; it needs CONFIG_INET_DIAG_DESTROY)\n",
			PROG, strerror(err));
	else
		fprintf(stderr, "%s: SOCK_DESTROY: %s%s\n", PROG, strerror(err),
			err == EPERM ? " (it needs CAP_NET_ADMIN in the "
				       "namespace's user namespace)"
				     : "");
}

static void destroy(struct reap *r, struct reap_cand *c,
		    const struct fw_diag_sock *d)
{
	int err = -fw_diag_destroy(d);

	if (!err) {
		settle(r, c, REAP_DESTROYED);
	} else if (err == ENOENT) {
		snprintf(c->why, sizeof(c->why),
			 "it went away just before SOCK_DESTROY");
		settle(r, c, REAP_GONE);
	} else {
		leave(r, c, "but SOCK_DESTROY failed: %s", strerror(err));
		if (err == EOPNOTSUPP || err == EPERM)
			note_fatal(r, err);
	}
}

/* The last look at one candidate, in its namespace, and the act. */
static void reap_one(struct reap *r, struct reap_cand *c)
{
	struct fw_diag_sock d;
	char why[FW_REAP_WHY_MAX];
	int err;

	if (r->fatal) {
		leave(r, c, "not tried: SOCK_DESTROY failed (%s)",
		      strerror(r->fatal));
		return;
	}
	err = -fw_diag_find(c->family, c->laddr, c->lport, c->raddr, c->rport,
			    &d);
	if (err == ENOENT) {
		snprintf(c->why, sizeof(c->why),
			 "this host has no such connection any more");
		settle(r, c, REAP_GONE);
		return;
	}
	if (err) {
		leave(r, c, "but sock_diag cannot look it up: %s",
		      strerror(err));
		return;
	}
	if (!reap_recheck(c, &d, wall_ns(), r->margin_ns, why, sizeof(why))) {
		leave(r, c, "but %s", why);
		return;
	}
	snprintf(c->why, sizeof(c->why), "%s", why);
	if (r->dry_run)
		settle(r, c, REAP_WOULD);
	else
		destroy(r, c, &d);
}

static int reap_netns(void *ctx, uint32_t netns)
{
	struct reap *r = ctx;
	size_t n;
	struct reap_cand *c = first_in_netns(r, netns, &n);

	for (size_t i = 0; i < n; i++)
		if (c[i].outcome == REAP_PENDING)
			reap_one(r, &c[i]);
	return 0;
}

/* Checks and destroys the candidates still pending. */
static int reap_all(struct reap *r)
{
	uint32_t ns[FW_MAX_NETNS];
	int nns = pending_netns(r, ns, FW_MAX_NETNS);

	if (nns < 0) {
		fprintf(stderr,
			"%s: the ghosts are in more than %d namespaces: give "
			"--netns; nothing was touched\n",
			PROG, FW_MAX_NETNS);
		return -1;
	}
	if (!nns)
		return 0;
	if (read_iterator(r, ns, nns))
		return -1;
	if (fw_netns_foreach(ns, nns, reap_netns, r))
		fprintf(stderr, "%s: could not return to its own namespace\n",
			PROG);
	for (size_t i = 0; i < r->ncand; i++)
		if (r->cand[i].outcome == REAP_PENDING)
			leave(r, &r->cand[i],
			      "but its namespace was not entered (none with "
			      "that inode here now, or no CAP_SYS_ADMIN)");
	return 0;
}

/* ---- the command ---- */

static void print_summary(const struct reap *r)
{
	printf("%s on %s: %u %s, %u gone already, %u left alone, of %zu "
	       "ghost%s in the logs",
	       PROG, r->host,
	       r->dry_run ? r->count[REAP_WOULD] : r->count[REAP_DESTROYED],
	       r->dry_run ? "would be destroyed (--dry-run)" : "destroyed",
	       r->count[REAP_GONE], r->count[REAP_LEFT], r->ncand,
	       r->ncand == 1 ? "" : "s");
	if (r->elsewhere)
		printf(" (and %llu of other hosts' servers%s)",
		       (unsigned long long)r->elsewhere,
		       r->ncand ? ""
				: ": --host names this host as its log does");
	printf("\n");
}

static int run(struct reap *r)
{
	struct fw_corr_opts opts = { .skew_ns = r->skew_ns,
				     .close_wait_ns =
					     FW_DEFAULT_CLOSE_WAIT_NS };
	int rc;

	rc = fw_corr_read_files(&opts, r->files, r->nfiles, on_finding, r,
				PROG);
	if (rc) {
		fprintf(stderr, "%s: nothing was touched\n", PROG);
		return rc;
	}
	if (r->oom) {
		fprintf(stderr, "%s: out of memory; nothing was touched\n",
			PROG);
		return FW_EXIT_USAGE;
	}
	qsort(r->cand, r->ncand, sizeof(*r->cand), reap_cand_cmp);
	for (size_t i = 0; i < r->ncand; i++)
		scope_cand(r, &r->cand[i]);
	if (reap_all(r))
		return FW_EXIT_USAGE;
	print_summary(r);
	if (r->fatal)
		return FW_EXIT_USAGE;
	return r->count[REAP_LEFT] ? EXIT_LEFT_ALONE : 0;
}

int reap_main(int argc, char **argv)
{
	struct argp argp = {
		reap_options,
		parse_reap_opt,
		"LOG...",
		"Destroy the server sockets of this host that the logs prove "
		"to be ghosts (lost_fin, peer_vanished; still ESTABLISHED), "
		"each checked against the kernel just before.\v"
		"LOGs are `finwatch trace --json` logs of this host and of "
		"its clients (plain, .gz, - for stdin). --host names this "
		"host as its log does (default: the hostname). Exit status: "
		"0 nothing left alone (every ghost destroyed, or with "
		"--dry-run would be, or gone already), 1 some left alone, 2 "
		"bad usage, an unreadable log, missing privileges or a kernel "
		"that cannot, 3 logs that cannot be used. See docs/REAP.md.",
		reap_children,
		NULL,
		NULL
	};
	struct reap r = { .skew_ns = FW_DEFAULT_SKEW_NS,
			  .margin_ns = DEFAULT_MARGIN_NS };
	int rc;

	argp_err_exit_status = FW_EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, ARGP_NO_HELP, NULL, &r))
		return FW_EXIT_USAGE;
	if (fw_check_tracing_caps(PROG) ||
	    (!r.dry_run && fw_check_net_admin(PROG, "SOCK_DESTROY")))
		return FW_EXIT_USAGE;
	r.host = fw_cli_host(&r.common, r.hostbuf, sizeof(r.hostbuf));
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = run(&r);
	free(r.cand);
	free(r.slots);
	return rc;
}
