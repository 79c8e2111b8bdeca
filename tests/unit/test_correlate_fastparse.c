// SPDX-License-Identifier: GPL-2.0
/*
 * The record parser's fast path (record_fast.c) against the general
 * parser alone (fw_rec_parse_general()), on lines made to leave the
 * tracer's compact form at every kind of place: each must give the same
 * return value and the same record, field by field. The differential
 * fuzzer (tests/fuzz/fuzz_record_diff.c) does the same on random input;
 * these are the cases it must never lose.
 */
#include <stdio.h>
#include <string.h>

#include "../fuzz/record_diff.h"
#include "check.h"
#include "correlate/record.h"

#define HEAD "{\"v\":2,\"type\":\"state\",\"time_ns\":1795996801000000000,"
#define CONN                                                                   \
	"\"host\":\"h1\",\"netns\":4026531840,\"sock\":17292486,\"family\":4," \
	"\"laddr\":\"198.18.10.1\",\"lport\":18062,\"raddr\":\"198.18.10.2\"," \
	"\"rport\":6379,\"role\":\"client\","
#define STATES "\"oldstate\":\"SYN_SENT\",\"newstate\":\"ESTABLISHED\","
#define OWNER  "\"pid\":12997,\"comm\":\"redis-benchmark\","
#define ISNS   "\"isn_local\":2560309259,\"isn_remote\":2665332585,"
#define TAIL                                                                   \
	"\"active_open\":true,\"bytes_sent\":0,\"bytes_received\":0,"          \
	"\"retrans\":0,\"close_retrans\":0,\"close_drops\":0,\"path\":[["      \
	"\"CLOSE\",\"SYN_SENT\",1795996800999991197]]}"
#define GOOD HEAD CONN STATES OWNER ISNS TAIL

static const char *const lines[] = {
	GOOD,
	/* whitespace where the tracer writes none */
	"{ \"v\":2,\"type\":\"state\",\"time_ns\":1795996801000000000,"
	"\"host\" : \"h1\"," CONN STATES OWNER ISNS TAIL,
	HEAD CONN STATES OWNER ISNS TAIL " ",
	HEAD CONN STATES OWNER ISNS TAIL "x",
	/* keys in another order, twice, unknown, escaped */
	HEAD CONN OWNER STATES ISNS TAIL,
	HEAD CONN STATES OWNER ISNS "\"pid\":7," TAIL,
	HEAD CONN STATES OWNER ISNS "\"zzz\":[1,{\"a\":\"b\"}]," TAIL,
	HEAD CONN STATES OWNER "\"isn_\\u006cocal\":5," TAIL,
	HEAD CONN STATES "\"comm\":\"r\\u00e9dis\",\"pid\":1," TAIL,
	HEAD CONN STATES "\"comm\":\"r\xc3\xa9"
			 "dis\",\"pid\":1," TAIL,
	HEAD CONN STATES "\"comm\":\"a\x01\",\"pid\":1," TAIL,
	/* numbers at and past their limits, and not integers */
	"{\"v\":2,\"type\":\"state\",\"time_ns\":18446744073709551615," CONN
		STATES TAIL,
	"{\"v\":2,\"type\":\"state\",\"time_ns\":18446744073709551616," CONN
		STATES TAIL,
	"{\"v\":2,\"type\":\"state\",\"time_ns\":9999999999999999999," CONN
		STATES TAIL,
	"{\"v\":2,\"type\":\"state\",\"time_ns\":01," CONN STATES TAIL,
	"{\"v\":2,\"type\":\"state\",\"time_ns\":-1," CONN STATES TAIL,
	"{\"v\":2,\"type\":\"state\",\"time_ns\":1.5," CONN STATES TAIL,
	"{\"v\":2,\"type\":\"state\",\"time_ns\":1e3," CONN STATES TAIL,
	"{\"v\":3,\"type\":\"state\",\"time_ns\":1," CONN STATES TAIL,
	"{\"v\":0,\"type\":\"state\",\"time_ns\":1," CONN STATES TAIL,
	HEAD CONN STATES "\"pid\":4294967296," TAIL,
	HEAD CONN STATES "\"pid\":4294967295," TAIL,
	HEAD "\"host\":\"h1\",\"netns\":1,\"sock\":2,\"family\":5," TAIL,
	HEAD CONN STATES "\"lport\":65536," TAIL,
	/* values of another type */
	HEAD CONN STATES "\"active_open\":\"true\"," TAIL,
	HEAD CONN STATES "\"pid\":\"1\"," TAIL,
	HEAD CONN "\"oldstate\":3,\"newstate\":\"NOPE\"," TAIL,
	HEAD CONN STATES "\"path\":{}}",
	/* paths: empty, unknown time, longer than kept, malformed */
	HEAD CONN STATES "\"path\":[]}",
	HEAD CONN STATES "\"path\":[[\"FIN_WAIT1\",\"FIN_WAIT2\",null]]}",
	HEAD CONN STATES
	"\"path\":[[\"A\",\"B\",1],[\"A\",\"B\",2],[\"A\",\"B\",3],"
	"[\"A\",\"B\",4],[\"A\",\"B\",5],[\"A\",\"B\",6],[\"A\",\"B\",7],"
	"[\"A\",\"B\",8],[\"A\",\"B\",9]]}",
	HEAD CONN STATES "\"path\":[[\"CLOSE\",\"SYN_SENT\"]]}",
	HEAD CONN STATES "\"path\":[[\"CLOSE\",\"SYN_SENT\",1.5]]}",
	HEAD CONN STATES "\"path\":[ [\"CLOSE\" ,\"SYN_SENT\",1] ]}",
	/* cut, empty and missing */
	HEAD CONN STATES "\"pid\":12",
	HEAD "\"host\":\"\"," TAIL,
	"{\"v\":2,\"type\":\"state\",\"time_ns\":1}",
	"{\"type\":\"state\"}",
	"{}",
	"",
	/* other types */
	"{\"v\":2,\"type\":\"snapshot\",\"time_ns\":1,\"host\":\"h1\","
	"\"netns\":1,\"sock\":2,\"family\":4,\"laddr\":\"198.18.10.1\","
	"\"lport\":1030,\"raddr\":\"198.18.10.2\",\"rport\":6379,"
	"\"role\":\"client\",\"oldstate\":\"TIME_WAIT\","
	"\"newstate\":\"TIME_WAIT\",\"pid\":0,\"comm\":\"\",\"state\":"
	"\"TIME_WAIT\",\"snap\":1,\"source\":\"iter\"}",
	"{\"v\":2,\"type\":\"tick\",\"time_ns\":2,\"host\":\"h1\",\"lost\":0,"
	"\"lost_buffer_full\":0,\"lost_recursion\":0,\"lost_unpinned\":0,"
	"\"recovered\":0}",
	"{\"v\":2,\"type\":\"start\",\"time_ns\":1,\"host\":\"h1\","
	"\"ports\":[6379],\"netns\":[4026532198],\"transport\":\"ring\","
	"\"version\":\"0.4.0\",\"attach\":[\"tp_btf/kfree_skb\"],"
	"\"stream\":\"folded\",\"tick_ms\":1000}",
	"{\"v\":2,\"type\":\"newfangled\",\"time_ns\":1,\"host\":\"h1\"}",
	"{\"v\":2,\"type\":\"state\\u0020\",\"time_ns\":1,\"host\":\"h1\"}",
};

