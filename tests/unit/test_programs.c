// SPDX-License-Identifier: GPL-2.0
/* The table of BPF programs: complete, and the same as the BPF object. */
#include <stdlib.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "finwatch.skel.h"
#include "programs.h"

static struct fw_features all_features(bool have)
{
	struct fw_features f;

	for (int i = 0; i < FW_FEAT_COUNT; i++)
		f.have[i] = have;
	return f;
}

/* What @fn wrote to stderr, in @buf. */
static void capture_stderr(void (*fn)(void *), void *arg, char *buf, size_t len)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	fn(arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

static int count_lines(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_rows_are_complete(void)
{
	CHECK(fw_nprograms <= FW_MAX_PROGRAMS);
	for (int i = 0; i < fw_nprograms; i++) {
		const struct fw_program *p = &fw_programs[i];

		CHECK(p->name && p->attach);
		CHECK(p->feature >= 0 && p->feature < FW_FEAT_COUNT);
		/* Missing tracing programs are said; iterators are said by
		 * the snapshot that needs them. */
		if (p->use == FW_PROG_TRACE)
			CHECK(p->missing != NULL);
		/* An iterator runs from read(2): the kernel never skips it. */
		if (p->use == FW_PROG_ITER)
			CHECK(p->skipped == FW_SKIP_NOTHING && !p->required);
		for (int j = 0; j < i; j++) {
			CHECK(strcmp(p->name, fw_programs[j].name));
			CHECK(strcmp(p->attach, fw_programs[j].attach));
		}
	}
}

static void test_table_matches_object(void)
{
	struct finwatch_bpf *skel = finwatch_bpf__open();
	struct fw_features f = all_features(true);
	struct fw_program_set ps;

	CHECK(skel != NULL);
	if (!skel)
		return;
	CHECK_INT(fw_programs_find(&ps, skel->obj, &f, true, "test"), 0);
	for (int i = 0; i < fw_nprograms; i++)
		CHECK(bpf_program__autoload(ps.prog[i]));
	CHECK_INT(fw_programs_find(&ps, skel->obj, &f, false, "test"), 0);
	for (int i = 0; i < fw_nprograms; i++)
		CHECK_INT(bpf_program__autoload(ps.prog[i]),
			  fw_programs[i].use == FW_PROG_ITER);
	f.have[FW_FEAT_TP_KFREE_SKB_REASON] = false;
	CHECK_INT(fw_programs_find(&ps, skel->obj, &f, true, "test"), 0);
	CHECK(!bpf_program__autoload(
		bpf_object__find_program_by_name(skel->obj, "fw_kfree_skb")));
	finwatch_bpf__destroy(skel);
}

struct check_call {
	struct fw_features f;
	bool trace;
	int rc;
};

static void call_check(void *arg)
{
	struct check_call *c = arg;

	c->rc = fw_programs_check_features(&c->f, c->trace, "test");
}

static void test_missing_said_once(void)
{
	struct check_call c = { all_features(false), true, 0 };
	char err[4096];

	c.f.have[FW_FEAT_TP_INET_SOCK_SET_STATE] = true;
	capture_stderr(call_check, &c, err, sizeof(err));
	CHECK_INT(c.rc, 0);
	CHECK_INT(count_lines(err, "test: warning: "), 5);
	CHECK_INT(count_lines(err, "tcp_send_reset/tcp_receive_reset"), 1);
	/* A snapshot needs none of the tracing programs. */
	c.trace = false;
	capture_stderr(call_check, &c, err, sizeof(err));
	CHECK_INT(c.rc, 0);
	CHECK_STR(err, "");
}

static void test_required_missing_is_an_error(void)
{
	struct check_call c = { all_features(true), true, 0 };
	char err[4096];

	c.f.have[FW_FEAT_TP_INET_SOCK_SET_STATE] = false;
	capture_stderr(call_check, &c, err, sizeof(err));
	CHECK_INT(c.rc, -1);
	CHECK_STR(err, "test: this kernel has no sock:inet_sock_set_state "
		       "tracepoint (Linux 4.16+ needed)\n");
}

struct drop_call {
	struct fw_features f;
	bool dropped;
};

static void call_drop(void *arg)
{
	struct drop_call *d = arg;

	d->dropped = fw_programs_drop_unsure(&d->f, true, "test");
}

static void test_unsure_dropped_once(void)
{
	struct drop_call d = { all_features(true), false };
	char err[4096];

	capture_stderr(call_drop, &d, err, sizeof(err));
	CHECK(d.dropped);
	CHECK(!d.f.have[FW_FEAT_FENTRY_TCP_CLOSE]);
	CHECK_STR(err, "test: warning: fentry/tcp_close failed to load; "
		       "retrying without it\n");
	capture_stderr(call_drop, &d, err, sizeof(err));
	CHECK(!d.dropped);
}

int main(void)
{
	RUN_TEST(test_rows_are_complete);
	RUN_TEST(test_table_matches_object);
	RUN_TEST(test_missing_said_once);
	RUN_TEST(test_required_missing_is_an_error);
	RUN_TEST(test_unsure_dropped_once);
	return CHECK_EXIT();
}
