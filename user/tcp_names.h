/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_TCP_NAMES_H
#define FW_TCP_NAMES_H

#include <stddef.h>

/* TCP state names as the kernel spells them, without TCP_ (and the
 * schema uses them): "ESTABLISHED", "FIN_WAIT1", ... "UNKNOWN" for a
 * number that is none. */
const char *fw_state_name(unsigned int state);

/* The state named by the @len bytes at @s, or 0 when none is. */
unsigned int fw_state_lookup(const char *s, size_t len);

#endif
