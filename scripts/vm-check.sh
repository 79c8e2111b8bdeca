#!/usr/bin/env bash
# Image self-check, run in the guest by scripts/vm-init.sh before the suite:
# does this initramfs + kernel give the tests what they need? Two network
# namespaces joined by veth (IPv4 and IPv6), redis-server in one and
# redis-cli PING from the other, an nft rule with conntrack, BTF, the kernel
# config, setpriv, ss. Prints "CHECK ok NAME" / "CHECK FAIL NAME: why" and
# exits non-zero if any check failed. It is not part of the suite's count.
set -u
fails=0
ok() { echo "CHECK ok $1"; }
bad() { echo "CHECK FAIL $1: $2"; fails=$((fails + 1)); }
check() { # name command...
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$(echo "$out" | tail -3 | tr '\n' ' ')"; fi
}

check btf test -s /sys/kernel/btf/vmlinux
check kconfig test -s "/boot/config-$(uname -r)"
for t in bash redis-server redis-cli ip nft jq ss timeout setpriv pgrep stat sleep; do
	check "tool-$t" bash -c "command -v $t"
done

a=vmck-a$$ b=vmck-b$$
cleanup() {
	ip netns pids "$a" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$a" 2>/dev/null
	ip netns del "$b" 2>/dev/null
}
trap cleanup EXIT
setup() {
	ip netns add "$a" && ip netns add "$b" &&
		ip link add va type veth peer name vb &&
		ip link set va netns "$a" && ip link set vb netns "$b" &&
		ip -n "$a" addr add 10.200.0.1/24 dev va && ip -n "$b" addr add 10.200.0.2/24 dev vb &&
		ip -n "$a" addr add fd00:200::1/64 dev va nodad && ip -n "$b" addr add fd00:200::2/64 dev vb nodad &&
		ip -n "$a" link set va up && ip -n "$b" link set vb up &&
		ip -n "$a" link set lo up && ip -n "$b" link set lo up
}
check netns-veth setup
ip netns exec "$a" redis-server --port 6399 --bind 10.200.0.1 fd00:200::1 --save '' --appendonly no \
	--daemonize no --protected-mode no --dir /tmp >/tmp/vmck-redis.log 2>&1 &
for _ in $(seq 50); do
	ip netns exec "$a" redis-cli -h 10.200.0.1 -p 6399 PING >/dev/null 2>&1 && break
	sleep 0.1
done
check redis-start bash -c "[ \"\$(ip netns exec $a redis-cli -h 10.200.0.1 -p 6399 PING)\" = PONG ] || { tail -5 /tmp/vmck-redis.log; false; }"
check redis-ping-v4 bash -c "[ \"\$(ip netns exec $b redis-cli -h 10.200.0.1 -p 6399 PING)\" = PONG ]"
check redis-ping-v6 bash -c "[ \"\$(ip netns exec $b redis-cli -h fd00:200::1 -p 6399 PING)\" = PONG ]"
check nft-ct ip netns exec "$b" nft -f - <<'EOF'
table inet vmck {
	chain out {
		type filter hook output priority 0; policy accept;
		ct state invalid counter drop
		tcp flags & fin == fin tcp dport 1 drop
	}
}
EOF
check nft-list-json bash -c "ip netns exec $b nft -j list ruleset | jq -e '.nftables | length > 0'"
check conntrack-sysctl ip netns exec "$b" sysctl -q -w net.netfilter.nf_conntrack_tcp_timeout_established=3
check redis-through-nft bash -c "[ \"\$(ip netns exec $b redis-cli -h 10.200.0.1 -p 6399 PING)\" = PONG ]"
check ss bash -c "ip netns exec $a ss -tnlp | grep -q 6399"
check setpriv setpriv --reuid=nobody --regid=nogroup --clear-groups true
check pgrep pgrep -x redis-server
cleanup
trap - EXIT
[ "$fails" -eq 0 ]
