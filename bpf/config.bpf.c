// SPDX-License-Identifier: GPL-2.0
/*
 * The one definition of finwatch's configuration and maps; every other
 * .bpf.c sees them extern through common.bpf.h.
 */
#define FW_DEFINE_SHARED
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";
