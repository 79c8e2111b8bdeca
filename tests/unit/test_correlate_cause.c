// SPDX-License-Identifier: GPL-2.0
/*
 * What killed each lost close, on crafted logs: the hosts' facts (start
 * netns_facts, netns records), the conntrack view of drops, the causes
 * and their words, the advice that follows from them, the one-line
 * answer to "network or app?", and pairing through middleboxes that
 * rewrite sequence numbers.
 */
#include "check.h"
#include "correlate/record.h"

#include <stdio.h>
#include <string.h>

/* ---- parsing the facts ---- */

static int parse(const char *line, struct fw_rec *r)
{
	return fw_rec_parse(line, strlen(line), r);
}

static void test_parse_start_facts(void)
{
	static struct fw_rec r;
	/* "v":2 is the stream lane's to accept: the keys under v1 */
	const char *line =
		"{\"v\":1,\"type\":\"start\",\"time_ns\":5,\"host\":\"app1\","
		"\"ports\":[6379],\"netns\":[],\"attach\":[\"tp_btf/"
		"inet_sock_set_state\",\"tp_btf/kfree_skb\"],"
		"\"netns_facts\":[{\"netns\":4026531840,\"ct_max\":65536,"
		"\"ct_tcp_timeout_established\":3,\"ct_tcp_be_liberal\":0,"
		"\"tcp_keepalive_time\":7200},{\"netns\":4026532000,"
		"\"tcp_keepalive_time\":60,\"future_key\":\"x\"}]}";

	CHECK_INT(parse(line, &r), 0);
	CHECK_INT(r.type, FW_REC_START);
	CHECK_INT(r.n_facts, 2);
	CHECK(r.has & FW_HAS_ATTACH);
	CHECK(r.attach_drops);
	CHECK_INT(r.facts[0].netns, 4026531840ull);
	CHECK_INT(r.facts[0].v[FW_FACT_CT_MAX], 65536);
	CHECK_INT(r.facts[0].v[FW_FACT_CT_TCP_TIMEOUT_ESTABLISHED], 3);
	CHECK_INT(r.facts[0].v[FW_FACT_CT_TCP_BE_LIBERAL], 0);
	CHECK(r.facts[0].v[FW_FACT_CT_COUNT] == FW_UNKNOWN);
	CHECK_INT(r.facts[1].netns, 4026532000ull);
	/* no conntrack there: every ct_* absent */
	CHECK(r.facts[1].v[FW_FACT_CT_MAX] == FW_UNKNOWN);
	CHECK_INT(r.facts[1].v[FW_FACT_TCP_KEEPALIVE_TIME], 60);
	CHECK_STR(fw_fact_key(FW_FACT_CT_TCP_TIMEOUT_ESTABLISHED),
		  "ct_tcp_timeout_established");
}

static void test_parse_netns_record(void)
{
	static struct fw_rec r;

	CHECK_INT(parse("{\"v\":1,\"type\":\"netns\",\"time_ns\":9,\"host\":"
			"\"db1\",\"netns\":4026532999,\"ct_max\":1000,"
			"\"ct_count\":999,\"ct_tcp_timeout_established\":"
			"432000}",
			&r),
		  0);
	CHECK_INT(r.type, FW_REC_NETNS);
	CHECK_INT(r.netns, 4026532999ull);
	CHECK_INT(r.n_facts, 1);
	CHECK_INT(r.facts[0].netns, 4026532999ull);
	CHECK_INT(r.facts[0].v[FW_FACT_CT_COUNT], 999);
	CHECK_INT(r.facts[0].v[FW_FACT_CT_TCP_TIMEOUT_ESTABLISHED], 432000);
	CHECK(r.facts[0].v[FW_FACT_TCP_FIN_TIMEOUT] == FW_UNKNOWN);
	/* a start record's attach list without the drop program */
	CHECK_INT(parse("{\"v\":1,\"type\":\"start\",\"time_ns\":5,\"host\":"
			"\"a\",\"attach\":[\"tp_btf/inet_sock_set_state\"]}",
			&r),
		  0);
	CHECK((r.has & FW_HAS_ATTACH) && !r.attach_drops);
	CHECK_INT(r.n_facts, 0);
}

