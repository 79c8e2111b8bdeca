// SPDX-License-Identifier: GPL-2.0
/*
 * The schema module on its own: names both ways, flags both ways, address
 * and endpoint text, JSON escaping and unescaping (UTF-8 included) and the
 * line builder.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "schema.h"

static void test_record_type_names(void)
{
	for (unsigned int t = 1; t < FW_REC_TYPE_COUNT; t++) {
		const char *name = fw_rec_type_name(t);

		CHECK(strcmp(name, "unknown") != 0);
		CHECK_INT(fw_rec_type_lookup(name, strlen(name)), t);
	}
	CHECK_STR(fw_rec_type_name(FW_REC_DROP), "drop");
	CHECK_STR(fw_rec_type_name(FW_REC_SNAPSHOT_END), "snapshot_end");
	CHECK_STR(fw_rec_type_name(FW_REC_UNKNOWN), "unknown");
	CHECK_STR(fw_rec_type_name(FW_REC_TYPE_COUNT), "unknown");
	CHECK_INT(fw_rec_type_lookup("unknown", 7), FW_REC_UNKNOWN);
	CHECK_INT(fw_rec_type_lookup("stat", 4), FW_REC_UNKNOWN);
	CHECK_INT(fw_rec_type_lookup("states", 6), FW_REC_UNKNOWN);
	CHECK_INT(fw_rec_type_lookup("", 0), FW_REC_UNKNOWN);
	/* the records about one socket, and only those */
	CHECK(fw_rec_is_conn(FW_REC_STATE) && fw_rec_is_conn(FW_REC_DROP));
	CHECK(fw_rec_is_conn(FW_REC_SNAPSHOT));
	CHECK(!fw_rec_is_conn(FW_REC_LOST) && !fw_rec_is_conn(FW_REC_UNKNOWN));
	CHECK(!fw_rec_is_conn(FW_REC_SNAPSHOT_END));
}

static void test_state_names(void)
{
	for (unsigned int st = 1; st < FW_TCP_MAX_STATES; st++) {
		const char *name = fw_state_name(st);

		CHECK(strcmp(name, "UNKNOWN") != 0);
		CHECK_INT(fw_state_lookup(name, strlen(name)), st);
	}
	CHECK_STR(fw_state_name(FW_TCP_ESTABLISHED), "ESTABLISHED");
	CHECK_STR(fw_state_name(FW_TCP_CLOSE_WAIT), "CLOSE_WAIT");
	CHECK_STR(fw_state_name(FW_TCP_TIME_WAIT), "TIME_WAIT");
	CHECK_STR(fw_state_name(FW_TCP_NEW_SYN_RECV), "NEW_SYN_RECV");
	CHECK_STR(fw_state_name(0), "UNKNOWN");
	CHECK_STR(fw_state_name(200), "UNKNOWN");
	CHECK_INT(fw_state_lookup("UNKNOWN", 7), 0);
	CHECK_INT(fw_state_lookup("CLOSE_WAI", 9), 0);
	CHECK_INT(fw_state_lookup("close", 5), 0);
	CHECK_INT(fw_state_lookup("CLOSE", 5), FW_TCP_CLOSE);
}

static void test_tcp_flags(void)
{
	char buf[FW_TCP_FLAGS_STRLEN];

	CHECK_STR(fw_tcp_flags_str(FW_TCPF_FIN | FW_TCPF_ACK, buf, sizeof(buf)),
		  "FIN|ACK");
	CHECK_STR(fw_tcp_flags_str(FW_TCPF_RST, buf, sizeof(buf)), "RST");
	CHECK_STR(fw_tcp_flags_str(0, buf, sizeof(buf)), "");
	CHECK_STR(fw_tcp_flags_str(0x1f, buf, sizeof(buf)),
		  "SYN|FIN|RST|PSH|ACK");
	/* bits the schema has no name for are not written */
	CHECK_STR(fw_tcp_flags_str(0x20 | FW_TCPF_SYN, buf, sizeof(buf)),
		  "SYN");
	for (unsigned int f = 0; f < 32; f++) {
		fw_tcp_flags_str(f, buf, sizeof(buf));
		CHECK_INT(fw_tcp_flags_parse(buf, strlen(buf)), f);
	}
	CHECK_INT(fw_tcp_flags_parse("FIN|URG|ACK", 11),
		  FW_TCPF_FIN | FW_TCPF_ACK);
	CHECK_INT(fw_tcp_flags_parse("", 0), 0);
	CHECK_INT(fw_tcp_flags_parse("FINACK", 6), 0);
	/* a short buffer keeps whole names */
	CHECK_STR(fw_tcp_flags_str(FW_TCPF_SYN | FW_TCPF_FIN, buf, 6), "SYN");
}

