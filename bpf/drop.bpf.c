// SPDX-License-Identifier: GPL-2.0
/*
 * FIN, RST and SYN segments of watched sockets that the host itself drops
 * (skb:kfree_skb with a drop reason): a firewall rule on the host eats the
 * close before it reaches the wire. TCP then never counts the FIN as sent,
 * so tcp:tcp_retransmit_skb stays silent while the kernel keeps trying;
 * each try shows up here instead.
 *
 * Every freed skb on the host runs this program, so the cheap tests come
 * first: a reason that is no drop, no socket, not TCP, no watched port,
 * no finwatch state — before the packet itself is read.
 */
#include "common.bpf.h"

#define FW_NFCT_INFOMASK       7UL /* the low bits of skb->_nfct: ctinfo */
#define FW_IP_CT_UNTRACKED     7
#define FW_NF_INET_PRE_ROUTING 0
#define FW_NF_INET_LOCAL_OUT   3
#define FW_MAX_HOOK_ENTRIES    16

struct fw_tcp_head {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff_res;
	__u8 flags;
};

static __always_inline int fw_read_tcp_head(const struct sk_buff *skb,
					    struct fw_tcp_head *th)
{
	__u16 off = skb->transport_header;

	/* (u16)~0: no transport header set yet. */
	if (off == 0xffff)
		return -1;
	return bpf_probe_read_kernel(th, sizeof(*th), skb->head + off);
}

/*
 * Whether conntrack's own hook function sits on the netfilter hook the
 * segment went through in its namespace (the outgoing path: LOCAL_OUT;
 * the incoming one: PRE_ROUTING). nf_conntrack_in() leaves a segment it
 * calls INVALID without an entry and lets the ruleset drop it, so "no
 * entry, conntrack hooked" is a segment conntrack refused, while "no
 * entry, no hook" is one nobody tracked. The hook addresses come from
 * /proc/kallsyms through fw_ct_hooks.
 */
static __noinline __u8 fw_ct_hooked(const struct net *net, __u32 family,
				    bool inbound)
{
	__u32 which =
		(family == 4 ? FW_CT_HOOK_IPV4_OUT : FW_CT_HOOK_IPV6_OUT) +
		inbound;
	struct nf_hook_entries *entries;
	__u64 *want = bpf_map_lookup_elem(&fw_ct_hooks, &which);
	__u16 n = 0;

	if (!want || !*want)
		return FW_CT_HOOK_UNKNOWN;
	if (*want == FW_CT_HOOK_ABSENT)
		return 0;
	if (family == 4)
		entries = inbound ? net->nf.hooks_ipv4[FW_NF_INET_PRE_ROUTING]
				  : net->nf.hooks_ipv4[FW_NF_INET_LOCAL_OUT];
	else
		entries = inbound ? net->nf.hooks_ipv6[FW_NF_INET_PRE_ROUTING]
				  : net->nf.hooks_ipv6[FW_NF_INET_LOCAL_OUT];
	if (!entries)
		return 0;
	bpf_probe_read_kernel(&n, sizeof(n), &entries->num_hook_entries);
	for (int i = 0; i < FW_MAX_HOOK_ENTRIES; i++) {
		void *fn = NULL;

		if (i >= n)
			break;
		bpf_probe_read_kernel(&fn, sizeof(fn), &entries->hooks[i].hook);
		if ((__u64)fn == *want)
			return FW_CT_HOOKED;
	}
	return 0;
}

/* What conntrack knew of the dropped segment (FW_CT_*). The packet's
 * family, not the socket's: an IPv6 socket may carry IPv4. */
