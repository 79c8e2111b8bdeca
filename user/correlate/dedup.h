/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Telling a record seen twice: the same file given twice, rotated files
 * that overlap, a raw log and its syslog copy. Two records of one host
 * whose text is the same byte for byte are one record: the tracer writes
 * every record with its own nanosecond time and socket, so no two
 * distinct records of a host read alike. The inputs are merged by time,
 * so the copies of a record come within a short time of each other; a
 * host remembers the records of its last @window_ns (of record time), by
 * a 64-bit hash of their text and its length.
 */
#ifndef FW_CORRELATE_DEDUP_H
#define FW_CORRELATE_DEDUP_H

#include <stddef.h>
#include <stdint.h>

struct fw_dedup;

/* NULL when out of memory. */
struct fw_dedup *fw_dedup_new(uint64_t window_ns);
void fw_dedup_free(struct fw_dedup *d);

/* The hash of a record's text. */
uint64_t fw_dedup_hash(const char *s, size_t len);

/*
 * A hint: the slot fw_dedup_check_and_remember() will look at for @hash,
 * fetched into the cache while the caller does other work. @d may be
 * NULL.
 */
void fw_dedup_prefetch(const struct fw_dedup *d, uint64_t hash);

/*
 * Whether a record of time @t_ns and hash @hash was seen within the
 * window before: 1 (a duplicate), 0 (new: remembered now), -1 out of
 * memory.
 */
int fw_dedup_check_and_remember(struct fw_dedup *d, uint64_t t_ns,
				uint64_t hash);

/* Records remembered right now (for tests). */
size_t fw_dedup_size(const struct fw_dedup *d);

#endif