static void test_addresses_and_endpoints(void)
{
	uint8_t a[16] = { 0 };
	char buf[FW_ADDR_STRLEN], ep[FW_ENDPOINT_STRLEN];

	inet_pton(AF_INET, "198.18.0.1", a);
	CHECK_STR(fw_addr_str(4, a, buf, sizeof(buf)), "198.18.0.1");
	fw_format_endpoint(ep, sizeof(ep), 4, a, 6379);
	CHECK_STR(ep, "198.18.0.1:6379");
	memset(a, 0, 4);
	CHECK_STR(fw_addr_str(4, a, buf, sizeof(buf)), "0.0.0.0");
	memset(a, 255, 4);
	fw_format_endpoint(ep, sizeof(ep), 4, a, 65535);
	CHECK_STR(ep, "255.255.255.255:65535");
	inet_pton(AF_INET6, "2001:0db8:0:0:0:0:0:0001", a);
	CHECK_STR(fw_addr_str(6, a, buf, sizeof(buf)), "2001:db8::1");
	fw_format_endpoint(ep, sizeof(ep), 6, a, 0);
	CHECK_STR(ep, "[2001:db8::1]:0");
	fw_format_endpoint(ep, 8, 6, a, 6379);
	CHECK_STR(ep, "[2001:d");
}

static void test_v4_mapped(void)
{
	uint8_t a[16];
	char buf[FW_ADDR_STRLEN];

	inet_pton(AF_INET6, "::ffff:198.18.0.7", a);
	CHECK(fw_addr_is_v4_mapped(a));
	fw_addr_unmap_v4(a);
	CHECK_STR(fw_addr_str(4, a, buf, sizeof(buf)), "198.18.0.7");
	for (int i = 4; i < 16; i++)
		CHECK_INT(a[i], 0);
	inet_pton(AF_INET6, "2001:db8::ffff:c612:7", a);
	CHECK(!fw_addr_is_v4_mapped(a));
	inet_pton(AF_INET6, "::1", a);
	CHECK(!fw_addr_is_v4_mapped(a));
}

/* The escaped text of @s (NUL terminated) in @out, whole. */
static const char *escaped(const char *s, size_t len, char *out, size_t sz)
{
	size_t used, n = fw_json_escape(out, sz - 1, s, len, &used);

	out[n] = '\0';
	return used == len ? out : "(cut)";
}

static void test_escape(void)
{
	char out[128];

	CHECK_STR(escaped("redis-server", 12, out, sizeof(out)),
		  "redis-server");
	CHECK_STR(escaped("a\"b\\c", 5, out, sizeof(out)), "a\\\"b\\\\c");
	CHECK_STR(escaped("\n\t\x01\x1f\x7f", 5, out, sizeof(out)),
		  "\\u000a\\u0009\\u0001\\u001f\\u007f");
	/* valid UTF-8 as it is: é, €, U+10FFFF, an emoji */
	CHECK_STR(
		escaped("\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf\xf0\x9f\x98\x80",
			13, out, sizeof(out)),
		"\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf\xf0\x9f\x98\x80");
	/* the NUL is a control character like the others */
	CHECK_STR(escaped("a\0b", 3, out, sizeof(out)), "a\\u0000b");
}

#define FFFD "\xef\xbf\xbd"

