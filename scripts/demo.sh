#!/usr/bin/env bash
# finwatch demo: the Redis connection leak, reproduced and caught.
#
# An app host and a Redis host talk through a middlebox that, like a NAT
# gateway or a conntrack firewall, forgets flows that stay idle longer than
# a few seconds and then drops their FINs as invalid. Redis runs with
# `timeout 0` and no keepalive, so each lost FIN leaves a ghost connection
# on the server. finwatch traces both ends and correlates the two logs.
#
# Run through `finwatch demo` (which sets FW_BIN), or directly as root with
# FW_BIN=./finwatch. Options: --keep leaves the namespaces running.
set -u

FW_BIN=${FW_BIN:-./finwatch}
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1

tag=$$
APP=fwdemo-app-$tag
MBOX=fwdemo-mbox-$tag
DB=fwdemo-redis-$tag
APP_IP=198.18.1.1
DB_IP=198.18.2.1
IDLE_FORGET_S=4   # the middlebox forgets idle flows after this long
WAVES=3
IDLE_PER_WAVE=8   # pool connections left idle, then closed
BUSY_PER_WAVE=4   # pool connections kept busy, then closed
# Room for every ghost and one wave's busy connections, so that the waves
# themselves fit but the ghosts leave no room for a new worker.
MAXCLIENTS=$((WAVES * IDLE_PER_WAVE + BUSY_PER_WAVE))
work=$(mktemp -d /tmp/finwatch-demo.XXXXXX)
pids=()

# Bold only on a terminal, and never with NO_COLOR set and not empty (no-color.org).
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ]; then
	bold=$'\033[1m' plain=$'\033[0m'
else
	bold= plain=
fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
info() { printf '    %s\n' "$*"; }

