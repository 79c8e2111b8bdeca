/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The records the kernel side hands to userspace, and the maps' values
 * userspace reads or writes: the kernel ABI of finwatch. Both sides
 * include this file, so it may use only fixed-width types and must not
 * depend on vmlinux.h or libc.
 *
 * State fields (oldstate, newstate, path_from, path_to) hold the kernel's
 * own TCP state numbers (include/net/tcp_states.h); tcp_flags holds the
 * TCP header's flag bits as on the wire. Their names are the JSON
 * schema's business (user/schema.h).
 */
#ifndef FINWATCH_H
#define FINWATCH_H

/* The BPF side has these types from vmlinux.h. */
#ifndef __bpf__
#include <linux/types.h>
#endif

#define FW_MAX_PORTS   64
#define FW_MAX_NETNS   64
#define FW_COMM_LEN    16
#define FW_AGE_UNKNOWN 0xffffffffu

/*
 * Transitions a record carries besides its own (fw_event.path): those the
 * default stream folds into the next record it writes, and those that a
 * record the transport could not take left behind.
 */
#define FW_PATH_MAX 6
/* A path step whose time nobody saw: the transition ran while finwatch's
 * program could not (the kernel's recursion guard skipped it). */
#define FW_TIME_UNKNOWN 0

enum fw_event_type {
	FW_EV_STATE = 1,
	FW_EV_CLOSE = 2,
	FW_EV_RESET_SENT = 3,
	FW_EV_RESET_RECEIVED = 4,
	FW_EV_RETRANSMIT = 5,
	FW_EV_SNAPSHOT = 6,
	FW_EV_DROP = 7,
};

enum fw_role {
	FW_ROLE_CLIENT = 0,
	FW_ROLE_SERVER = 1,
};

/*
 * What conntrack had to say about a dropped segment (fw_event.drop_ct).
 * The low two bits: what the skb carried (skb->_nfct); FW_CT_HOOKED: the
 * namespace had conntrack's hook on the path the segment took, so an skb
 * without an entry is one conntrack refused (INVALID), not one nobody
 * looked at. FW_CT_HOOK_UNKNOWN: the hook's address was not known.
 */
#define FW_CT_NONE	   0 /* no entry attached */
#define FW_CT_UNTRACKED	   1 /* a notrack rule exempted it */
#define FW_CT_TRACKED	   2 /* an entry: conntrack knew the flow */
#define FW_CT_ENTRY_MASK   3
#define FW_CT_HOOKED	   4
#define FW_CT_HOOK_UNKNOWN 8

/* fw_event.flags */
#define FW_F_OWNER_KNOWN (1u << 0) /* pid/comm name the socket's owner */
#define FW_F_ISN_KNOWN	 (1u << 1) /* isn_local/isn_remote are valid */
#define FW_F_V4_MAPPED	 (1u << 2) /* an IPv6 socket carrying IPv4 */
#define FW_F_ACTIVE_OPEN (1u << 3) /* this end sent the SYN */
#define FW_F_BY_OWNER	 (1u << 4) /* close: tcp_close() by the owner */
#define FW_F_INBOUND	 (1u << 5) /* drop: a segment from the peer */
#define FW_F_OPEN_SEEN	 (1u << 6) /* its SYN_SENT or SYN_RECV was seen */
#define FW_F_KEEPALIVE	 (1u << 7) /* SO_KEEPALIVE is set */
#define FW_F_PATH_CUT	 (1u << 8) /* more transitions than path holds */
#define FW_F_FINAL	 (1u << 9) /* the socket's last record */

/*
 * Socket ids at or above this are finwatch's own, given to sockets whose
 * cookie is not their own (fw_sock_id_assign()); below it an id is the
 * socket's cookie.
 */
#define FW_OWN_SOCK_ID_BASE (1ULL << 52)

