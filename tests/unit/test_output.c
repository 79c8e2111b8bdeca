// SPDX-License-Identifier: GPL-2.0
/* The JSON and text records of `finwatch trace`, byte for byte. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "output.h"

static struct fw_event client_fin_wait1(void)
{
	struct fw_event ev = {
		.ts_ns = 1000000000ULL,
		.sock_id = 8195,
		.bytes_acked = 14,
		.bytes_received = 7,
		.netns = 4026531840u,
		.pid = 4242,
		.isn_local = 662371969u,
		.isn_remote = 731989750u,
		.last_recv_ms = 30512,
		.last_send_ms = FW_AGE_UNKNOWN,
		.lport = 40122,
		.rport = 6379,
		.type = FW_EV_STATE,
		.family = 4,
		.role = FW_ROLE_CLIENT,
		.oldstate = FW_TCP_ESTABLISHED,
		.newstate = FW_TCP_FIN_WAIT1,
		.flags = FW_F_OWNER_KNOWN | FW_F_ISN_KNOWN | FW_F_ACTIVE_OPEN |
			 FW_F_OPEN_SEEN,
		.comm = "ruby",
	};

	inet_pton(AF_INET, "198.18.0.1", ev.laddr);
	inet_pton(AF_INET, "198.18.0.2", ev.raddr);
	return ev;
}

static struct fw_output json_out(void)
{
	struct fw_output o = {
		.fd = -1,
		.json = true,
		.host = "app1",
		.clock_offset_ns = 1795996800000000000LL,
	};
	return o;
}

static void test_state_record_json(void)
{
	struct fw_output o = json_out();
	struct fw_event ev = client_fin_wait1();
	char buf[2048];

	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK_STR(buf, "{\"v\":2,\"type\":\"state\",\"time_ns\":"
		       "1795996801000000000,\"host\":\"app1\","
		       "\"netns\":4026531840,\"sock\":8195,\"family\":4,"
		       "\"laddr\":\"198.18.0.1\",\"lport\":40122,"
		       "\"raddr\":\"198.18.0.2\",\"rport\":6379,\"role\":"
		       "\"client\",\"oldstate\":\"ESTABLISHED\","
		       "\"newstate\":\"FIN_WAIT1\",\"pid\":4242,\"comm\":"
		       "\"ruby\",\"isn_local\":662371969,"
		       "\"isn_remote\":731989750,\"active_open\":true,\"bytes_"
		       "sent\":14,\"bytes_received\":7,"
		       "\"retrans\":0,\"close_retrans\":0,\"close_drops\":0,"
		       "\"last_recv_ms\":30512}\n");
}

static void test_unknown_owner_and_isn_are_not_invented(void)
{
	struct fw_output o = json_out();
	struct fw_event ev = client_fin_wait1();
	char buf[2048];

	ev.flags = 0;
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "\"pid\":0,\"comm\":\"\""));
	CHECK(!strstr(buf, "isn_local"));
	CHECK(!strstr(buf, "active_open"));
	/* Met mid-life: the ISNs rest on a guess of who opened, unsaid. */
	ev.flags = FW_F_ISN_KNOWN | FW_F_ACTIVE_OPEN;
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "isn_local"));
	CHECK(!strstr(buf, "active_open"));
}

static void test_ipv6_canonical_and_server_role(void)
{
	struct fw_output o = json_out();
	struct fw_event ev = client_fin_wait1();
	char buf[2048];

	ev.family = 6;
	ev.role = FW_ROLE_SERVER;
	inet_pton(AF_INET6, "2001:0db8:0000:0000:0000:0000:0000:0002",
		  ev.laddr);
	inet_pton(AF_INET6, "2001:db8::1", ev.raddr);
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "\"family\":6,\"laddr\":\"2001:db8::2\""));
	CHECK(strstr(buf, "\"raddr\":\"2001:db8::1\""));
	CHECK(strstr(buf, "\"role\":\"server\""));
}

