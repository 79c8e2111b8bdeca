/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The records the kernel side hands to userspace. Both sides include this
 * file, so it may use only fixed-width types and must not depend on
 * vmlinux.h or libc.
 *
 * The kernel ABI only: TCP states are the kernel's own numbers
 * (include/net/tcp_states.h) and TCP flags are the header's bits; the
 * names and the JSON schema are userspace's (user/schema.h,
 * docs/SCHEMA.md).
 */
#ifndef FINWATCH_H
#define FINWATCH_H

/* The BPF side has these types from vmlinux.h. */
#ifndef __bpf__
#include <linux/types.h>
#endif

#define FW_MAX_PORTS 64
#define FW_MAX_NETNS 64
#define FW_COMM_LEN 16
#define FW_AGE_UNKNOWN 0xffffffffu

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

/* fw_event.flags */
#define FW_F_OWNER_KNOWN (1u << 0) /* pid/comm name the socket's owner */
#define FW_F_ISN_KNOWN (1u << 1)   /* isn_local/isn_remote are valid */
#define FW_F_V4_MAPPED (1u << 2)   /* an IPv6 socket carrying IPv4 */
#define FW_F_ACTIVE_OPEN (1u << 3) /* this end sent the SYN */
#define FW_F_BY_OWNER (1u << 4)    /* close: tcp_close() by the owner */
#define FW_F_INBOUND (1u << 5)     /* drop: a segment from the peer */
#define FW_F_OPEN_SEEN (1u << 6)   /* its SYN_SENT or SYN_RECV was seen */

struct fw_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC; userspace adds wall time */
	__u64 sock_id;		/* socket cookie, unique per boot */
	__u64 bytes_acked;	/* sent and acknowledged by the peer */
	__u64 bytes_received;
	__u32 netns;		/* inode of the socket's network namespace */
	__u32 pid;		/* owner's tgid, valid with FW_F_OWNER_KNOWN */
	__u32 isn_local;	/* this end's initial sequence number */
	__u32 isn_remote;	/* the peer's initial sequence number */
	__u32 total_retrans;	/* segments retransmitted over the lifetime */
	__u32 close_retrans;	/* FIN/RST retransmissions finwatch saw */
	__u32 last_recv_ms;	/* since the last segment received */
	__u32 last_send_ms;	/* since the last data segment sent */
	__u32 drop_reason;	/* drop: enum skb_drop_reason of the kernel */
	__u32 close_drops;	/* its FIN/RST segments the host dropped */
	__u16 lport;		/* host byte order */
	__u16 rport;
	__u8 type;		/* enum fw_event_type */
	__u8 family;		/* 4 or 6 */
	__u8 role;		/* enum fw_role */
	__u8 oldstate;		/* the kernel's TCP_* state number */
	__u8 newstate;
	__u8 tcp_flags;		/* retransmit, reset, drop: header flags */
	__u8 flags;		/* FW_F_* */
	__u8 pad;
	__u8 laddr[16];		/* IPv4 in the first 4 bytes */
	__u8 raddr[16];
	char comm[FW_COMM_LEN];	/* owner's process (group leader) name */
};

/*
 * What the tcp iterator reports of each socket for `finwatch snapshot` and
 * for the baseline a trace starts with. The address part is an fw_event,
 * so both pair by the same keys.
 */
struct fw_sock_info {
	struct fw_event ev;	/* type FW_EV_SNAPSHOT, newstate = state */
	__u64 inode;		/* socket inode, for the /proc owner lookup */
	__u32 keepalive_idle_s;	/* effective, per socket or the sysctl */
	__u32 keepalive_intvl_s;
	__u32 keepalive_cnt;
	__u32 user_timeout_ms;
	__u32 sndq;		/* bytes not yet acknowledged */
	__u32 rcvq;		/* bytes not yet read by the owner */
	__u64 sk_key;		/* the key of fw_socks, for owner seeding */
	__u8 keepalive;		/* SO_KEEPALIVE set */
	__u8 pad[7];
};

/*
 * What finwatch remembers of each watched socket between events (map
 * fw_socks, keyed by the socket's address). Userspace fills in owners of
 * sockets that were open before it started.
 */
struct fw_sock_state {
	__u64 cookie;
	__u32 pid;
	__u32 isn_local;
	__u32 isn_remote;
	__u32 close_retrans;
	__u32 close_drops;
	__u8 flags; /* FW_F_OWNER_KNOWN, FW_F_ISN_KNOWN, FW_F_ACTIVE_OPEN */
	__u8 role;
	__u16 lport; /* the kernel zeroes its own copy when it unhashes */
	__u16 rport;
	__u8 family; /* 0 until the 4-tuple below is known */
	__u8 held_oldstate; /* of the held SYN_RECV record, see state.bpf.c */
	char comm[FW_COMM_LEN];
	/* A socket's addresses are wiped by the time it is destroyed after a
	 * reset or a failed connect; its last records use these. */
	__u8 laddr[16];
	__u8 raddr[16];
	__u64 held_ts_ns; /* when the held SYN_RECV happened; 0: none held */
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

/*
 * The owner of a socket that was open before finwatch started, as
 * userspace found it (map fw_seeded_owners, keyed like fw_socks). The BPF
 * side takes it over into fw_socks at the socket's next event, if the id
 * still matches: userspace never writes the kernel side's own state.
 */
struct fw_seeded_owner {
	__u64 sock_id;
	struct fw_owner owner;
};

/* What the task_file iterator reports: who holds a watched socket. */
struct fw_socket_owner {
	__u64 inode;
	__u32 pid;
	char comm[FW_COMM_LEN];
	__u32 pad;
};

/* Indexes of the per-CPU counters map fw_counters. */
enum fw_counter {
	FW_CNT_LOST = 0,	/* records the transport could not take */
	FW_CNT_MAX,
};

#endif /* FINWATCH_H */
