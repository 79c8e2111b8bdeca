// SPDX-License-Identifier: GPL-2.0
/*
 * The correlator's input side: durations, the JSON tokenizer, record
 * validation, the line reader (plain, gzip, truncated, over-long lines)
 * and the CLI's handling of bad input and exit codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "correlate/correlate.h"
#include "correlate/engine.h"
#include "correlate/input.h"
#include "correlate/json.h"
#include "correlate/record.h"
#include "duration.h"
#include "run_cli.h"
#include "schema.h"

/*
 * Only what tests/unit/test_util.c's test_durations does not cover:
 * fractions, zero, a unit alone or apart, NULL, overflow by the unit.
 */
static void test_duration(void)
{
	unsigned long long ns = 0;

	CHECK_INT(fw_parse_duration_ns("1.5m", &ns), 0);
	CHECK_INT(ns, 90000000000ull);
	CHECK_INT(fw_parse_duration_ns("0.001", &ns), 0);
	CHECK_INT(ns, 1000000);
	CHECK_INT(fw_parse_duration_ns("0", &ns), 0);
	CHECK_INT(ns, 0);
	CHECK_INT(fw_parse_duration_ns("s", &ns), -1);
	CHECK_INT(fw_parse_duration_ns("1.s", &ns), -1);
	CHECK_INT(fw_parse_duration_ns("1 s", &ns), -1);
	CHECK_INT(fw_parse_duration_ns("99999999999999999999", &ns), -1);
	CHECK_INT(fw_parse_duration_ns("9999999999d", &ns), -1);
	CHECK_INT(fw_parse_duration_ns(NULL, &ns), -1);
}

static int json_pairs(const char *s, int *n)
{
	struct fwj_parser jp;
	struct fwj_value k, v;
	int r;

	*n = 0;
	if (fwj_begin(&jp, s, strlen(s)) < 0)
		return -1;
	while ((r = fwj_next(&jp, &k, &v)) == 1)
		(*n)++;
	return r;
}

