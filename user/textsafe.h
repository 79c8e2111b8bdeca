/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_TEXTSAFE_H
#define FW_TEXTSAFE_H

#include <stddef.h>

/*
 * Text from logs and from the kernel (a comm, a host name) made safe for
 * a terminal: valid UTF-8 passes through; control characters (C0, DEL
 * and C1, which a terminal may take for escape sequences), backslashes
 * and invalid bytes become \xNN (a backslash \\). At most @len bytes of
 * @s, stopping at a NUL; @out is always NUL terminated and holds only
 * whole escapes. Room for 4 * @len + 1 bytes is enough. Returns @out.
 */
char *fw_text_escape(char *out, size_t outsz, const char *s, size_t len);

/* Room for the escaped text of @n bytes. */
#define FW_TEXT_ESCAPED_LEN(n) (4 * (n) + 1)

#endif
