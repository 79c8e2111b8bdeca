// SPDX-License-Identifier: GPL-2.0
/*
 * The correlator's inputs as pipelines deliver them: every line format
 * (raw, RFC 3164, RFC 3339, RFC 5424, journalctl -o json / -o cat), cut
 * and malformed lines, records given twice, and the exit status rules.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "correlate/correlate.h"
#include "correlate/dedup.h"
#include "correlate/lineformat.h"
#include "correlate/record.h"
#include "run_cli.h"

#define REC "{\"v\":1,\"type\":\"stop\",\"time_ns\":5,\"host\":\"a\"}"

static char buf[65537];

/* Decodes line; its record text must be want (NULL: decoding fails). */
static void expect(const char *line, enum fw_line_format format,
		   const char *want)
{
	struct fw_line_msg m;
	int r = fw_line_decode(line, strlen(line), buf, sizeof(buf), &m);

	CHECK_INT(m.format, format);
	if (!want) {
		CHECK_INT(r, -1);
		CHECK(m.why != NULL);
		return;
	}
	CHECK_INT(r, 0);
	if (r == 0 && (m.len != strlen(want) || memcmp(m.msg, want, m.len))) {
		printf("  %s: got \"%.*s\"\n", line, (int)m.len, m.msg);
		check_current_failed = 1;
	}
}

static const char *why_of(const char *line)
{
	static struct fw_line_msg m;

	if (fw_line_decode(line, strlen(line), buf, sizeof(buf), &m) == 0)
		return "(decoded)";
	return m.why;
}

static void test_raw_and_cat(void)
{
	/* journalctl -o cat prints the MESSAGE alone: a raw record */
	expect(REC, FW_FMT_JSON, REC);
	expect("  " REC, FW_FMT_JSON, "  " REC);
	/* a record whose keys come in another order, no MESSAGE */
	expect("{\"type\":\"stop\",\"v\":1}", FW_FMT_JSON,
	       "{\"type\":\"stop\",\"v\":1}");
	/* journalctl -o json-seq: RS before each entry */
	expect("\x1e" REC, FW_FMT_JSON, REC);
	expect("not json", FW_FMT_JSON, NULL);
	CHECK_STR(why_of("not json"), "not a JSON object");
	CHECK_STR(why_of("[1,2]"), "not a JSON object");
}

static void test_rfc3164(void)
{
	expect("Dec  1 20:25:35 app1 finwatch[123]: " REC, FW_FMT_RFC3164, REC);
	expect("Dec 11 20:25:35 app1 finwatch: " REC, FW_FMT_RFC3164, REC);
	/* journalctl -o short and -o short-precise pad the day with 0 */
	expect("Dec 01 20:25:35 app1 finwatch[123]: " REC, FW_FMT_RFC3164, REC);
	expect("Dec 01 20:25:35.123456 app1 finwatch[123]: " REC,
	       FW_FMT_RFC3164, REC);
	/* no tag; a priority in front (rsyslog's forwarding format) */
	expect("Jan  9 00:00:00 app1 " REC, FW_FMT_RFC3164, REC);
	expect("<134>Dec  1 20:25:35 app1 finwatch: " REC, FW_FMT_RFC3164, REC);
	/* two spaces after the tag; a BOM before the message */
	expect("Dec  1 20:25:35 app1 fw:  " REC, FW_FMT_RFC3164, REC);
	expect("Dec  1 20:25:35 app1 fw: \xef\xbb\xbf" REC, FW_FMT_RFC3164,
	       REC);
	expect("Dec  1 20:25:35", FW_FMT_RFC3164, NULL);
	CHECK_STR(why_of("Dec  1 20:25:35"), "syslog line without a host");
	CHECK_STR(why_of("Dec  1 20:25:35 app1 finwatch[1]:"),
		  "syslog line without a message");
	CHECK_STR(why_of("Dec  1 20:25:35 app1 sshd[1]: Accepted key"),
		  "the syslog message is not a JSON object (a line of another "
		  "program?)");
	CHECK_STR(why_of("Dec  1 20:25:35 app1 sshd[1] " REC),
		  "syslog line without a tag ending in ':'");
	/* not a stamp: a month that is none, an hour of 25 */
	CHECK_STR(why_of("Foo  1 20:25:35 app1 fw: " REC), "not a JSON object");
	CHECK_STR(why_of("Dec  1 25:25:35 app1 fw: " REC), "not a JSON object");
	CHECK_STR(why_of("<134>Dec  1 2:25:35 app1 fw: " REC),
		  "syslog line with a bad timestamp");
	CHECK_STR(why_of("<1345>Dec  1 20:25:35 app1 fw: " REC),
		  "not a JSON object");
}