static void test_escape_invalid_utf8(void)
{
	char out[128];

	/* a continuation byte alone, and a lead byte that cannot be one */
	CHECK_STR(escaped("a\x80z", 3, out, sizeof(out)), "a" FFFD "z");
	CHECK_STR(escaped("\xff\xfe", 2, out, sizeof(out)), FFFD FFFD);
	/* a sequence cut short, as the kernel's 16-byte comm may cut it:
	 * one U+FFFD for its whole maximal subpart */
	CHECK_STR(escaped("ab\xe2\x82", 4, out, sizeof(out)), "ab" FFFD);
	CHECK_STR(escaped("\xf0\x9f\x98z", 4, out, sizeof(out)), FFFD "z");
	/* overlong forms, a surrogate, beyond U+10FFFF: byte by byte */
	CHECK_STR(escaped("\xc0\xaf", 2, out, sizeof(out)), FFFD FFFD);
	CHECK_STR(escaped("\xe0\x80\xaf", 3, out, sizeof(out)), FFFD FFFD FFFD);
	CHECK_STR(escaped("\xed\xa0\x80", 3, out, sizeof(out)), FFFD FFFD FFFD);
	CHECK_STR(escaped("\xf4\x90\x80\x80", 4, out, sizeof(out)),
		  FFFD FFFD FFFD FFFD);
}

/* Output too short for the whole text: whole characters only, and what
 * they stand for says where to go on. */
static void test_escape_in_pieces(void)
{
	const char *s = "ab\xc3\xa9\n";
	char out[8];
	size_t used, n;

	n = fw_json_escape(out, 3, s, 5, &used);
	CHECK_INT(n, 2);
	CHECK_INT(used, 2);
	n = fw_json_escape(out, 7, s + 2, 3, &used);
	CHECK_INT(n, 2);
	CHECK_INT(used, 2);
	n = fw_json_escape(out, 6, s + 4, 1, &used);
	CHECK_INT(n, 6);
	CHECK_INT(used, 1);
	CHECK_INT(fw_json_escape(out, 0, s, 5, &used), 0);
	CHECK_INT(used, 0);
}

static void test_unescape(void)
{
	char out[16];

	CHECK_INT(fw_json_unescape("a\\nb", 4, out, sizeof(out)), 3);
	CHECK_STR(out, "a\nb");
	CHECK_INT(fw_json_unescape("\\\"\\\\\\/\\b\\f\\r\\t", 14, out,
				   sizeof(out)),
		  7);
	CHECK_STR(out, "\"\\/\b\f\r\t");
	CHECK_INT(fw_json_unescape("\\u00e9", 6, out, sizeof(out)), 2);
	CHECK_STR(out, "\xc3\xa9");
	CHECK_INT(fw_json_unescape("\\ud83d\\ude00", 12, out, sizeof(out)), 4);
	CHECK_STR(out, "\xf0\x9f\x98\x80");
	/* a lone surrogate cannot be encoded */
	CHECK_INT(fw_json_unescape("\\ud800x", 7, out, sizeof(out)), 4);
	CHECK_STR(out, FFFD "x");
	CHECK_INT(fw_json_unescape("\\x", 2, out, sizeof(out)), -1);
	CHECK_INT(fw_json_unescape("\\u12g4", 6, out, sizeof(out)), -1);
	CHECK_INT(fw_json_unescape("a\\", 2, out, sizeof(out)), -1);
	/* cut at a character boundary when the buffer is short */
	CHECK_INT(fw_json_unescape("abc\\u00e9", 9, out, 5), 3);
	CHECK_STR(out, "abc");
	CHECK_INT(fw_json_unescape("abc", 3, out, 0), -1);
}

/* Every byte but NUL, and valid UTF-8 of each length, come back exact. */
static void test_escape_round_trip(void)
{
	static const char *const samples[] = {
		"plain",
		"\xc3\xa9t\xc3\xa9",
		"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		"\xf0\x9f\x90\xb3 whale",
		"tab\there\r\n\"q\"\\",
	};
	char in[128], esc[1024], back[256];
	size_t used, n;

	for (int i = 0; i < 127; i++)
		in[i] = (char)(i + 1);
	n = fw_json_escape(esc, sizeof(esc), in, 127, &used);
	CHECK_INT(used, 127);
	CHECK_INT(fw_json_unescape(esc, n, back, sizeof(back)), 127);
	CHECK(!memcmp(back, in, 127));
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		size_t len = strlen(samples[i]);

		n = fw_json_escape(esc, sizeof(esc), samples[i], len, &used);
		CHECK_INT(used, len);
		CHECK_INT(fw_json_unescape(esc, n, back, sizeof(back)), len);
		CHECK_STR(back, samples[i]);
	}
}