static void test_v4_mapped_is_marked(void)
{
	struct fw_output o = json_out();
	struct fw_event ev = client_fin_wait1();
	char buf[2048];

	ev.flags |= FW_F_V4_MAPPED;
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "\"family\":4,\"laddr\":\"198.18.0.1\""));
	CHECK(strstr(buf, "\"mapped\":true"));
}

static void test_comm_is_escaped(void)
{
	struct fw_output o = json_out();
	struct fw_event ev = client_fin_wait1();
	char buf[2048];

	memcpy(ev.comm, "a\"b\\c\n\x7f", 8);
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "\"comm\":\"a\\\"b\\\\c\\u000a\\u007f\""));
}

/* In the text table, a comm cannot move the cursor or recolour the
 * terminal: its control characters are \xNN, its UTF-8 stays. */
static void test_text_comm_is_escaped(void)
{
	struct fw_output o = json_out();
	struct fw_event ev = client_fin_wait1();
	char buf[2048];

	o.json = false;
	memcpy(ev.comm, "\x1b[2Jcaf\xc3\xa9\n", 11);
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, " \\x1b[2Jcaf\xc3\xa9\\x0a "));
	CHECK(!strchr(buf, '\x1b'));
	CHECK(strchr(buf, '\n') == buf + strlen(buf) - 1);
}

/* UTF-8 as it is, so that readers get the name back; bytes that are no
 * UTF-8 as U+FFFD, so that the line stays valid JSON. */
static void test_comm_utf8(void)
{
	struct fw_output o = json_out();
	struct fw_event ev = client_fin_wait1();
	char buf[2048];

	memcpy(ev.comm, "caf\xc3\xa9-\xe6\x97\xa5", 10);
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "\"comm\":\"caf\xc3\xa9-\xe6\x97\xa5\""));
	memcpy(ev.comm, "x\xff\xc3", 4);
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "\"comm\":\"x\xef\xbf\xbd\xef\xbf\xbd\""));
	o.host = "h\xc3\xb4te";
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "\"host\":\"h\xc3\xb4te\""));
}

static void test_retransmit_and_drop_records(void)
{
	struct fw_output o = json_out();
	struct fw_event ev = client_fin_wait1();
	char buf[2048];

	ev.type = FW_EV_RETRANSMIT;
	ev.oldstate = ev.newstate = FW_TCP_FIN_WAIT1;
	ev.tcp_flags = FW_TCPF_FIN | FW_TCPF_ACK;
	ev.close_retrans = 2;
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "\"type\":\"retransmit\""));
	CHECK(strstr(buf, "\"close_retrans\":2"));
	CHECK(strstr(buf, "\"tcp_flags\":\"FIN|ACK\"}"));

	ev.type = FW_EV_DROP;
	ev.close_drops = 3;
	ev.drop_reason = 999; /* unknown to this kernel's BTF: a number */
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "\"type\":\"drop\""));
	CHECK(strstr(buf, "\"close_drops\":3"));
	CHECK(strstr(buf, "\"direction\":\"out\",\"reason\":\"999\"}"));
}

static void test_close_record_says_how(void)
{
	struct fw_output o = json_out();
	struct fw_event ev = client_fin_wait1();
	char buf[2048];

	ev.type = FW_EV_CLOSE;
	ev.oldstate = FW_TCP_FIN_WAIT1;
	ev.newstate = FW_TCP_CLOSE;
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "\"via\":\"destroy\"}"));
	ev.flags |= FW_F_BY_OWNER;
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, "\"via\":\"tcp_close\"}"));
}

static void test_text_line(void)
{
	struct fw_output o = json_out();
	struct fw_event ev = client_fin_wait1();
	char buf[2048];

	o.json = false;
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, " client    4242 ruby "));
	CHECK(strstr(buf, "198.18.0.1:40122"));
	CHECK(strstr(buf, "ESTABLISHED -> FIN_WAIT1\n"));
}

