#!/usr/bin/env bash
# Snapshot benchmark: finwatch snapshot against ss on the same sockets, side
# by side in one run (these machines are noisy, so only the ratio counts).
#
#   bench/snapshot.sh [N...]     default: 10000 100000
#
# N connections are held open on port 6379 inside a namespace of its own
# (so 2N sockets: both ends), then each command lists the established ones
# on that port, ROUNDS times, alternating. Run as root from the repo.
set -u
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(10000 100000)
ns=fwbench-$$
srcs=()

cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT

make -s finwatch || exit 1
cc -O2 -Wall -o build/connhold bench/connhold.c || exit 1

ms_of() { # runs "$@" with output discarded; prints the ms it took
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

ip netns add "$ns"
ip -n "$ns" link set lo up
for i in $(seq 1 16); do
	ip -n "$ns" addr add "198.18.1.$i/32" dev lo
done
for i in $(seq 2 9); do
	ip -n "$ns" addr add "198.18.0.$i/32" dev lo
	srcs+=("198.18.0.$i")
done
ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
inode=$(stat -L -c %i "/run/netns/$ns")

printf '%-10s %-48s %10s %9s\n' sockets command "median ms" "sockets"
for n in "${counts[@]}"; do
	ip netns pids "$ns" | xargs -r kill 2>/dev/null
	sleep 1
	# One holder per server address, each within the fd limit.
	per=$(( ($(ulimit -Hn) - 100) / 2 ))
	left=$n
	holders=0
	rm -f build/connhold.*.out
	while [ "$left" -gt 0 ]; do
		holders=$((holders + 1))
		chunk=$((left < per ? left : per))
		ip netns exec "$ns" build/connhold "198.18.1.$holders" 6379 "$chunk" \
			"${srcs[@]}" >"build/connhold.$holders.out" 2>&1 &
		left=$((left - chunk))
	done
	for _ in $(seq 600); do
		[ "$(cat build/connhold.*.out | grep -c ready)" -eq "$holders" ] && break
		sleep 0.5
	done
	[ "$(cat build/connhold.*.out | grep -c ready)" -eq "$holders" ] ||
		{ cat build/connhold.*.out; exit 1; }
	# Both ends of each connection, as finwatch lists them (a port
	# matches on either end): 2N sockets for every command.
	filter='( sport = :6379 or dport = :6379 )'
	declare -a fw=() fwt=() fwd=() ssn=() ssp=()
	for r in $(seq "$ROUNDS"); do
		fw+=("$(ms_of ./finwatch snapshot --json --netns "$inode")")
		fwt+=("$(ms_of ./finwatch snapshot --netns "$inode")")
		fwd+=("$(ms_of ./finwatch snapshot --json --netns "$inode" --source sock_diag)")
		ssn+=("$(ms_of ip netns exec "$ns" ss -tni state established "$filter")")
		ssp+=("$(ms_of ip netns exec "$ns" ss -tnip state established "$filter")")
	done
	lfw=$(./finwatch snapshot --json --netns "$inode" | grep -c '"ESTABLISHED"')
	lss=$(ip netns exec "$ns" ss -Htn state established "$filter" | grep -c .)
	row() { printf '%-10s %-48s %10s %9s\n' "$((2 * n))" "$1" "$2" "$3"; }
	row "finwatch snapshot --json (iter, owners)" "$(median "${fw[@]}")" "$lfw"
	row "finwatch snapshot (table, iter, owners)" "$(median "${fwt[@]}")" "$lfw"
	row "finwatch snapshot --json --source sock_diag" "$(median "${fwd[@]}")" "$lfw"
	row "ss -tni state established (no owners)" "$(median "${ssn[@]}")" "$lss"
	row "ss -tnip state established (owners)" "$(median "${ssp[@]}")" "$lss"
done