static void test_rfc3339(void)
{
	/* rsyslog's RSYSLOG_FileFormat */
	expect("2024-12-01T20:25:35.123456+00:00 app1 finwatch[123]: " REC,
	       FW_FMT_RFC3339, REC);
	expect("2024-12-01T20:25:35Z app1 finwatch: " REC, FW_FMT_RFC3339, REC);
	/* journalctl -o short-iso and short-iso-precise */
	expect("2024-12-01T20:25:35+0000 app1 finwatch[9]: " REC,
	       FW_FMT_RFC3339, REC);
	expect("2024-12-01T20:25:35.000001-0130 app1 finwatch[9]: " REC,
	       FW_FMT_RFC3339, REC);
	expect("<30>2024-12-01T20:25:35Z app1 finwatch: " REC, FW_FMT_RFC3339,
	       REC);
	CHECK_STR(why_of("2024-13-01T20:25:35Z app1 fw: " REC),
		  "not a JSON object");
	CHECK_STR(why_of("2024-12-01 20:25:35 app1 fw: " REC),
		  "not a JSON object");
	CHECK_STR(why_of("2024-12-01T20:25:35 app1 fw: " REC),
		  "not a JSON object");
}

static void test_rfc5424(void)
{
	expect("<134>1 2024-12-01T20:25:35.123Z app1 finwatch 123 - - " REC,
	       FW_FMT_RFC5424, REC);
	expect("<134>1 - app1 finwatch - - - " REC, FW_FMT_RFC5424, REC);
	expect("<134>1 2024-12-01T20:25:35Z app1 finwatch 1 ID47 "
	       "[exampleSDID@32473 iut=\"3\" eventSource=\"a\\]b\\\"c\"]"
	       "[more x=\"]\"] \xef\xbb\xbf" REC,
	       FW_FMT_RFC5424, REC);
	CHECK_STR(why_of("<134>1 2024-12-01T20:25:35Z app1 finwatch 1 - -"),
		  "syslog line without a message");
	CHECK_STR(why_of("<134>1 yesterday app1 finwatch 1 - - " REC),
		  "RFC 5424 line with a bad timestamp");
	CHECK_STR(why_of("<134>1 2024-12-01T20:25:35Z app1 finwatch"),
		  "RFC 5424 line with a short header");
	CHECK_STR(why_of("<134>1 - app1 finwatch 1 - [x a=\"b\" " REC),
		  "RFC 5424 line with bad structured data");
	CHECK_STR(why_of("<134>1 - app1 finwatch 1 - x " REC),
		  "RFC 5424 line with bad structured data");
}