struct fw_event {
	__u64 ts_ns;	   /* CLOCK_MONOTONIC; userspace adds wall time */
	__u64 sock_id;	   /* socket cookie, unique per boot */
	__u64 bytes_acked; /* sent and acknowledged by the peer */
	__u64 bytes_received;
	__u64 path_ts[FW_PATH_MAX]; /* FW_TIME_UNKNOWN: not seen */
	__u32 netns;	     /* inode of the socket's network namespace */
	__u32 pid;	     /* owner's tgid, valid with FW_F_OWNER_KNOWN */
	__u32 isn_local;     /* this end's initial sequence number */
	__u32 isn_remote;    /* the peer's initial sequence number */
	__u32 total_retrans; /* segments retransmitted over the lifetime */
	__u32 close_retrans; /* FIN/RST retransmissions finwatch saw */
	__u32 last_recv_ms;  /* since the last segment received */
	__u32 last_send_ms;  /* since the last data segment sent */
	__u32 drop_reason;   /* drop: enum skb_drop_reason of the kernel;
			      * others: of the socket's latest dropped
			      * FIN/RST, when close_drops */
	__u32 close_drops;   /* its FIN/RST segments the host dropped */
	__u16 lport;	     /* host byte order */
	__u16 rport;
	__u16 flags; /* FW_F_* */
	__u16 gap;   /* this socket's records lost just before */
	__u8 type;   /* enum fw_event_type */
	__u8 family; /* 4 or 6 */
	__u8 role;   /* enum fw_role */
	__u8 oldstate;
	__u8 newstate;
	__u8 tcp_flags;	  /* retransmit/reset/drop: the segment's */
	__u8 npath;	  /* steps in path_* before this record's */
	__u8 sk_err;	  /* at the end: the socket's error (errno) */
	__u8 probes_out;  /* unanswered keepalive/window probes */
	__u8 rto_retrans; /* unanswered retransmissions (icsk) */
	__u8 drop_ct;	  /* drop: FW_CT_* */
	__u8 pad;
	__u8 path_from[FW_PATH_MAX];
	__u8 path_to[FW_PATH_MAX];
	__u8 laddr[16]; /* IPv4 in the first 4 bytes */
	__u8 raddr[16];
	char comm[FW_COMM_LEN]; /* owner's process (group leader) name */
};

/*
 * What the tcp iterator reports of each socket for `finwatch snapshot` and
 * for the baseline a trace starts with. The address part is an fw_event,
 * so both pair by the same keys.
 */
struct fw_sock_info {
	struct fw_event ev;	/* type FW_EV_SNAPSHOT, newstate = state */
	__u64 inode;		/* socket inode, for the /proc owner lookup */
	__u32 keepalive_idle_s; /* effective, per socket or the sysctl */
	__u32 keepalive_intvl_s;
	__u32 keepalive_cnt;
	__u32 user_timeout_ms;
	__u32 sndq;	/* bytes not yet acknowledged */
	__u32 rcvq;	/* bytes not yet read by the owner */
	__u8 keepalive; /* SO_KEEPALIVE set */
	__u8 pad[7];
};

struct fw_listen_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct fw_owner {
	__u32 pid;
	char comm[FW_COMM_LEN];
};

/* The map fw_ct_hooks: the addresses of conntrack's own netfilter hook
 * functions, from /proc/kallsyms; 0: not known, FW_CT_HOOK_ABSENT:
 * conntrack is not loaded. */
#define FW_CT_HOOK_ABSENT 1
enum fw_ct_hook {
	FW_CT_HOOK_IPV4_OUT = 0, /* ipv4_conntrack_local */
	FW_CT_HOOK_IPV4_IN,	 /* ipv4_conntrack_in */
	FW_CT_HOOK_IPV6_OUT,	 /* ipv6_conntrack_local */
	FW_CT_HOOK_IPV6_IN,	 /* ipv6_conntrack_in */
	FW_CT_HOOK_MAX,
};

/* Indexes of the per-CPU counters map fw_counters. */
enum fw_counter {
	FW_CNT_LOST = 0,      /* records the transport could not take */
	FW_CNT_LOST_UNPINNED, /* of those, ones no later record of their
			       * socket will own up to (it was gone) */
	FW_CNT_NO_STATE,      /* watched sockets finwatch could not give
			       * state to (out of memory) */
	FW_CNT_RECOVERED,     /* lost records whose transitions a later
			       * record of the socket carried after all */
	FW_CNT_MAX,
};

#endif /* FINWATCH_H */