static __always_inline __u8 fw_skb_ct(const struct sk_buff *skb,
				      const struct sock *sk, bool inbound)
{
	__u32 family = bpf_ntohs(skb->protocol) == 0x86dd ? 6 : 4;
	unsigned long nfct = skb->_nfct;
	__u8 ct;

	if (!nfct)
		ct = FW_CT_NONE;
	else if ((nfct & FW_NFCT_INFOMASK) == FW_IP_CT_UNTRACKED)
		ct = FW_CT_UNTRACKED;
	else
		ct = FW_CT_TRACKED;
	return ct | fw_ct_hooked(sk->__sk_common.skc_net.net, family, inbound);
}

/*
 * A drop that may have kept a segment from its socket. Not a consumed
 * skb, and not a queue purged when its socket goes away: a FIN waiting in
 * a closing socket's receive queue had arrived (the socket moved on it).
 */
static __always_inline bool fw_drop_reason_is_drop(enum skb_drop_reason r)
{
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
	    r == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return false;
	return !bpf_core_enum_value_exists(enum skb_drop_reason,
					   SKB_DROP_REASON_QUEUE_PURGE) ||
	       r != bpf_core_enum_value(enum skb_drop_reason,
					SKB_DROP_REASON_QUEUE_PURGE);
}

static __always_inline bool fw_reason_is_netfilter(enum skb_drop_reason r)
{
	return bpf_core_enum_value_exists(enum skb_drop_reason,
					  SKB_DROP_REASON_NETFILTER_DROP) &&
	       r == bpf_core_enum_value(enum skb_drop_reason,
					SKB_DROP_REASON_NETFILTER_DROP);
}

/* A FIN or RST the socket sent (or got) that its own host dropped. */
static __always_inline void fw_sock_state_count_drop(struct fw_sock_state *st,
						     const struct fw_what *w,
						     bool inbound)
{
	if (inbound || !(w->tcp_flags & (FW_TCPHDR_FIN | FW_TCPHDR_RST)))
		return;
	st->close_drops++;
	st->drop_reason = w->drop_reason;
	st->drop_ct = w->drop_ct;
}

/* 6.18 adds a receiving socket as a fourth argument; the first three are
 * the same since 5.17 ("net: skb: introduce kfree_skb_reason()"). */
SEC("tp_btf/kfree_skb")
int BPF_PROG(fw_kfree_skb, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason)
{
	struct fw_what w = { .type = FW_EV_DROP, .drop_reason = reason };
	struct fw_sock_state *st;
	struct fw_tcp_head th;
	__u16 lport, rport;
	struct sock *sk;
	bool inbound;
	int state;

	if (!fw_drop_reason_is_drop(reason))
		return 0;
	sk = skb->sk;
	if (!sk)
		return 0;
	state = sk->__sk_common.skc_state;
	/* A socket already closed sends nothing and waits for nothing: what
	 * is freed with it is its queues. */
	if (fw_state_is_mini_sock(state) || state == TCP_LISTEN ||
	    state == TCP_CLOSE || sk->sk_protocol != IPPROTO_TCP)
		return 0;
	fw_sock_ports(&sk->__sk_common, &lport, &rport);
	if (!fw_port_watched(lport) && !fw_port_watched(rport))
		return 0;
	/* Only sockets already followed: a FIN is sent after the move to
	 * FIN_WAIT1 or LAST_ACK, which gave the socket its state. */
	st = fw_sock_state_lookup(sk);
	if (!st)
		return 0;
	if (fw_read_tcp_head(skb, &th) || !(th.flags & FW_TCPHDR_CONTROL))
		return 0;
	inbound = bpf_ntohs(th.source) != lport;
	w.ts_ns = bpf_ktime_get_ns();
	w.oldstate = state;
	w.newstate = state;
	w.tcp_flags = th.flags;
	w.flags = inbound ? FW_F_INBOUND : 0;
	if (fw_reason_is_netfilter(reason))
		w.drop_ct = fw_skb_ct(skb, sk, inbound);
	fw_sock_state_count_drop(st, &w, inbound);
	fw_sock_state_note_unseen(st, state);
	w.probe_counters = true;
	fw_record_write_event(ctx, sk, NULL, st, &w);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