static void test_json_tokenizer(void)
{
	struct fwj_parser jp;
	struct fwj_value k, v;
	const char *s = "{\"a\":1,\"b\":\"x\\\"y\",\"c\":true,\"d\":[1,[2],{"
			"\"e\":null}],"
			"\"f\":-5,\"g\":1.5e3,\"h\":18446744073709551615}";
	int n;

	CHECK_INT(fwj_begin(&jp, s, strlen(s)), 0);
	CHECK_INT(fwj_next(&jp, &k, &v), 1);
	CHECK_INT(v.type, FWJ_INT);
	CHECK_INT(v.u, 1);
	CHECK_INT(fwj_next(&jp, &k, &v), 1);
	CHECK_INT(v.type, FWJ_STRING);
	CHECK(v.escaped);
	CHECK_INT(fwj_next(&jp, &k, &v), 1);
	CHECK_INT(v.type, FWJ_BOOL);
	CHECK(v.b);
	CHECK_INT(fwj_next(&jp, &k, &v), 1);
	CHECK_INT(v.type, FWJ_ARRAY);
	CHECK_INT(v.len, strlen("[1,[2],{\"e\":null}]"));
	CHECK_INT(fwj_next(&jp, &k, &v), 1);
	CHECK_INT(v.type, FWJ_INT);
	CHECK(v.negative);
	CHECK_INT(v.i, -5);
	CHECK_INT(fwj_next(&jp, &k, &v), 1);
	CHECK_INT(v.type, FWJ_FLOAT);
	CHECK_INT(fwj_next(&jp, &k, &v), 1);
	CHECK_INT(v.type, FWJ_INT);
	CHECK(v.u == UINT64_MAX);
	CHECK_INT(fwj_next(&jp, &k, &v), 0);

	CHECK_INT(json_pairs("{}", &n), 0);
	CHECK_INT(json_pairs("  {\"a\" : 1 }  \r", &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(json_pairs("{\"a\":1", &n), -1);
	CHECK_INT(json_pairs("{\"a\":1,}", &n), -1);
	CHECK_INT(json_pairs("{\"a\":1}x", &n), -1);
	CHECK_INT(json_pairs("{\"a\":01}", &n), -1);
	CHECK_INT(json_pairs("{\"a\":\"\\q\"}", &n), -1);
	CHECK_INT(json_pairs("{\"a\":\"\\u12\"}", &n), -1);
	CHECK_INT(json_pairs("{\"a\":\"\x01\"}", &n), -1);
	CHECK_INT(json_pairs("{\"a\":\"\xff\xfe\"}", &n), -1);
	CHECK_INT(json_pairs("{\"a\":tru}", &n), -1);
	CHECK_INT(json_pairs("[1]", &n), -1);
	CHECK_INT(json_pairs("", &n), -1);
	CHECK_INT(json_pairs("{\"a\":18446744073709551616}", &n), 0);
	CHECK_INT(json_pairs("{\"a\":\"caf\xc3\xa9\"}", &n), 0);
	CHECK_INT(
		json_pairs("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]"
			   "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
			   &n),
		-1);
}

/* Integers of every length, as the word-at-a-time path reads them. */
static void test_json_integers(void)
{
	static const char *const texts[] = {
		"0",
		"7",
		"42",
		"123",
		"4096",
		"65535",
		"123456",
		"1234567",
		"12345678",
		"123456789",
		"4026531840",
		"98765432101",
		"1795996800123456789",
		"9999999999999999999",
		"18446744073709551615",
		"10000000000000000000",
	};
	char buf[96];
	size_t i, pad;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		/* with and without bytes after the number in the buffer */
		for (pad = 0; pad < 2; pad++) {
			struct fwj_parser jp;
			struct fwj_value k, v;

			snprintf(buf, sizeof(buf), "{\"n\":%s%s}", texts[i],
				 pad ? ",\"x\":\"yyyyyyyyyyyy\"" : "");
			CHECK_INT(fwj_begin(&jp, buf, strlen(buf)), 0);
			CHECK_INT(fwj_next(&jp, &k, &v), 1);
			CHECK_INT(v.type, FWJ_INT);
			CHECK(v.u == strtoull(texts[i], NULL, 10));
		}
	}
}

static void test_json_unescape(void)
{
	char out[16];

	CHECK_INT(fw_json_unescape("a\\nb", 4, out, sizeof(out)), 3);
	CHECK_STR(out, "a\nb");
	CHECK_INT(fw_json_unescape("\\u00e9", 6, out, sizeof(out)), 2);
	CHECK_STR(out, "\xc3\xa9");
	CHECK_INT(fw_json_unescape("\\ud83d\\ude00", 12, out, sizeof(out)), 4);
	CHECK_STR(out, "\xf0\x9f\x98\x80");
	/* cut at a character boundary when the buffer is short */
	CHECK_INT(fw_json_unescape("abc\\u00e9", 9, out, 5), 3);
	CHECK_STR(out, "abc");
}

#define CONN_KEYS                                                              \
	"\"netns\":1,\"sock\":2,\"family\":4,\"laddr\":\"10.0.0.1\","          \
	"\"lport\":1,\"raddr\":\"10.0.0.2\",\"rport\":6379"

static int parse(const char *line, struct fw_rec *r)
{
	return fw_rec_parse(line, strlen(line), r);
}

static void test_record_ok(void)
{
	struct fw_rec r;

	CHECK_INT(
		parse("{\"v\":1,\"type\":\"state\",\"time_ns\":5,"
		      "\"host\":\"h\\u00e9\"," CONN_KEYS
		      ",\"oldstate\":\"ESTABLISHED\",\"newstate\":\"FIN_"
		      "WAIT1\","
		      "\"pid\":9,\"comm\":\"a\\\"b\",\"isn_local\":4294967295,"
		      "\"isn_remote\":0,\"active_open\":true,\"future\":{\"x\":"
		      "[1]},"
		      "\"last_recv_ms\":7,\"role\":\"server\"}",
		      &r),
		0);
	CHECK_INT(r.type, FW_REC_STATE);
	CHECK_STR(r.host, "h\xc3\xa9");
	CHECK_INT(r.oldstate, FW_TCP_ESTABLISHED);
	CHECK_INT(r.newstate, FW_TCP_FIN_WAIT1);
	CHECK_STR(r.comm, "a\"b");
	CHECK(r.has & FW_HAS_ISN);
	CHECK_INT(r.isn_local, 4294967295u);
	CHECK(r.role_server);
	CHECK(r.has & FW_HAS_LAST_RECV);
	CHECK(!(r.has & FW_HAS_LAST_SEND));
	CHECK_INT(r.laddr[0], 10);
	CHECK_INT(r.raddr[3], 2);

	/* start records carry a list of namespaces */
	CHECK_INT(parse("{\"v\":1,\"type\":\"start\",\"time_ns\":1,\"host\":"
			"\"h\","
			"\"ports\":[6379],\"netns\":[],\"attach\":[\"a\"]}",
			&r),
		  0);
	/* record types this reader does not know are skipped quietly */
	CHECK_INT(parse("{\"v\":1,\"type\":\"hello\",\"time_ns\":1,\"host\":"
			"\"h\"}",
			&r),
		  1);
	CHECK_INT(parse("{\"v\":1,\"type\":\"state\",\"time_ns\":5,\"host\":"
			"\"h\","
			"\"netns\":1,\"sock\":2,\"family\":6,\"laddr\":\"::"
			"ffff:1.2.3.4\","
			"\"lport\":1,\"raddr\":\"2001:db8::2\",\"rport\":6379}",
			&r),
		  0);
	CHECK_INT(r.raddr[0], 0x20);
	CHECK_INT(parse("{\"v\":1,\"type\":\"state\",\"time_ns\":5,\"host\":"
			"\"h\","
			"\"netns\":1,\"sock\":2,\"family\":4,\"mapped\":true,"
			"\"laddr\":\"::ffff:1.2.3.4\",\"lport\":1,"
			"\"raddr\":\"5.6.7.8\",\"rport\":6379}",
			&r),
		  0);
	CHECK_INT(r.laddr[0], 1);
	CHECK_INT(r.laddr[3], 4);
}

/* Schema v2 (SCHEMA-v2): the keys and record types it added. */
static void test_record_v2(void)
{
	struct fw_rec r;

	CHECK_INT(
		parse("{\"v\":2,\"type\":\"state\",\"time_ns\":9,"
		      "\"host\":\"h\"," CONN_KEYS
		      ",\"oldstate\":\"FIN_WAIT2\",\"newstate\":"
		      "\"TIME_WAIT\",\"path\":[[\"ESTABLISHED\",\"FIN_WAIT1\","
		      "7] , [\"FIN_WAIT1\",\"FIN_WAIT2\",null]],\"gap\":3,"
		      "\"final\":true,\"sk_err\":\"ECONNRESET\",\"probes_out\""
		      ":2,\"rto_retrans\":0,\"keepalive\":true,"
		      "\"drop_reason_last\":\"NETFILTER_DROP\",\"ct_last\":"
		      "\"none\"}",
		      &r),
		0);
	CHECK_INT(r.version, 2);
	CHECK_INT(r.npath, 2);
	CHECK_INT(r.path[0].from, FW_TCP_ESTABLISHED);
	CHECK_INT(r.path[0].to, FW_TCP_FIN_WAIT1);
	CHECK_INT(r.path[0].time_ns, 7);
	CHECK_INT(r.path[1].to, FW_TCP_FIN_WAIT2);
	CHECK_INT(r.path[1].time_ns, FW_UNKNOWN);
	CHECK(!r.path_cut);
	CHECK_INT(r.gap, 3);
	CHECK(r.final);
	CHECK_INT(r.sk_err, ECONNRESET);
	CHECK((r.has & FW_HAS_PROBES_OUT) && r.probes_out == 2);
	CHECK((r.has & FW_HAS_RTO_RETRANS) && r.rto_retrans == 0);
	CHECK((r.has & FW_HAS_KEEPALIVE) && r.keepalive);
	CHECK_STR(r.drop_reason_last, "NETFILTER_DROP");
	CHECK_STR(r.ct_last, "none");
	/* a number for an errno without a name, and a name we do not know */
	CHECK_INT(parse("{\"v\":2,\"type\":\"close\",\"time_ns\":9,"
			"\"host\":\"h\"," CONN_KEYS
			",\"sk_err\":110,\"path\":[],\"path_cut\":true}",
			&r),
		  0);
	CHECK_INT(r.sk_err, ETIMEDOUT);
	CHECK_INT(r.npath, 0);
	CHECK(r.path_cut);
	CHECK_INT(parse("{\"v\":2,\"type\":\"close\",\"time_ns\":9,"
			"\"host\":\"h\"," CONN_KEYS
			",\"sk_err\":\"EWHATEVER\"}",
			&r),
		  0);
	CHECK(r.sk_err != 0);
	/* more steps than kept: the rest count as cut */
	CHECK_INT(parse("{\"v\":2,\"type\":\"state\",\"time_ns\":9,"
			"\"host\":\"h\"," CONN_KEYS
			",\"path\":[[\"A\",\"B\",1],[\"A\",\"B\",1],[\"A\","
			"\"B\",1],[\"A\",\"B\",1],[\"A\",\"B\",1],[\"A\",\"B\","
			"1],[\"A\",\"B\",1],[\"A\",\"B\",1],[\"A\",\"B\",1]]}",
			&r),
		  0);
	CHECK_INT(r.npath, FW_REC_PATH_MAX);
	CHECK(r.path_cut);
	CHECK_INT(r.path[0].from, 0);
	/* start: heartbeats, a reopened file, the boot */
	CHECK_INT(
		parse("{\"v\":2,\"type\":\"start\",\"time_ns\":1,"
		      "\"host\":\"h\",\"ports\":[6379],\"netns\":[],"
		      "\"stream\":\"folded\",\"tick_ms\":1000,\"reopen\":true,"
		      "\"boot_id\":\"7c1f0b2e-0000-4000-8000-000000000001\","
		      "\"netns_facts\":[{\"netns\":1,\"ct_max\":5}]}",
		      &r),
		0);
	CHECK_INT(r.type, FW_REC_START);
	CHECK((r.has & FW_HAS_TICK_MS) && r.tick_ms == 1000);
	CHECK(r.reopen);
	CHECK(r.has & FW_HAS_BOOT_ID);
	CHECK_STR(r.boot_id, "7c1f0b2e-0000-4000-8000-000000000001");
	CHECK_INT(parse("{\"v\":2,\"type\":\"tick\",\"time_ns\":3,"
			"\"host\":\"h\",\"lost\":0,\"lost_buffer_full\":0,"
			"\"lost_recursion\":0,\"lost_unpinned\":0}",
			&r),
		  0);
	CHECK_INT(r.type, FW_REC_TICK);
	CHECK_INT(parse("{\"v\":2,\"type\":\"lost\",\"time_ns\":5,"
			"\"host\":\"h\",\"count\":4,\"from_ns\":2,"
			"\"transport\":\"ring\",\"reason\":\"recursion\","
			"\"program\":\"state\",\"pinned\":true,\"scope\":"
			"\"all\"}",
			&r),
		  0);
	CHECK(r.pinned);
	CHECK(!r.drops_only);
	CHECK_STR(r.reason, "recursion");
	CHECK_INT(parse("{\"v\":2,\"type\":\"snapshot_end\",\"time_ns\":5,"
			"\"host\":\"h\",\"snap\":2,\"count\":0,\"netns\":[],"
			"\"repair\":true}",
			&r),
		  0);
	CHECK(r.repair);
	CHECK(r.has & FW_HAS_COUNT);
	CHECK_INT(parse("{\"v\":2,\"type\":\"netns\",\"time_ns\":5,"
			"\"host\":\"h\",\"netns\":4026531840,\"ct_max\":5}",
			&r),
		  0);
	CHECK_INT(r.type, FW_REC_NETNS);
	/* v1 records say nothing of v2's keys */
	CHECK_INT(parse("{\"v\":1,\"type\":\"state\",\"time_ns\":9,"
			"\"host\":\"h\"," CONN_KEYS "}",
			&r),
		  0);
	CHECK_INT(r.version, 1);
	CHECK(!r.final && !r.npath && !r.gap && !r.sk_err);
}

static void expect_bad(const char *line, const char *why_part)
{
	struct fw_rec r;

	CHECK_INT(parse(line, &r), -1);
	if (!strstr(r.why, why_part))
		printf("  reason \"%s\" lacks \"%s\"\n", r.why, why_part),
			check_current_failed = 1;
}

static void test_record_bad(void)
{
	expect_bad("{\"v\":3,\"type\":\"state\",\"time_ns\":5,\"host\":\"h\"}",
		   "unknown schema version 3");
	expect_bad("{\"v\":0,\"type\":\"tick\",\"time_ns\":5,\"host\":\"h\"}",
		   "unknown schema version 0");
	expect_bad("{\"v\":2,\"type\":\"state\",\"time_ns\":5,\"host\":"
		   "\"h\"," CONN_KEYS ",\"path\":[[\"A\",\"B\"]]}",
		   "key \"path\"");
	expect_bad("{\"v\":2,\"type\":\"state\",\"time_ns\":5,\"host\":"
		   "\"h\"," CONN_KEYS ",\"path\":[[\"A\",\"B\",1.5]]}",
		   "key \"path\"");
	expect_bad("{\"v\":2,\"type\":\"state\",\"time_ns\":5,\"host\":"
		   "\"h\"," CONN_KEYS ",\"path\":{\"a\":1}}",
		   "expected an array");
	expect_bad("{\"v\":2,\"type\":\"state\",\"time_ns\":5,\"host\":"
		   "\"h\"," CONN_KEYS ",\"final\":1}",
		   "boolean");
	expect_bad("{\"v\":2,\"type\":\"state\",\"time_ns\":5,\"host\":"
		   "\"h\"," CONN_KEYS ",\"gap\":-1}",
		   "non-negative");
	expect_bad("{\"type\":\"state\",\"time_ns\":5,\"host\":\"h\"}",
		   "missing key \"v\"");
	expect_bad(
		"{\"v\":1,\"type\":\"state\",\"time_ns\":\"5\",\"host\":\"h\"}",
		"\"time_ns\"");
	expect_bad("{\"v\":1,\"type\":\"state\",\"time_ns\":-5,\"host\":\"h\"}",
		   "non-negative");
	expect_bad("{\"v\":1,\"type\":\"state\",\"time_ns\":5,\"host\":\"h\"}",
		   "missing key \"netns\"");
	expect_bad("{\"v\":1,\"type\":\"state\",\"time_ns\":5,\"host\":"
		   "\"h\"," CONN_KEYS ",\"lport\":70000}",
		   "out of range");
	expect_bad(
		"{\"v\":1,\"type\":\"state\",\"time_ns\":5,\"host\":\"h\","
		"\"netns\":1,\"sock\":2,\"family\":4,\"laddr\":\"10.0.0.300\","
		"\"lport\":1,\"raddr\":\"10.0.0.2\",\"rport\":6379}",
		"not an IP address");
	expect_bad(
		"{\"v\":1,\"type\":\"state\",\"time_ns\":5,\"host\":\"h\","
		"\"netns\":[],\"sock\":2,\"family\":4,\"laddr\":\"10.0.0.1\","
		"\"lport\":1,\"raddr\":\"10.0.0.2\",\"rport\":6379}",
		"\"netns\"");
	expect_bad("{\"v\":1,\"type\":\"state\",\"time_ns\":5,\"host\":"
		   "\"h\"," CONN_KEYS ",\"family\":5}",
		   "not 4 or 6");
	expect_bad("{\"v\":1,\"type\":\"lost\",\"time_ns\":5,\"host\":\"h\","
		   "\"count\":1}",
		   "missing key \"from_ns\"");
	expect_bad("{\"v\":1,\"type\":\"lost\",\"time_ns\":5,\"host\":\"h\","
		   "\"count\":1,\"from_ns\":9}",
		   "ends before");
	expect_bad("{\"v\":1,\"type\":\"start\",\"time_ns\":5,\"host\":\"\"}",
		   "empty");
	expect_bad("{\"v\":1,\"type\":\"state\",\"time_ns\":5,\"host\":"
		   "\"h\"," CONN_KEYS ",\"active_open\":1}",
		   "boolean");
	expect_bad("\x7f"
		   "ELF\x02\x01",
		   "not a JSON object");
	expect_bad("{\"v\":1,\"type\":\"sta", "unterminated string");
}

/* Writes data to a temporary file; returns its path (static buffer). */
static const char *tmp_file(const char *data, size_t len, bool gz)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/fwtest.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	if (gz) {
		gzFile g = gzdopen(fd, "wb");

		gzwrite(g, data, (unsigned int)len);
		gzclose(g);
	} else {
		if (write(fd, data, len) != (ssize_t)len)
			printf("  short write\n");
		close(fd);
	}
	return path;
}