cleanup() {
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$KEEP" = 1 ]; then
		step "Kept: namespaces $APP $MBOX $DB, logs in $work"
		info "explore: ip netns exec $DB ss -tn; ip netns exec $APP ss -tn"
		info "remove:  ip netns del $APP; ip netns del $MBOX; ip netns del $DB"
		return
	fi
	for ns in "$APP" "$MBOX" "$DB"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "interrupted; cleaning up"; exit 130' INT TERM

die() { echo "finwatch demo: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it creates network namespaces)"
for t in ip nft redis-server redis-cli ss; do
	command -v "$t" >/dev/null ||
		die "$t is missing: apt-get install redis-server redis-tools nftables iproute2 (or make test-deps)"
done

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

make_link() { # NS_A IF_A ADDR_A NS_B IF_B ADDR_B
	ip link add "$2" type veth peer name "$5" || die "cannot create veth"
	ip link set "$2" netns "$1"
	ip link set "$5" netns "$4"
	in_ns "$1" ip addr add "$3" dev "$2"
	in_ns "$4" ip addr add "$6" dev "$5"
	in_ns "$1" ip link set "$2" up
	in_ns "$4" ip link set "$5" up
}

setup_network() {
	step "Setting up an app host, a middlebox and a Redis host (network namespaces)"
	for ns in "$APP" "$MBOX" "$DB"; do
		ip netns add "$ns" || die "cannot create namespace $ns"
		in_ns "$ns" ip link set lo up
	done
	make_link "$APP" a$tag "$APP_IP/24" "$MBOX" ma$tag 198.18.1.254/24
	make_link "$DB" d$tag "$DB_IP/24" "$MBOX" md$tag 198.18.2.254/24
	in_ns "$APP" ip route add default via 198.18.1.254
	in_ns "$DB" ip route add default via 198.18.2.254
	in_ns "$MBOX" sysctl -qw net.ipv4.ip_forward=1
	in_ns "$MBOX" nft -f - <<-EOF || die "cannot load the middlebox rules"
	table inet middlebox {
		chain forward {
			type filter hook forward priority 0; policy accept;
			ct state invalid counter drop
		}
	}
	EOF
	in_ns "$MBOX" sysctl -qw \
		net.netfilter.nf_conntrack_tcp_timeout_established=$IDLE_FORGET_S ||
		die "cannot set the conntrack timeout"
	info "app $APP_IP  <->  middlebox (conntrack forgets idle flows after ${IDLE_FORGET_S}s, drops invalid)  <->  redis $DB_IP:6379"
}

start_redis() {
	step "Starting redis-server with timeout 0, tcp-keepalive 0, maxclients $MAXCLIENTS"
	in_ns "$DB" redis-server --bind "$DB_IP" --port 6379 --protected-mode no \
		--timeout 0 --tcp-keepalive 0 --maxclients "$MAXCLIENTS" \
		--save '' --appendonly no --logfile "$work/redis.log" &
	pids+=($!)
	for _ in $(seq 50); do
		in_ns "$APP" redis-cli -h "$DB_IP" PING >/dev/null 2>&1 && return
		sleep 0.1
	done
	die "redis-server did not come up (see $work/redis.log)"
}

start_tracers() {
	step "Tracing both hosts: finwatch trace --netns ... --host ... --json --snapshot-every 5s"
	"$FW_BIN" trace --json --netns "/run/netns/$APP" --host app1 \
		--snapshot-every 5s -o "$work/app1.log" 2>"$work/app1.err" &
	pids+=($!)
	"$FW_BIN" trace --json --netns "/run/netns/$DB" --host redis1 \
		--snapshot-every 5s -o "$work/redis1.log" 2>"$work/redis1.err" &
	pids+=($!)
	for _ in $(seq 100); do
		grep -q '"type":"start"' "$work/app1.log" 2>/dev/null &&
			grep -q '"type":"start"' "$work/redis1.log" 2>/dev/null &&
			return
		sleep 0.1
	done
	cat "$work/app1.err" "$work/redis1.err" >&2
	die "the tracers did not start"
}

server_count() {
	in_ns "$DB" ss -Htn state established "( sport = :6379 )" | wc -l
}

client_count() {
	in_ns "$APP" ss -Htn state established "( dport = :6379 )" | wc -l
}

# One wave of app workers: a pool of connections, some kept busy, some left
# idle past the middlebox's timeout; then the workers restart and close all.
run_wave() {
	local wave=$1
	in_ns "$APP" bash -c '
		host=$1 idle=$2 busy=$3 wait_s=$4
		declare -a fds
		for i in $(seq $((idle + busy))); do
			exec {fd}<>"/dev/tcp/$host/6379" || exit 1
			printf "PING\r\n" >&$fd; read -r -u $fd reply
			fds+=($fd)
		done
		for t in $(seq "$wait_s"); do
			sleep 1
			for fd in "${fds[@]:0:$busy}"; do
				printf "PING\r\n" >&$fd; read -r -u $fd reply
			done
		done
		for fd in "${fds[@]}"; do exec {fd}>&-; done
	' wave "$DB_IP" "$IDLE_PER_WAVE" "$BUSY_PER_WAVE" $((IDLE_FORGET_S + 2))
	sleep 0.5
	info "after wave $wave: the server holds $(server_count) ESTABLISHED connections on :6379; the app host holds $(client_count)"
}

run_workload() {
	step "Running $WAVES waves of app workers: $((IDLE_PER_WAVE + BUSY_PER_WAVE)) pooled connections each, $IDLE_PER_WAVE of them idle for $((IDLE_FORGET_S + 2))s, then closed"
	for w in $(seq "$WAVES"); do
		run_wave "$w"
	done
	step "A new app worker opens its $BUSY_PER_WAVE pooled connections, then one more"
	info "redis-cli PING: $(in_ns "$APP" bash -c '
		for i in $(seq "$2"); do exec {fd}<>"/dev/tcp/$1/6379"; done
		redis-cli -h "$1" PING 2>&1' x "$DB_IP" "$BUSY_PER_WAVE")"
}

stop_tracers() {
	step "Waiting for the FIN retransmissions, then stopping the tracers"
	sleep 2
	for p in "${pids[@]:1}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${pids[@]:1}"; do wait "$p" 2>/dev/null; done
	pids=("${pids[0]}")
	info "app1: $(wc -l <"$work/app1.log") records, redis1: $(wc -l <"$work/redis1.log") records (in $work)"
}

correlate() {
	step "finwatch correlate app1.log redis1.log"
	"$FW_BIN" correlate "$work/app1.log" "$work/redis1.log"
}

setup_network
start_redis
start_tracers
run_workload
stop_tracers
correlate