/* What a socket's state carries into a record of the folded stream. */
static void test_folded_record_keys(void)
{
	struct fw_output o = json_out();
	struct fw_event ev = client_fin_wait1();
	char buf[2048];

	ev.oldstate = FW_TCP_FIN_WAIT2;
	ev.newstate = FW_TCP_TIME_WAIT;
	ev.npath = 2;
	ev.path_from[0] = FW_TCP_ESTABLISHED;
	ev.path_to[0] = FW_TCP_FIN_WAIT1;
	ev.path_ts[0] = 900000000ULL;
	ev.path_from[1] = FW_TCP_FIN_WAIT1;
	ev.path_to[1] = FW_TCP_FIN_WAIT2;
	ev.path_ts[1] = FW_TIME_UNKNOWN;
	ev.gap = 3;
	ev.flags |= FW_F_FINAL | FW_F_KEEPALIVE;
	ev.sk_err = 110;
	ev.probes_out = 4;
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(strstr(buf, ",\"path\":[[\"ESTABLISHED\",\"FIN_WAIT1\","
			  "1795996800900000000],[\"FIN_WAIT1\",\"FIN_WAIT2\","
			  "null]],\"gap\":3,\"final\":true,\"sk_err\":"
			  "\"ETIMEDOUT\",\"probes_out\":4,\"rto_retrans\":0,"
			  "\"keepalive\":true}\n"));
	/* Nothing to say: none of those keys. */
	ev = client_fin_wait1();
	fw_format_event(&o, &ev, buf, sizeof(buf));
	CHECK(!strstr(buf, "path") && !strstr(buf, "gap") &&
	      !strstr(buf, "final"));
}

/* Records reach the file whole, one line each; a dead output stops. */
static void test_write_and_failure(void)
{
	const struct fw_lost_window lost = {
		.count = 5,
		.from_mono_ns = 1000,
		.to_mono_ns = 2000,
		.transport = "ring",
		.reason = "buffer_full",
		.pinned = true,
		.scope = "all",
	};
	const struct fw_loss_totals totals = {
		.buffer_full = 5, .recursion = 2, .unpinned = 1, .recovered = 3
	};
	char path[] = "/tmp/fw-test-output-XXXXXX", buf[4096];
	struct fw_output o = json_out();
	struct fw_event ev = client_fin_wait1();
	int fd = mkstemp(path);
	ssize_t n;

	o.fd = fd;
	CHECK_INT(fw_out_event(&o, &ev), 0);
	CHECK_INT(fw_out_lost(&o, &lost), 0);
	CHECK_INT(fw_out_stop(&o, 1, &totals, 1000), 0);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(strstr(
		buf,
		"\"type\":\"lost\",\"time_ns\":1795996800000002000,\"host\":"
		"\"app1\",\"count\":5,\"from_ns\":1795996800000001000,"
		"\"transport\":\"ring\",\"reason\":\"buffer_full\","
		"\"pinned\":true,\"scope\":\"all\"}\n"));
	CHECK(strstr(buf, "\"events\":1,\"lost\":7,\"lost_buffer_full\":5,"
			  "\"lost_recursion\":2,\"lost_unpinned\":1,"
			  "\"recovered\":3,\"tick_ms\":1000}\n"));
	CHECK_INT(o.records, 3);
	close(fd);
	unlink(path);
	o.fd = fd; /* closed: every write fails from here */
	CHECK_INT(fw_out_event(&o, &ev), -1);
	CHECK(o.error != 0);
	CHECK_INT(fw_out_stop(&o, 1, &totals, 0), -1);
}

int main(void)
{
	RUN_TEST(test_folded_record_keys);
	RUN_TEST(test_state_record_json);
	RUN_TEST(test_unknown_owner_and_isn_are_not_invented);
	RUN_TEST(test_ipv6_canonical_and_server_role);
	RUN_TEST(test_v4_mapped_is_marked);
	RUN_TEST(test_comm_is_escaped);
	RUN_TEST(test_comm_utf8);
	RUN_TEST(test_text_comm_is_escaped);
	RUN_TEST(test_retransmit_and_drop_records);
	RUN_TEST(test_close_record_says_how);
	RUN_TEST(test_text_line);
	RUN_TEST(test_write_and_failure);
	return CHECK_EXIT();
}