static void test_input_lines(void)
{
	static char big[FW_MAX_LINE + 100];
	const char *text = "one\ntwo\r\n\nthree";
	const char *line, *why, *path;
	struct fw_input in;
	size_t len;
	int gz;

	for (gz = 0; gz < 2; gz++) {
		path = tmp_file(text, strlen(text), gz);
		CHECK_INT(fw_input_open(&in, path, false), 0);
		CHECK_INT(fw_input_line(&in, &line, &len, &why), FW_LINE_OK);
		CHECK_INT(len, 3);
		CHECK(!memcmp(line, "one", 3));
		CHECK_INT(fw_input_line(&in, &line, &len, &why), FW_LINE_OK);
		CHECK_INT(len, 4); /* the \r stays: JSON whitespace */
		CHECK_INT(fw_input_line(&in, &line, &len, &why), FW_LINE_OK);
		CHECK_INT(len, 0);
		CHECK_INT(fw_input_line(&in, &line, &len, &why),
			  FW_LINE_UNTERMINATED);
		CHECK_INT(len, 5);
		CHECK_INT(in.lineno, 4);
		CHECK_INT(fw_input_line(&in, &line, &len, &why), FW_LINE_NONE);
		fw_input_close(&in);
		unlink(path);
	}

	memset(big, 'x', sizeof(big));
	memcpy(big + sizeof(big) - 6, "\nok\n", 4);
	path = tmp_file(big, sizeof(big) - 2, false);
	CHECK_INT(fw_input_open(&in, path, false), 0);
	CHECK_INT(fw_input_line(&in, &line, &len, &why), FW_LINE_TOO_LONG);
	CHECK_INT(in.lineno, 1);
	CHECK_INT(fw_input_line(&in, &line, &len, &why), FW_LINE_OK);
	CHECK_INT(len, 2);
	CHECK_INT(in.lineno, 2);
	fw_input_close(&in);
	unlink(path);

	CHECK_INT(fw_input_open(&in, "/nonexistent/x.log", false), -1);
}

