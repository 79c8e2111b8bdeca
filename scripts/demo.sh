#!/usr/bin/env bash
# finwatch demo: the Redis connection leak, reproduced, explained and cleared.
#
# An app host and a Redis host talk through a middlebox that, like a NAT
# gateway or a conntrack firewall, forgets flows that stay idle longer than
# a few seconds and then drops their FINs as invalid. Redis runs with
# `timeout 0` and no keepalive, so each lost FIN leaves a ghost connection
# on the server, until a new client no longer gets in. finwatch traces both
# ends, correlates the two logs (the cause, the growth), and reaps the
# ghosts it proved.
#
# Run through `finwatch demo` (which sets FW_BIN), or directly as root with
# FW_BIN=./finwatch. Options: --keep leaves the namespaces and Redis
# running.
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
BUSY_PER_WAVE=4   # pool connections in use, then closed
BUSY_EVERY_S=3    # how often those are used: within the middlebox's timeout
WAVE_S=$((IDLE_FORGET_S + 2))
SNAP_EVERY_S=2
# Room for every ghost and one wave's busy connections, so that the waves
# themselves fit but the ghosts leave no room for a new worker.
MAXCLIENTS=$((WAVES * IDLE_PER_WAVE + BUSY_PER_WAVE))
work=$(mktemp -d /tmp/finwatch-demo.XXXXXX)
pids=()
failed=0 # set by die: the logs are kept for a look

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
	# pids[0] is redis-server, which --keep leaves running.
	local stop=("${pids[@]:KEEP}")
	for p in "${stop[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${stop[@]}"; do wait "$p" 2>/dev/null; done
	if [ "$KEEP" = 1 ]; then
		step "Kept: namespaces $APP $MBOX $DB (redis-server runs in $DB), logs in $work"
		info "explore: ip netns exec $DB ss -tn; ip netns exec $APP ss -tn"
		info "remove:  ip netns pids $DB | xargs -r kill; ip netns del $APP; ip netns del $MBOX; ip netns del $DB"
		return
	fi
	for ns in "$APP" "$MBOX" "$DB"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		# An orphan still sending its FIN would keep the namespace
		# alive for minutes after it is deleted.
		ip netns exec "$ns" ss -K -t -a >/dev/null 2>&1
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$failed" = 1 ]; then
		echo "finwatch demo: its logs are kept in $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'echo; echo "interrupted; cleaning up"; exit 130' INT TERM

die() {
	echo "finwatch demo: $*" >&2
	failed=1
	exit 1
}

[ "$(id -u)" = 0 ] || die "run as root (it creates network namespaces)"
for t in ip nft redis-server redis-cli ss; do
	command -v "$t" >/dev/null ||
		die "$t is missing: apt-get install redis-server redis-tools nftables iproute2 (or make test-deps)"
done

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# What outlives the demo (Redis with --keep) must not hold what its caller
# gave it: a `flock LOCK finwatch demo --keep` would stay locked.
close_inherited_fds() {
	local fd
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && [ "$fd" != 255 ] && eval "exec $fd>&-"
	done
}

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
	info "app1 $APP_IP  <->  middlebox  <->  redis1 $DB_IP:6379"
	info "The middlebox's conntrack forgets a flow idle for ${IDLE_FORGET_S}s and drops what it no"
	info "longer knows (ct state invalid drop), as NAT gateways do after minutes (AWS: 350 s)."
	info "${IDLE_FORGET_S}s stands for those minutes, so that the demo takes one. Nothing on"
	info "the two hosts drops anything."
}

start_redis() {
	step "Starting redis-server with timeout 0, tcp-keepalive 0, maxclients $MAXCLIENTS"
	(
		close_inherited_fds
		exec ip netns exec "$DB" redis-server --bind "$DB_IP" --port 6379 \
			--protected-mode no --timeout 0 --tcp-keepalive 0 \
			--maxclients "$MAXCLIENTS" --save '' --appendonly no \
			--logfile "$work/redis.log"
	) &
	pids+=($!)
	for _ in $(seq 50); do
		in_ns "$APP" redis-cli -h "$DB_IP" PING >/dev/null 2>&1 && break
		sleep 0.1
	done
	# Asked now: once the server is full, no client gets to ask.
	maxclients=$(in_ns "$DB" redis-cli -h "$DB_IP" CONFIG GET maxclients 2>/dev/null | tail -n 1)
	case "$maxclients" in
	'' | *[!0-9]*) die "redis-server did not come up (see $work/redis.log)" ;;
	esac
	info "redis-cli CONFIG GET maxclients: $maxclients"
}