static void test_line_builder(void)
{
	char buf[256];
	struct fw_jbuf b;
	size_t n;

	fw_jb_init(&b, buf, sizeof(buf));
	fw_jb_object_begin(&b);
	fw_jb_key_u64(&b, "a", 0);
	fw_jb_key_u64(&b, "max", UINT64_MAX);
	fw_jb_key(&b, "neg");
	fw_jb_i64(&b, INT64_MIN);
	fw_jb_key(&b, "pos");
	fw_jb_i64(&b, 42);
	fw_jb_key_str(&b, "s", "x\"y\xc3\xa9\n");
	fw_jb_key_bool(&b, "t", true);
	fw_jb_key_bool(&b, "f", false);
	fw_jb_key(&b, "n");
	fw_jb_null(&b);
	fw_jb_key(&b, "arr");
	fw_jb_array_begin(&b);
	fw_jb_u64(&b, 1);
	fw_jb_str(&b, "two", 2);
	fw_jb_array_begin(&b);
	fw_jb_array_end(&b);
	fw_jb_object_begin(&b);
	fw_jb_object_end(&b);
	fw_jb_array_end(&b);
	fw_jb_key(&b, "e");
	fw_jb_array_begin(&b);
	fw_jb_array_end(&b);
	fw_jb_object_end(&b);
	n = fw_jb_line_end(&b);
	CHECK_STR(buf, "{\"a\":0,\"max\":18446744073709551615,"
		       "\"neg\":-9223372036854775808,\"pos\":42,"
		       "\"s\":\"x\\\"y\xc3\xa9\\u000a\",\"t\":true,\"f\":false,"
		       "\"n\":null,\"arr\":[1,\"tw\",[],{}],\"e\":[]}\n");
	CHECK_INT(n, strlen(buf));
	CHECK(!b.cut);
}

/* What does not fit is left out whole: never past the end, never half a
 * value or half a character. */
static void test_line_builder_cut(void)
{
	static const char whole[] =
		"{\"num\":123456789,\"str\":\"\xc3\xa9\xc3\xa9\\u000a\"}\n";

	for (size_t size = 1; size <= sizeof(whole) + 2; size++) {
		char buf[64];
		struct fw_jbuf b;
		size_t n;

		memset(buf, 'X', sizeof(buf));
		fw_jb_init(&b, buf, size);
		fw_jb_object_begin(&b);
		fw_jb_key_u64(&b, "num", 123456789);
		fw_jb_key_str(&b, "str", "\xc3\xa9\xc3\xa9\n");
		fw_jb_object_end(&b);
		n = fw_jb_line_end(&b);
		CHECK(n < size);
		CHECK_INT(buf[n], '\0');
		CHECK_INT(buf[size], 'X');
		CHECK(!strncmp(buf, whole, n));
		/* a cut line stops where an item would have started */
		if (b.cut)
			CHECK(n == 0 || strchr("{:9\"}", buf[n - 1]));
		else
			CHECK_INT(n, sizeof(whole) - 1);
	}
	{
		struct fw_jbuf b;

		fw_jb_init(&b, NULL, 0);
		fw_jb_key_u64(&b, "x", 1);
		CHECK_INT(fw_jb_line_end(&b), 0);
		CHECK(b.cut);
	}
}

int main(void)
{
	RUN_TEST(test_record_type_names);
	RUN_TEST(test_state_names);
	RUN_TEST(test_tcp_flags);
	RUN_TEST(test_addresses_and_endpoints);
	RUN_TEST(test_v4_mapped);
	RUN_TEST(test_escape);
	RUN_TEST(test_escape_invalid_utf8);
	RUN_TEST(test_escape_in_pieces);
	RUN_TEST(test_unescape);
	RUN_TEST(test_escape_round_trip);
	RUN_TEST(test_line_builder);
	RUN_TEST(test_line_builder_cut);
	return CHECK_EXIT();
}