static const char good_log[] =
	"{\"v\":1,\"type\":\"start\",\"time_ns\":1,\"host\":\"a\",\"netns\":[]}"
	"\n"
	"{\"v\":1,\"type\":\"state\",\"time_ns\":2,\"host\":\"a\"," CONN_KEYS
	",\"oldstate\":\"SYN_SENT\",\"newstate\":\"ESTABLISHED\"}\n"
	"not json at all\n"
	"{\"v\":9,\"type\":\"state\",\"time_ns\":3,\"host\":\"a\"}\n"
	"\x01\x02\x03\xff\xfe\n"
	"{\"v\":1,\"type\":\"stop\",\"time_ns\":4,\"host\":\"a\"}\n"
	"{\"v\":1,\"type\":\"sta";

static void test_cli_bad_lines_are_skipped(void)
{
	static char out[65536], err[65536];
	char *path = strdup(tmp_file(good_log, sizeof(good_log) - 1, false));
	char *argv[] = { "correlate", "--json", "--all", path, NULL };
	int rc;

	rc = run_cli(argv, 4, out, sizeof(out), err, sizeof(err));
	/* 4 of 7 lines bad: over the default --max-bad-share of 1% */
	CHECK_INT(rc, 3);
	CHECK(strstr(err, "finwatch correlate: 4 of 7 lines (57.1%) were "
			  "bad, more than --max-bad-share 1%\n") != NULL);
	CHECK(strstr(err, ":3: not a JSON object") != NULL);
	CHECK(strstr(err, ":4: unknown schema version 9") != NULL);
	CHECK(strstr(err, ":5: ") != NULL);
	CHECK(strstr(err, ":7: truncated last line") != NULL);
	CHECK(strstr(out, "\"bad_lines\":4") != NULL);
	CHECK(strstr(out, "\"verdict\":\"open\"") != NULL);
	CHECK(strstr(out, "\"type\":\"summary\"") != NULL);
	{
		char *lenient[] = { "correlate", "--json", "--max-bad-share",
				    "60%",	 path,	   NULL };

		CHECK_INT(
			run_cli(lenient, 5, out, sizeof(out), err, sizeof(err)),
			0);
		CHECK(strstr(err, "were bad") == NULL);
	}
	unlink(path);
	free(path);
}