static void test_journal_json(void)
{
	const char *esc = "{\"v\":1,\"type\":\"stop\",\"time_ns\":5,\"host\":"
			  "\"a\\u0009\"}";

	/* as journalctl -o json prints an entry: MESSAGE anywhere */
	expect("{\"_HOSTNAME\":\"app1\",\"__REALTIME_TIMESTAMP\":\"17\","
	       "\"MESSAGE\":\"{\\\"v\\\":1,\\\"type\\\":\\\"stop\\\","
	       "\\\"time_ns\\\":5,\\\"host\\\":\\\"a\\\\u0009\\\"}\","
	       "\"_BOOT_ID\":\"0123\"}",
	       FW_FMT_JOURNAL_JSON, esc);
	/* a MESSAGE with no escapes is used where it is */
	expect("{\"__CURSOR\":\"s=1\",\"MESSAGE\":\"plain\"}",
	       FW_FMT_JOURNAL_JSON, "plain");
	/* a message with bytes that are not text: an array of bytes */
	expect("{\"__CURSOR\":\"s=1\",\"MESSAGE\":[123,34,118,34,58,49,125]}",
	       FW_FMT_JOURNAL_JSON, "{\"v\":1}");
	expect("{\"__CURSOR\":\"s=1\",\"MESSAGE\":[]}", FW_FMT_JOURNAL_JSON,
	       "");
	CHECK_STR(why_of("{\"__CURSOR\":\"s\",\"MESSAGE\":null}"),
		  "journal MESSAGE is null: journalctl leaves out fields over "
		  "4096 bytes unless given --all");
	CHECK_STR(why_of("{\"__CURSOR\":\"s\",\"MESSAGE\":[\"a\",\"b\"]}"),
		  "journal MESSAGE has several values");
	CHECK_STR(why_of("{\"__CURSOR\":\"s\",\"MESSAGE\":[1,256]}"),
		  "journal MESSAGE: bad byte array");
	CHECK_STR(why_of("{\"__CURSOR\":\"s\",\"MESSAGE\":7}"),
		  "journal MESSAGE is not a string");
}

/* rsyslog's #ooo escapes apply to control characters, which the tracer
 * never writes raw: a "#011" in a record is text, taken as it is. */
static void test_rsyslog_escapes_are_text(void)
{
	const char *line =
		"Dec  1 20:25:35 app1 finwatch: {\"v\":1,\"type\":\"stop\","
		"\"time_ns\":5,\"host\":\"a#011b\"}";
	static struct fw_rec rec;
	struct fw_line_msg m;

	CHECK_INT(fw_line_decode(line, strlen(line), buf, sizeof(buf), &m), 0);
	CHECK_INT(fw_rec_parse(m.msg, m.len, &rec), 0);
	CHECK_STR(rec.host, "a#011b");
}

static void test_cut(void)
{
	CHECK(fw_json_is_cut("{\"v\":1,\"type\":\"st", 18));
	CHECK(fw_json_is_cut("{\"v\":1,\"netns\":[1,2", 19));
	CHECK(fw_json_is_cut("{\"a\":\"}\"", 8));
	CHECK(fw_json_is_cut("{\"a\":\"\\\"}", 9));
	CHECK(fw_json_is_cut("{", 1));
	CHECK(!fw_json_is_cut("{\"a\":1}", 7));
	CHECK(!fw_json_is_cut("{\"a\":{}} x", 10));
	CHECK(!fw_json_is_cut("x{", 2));
	CHECK(!fw_json_is_cut("", 0));
}

static void test_dedup(void)
{
	struct fw_dedup *d = fw_dedup_new(10);
	uint64_t a = fw_dedup_hash(REC, strlen(REC));

	CHECK(a == fw_dedup_hash(REC, strlen(REC)));
	CHECK(a != fw_dedup_hash(REC, strlen(REC) - 1));
	CHECK(fw_dedup_hash("", 0) != 0);
	CHECK_INT(fw_dedup_check_and_remember(d, 100, a), 0);
	CHECK_INT(fw_dedup_check_and_remember(d, 100, a), 1);
	CHECK_INT(fw_dedup_check_and_remember(d, 105, 2), 0);
	/* 110 is still within 10 of 100; 111 is not */
	CHECK_INT(fw_dedup_check_and_remember(d, 110, a), 1);
	CHECK_INT(fw_dedup_size(d), 2);
	CHECK_INT(fw_dedup_check_and_remember(d, 111, 3), 0);
	CHECK_INT(fw_dedup_size(d), 2);
	CHECK_INT(fw_dedup_check_and_remember(d, 111, a), 0);
	/* a record older than the newest is checked all the same */
	CHECK_INT(fw_dedup_check_and_remember(d, 104, 2), 1);
	fw_dedup_free(d);
}

