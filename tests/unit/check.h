/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal unit-test harness. Each test prints one "PASS name" or
 * "FAIL name: why" line; tests/run.sh counts them. A test binary exits
 * non-zero when any of its tests failed.
 */
#ifndef FW_CHECK_H
#define FW_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed_tests;
static int check_current_failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("  %s:%d: check failed: %s\n", __FILE__,        \
			       __LINE__, #cond);                               \
			check_current_failed = 1;                              \
		}                                                              \
	} while (0)

#define CHECK_STR(got, want)                                                   \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		if (!g_ || strcmp(g_, w_) != 0) {                              \
			printf("  %s:%d: got \"%s\", want \"%s\"\n", __FILE__, \
			       __LINE__, g_ ? g_ : "(null)", w_);              \
			check_current_failed = 1;                              \
		}                                                              \
	} while (0)

#define CHECK_INT(got, want)                                                   \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		if (g_ != w_) {                                                \
			printf("  %s:%d: %s is %lld, want %lld\n", __FILE__,   \
			       __LINE__, #got, g_, w_);                        \
			check_current_failed = 1;                              \
		}                                                              \
	} while (0)

#define RUN_TEST(fn)                                                           \
	do {                                                                   \
		check_current_failed = 0;                                      \
		fn();                                                          \
		printf("%s %s\n", check_current_failed ? "FAIL" : "PASS",      \
		       #fn);                                                   \
		check_failed_tests += check_current_failed;                    \
	} while (0)

#define CHECK_EXIT() (check_failed_tests ? 1 : 0)

#endif