static void test_cli_strict_and_missing_file(void)
{
	static char out[65536], err[65536];
	char *path = strdup(tmp_file(good_log, sizeof(good_log) - 1, true));
	char *strict[] = { "correlate", "--strict", path, NULL };
	char *missing[] = { "correlate", path, "/nonexistent/server.log",
			    NULL };
	int rc;

	rc = run_cli(strict, 3, out, sizeof(out), err, sizeof(err));
	CHECK_INT(rc, 2);
	CHECK(strstr(err, ":3: not a JSON object (--strict)") != NULL);
	rc = run_cli(missing, 3, out, sizeof(out), err, sizeof(err));
	CHECK_INT(rc, 2);
	CHECK(strstr(err, "/nonexistent/server.log: No such file") != NULL);
	CHECK_STR(out, "");
	unlink(path);
	free(path);
}

static void test_cli_text_report(void)
{
	static char out[65536], err[65536];
	static const char log[] =
		"{\"v\":1,\"type\":\"state\",\"time_ns\":1000000000,\"host\":"
		"\"a\"," CONN_KEYS
		",\"oldstate\":\"SYN_SENT\",\"newstate\":\"ESTABLISHED\","
		"\"isn_local\":1,\"isn_remote\":2,\"comm\":\"ruby\",\"pid\":3}"
		"\n"
		"{\"v\":1,\"type\":\"state\",\"time_ns\":2000000000,\"host\":"
		"\"a\"," CONN_KEYS
		",\"oldstate\":\"ESTABLISHED\",\"newstate\":\"FIN_WAIT1\","
		"\"isn_local\":1,\"isn_remote\":2,\"last_recv_ms\":3100,"
		"\"last_send_ms\":3200}\n"
		"{\"v\":1,\"type\":\"retransmit\",\"time_ns\":3000000000,"
		"\"host\":\"a\"," CONN_KEYS ",\"oldstate\":\"FIN_WAIT1\","
		"\"newstate\":\"FIN_WAIT1\",\"tcp_flags\":\"FIN|ACK\"}\n"
		"{\"v\":1,\"type\":\"state\",\"time_ns\":9000000000,\"host\":"
		"\"a\"," CONN_KEYS
		",\"oldstate\":\"FIN_WAIT1\",\"newstate\":\"CLOSE\"}\n";
	char *path = strdup(tmp_file(log, sizeof(log) - 1, false));
	char *argv[] = { "correlate", "--skew", "500ms", path, NULL };
	char *bad[] = { "correlate", "--skew", "soon", path, NULL };
	const char *summary, *finding, *advice;
	int rc;

	rc = run_cli(argv, 4, out, sizeof(out), err, sizeof(err));
	CHECK_INT(rc, 0);
	summary = strstr(out, "verdicts: unacked_fin 1");
	finding = strstr(out, "unacked_fin     client 10.0.0.1:1 (a ruby[3])");
	advice = strstr(out, "advice:");
	CHECK(summary && finding && advice && summary < finding &&
	      finding < advice);
	CHECK(strstr(out, "tcp-keepalive") != NULL);
	/* 3.1 s idle: no sysctl ready to paste below a sane floor */
	CHECK(strstr(out, "tcp_keepalive_time=") == NULL);
	CHECK(strstr(out, "No keepalive setting is suggested") != NULL);
	CHECK(strstr(out, "forgets idle flows after at most 3.1 s") != NULL);
	CHECK_STR(err, "");
	rc = run_cli(bad, 4, out, sizeof(out), err, sizeof(err));
	CHECK_INT(rc, 2);
	unlink(path);
	free(path);
}