/* Against a list, with many hashes that share slots (deletion shifts). */
static void test_dedup_many(void)
{
	struct fw_dedup *d = fw_dedup_new(100);
	static uint64_t t_of[4096];
	unsigned int seed = 7, bad = 0;

	for (uint64_t t = 1; t < 20000; t++) {
		uint64_t h = 1 + (uint64_t)(rand_r(&seed) % 4096);
		bool want = t_of[h - 1] && t - t_of[h - 1] <= 100;
		int got = fw_dedup_check_and_remember(d, t, h << 40);

		bad += got != (int)want;
		if (!want)
			t_of[h - 1] = t;
	}
	CHECK_INT(bad, 0);
	CHECK(fw_dedup_size(d) <= 101);
	fw_dedup_free(d);
}

/* ---- the CLI ---- */

static char path_buf[8][64];

static const char *tmp_file(int i, const char *data, size_t len, bool gz)
{
	char *path = path_buf[i];
	int fd;

	snprintf(path, 64, "/tmp/fwlines.XXXXXX");
	fd = mkstemp(path);
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

#define T(s) "17959968" s "000000000"
#define CONN(t, old, new, extra)                                               \
	"{\"v\":1,\"type\":\"state\",\"time_ns\":" t ",\"host\":\"app1\","     \
	"\"netns\":1,\"sock\":11,\"family\":4,\"laddr\":\"10.0.0.1\","         \
	"\"lport\":40001,\"raddr\":\"10.0.0.2\",\"rport\":6379,\"role\":"      \
	"\"client\",\"oldstate\":\"" old                                       \
	"\",\"newstate\":\"" new "\","                                         \
				 "\"isn_local\":5,\"isn_remote\":6" extra      \
				 "}\n"
#define SRV(t, old, new)                                                       \
	"{\"v\":1,\"type\":\"state\",\"time_ns\":" t ",\"host\":\"db1\","      \
	"\"netns\":2,\"sock\":22,\"family\":4,\"laddr\":\"10.0.0.2\","         \
	"\"lport\":6379,\"raddr\":\"10.0.0.1\",\"rport\":40001,\"role\":"      \
	"\"server\",\"oldstate\":\"" old                                       \
	"\",\"newstate\":\"" new "\","                                         \
				 "\"isn_local\":6,\"isn_remote\":5}\n"
#define HOST(t, host, type)                                                    \
	"{\"v\":1,\"type\":\"" type "\",\"time_ns\":" t ",\"host\":\"" host    \
	"\"}\n"

/* app1's FIN never reaches db1: a lost_fin, in two parts of app1's log. */
static const char client_a[] = HOST(T("00"), "app1", "start")
	CONN(T("01"), "SYN_SENT", "ESTABLISHED", "")
		CONN(T("10"), "ESTABLISHED", "FIN_WAIT1", "");
static const char client_b[] = CONN(T("10"), "ESTABLISHED", "FIN_WAIT1", "")
	CONN(T("11"), "FIN_WAIT1", "FIN_WAIT1", ",\"close_retrans\":1")
		CONN(T("30"), "FIN_WAIT1", "CLOSE", "")
			HOST(T("50"), "app1", "stop");
static const char server[] = HOST(T("00"), "db1", "start")
	SRV(T("01"), "SYN_RECV", "ESTABLISHED") HOST(T("50"), "db1", "stop");

/* The same verdicts, whatever the order and however often given. */
static void test_cli_duplicates(void)
{
	static char out[65536], err[8192];
	char *a = (char *)tmp_file(0, client_a, strlen(client_a), true);
	char *b = (char *)tmp_file(1, client_b, strlen(client_b), false);
	char *s = (char *)tmp_file(2, server, strlen(server), false);
	char *once[] = { "correlate", "--json", b, s, a, NULL };
	char *twice[] = { "correlate", "--json", s, a, b, a, b, s, NULL };
	const char *v = "\"verdicts\":{\"lost_fin\":1,\"lost_rst\":0";

	CHECK_INT(run_cli(once, 5, out, sizeof(out), err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(strstr(out, v) != NULL);
	/* the FIN_WAIT1 record is in both parts: one duplicate */
	CHECK(strstr(out, "\"records\":9,\"bad_lines\":0,\"duplicates\":1,") !=
	      NULL);
	CHECK_INT(run_cli(twice, 8, out, sizeof(out), err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(strstr(out, v) != NULL);
	CHECK(strstr(out, "\"records\":9,\"bad_lines\":0,\"duplicates\":11,") !=
	      NULL);
	CHECK(strstr(out, "\"connections\":1,") != NULL);
	unlink(a);
	unlink(b);
	unlink(s);
}

/* What rsyslog and journald make of the logs: the same verdicts. */
static void test_cli_syslog_and_journal(void)
{
	static char out[65536], err[8192], syslog[8192], journal[8192];
	const char *p = server;
	size_t n = 0, m = 0;
	char *cl, *srv;

	/* db1 through rsyslog, app1 through journalctl -o json */
	while (*p) {
		const char *nl = strchr(p, '\n');

		n += (size_t)snprintf(syslog + n, sizeof(syslog) - n,
				      "2024-12-01T20:25:35.1+01:00 db1 "
				      "finwatch[7]: %.*s\n",
				      (int)(nl - p), p);
		p = nl + 1;
	}
	for (p = client_a; *p;) {
		const char *nl = strchr(p, '\n');

		m += (size_t)snprintf(journal + m, sizeof(journal) - m,
				      "{\"__CURSOR\":\"s=1\",\"MESSAGE\":\"");
		for (; p < nl; p++)
			m += (size_t)snprintf(journal + m, sizeof(journal) - m,
					      *p == '"' ? "\\\"" : "%c", *p);
		m += (size_t)snprintf(journal + m, sizeof(journal) - m,
				      "\",\"_PID\":\"1\"}\n");
		p = nl + 1;
	}
	m += (size_t)snprintf(journal + m, sizeof(journal) - m, "%s", client_b);
	cl = (char *)tmp_file(0, journal, m, false);
	srv = (char *)tmp_file(1, syslog, n, true);
	{
		char *argv[] = { "correlate", "--json", cl, srv, NULL };

		CHECK_INT(run_cli(argv, 4, out, sizeof(out), err, sizeof(err)),
			  0);
	}
	CHECK_STR(err, "");
	CHECK(strstr(out, "\"verdicts\":{\"lost_fin\":1,") != NULL);
	CHECK(strstr(out, "\"records\":9,\"bad_lines\":0,\"duplicates\":1,") !=
	      NULL);
	unlink(cl);
	unlink(srv);
}

/* A record cut by a message size limit is said to be cut, and dropped. */
static void test_cli_cut_line(void)
{
	static char log[65536], out[65536], err[8192];
	size_t n = strlen(server);
	char *path;

	memcpy(log, server, n);
	n += (size_t)snprintf(log + n, sizeof(log) - n,
			      "Dec  1 20:25:35 db1 finwatch[7]: %.60s\n",
			      SRV(T("02"), "ESTABLISHED", "CLOSE_WAIT"));
	path = (char *)tmp_file(0, log, n, false);
	{
		char *argv[] = { "correlate", "--json", "--max-bad-share",
				 "0.5",	      path,	NULL };

		CHECK_INT(run_cli(argv, 5, out, sizeof(out), err, sizeof(err)),
			  0);
	}
	CHECK(strstr(err,
		     ":4: RFC 3164 syslog line: cut record: it ends "
		     "inside its JSON object after 60 bytes (a message "
		     "size limit on the way? see docs/FLEET.md): ") != NULL);
	CHECK(strstr(out, "\"bad_lines\":1,") != NULL);
	unlink(path);
}

static void test_cli_exit_status(void)
{
	static char out[65536], err[8192];
	static const char junk[] = "Dec  1 20:25:35 db1 sshd[1]: hello\n";
	char *s = (char *)tmp_file(0, server, strlen(server), false);
	char *j = (char *)tmp_file(1, junk, strlen(junk), false);
	char *e = (char *)tmp_file(2, "", 0, false);
	char *tick = (char *)tmp_file(
		3, HOST(T("00"), "db1", "not_yet_known"),
		strlen(HOST(T("00"), "db1", "not_yet_known")), false);
	char *good[] = { "correlate", s, NULL };
	char *bad[] = { "correlate", s, j, NULL };
	char *lenient[] = {
		"correlate", "--max-bad-share", "0.25", s, j, NULL
	};
	char *empty[] = { "correlate", e, NULL };
	char *ignored[] = { "correlate", tick, NULL };
	char *only_junk[] = { "correlate", "--max-bad-share", "1", j, NULL };
	char *share[] = { "correlate", "--max-bad-share", "5", s, NULL };

	CHECK_INT(run_cli(good, 2, out, sizeof(out), err, sizeof(err)), 0);
	CHECK_STR(err, "");
	/* 1 bad line of 4: 25% */
	CHECK_INT(run_cli(bad, 3, out, sizeof(out), err, sizeof(err)), 3);
	CHECK(strstr(err, ":1: RFC 3164 syslog line: the syslog message is "
			  "not a JSON object") != NULL);
	CHECK(strstr(err, "finwatch correlate: 1 of 4 lines (25.0%) were bad, "
			  "more than --max-bad-share 1%\n") != NULL);
	CHECK(strstr(out, "verdicts:") != NULL); /* the report stands */
	CHECK_INT(run_cli(lenient, 5, out, sizeof(out), err, sizeof(err)), 0);
	CHECK_INT(run_cli(empty, 2, out, sizeof(out), err, sizeof(err)), 3);
	CHECK_STR(err, "finwatch correlate: no usable record in the input "
		       "(0 lines, 0 bad)\n");
	CHECK_INT(run_cli(ignored, 2, out, sizeof(out), err, sizeof(err)), 3);
	CHECK_STR(err, "finwatch correlate: no usable record in the input "
		       "(1 lines, 0 bad)\n");
	CHECK_INT(run_cli(only_junk, 4, out, sizeof(out), err, sizeof(err)), 3);
	CHECK(strstr(err, "no usable record in the input (1 lines, 1 bad)") !=
	      NULL);
	CHECK_INT(run_cli(share, 4, out, sizeof(out), err, sizeof(err)), 2);
	CHECK(strstr(err, "bad share '5'") != NULL);
	unlink(s);
	unlink(j);
	unlink(e);
	unlink(tick);
}

int main(void)
{
	RUN_TEST(test_raw_and_cat);
	RUN_TEST(test_rfc3164);
	RUN_TEST(test_rfc3339);
	RUN_TEST(test_rfc5424);
	RUN_TEST(test_journal_json);
	RUN_TEST(test_rsyslog_escapes_are_text);
	RUN_TEST(test_cut);
	RUN_TEST(test_dedup);
	RUN_TEST(test_dedup_many);
	RUN_TEST(test_cli_duplicates);
	RUN_TEST(test_cli_syslog_and_journal);
	RUN_TEST(test_cli_cut_line);
	RUN_TEST(test_cli_exit_status);
	return CHECK_EXIT();
}