start_tracers() {
	step "Tracing both hosts: finwatch trace --netns ... --host ... --json --snapshot-every ${SNAP_EVERY_S}s"
	"$FW_BIN" trace --json --netns "/run/netns/$APP" --host app1 \
		--snapshot-every ${SNAP_EVERY_S}s -o "$work/app1.log" 2>"$work/app1.err" &
	pids+=($!)
	"$FW_BIN" trace --json --netns "/run/netns/$DB" --host redis1 \
		--snapshot-every ${SNAP_EVERY_S}s -o "$work/redis1.log" 2>"$work/redis1.err" &
	pids+=($!)
	info "logs: $work/app1.log, $work/redis1.log"
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

# One wave of app workers: a pool of connections, some used every few
# seconds, some left idle past the middlebox's timeout; then the workers
# restart and close all.
run_wave() {
	local wave=$1
	in_ns "$APP" bash -c '
		host=$1 idle=$2 busy=$3 wait_s=$4 every=$5
		declare -a fds
		for i in $(seq $((idle + busy))); do
			exec {fd}<>"/dev/tcp/$host/6379" || exit 1
			printf "PING\r\n" >&$fd; read -r -u $fd reply
			fds+=($fd)
		done
		for t in $(seq "$wait_s"); do
			sleep 1
			[ $((t % every)) = 0 ] && [ "$t" -lt "$wait_s" ] || continue
			for fd in "${fds[@]:0:$busy}"; do
				printf "PING\r\n" >&$fd; read -r -u $fd reply
			done
		done
		for fd in "${fds[@]}"; do exec {fd}>&-; done
	' wave "$DB_IP" "$IDLE_PER_WAVE" "$BUSY_PER_WAVE" "$WAVE_S" "$BUSY_EVERY_S"
	sleep 0.5
	kill -0 "${pids[0]}" 2>/dev/null ||
		die "redis-server exited: $(tail -n 3 "$work/redis.log" | tr '\n' ' ')"
	info "after wave $wave: the server holds $(server_count) ESTABLISHED connections on :6379; the app host holds $(client_count)"
}

# A new worker: its pooled connections, then redis-cli PING; prints the reply.
new_worker() {
	in_ns "$APP" bash -c '
		for i in $(seq "$2"); do exec {fd}<>"/dev/tcp/$1/6379"; done
		redis-cli -h "$1" PING 2>&1' x "$DB_IP" "$BUSY_PER_WAVE"
}

run_workload() {
	step "Running $WAVES waves of app workers: $((IDLE_PER_WAVE + BUSY_PER_WAVE)) pooled connections each, $BUSY_PER_WAVE used every ${BUSY_EVERY_S}s, $IDLE_PER_WAVE left idle, all closed after ${WAVE_S}s"
	for w in $(seq "$WAVES"); do
		run_wave "$w"
	done
	step "A new app worker opens its $BUSY_PER_WAVE pooled connections, then one more"
	info "redis-cli PING: $(new_worker)"
}

# What reap asks of a lost_fin before it calls the server's end a ghost:
# that the client let go of its end too. A client socket still sending its
# FIN (FIN_WAIT1, owned by no process since the close) could still get it
# through and close the server's end cleanly. The kernel gives up on such
# an orphan by itself after tcp_orphan_retries, minutes later; the demo
# does not wait for that.
release_orphans() {
	local n
	n=$(in_ns "$APP" ss -Htn state fin-wait-1 "( dport = :6379 )" | wc -l)
	step "app1 gives up on its $n unanswered FINs: ss -K state fin-wait-1"
	info "No process owns these sockets any more; their kernel retransmits each FIN until"
	info "tcp_orphan_retries runs out, a few minutes. Until then a FIN could still arrive,"
	info "so finwatch reap calls no such connection a ghost. ss -K aborts them now instead."
	in_ns "$APP" ss -K -Htn state fin-wait-1 "( dport = :6379 )" >/dev/null
	info "app1 now holds $(in_ns "$APP" ss -Htn "( dport = :6379 )" | wc -l) sockets to :6379; redis1 still $(server_count)"
}

snapshot_passes() {
	grep -c '"type":"snapshot_end"' "$1" 2>/dev/null
}

# Two more passes on each host: the second began after everything above,
# so the timeline's last point shows the ghosts as they stand now.
wait_for_passes() {
	local a r
	a=$(snapshot_passes "$work/app1.log")
	r=$(snapshot_passes "$work/redis1.log")
	for _ in $(seq $((SNAP_EVERY_S * 30))); do
		[ "$(snapshot_passes "$work/app1.log")" -ge $((a + 2)) ] &&
			[ "$(snapshot_passes "$work/redis1.log")" -ge $((r + 2)) ] &&
			return
		sleep 0.1
	done
	die "the tracers took no snapshot pass (see $work/app1.err, $work/redis1.err)"
}

stop_tracers() {
	step "Stopping the tracers after their next snapshot passes"
	wait_for_passes
	for p in "${pids[@]:1}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${pids[@]:1}"; do wait "$p" 2>/dev/null; done
	pids=("${pids[0]}")
	info "app1: $(wc -l <"$work/app1.log") records, redis1: $(wc -l <"$work/redis1.log") records (in $work)"
}

correlate() {
	step "finwatch correlate --maxclients $maxclients app1.log redis1.log"
	"$FW_BIN" correlate --maxclients "$maxclients" "$work/app1.log" \
		"$work/redis1.log" >"$work/report.txt" ||
		die "finwatch correlate failed (exit $?)"
	cat "$work/report.txt"
}

# The report's lines that an awk PROGRAM selects, indented; or why none.
quote_report() { # PROGRAM
	local lines
	lines=$(awk "$1" "$work/report.txt")
	[ -n "$lines" ] || lines="(the report has no such line: see $work/report.txt)"
	printf '%s\n' "$lines" | sed 's/^ */    /'
}

# Packets the middlebox's `ct state invalid counter drop` rule dropped.
middlebox_drops() {
	in_ns "$MBOX" nft list chain inet middlebox forward |
		sed -n 's/.*ct state invalid counter packets \([0-9]*\) .*/\1/p'
}

show_cause() {
	step "The root cause"
	quote_report '/^causes:/ { c = 1; next } c && /^  / { print; next }
		{ c = 0 } /^The evidence points to/'
	info "app1 sent each FIN and retransmitted it, redis1 never received it, and neither"
	info "host dropped it. The middlebox did, which runs no tracer (as a NAT gateway never"
	info "does): its ct state invalid rule dropped $(middlebox_drops) packets (nft list ruleset there)."
	info "Where a traced host drops the FIN, the cause names that host and its own numbers"
	info "instead: conntrack_invalid, with its nf_conntrack_tcp_timeout_established."
}

show_growth() {
	step "The growth"
	quote_report '/^ghosts over time/ { g = 1; next } g && /^  [^ ]/ { print; next }
		g && /^    / { next } { g = 0 }'
	info "Every ${SNAP_EVERY_S}s snapshot pass counts the connections redis1 holds that app1 no"
	info "longer does; maxclients is Redis' own (CONFIG GET maxclients). A wave of workers"
	info "came every ${WAVE_S}s here; over days of passes the same line counts the days left."
}

connected_clients() {
	in_ns "$DB" redis-cli -h "$DB_IP" INFO clients | tr -d '\r' |
		sed -n 's/^connected_clients://p'
}

# reap's lines, those of one kind (VERB) shortened to two and a count.
show_reap() { # VERB
	awk -v verb="$1" '
		index($0, verb " ") == 1 && ++n > 2 { more++; next }
		{ if (more) { printf "    ... and %d more like these\n", more; more = 0 }
		  print "    " $0 }'
}

reap() { # [--dry-run]
	local rc verb=destroyed
	[ "${1:-}" = --dry-run ] && verb="would destroy"
	info "finwatch reap ${1:+$1 }--host redis1 --netns /run/netns/$DB app1.log redis1.log"
	"$FW_BIN" reap ${1:+"$1"} --host redis1 --netns "/run/netns/$DB" \
		"$work/app1.log" "$work/redis1.log" >"$work/reap.out" 2>&1
	rc=$?
	show_reap "$verb" <"$work/reap.out"
	[ "$rc" -le 1 ] || die "finwatch reap failed (exit $rc)"
}

reap_ghosts() {
	local before after
	step "Clearing the ghosts on redis1: finwatch reap destroys the server sockets the logs prove dead"
	info "Each one is checked against the kernel first: the same connection (its ISNs),"
	info "still ESTABLISHED, nothing received since its peer was gone. Nothing else is touched."
	before=$(connected_clients)
	info "redis-cli INFO clients: connected_clients:$before (this redis-cli is one of them)"
	reap --dry-run
	reap
	after=$(connected_clients)
	info "redis-cli INFO clients: connected_clients:$after ($((before - after)) fewer)"
	step "The new app worker tries again"
	info "redis-cli PING: $(new_worker)"
}

setup_network
start_redis
start_tracers
run_workload
release_orphans
stop_tracers
correlate
show_cause
show_growth
reap_ghosts
step "Done in ${SECONDS}s"