/* One line of a crafted log: a state change of app1's or db1's socket. */
static void log_state(char *buf, size_t sz, const char *host, double t,
		      const char *old, const char *new, const char *extra)
{
	bool client = !strcmp(host, "app1");
	size_t n = strlen(buf);

	snprintf(buf + n, sz - n,
		 "{\"v\":1,\"type\":\"state\",\"time_ns\":%llu,"
		 "\"host\":\"%s\",\"netns\":%d,\"sock\":%d,\"family\":4,"
		 "\"laddr\":\"%s\",\"lport\":%d,\"raddr\":\"%s\","
		 "\"rport\":%d,\"role\":\"%s\",\"oldstate\":\"%s\","
		 "\"newstate\":\"%s\",\"pid\":%d,\"comm\":\"%s\","
		 "\"isn_local\":%d,\"isn_remote\":%d%s}\n",
		 (unsigned long long)(1795996800000000000ull +
				      (unsigned long long)(t * 1e9)),
		 host, client ? 1 : 2, client ? 11 : 22,
		 client ? "10.0.0.1" : "10.0.0.2", client ? 40001 : 6379,
		 client ? "10.0.0.2" : "10.0.0.1", client ? 6379 : 40001,
		 client ? "client" : "server", old, new, client ? 42 : 77,
		 client ? "ruby" : "redis-server", client ? 5 : 6,
		 client ? 6 : 5, extra);
}

