// SPDX-License-Identifier: GPL-2.0
/*
 * Address texts of connection records to bytes: dotted quads by a fast
 * path and a small memo (each host's own address is on nearly every line
 * it writes), the rest by inet_pton.
 */
#include <arpa/inet.h>
#include <string.h>

#include "json.h"
#include "record.h"

/* A fast path for dotted quads; anything odd falls back to inet_pton. */
static bool parse_ipv4(const char *s, size_t len, uint8_t *out)
{
	unsigned int part = 0, val = 0, digits = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9') {
			val = val * 10 + (unsigned int)(c - '0');
			if (++digits > 3 || val > 255)
				return false;
		} else if (c == '.' && digits && part < 3) {
			out[part++] = (uint8_t)val;
			val = digits = 0;
		} else {
			return false;
		}
	}
	if (part != 3 || !digits)
		return false;
	out[3] = (uint8_t)val;
	return true;
}

/*
 * Address texts parsed lately and their bytes, direct-mapped by their
 * last bytes: each host's own address is on nearly every line it writes,
 * and the hosts' lines interleave. Like next_key, it only ever affects
 * speed.
 */
struct addr_memo {
	char text[16];
	size_t len;
	uint8_t addr[16];
};

static struct addr_memo addr_memo[16];

bool fw_rec_parse_addr(const char *s, size_t len, uint8_t *out)
{
	struct addr_memo *m;
	char buf[64];

	if (!len)
		return false;
	m = &addr_memo[(len ^ (unsigned char)s[len - 1] ^
			(unsigned char)s[len / 2] * 3) &
		       15];
	if (len == m->len && fwj_same_bytes(s, m->text, len)) {
		memcpy(out, m->addr, 16);
		return true;
	}
	memset(out, 0, 16);
	if (parse_ipv4(s, len, out)) {
		/* only dotted quads: they fit, and cannot fail later */
		memcpy(m->text, s, len);
		m->len = len;
		memcpy(m->addr, out, 16);
		return true;
	}
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1;
}

bool fw_rec_is_v6_text(const char *text, size_t len)
{
	return memchr(text, ':', len) != NULL;
}

/* IPv4 as ::ffff:a.b.c.d under family 4: keep the IPv4 part. */
void fw_rec_unmap_v4(uint8_t *a, const char *text, size_t len)
{
	if (fw_rec_is_v6_text(text, len) && fw_addr_is_v4_mapped(a))
		fw_addr_unmap_v4(a);
}
