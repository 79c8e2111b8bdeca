// SPDX-License-Identifier: GPL-2.0
/* Option values: ports, pids, namespaces, durations. */
#include <errno.h>
#include <sys/stat.h>

#include "check.h"
#include "util.h"

static void test_ports(void)
{
	uint16_t p = 0;

	CHECK_INT(fw_parse_port("6379", &p), 0);
	CHECK_INT(p, 6379);
	CHECK_INT(fw_parse_port("1", &p), 0);
	CHECK_INT(fw_parse_port("65535", &p), 0);
	CHECK_INT(p, 65535);
	CHECK_INT(fw_parse_port("0", &p), -1);
	CHECK_INT(fw_parse_port("65536", &p), -1);
	CHECK_INT(fw_parse_port("70000", &p), -1);
	CHECK_INT(fw_parse_port("-1", &p), -1);
	CHECK_INT(fw_parse_port("+80", &p), -1);
	CHECK_INT(fw_parse_port("80x", &p), -1);
	CHECK_INT(fw_parse_port("", &p), -1);
	CHECK_INT(fw_parse_port("99999999999999999999", &p), -1);
}

static void test_pids(void)
{
	uint32_t pid;

	CHECK_INT(fw_parse_pid("1", &pid), 0);
	CHECK_INT(pid, 1);
	CHECK_INT(fw_parse_pid("0", &pid), -1);
	CHECK_INT(fw_parse_pid("2147483648", &pid), -1);
	CHECK_INT(fw_parse_pid("abc", &pid), -1);
}

static void test_netns(void)
{
	struct stat st;
	uint32_t inode;

	CHECK_INT(fw_parse_netns("4026531840", &inode), 0);
	CHECK_INT(inode, 4026531840u);
	CHECK_INT(stat("/proc/self/ns/net", &st), 0);
	CHECK_INT(fw_parse_netns("/proc/self/ns/net", &inode), 0);
	CHECK_INT(inode, st.st_ino);
	errno = 0;
	CHECK_INT(fw_parse_netns("/nonexistent/netns", &inode), -1);
	CHECK_INT(errno, ENOENT);
	errno = 0;
	CHECK_INT(fw_parse_netns("/etc/hostname", &inode), -1);
	CHECK_INT(errno, EINVAL);
	errno = 0;
	CHECK_INT(fw_parse_netns("/proc/self/ns/mnt", &inode), -1);
	CHECK_INT(errno, EINVAL);
}

static void test_durations(void)
{
	unsigned long long ns;

	CHECK_INT(fw_parse_duration_ns("2", &ns), 0);
	CHECK_INT(ns, 2000000000ULL);
	CHECK_INT(fw_parse_duration_ns("500ms", &ns), 0);
	CHECK_INT(ns, 500000000ULL);
	CHECK_INT(fw_parse_duration_ns("5m", &ns), 0);
	CHECK_INT(ns, 300000000000ULL);
	CHECK_INT(fw_parse_duration_ns("1h", &ns), 0);
	CHECK_INT(ns, 3600000000000ULL);
	CHECK_INT(fw_parse_duration_ns("1d", &ns), 0);
	CHECK_INT(ns, 86400000000000ULL);
	CHECK_INT(fw_parse_duration_ns("", &ns), -1);
	CHECK_INT(fw_parse_duration_ns("5x", &ns), -1);
	CHECK_INT(fw_parse_duration_ns("-5", &ns), -1);
	CHECK_INT(fw_parse_duration_ns("99999999999999999999d", &ns), -1);
}

static void test_clock_offset_is_sane(void)
{
	int64_t off = fw_monotonic_to_realtime_offset();

	/* Wall clock minus boot-relative time: some time after 2020. */
	CHECK(off > 1577836800LL * 1000000000LL);
}

int main(void)
{
	RUN_TEST(test_ports);
	RUN_TEST(test_pids);
	RUN_TEST(test_netns);
	RUN_TEST(test_durations);
	RUN_TEST(test_clock_offset_is_sane);
	return CHECK_EXIT();
}
