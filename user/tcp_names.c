// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <linux/types.h>

#include "finwatch.h"
#include "tcp_names.h"

static const char *const state_names[FW_TCP_MAX_STATES] = {
	[FW_TCP_ESTABLISHED] = "ESTABLISHED",
	[FW_TCP_SYN_SENT] = "SYN_SENT",
	[FW_TCP_SYN_RECV] = "SYN_RECV",
	[FW_TCP_FIN_WAIT1] = "FIN_WAIT1",
	[FW_TCP_FIN_WAIT2] = "FIN_WAIT2",
	[FW_TCP_TIME_WAIT] = "TIME_WAIT",
	[FW_TCP_CLOSE] = "CLOSE",
	[FW_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[FW_TCP_LAST_ACK] = "LAST_ACK",
	[FW_TCP_LISTEN] = "LISTEN",
	[FW_TCP_CLOSING] = "CLOSING",
	[FW_TCP_NEW_SYN_RECV] = "NEW_SYN_RECV",
	[FW_TCP_BOUND_INACTIVE] = "BOUND_INACTIVE",
};

const char *fw_state_name(unsigned int state)
{
	if (state < FW_TCP_MAX_STATES && state_names[state])
		return state_names[state];
	return "UNKNOWN";
}

unsigned int fw_state_lookup(const char *s, size_t len)
{
	for (unsigned int st = 1; st < FW_TCP_MAX_STATES; st++)
		if (state_names[st] && strlen(state_names[st]) == len &&
		    !memcmp(s, state_names[st], len))
			return st;
	return 0;
}
