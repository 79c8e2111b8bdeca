// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <time.h>
#include <zlib.h>

#include "util.h"

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int fw_parse_port(const char *s, uint16_t *port)
{
	unsigned long v;

	if (parse_ulong(s, 65535, &v) || v == 0)
		return -1;
	*port = v;
	return 0;
}

int fw_parse_pid(const char *s, uint32_t *pid)
{
	unsigned long v;

	if (parse_ulong(s, INT_MAX, &v) || v == 0)
		return -1;
	*pid = v;
	return 0;
}

/* Opens @path and asks nsfs what it is: a net namespace, or not. */
static int netns_inode_of_path(const char *path, uint32_t *inode)
{
	struct stat st;
	int fd, type;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET || fstat(fd, &st) || st.st_ino > UINT32_MAX) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	close(fd);
	*inode = st.st_ino;
	return 0;
}

int fw_parse_netns(const char *s, uint32_t *inode)
{
	unsigned long v;

	if (!parse_ulong(s, UINT32_MAX, &v) && v) {
		*inode = v;
		return 0;
	}
	return netns_inode_of_path(s, inode);
}

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

uint64_t fw_now_monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* The tightest of a few bracketed readings, so a preemption between the
 * two clock reads does not skew every timestamp of the run. */
int64_t fw_monotonic_to_realtime_offset(void)
{
	int64_t best_gap = INT64_MAX, offset = 0;

	for (int i = 0; i < 5; i++) {
		int64_t m1 = clock_ns(CLOCK_MONOTONIC);
		int64_t r = clock_ns(CLOCK_REALTIME);
		int64_t m2 = clock_ns(CLOCK_MONOTONIC);

		if (m2 - m1 < best_gap) {
			best_gap = m2 - m1;
			offset = r - (m1 + (m2 - m1) / 2);
		}
	}
	return offset;
}

static unsigned int hz_from_config(const char *path)
{
	char line[256];
	unsigned int hz = 0;
	gzFile f = gzopen(path, "rb");

	if (!f)
		return 0;
	while (gzgets(f, line, sizeof(line))) {
		if (!strncmp(line, "CONFIG_HZ=", 10)) {
			hz = strtoul(line + 10, NULL, 10);
			break;
		}
	}
	gzclose(f);
	return hz;
}

unsigned int fw_kernel_hz(void)
{
	struct utsname u;
	char path[PATH_MAX];
	unsigned int hz = hz_from_config("/proc/config.gz");

	if (hz || uname(&u))
		return hz;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	return hz_from_config(path);
}

int fw_grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t cap2 = *cap ? *cap : 64;
	void *v2;

	if (need <= *cap)
		return 0;
	while (cap2 < need) {
		if (cap2 > SIZE_MAX / 2 / size) {
			errno = ENOMEM;
			return -1;
		}
		cap2 *= 2;
	}
	v2 = realloc(*v, cap2 * size);
	if (!v2)
		return -1;
	*v = v2;
	*cap = cap2;
	return 0;
}