static void log_host(char *buf, size_t sz, const char *host, double t,
		     const char *type, const char *extra)
{
	size_t n = strlen(buf);

	snprintf(buf + n, sz - n,
		 "{\"v\":1,\"type\":\"%s\",\"time_ns\":%llu,"
		 "\"host\":\"%s\"%s}\n",
		 type,
		 (unsigned long long)(1795996800000000000ull +
				      (unsigned long long)(t * 1e9)),
		 host, extra);
}

/*
 * A rotated client log (the older part gzipped) and the server's: the
 * client's FIN is in the newer part, the server never sees it.
 */

/*
 * app1's end of the connection the CLI tests use: FIN at 100 s (extra
 * keys on its record), one retransmission, gone at 120 s; log to 200 s.
 */
static void app1_fin_unanswered(char *buf, size_t sz, const char *extra)
{
	log_state(buf, sz, "app1", 100, "ESTABLISHED", "FIN_WAIT1", extra);
	log_state(buf, sz, "app1", 100.3, "FIN_WAIT1", "FIN_WAIT1",
		  ",\"close_retrans\":1");
	log_state(buf, sz, "app1", 120, "FIN_WAIT1", "CLOSE", "");
	log_host(buf, sz, "app1", 200, "stop", "");
}

/* db1's tracer starts and sees the connection accepted at 1 s. */
static void db1_accepts(char *buf, size_t sz)
{
	log_host(buf, sz, "db1", 0, "start", "");
	log_state(buf, sz, "db1", 1.001, "SYN_RECV", "ESTABLISHED", "");
}
static void test_cli_rotated_logs_and_json_keys(void)
{
	static char old_part[4096], new_part[4096], server[4096];
	static char out[65536], err[4096];
	static const char *const keys[] = {
		"\"type\":\"finding\",\"v\":1",
		"\"verdict\":\"lost_fin\"",
		"\"id\":\"app1:11\"",
		"\"provisional\":false",
		"\"revision\":false",
		"\"reaped_by\":null",
		"\"reaped_after_ms\":null",
		"\"client_gap\":0",
		"\"server_gap\":0",
		"\"client\":\"10.0.0.1:40001\"",
		"\"server\":\"10.0.0.2:6379\"",
		"\"client_host\":\"app1\"",
		"\"client_netns\":1",
		"\"server_host\":\"db1\"",
		"\"server_netns\":2",
		"\"client_sock\":11",
		"\"server_sock\":22",
		"\"client_pid\":42",
		"\"client_comm\":\"ruby\"",
		"\"server_pid\":77",
		"\"server_comm\":\"redis-server\"",
		"\"client_state\":\"CLOSE\"",
		"\"server_state\":\"ESTABLISHED\"",
		"\"paired_by\":\"isn\"",
		"\"closer\":\"client\"",
		"\"close_kind\":\"fin\"",
		"\"close_time_ns\":1795996900000000000",
		"\"close_retrans\":1",
		"\"idle_before_close_ms\":3100",
		"\"close_wait_ms\":null",
		"\"surviving_state\":\"ESTABLISHED\"",
		"\"evidence\":\"",
		"\"reason\":null",
		"\"type\":\"summary\",\"v\":1",
		"\"verdicts\":{\"lost_fin\":1,",
		"\"bad_lines\":0",
		"\"lost_events\":0",
		"\"clients\":[{\"host\":\"app1\"",
		"\"servers\":[{\"host\":\"db1\",\"server\":\"10.0.0.2:6379\"",
		"\"lost_idle_min_ms\":3100",
		"\"clean_idle_max_ms\":null",
	};
	char *p_old, *p_new, *p_srv;
	size_t i;
	int rc;

	log_host(old_part, sizeof(old_part), "app1", 0, "start", "");
	log_state(old_part, sizeof(old_part), "app1", 1, "SYN_SENT",
		  "ESTABLISHED", "");
	log_host(new_part, sizeof(new_part), "app1", 60, "snapshot_end", "");
	app1_fin_unanswered(new_part, sizeof(new_part),
			    ",\"last_recv_ms\":3100,\"last_send_ms\":3200");
	db1_accepts(server, sizeof(server));
	log_host(server, sizeof(server), "db1", 200, "stop", "");
	p_old = strdup(tmp_file(old_part, strlen(old_part), true));
	p_new = strdup(tmp_file(new_part, strlen(new_part), false));
	p_srv = strdup(tmp_file(server, strlen(server), false));
	{
		char *argv[] = { "correlate", "--json", p_srv,
				 p_new,	      p_old,	NULL };

		rc = run_cli(argv, 5, out, sizeof(out), err, sizeof(err));
	}
	CHECK_INT(rc, 0);
	CHECK_STR(err, "");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strstr(out, keys[i])) {
			printf("  missing %s in output\n", keys[i]);
			check_current_failed = 1;
		}
	unlink(p_old);
	unlink(p_new);
	unlink(p_srv);
	free(p_old);
	free(p_new);
	free(p_srv);
}