static struct fw_rec rec_fast, rec_general;

/* The same return value and record from both parsers. */
static void check_same(const char *line)
{
	int rf = fw_rec_parse(line, strlen(line), &rec_fast);
	int rg = fw_rec_parse_general(line, strlen(line), &rec_general);
	const char *d = rf != rg ? "return value"
				 : fw_rec_diff(&rec_fast, &rec_general);

	if (d)
		fprintf(stderr,
			"differ in %s (fast %d \"%s\", general %d \"%s\"): "
			"%s\n",
			d, rf, rec_fast.why, rg, rec_general.why, line);
	CHECK(d == NULL);
}

static void test_fast_is_general(void)
{
	/* twice over, so that the predictions have learned every order */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
			check_same(lines[i]);
}

/* The fast path reads the tracer's own line right, not only alike. */
static void test_fast_reads_good_line(void)
{
	CHECK_INT(fw_rec_parse(GOOD, strlen(GOOD), &rec_fast), 0);
	CHECK_INT(rec_fast.type, FW_REC_STATE);
	CHECK_INT(rec_fast.time_ns, 1795996801000000000ull);
	CHECK_INT(rec_fast.sock, 17292486);
	CHECK_INT(rec_fast.lport, 18062);
	CHECK_INT(rec_fast.oldstate, FW_TCP_SYN_SENT);
	CHECK_INT(rec_fast.newstate, FW_TCP_ESTABLISHED);
	CHECK_INT(rec_fast.isn_remote, 2665332585u);
	CHECK(rec_fast.has & FW_HAS_ISN);
	CHECK(rec_fast.active_open);
	CHECK_STR(rec_fast.comm, "redis-benchmark");
	CHECK_INT(rec_fast.npath, 1);
	CHECK_INT(rec_fast.path[0].time_ns, 1795996800999991197ull);
}

int main(void)
{
	RUN_TEST(test_fast_is_general);
	RUN_TEST(test_fast_reads_good_line);
	return CHECK_EXIT();
}