static void test_parse_bad_facts(void)
{
	static struct fw_rec r;

	CHECK_INT(parse("{\"v\":1,\"type\":\"netns\",\"time_ns\":9,\"host\":"
			"\"db1\",\"netns\":1,\"ct_max\":\"many\"}",
			&r),
		  -1);
	CHECK_STR(r.why, "key \"ct_max\": expected a non-negative integer");
	CHECK_INT(parse("{\"v\":1,\"type\":\"netns\",\"time_ns\":9,\"host\":"
			"\"db1\",\"ct_max\":5}",
			&r),
		  -1);
	CHECK_STR(r.why, "missing key \"netns\"");
	CHECK_INT(parse("{\"v\":1,\"type\":\"start\",\"time_ns\":5,\"host\":"
			"\"a\",\"netns_facts\":[{\"ct_max\":5}]}",
			&r),
		  -1);
	CHECK_STR(r.why, "facts without a \"netns\"");
	CHECK_INT(parse("{\"v\":1,\"type\":\"start\",\"time_ns\":5,\"host\":"
			"\"a\",\"netns_facts\":[7]}",
			&r),
		  -1);
	CHECK_STR(r.why, "key \"netns_facts\": expected objects");
	CHECK_INT(parse("{\"v\":1,\"type\":\"start\",\"time_ns\":5,\"host\":"
			"\"a\",\"netns_facts\":{\"netns\":1}}",
			&r),
		  -1);
	CHECK_STR(r.why, "key \"netns_facts\": expected an array");
}

static void test_parse_drop_ct(void)
{
	static struct fw_rec r;
	const char *head =
		"{\"v\":1,\"type\":\"drop\",\"time_ns\":9,\"host\":\"app1\","
		"\"netns\":1,\"sock\":2,\"family\":4,\"laddr\":\"198.18.0.1\","
		"\"lport\":40000,\"raddr\":\"198.18.0.2\",\"rport\":6379,"
		"\"oldstate\":\"FIN_WAIT1\",\"newstate\":\"FIN_WAIT1\","
		"\"tcp_flags\":\"FIN|ACK\",\"direction\":\"out\",\"reason\":"
		"\"NETFILTER_DROP\"";
	char line[1024];

	snprintf(line, sizeof(line), "%s,\"ct\":\"none\",\"ct_hooked\":true}",
		 head);
	CHECK_INT(parse(line, &r), 0);
	CHECK_INT(r.ct, FW_CT_NONE);
	CHECK((r.has & FW_HAS_CT_HOOKED) && r.ct_hooked);
	snprintf(line, sizeof(line), "%s,\"ct\":\"tracked\"}", head);
	CHECK_INT(parse(line, &r), 0);
	CHECK_INT(r.ct, FW_CT_TRACKED);
	CHECK(!(r.has & FW_HAS_CT_HOOKED));
	snprintf(line, sizeof(line),
		 "%s,\"ct\":\"someday\",\"drop_reason_last\":\"NETFILTER_"
		 "DROP\",\"ct_last\":\"untracked\"}",
		 head);
	CHECK_INT(parse(line, &r), 0);
	CHECK_INT(r.ct, FW_CT_UNKNOWN);
	CHECK(r.has & FW_HAS_DROP_LAST);
	CHECK_STR(r.reason_last, "NETFILTER_DROP");
	CHECK_INT(r.ct_last, FW_CT_UNTRACKED);
	snprintf(line, sizeof(line), "%s,\"ct_hooked\":1}", head);
	CHECK_INT(parse(line, &r), -1);
	CHECK_STR(r.why, "key \"ct_hooked\": expected boolean");
}

int main(void)
{
	RUN_TEST(test_parse_start_facts);
	RUN_TEST(test_parse_netns_record);
	RUN_TEST(test_parse_bad_facts);
	RUN_TEST(test_parse_drop_ct);
	return CHECK_EXIT();
}