/* The server's tracer was down while the FIN came: not a lost FIN. */
static void test_cli_tracer_restart_is_incomplete(void)
{
	static char client[4096], server[4096], out[65536], err[4096];
	char *p_cl, *p_srv;
	int rc;

	log_host(client, sizeof(client), "app1", 0, "start", "");
	log_state(client, sizeof(client), "app1", 1, "SYN_SENT", "ESTABLISHED",
		  "");
	app1_fin_unanswered(client, sizeof(client), "");
	db1_accepts(server, sizeof(server));
	log_host(server, sizeof(server), "db1", 90, "stop", "");
	log_host(server, sizeof(server), "db1", 130, "start", "");
	log_host(server, sizeof(server), "db1", 200, "stop", "");
	p_cl = strdup(tmp_file(client, strlen(client), false));
	p_srv = strdup(tmp_file(server, strlen(server), false));
	{
		char *argv[] = { "correlate", "--json", p_cl, p_srv, NULL };

		rc = run_cli(argv, 4, out, sizeof(out), err, sizeof(err));
	}
	CHECK_INT(rc, 0);
	CHECK(strstr(out, "\"verdict\":\"incomplete\"") != NULL);
	CHECK(strstr(out, "was not running between") != NULL);
	unlink(p_cl);
	unlink(p_srv);
	free(p_cl);
	free(p_srv);
}

/*
 * Real `finwatch trace --json` logs of scripts/demo.sh (tests/data/
 * correlate/, gzipped): 3 waves of 8 idle pool connections whose FINs a
 * forgetful middlebox dropped, and 17 connections that closed cleanly.
 */
static void test_cli_real_demo_logs(void)
{
	static char out[65536], err[4096];
	char *argv[] = { "correlate", "--json",
			 "tests/data/correlate/demo-app1.log.gz",
			 "tests/data/correlate/demo-redis1.log.gz", NULL };
	int rc;

	rc = run_cli(argv, 4, out, sizeof(out), err, sizeof(err));
	CHECK_INT(rc, 0);
	CHECK_STR(err, "");
	CHECK(strstr(out, "\"verdicts\":{\"lost_fin\":24,\"lost_rst\":0,"
			  "\"close_wait_leak\":0,\"peer_vanished\":0,"
			  "\"unacked_fin\":0,\"incomplete\":0,\"ok\":17,"
			  "\"open\":0}") != NULL);
	CHECK(strstr(out, "\"paired_by\":\"tuple\"") == NULL);
	CHECK(strstr(out, "\"client\":\"198.18.1.1:0\"") == NULL);
	CHECK(strstr(out, "\"server_comm\":\"redis-server\"") != NULL);
}

/* Out of memory, in fw_corr_new or on the first record: one line, exit 2. */
static void test_cli_out_of_memory(void)
{
	static char out[65536], err[65536];
	char *path = strdup(tmp_file(good_log, sizeof(good_log) - 1, false));
	char *argv[] = { "correlate", "--json", "--all", path, NULL };
	/* 1: the engine; 6: after it and its four tables, the first host */
	static const unsigned long nth[] = { 1, 6 };

	for (size_t i = 0; i < sizeof(nth) / sizeof(nth[0]); i++) {
		fw_corr_test_fail_alloc(nth[i]);
		CHECK_INT(run_cli(argv, 4, out, sizeof(out), err, sizeof(err)),
			  2);
		CHECK_STR(err, "finwatch correlate: out of memory\n");
		CHECK_STR(out, "");
	}
	fw_corr_test_fail_alloc(0);
	unlink(path);
	free(path);
}

int main(void)
{
	RUN_TEST(test_duration);
	RUN_TEST(test_json_tokenizer);
	RUN_TEST(test_json_integers);
	RUN_TEST(test_json_unescape);
	RUN_TEST(test_record_ok);
	RUN_TEST(test_record_v2);
	RUN_TEST(test_record_bad);
	RUN_TEST(test_input_lines);
	RUN_TEST(test_cli_bad_lines_are_skipped);
	RUN_TEST(test_cli_strict_and_missing_file);
	RUN_TEST(test_cli_text_report);
	RUN_TEST(test_cli_rotated_logs_and_json_keys);
	RUN_TEST(test_cli_tracer_restart_is_incomplete);
	RUN_TEST(test_cli_real_demo_logs);
	RUN_TEST(test_cli_out_of_memory);
	return CHECK_EXIT();
}
