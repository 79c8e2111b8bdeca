#!/usr/bin/env bash
# The close burst of issue 14 (point 5): an app server restarting its
# pools closes 70,000 connections on four watched Redis ports within a
# second, 140,000 sockets (both ends), more than any fixed 65,536-entry
# table. One tracer at the defaults records it; the figures say whether a
# record was lost and whether the correlator calls any connection open.
#
#   bench/burst.sh [CASE...]     as root; on a shared machine under the
#                                kernel lock: flock /work/kernel.lock bench/burst.sh
#
# CASE is TRANSPORT[-all-states]: ring, perf, ring-all-states,
# perf-all-states (default: all four, in that order); or none, the burst
# untraced (how long the closes take without finwatch).
#
# Per case: a namespace of its own (lo only; the servers on 198.18.1.N,
# the clients from 198.18.0.2-9, so that 70,000 connections fit in the
# ephemeral ports), bench/connhold processes holding both ends of
# BURST_CONNS / 4 connections per port (as many per port as the fd limit
# needs, each on a server address of its own), then `finwatch trace --json -p 6379 -p 6380
# -p 6381 -p 6382 -o LOG` (the defaults otherwise) from the root namespace.
# Once its baseline pass has ended, one `kill -KILL` takes all the holders
# at once, so every socket closes (a clean FIN each way) in the same
# instant; when no socket on the ports is left but in TIME_WAIT and the
# log is quiet, the tracer stops on SIGINT and `finwatch correlate` reads
# the log. Every connection closed cleanly: `ok` is the only true verdict.
#
# Environment (defaults in brackets):
#   BURST_CONNS    connections in all, shared out over the ports [70000]
#   BURST_PORTS    the watched ports [6379 6380 6381 6382]
#   FW_TRACE_ARGS  extra arguments of `finwatch trace` [none]
#   BENCH_KEEP=1   keep the logs and reports (the path is printed)
set -u
cd "$(dirname "$0")/.." || exit 1
BN_ROOT=$(pwd)
. "$BN_ROOT/bench/lib.sh"

BURST_CONNS=${BURST_CONNS:-70000}
read -ra BURST_PORTS <<<"${BURST_PORTS:-6379 6380 6381 6382}"
read -ra TRACE_EXTRA <<<"${FW_TRACE_ARGS:-}"
BURST_SRCS=(198.18.0.2 198.18.0.3 198.18.0.4 198.18.0.5 198.18.0.6
	198.18.0.7 198.18.0.8 198.18.0.9)
HOLDERS=()	# the connhold processes of the case being run

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(ring perf ring-all-states perf-all-states)

# --------------------------------------------------------------- setup

# Namespaces of an earlier run that was killed with SIGKILL.
burst_reap_stale() {
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[[ $ns =~ ^fwburst-([0-9]+)- ]] || continue
		kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
		bn_netns_destroy "$ns"
	done
}

# burst_netns_setup NS: the servers' and the clients' addresses on lo,
# room for all the TIME_WAIT sockets. The ephemeral ports stay the
# default ones (32768-60999, 28,232 per client address), which the
# watched ports are not among: a client on 6381 connected to 6381 is two
# servers to the tracer.
burst_netns_setup() {
	local ns=$1 a
	bn_netns_add "$ns"
	for a in $(seq 1 16); do
		ip -n "$ns" addr add "198.18.1.$a/32" dev lo
	done
	for a in "${BURST_SRCS[@]}"; do
		ip -n "$ns" addr add "$a/32" dev lo
	done
	ip netns exec "$ns" sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535 \
		net.ipv4.tcp_max_tw_buckets=262144 ||
		bn_die "cannot set the sysctls of $ns"
}

# burst_hold NS: BURST_CONNS connections shared out over the ports, each
# port's over as many connhold processes as the fd limit needs (each holds
# both ends: two descriptors a connection), each listening on a server
# address of its own; waits until every one has all its connections up.
burst_hold() {
	local ns=$1 nports=${#BURST_PORTS[@]} max i j n port left ready
	local per_port holders share
	max=$((($(ulimit -Hn) - 100) / 2))
	HOLDERS=()
	for i in "${!BURST_PORTS[@]}"; do
		port=${BURST_PORTS[$i]}
		per_port=$((BURST_CONNS / nports))
		[ "$i" -lt $((nports - 1)) ] || per_port=$((BURST_CONNS - i * per_port))
		holders=$(((per_port + max - 1) / max))
		left=$per_port
		for ((j = 1; j <= holders; j++)); do
			share=$((left / (holders - j + 1)))
			left=$((left - share))
			ip netns exec "$ns" "$BN_TMP/connhold" "198.18.1.$j" "$port" \
				"$share" "${BURST_SRCS[@]}" >"$BN_TMP/hold.$port.$j" 2>&1 &
			HOLDERS+=("$!")
			BN_PIDS+=("$!")
		done
	done
	for ((i = 0; i < 1200; i++)); do
		ready=$(cat "$BN_TMP"/hold.* | grep -c '^ready')
		[ "$ready" -eq ${#HOLDERS[@]} ] && return 0
		for n in "${HOLDERS[@]}"; do
			kill -0 "$n" 2>/dev/null ||
				bn_die "connhold failed: $(cat "$BN_TMP"/hold.*)"
		done
		sleep 0.1
	done
	bn_die "the connections are not all up after 120 s"
}

# burst_port_filter: ss's filter for a socket on any watched port.
burst_port_filter() {
	local p f=
	for p in "${BURST_PORTS[@]}"; do
		f+="${f:+ or }sport = :$p or dport = :$p"
	done
	echo "( $f )"
}

# burst_sockets NS STATE: sockets on the watched ports in STATE (an ss
# state or state group).
burst_sockets() {
	ip netns exec "$1" ss -Htan state "$2" "$(burst_port_filter)" | grep -c .
}

# ------------------------------------------------------------- the tracer

# burst_wait_record LOG TYPE: until LOG has a record of TYPE (60 s at most).
burst_wait_record() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q "\"type\":\"$2\"" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# burst_drain NS LOG: until every socket on the ports is gone or in
# TIME_WAIT, and LOG has then stopped growing, and the repair pass a loss
# makes (within about a second) has had its time.
burst_drain() {
	local ns=$1 log=$2 i left
	for ((i = 0; i < 600; i++)); do
		left=$(burst_sockets "$ns" all)
		left=$((left - $(burst_sockets "$ns" time-wait)))
		[ "$left" -eq 0 ] && break
		sleep 0.1
	done
	[ "$left" -eq 0 ] || bn_log "still $left sockets not in TIME_WAIT after 60 s"
	sleep 2
	bn_wait_quiet "$log" 30 || bn_log "the log still grows after 30 s"
}

# ------------------------------------------------------------ the figures

# burst_ms NS_A NS_B: (B - A) in ms, to one decimal.
burst_ms() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'
}

# burst_log_figures LOG KILL_NS: the log's records by type, the stop
# record's counters, the lost records by reason, and the span of the
# connection records written after KILL_NS (the burst).
burst_log_figures() {
	local log=$1 kill_ns=$2 span
	echo "records: $(bn_lines "$log") lines, $(bn_bytes "$log") bytes"
	jq -r '.type' "$log" | sort | uniq -c | sort -rn |
		awk '{ printf "  %s %s\n", $2, $1 }'
	echo "stop: $(jq -c 'select(.type == "stop") |
		{events, lost, lost_buffer_full, lost_recursion, lost_unpinned, recovered}' "$log")"
	echo "lost records: $(jq -s -c '[.[] | select(.type == "lost")] |
		group_by(.reason + "/" + (.program // "-")) |
		map({reason: .[0].reason, program: .[0].program,
		     records: length, count: (map(.count) | add),
		     pinned: (map(.pinned) | unique)})' "$log")"
	span=$(jq -r --argjson k "$kill_ns" 'select(.time_ns >= $k and .sock != null
		and .type != "snapshot") | .time_ns' "$log" |
		sort -n | sed -n '1p;$p' | tr '\n' ' ')
	# shellcheck disable=SC2086
	set -- $span
	if [ $# -eq 2 ]; then
		echo "closes: kill to first record $(burst_ms "$kill_ns" "$1") ms," \
			"first to last record $(burst_ms "$1" "$2") ms"
	else
		echo "closes: no connection record after the kill"
	fi
	echo "burst records: $(jq -r --argjson k "$kill_ns" 'select(.time_ns >= $k
		and .sock != null and .type != "snapshot") | .type' "$log" |
		sort | uniq -c | awk '{ printf "%s %s  ", $2, $1 }')"
	echo "busiest 100 ms: $(jq -r --argjson k "$kill_ns" 'select(.time_ns >= $k
		and .sock != null and .type != "snapshot") | .time_ns / 100000000 | floor' "$log" |
		uniq -c | sort -rn | awk 'NR == 1 { print $1 }') records"
	echo "passes: $(jq -r 'select(.type == "snapshot_end") |
		"\(.snap)\(if .repair then " (repair)" else "" end): \(.count)"' "$log" |
		paste -sd, | sed 's/,/, /g')"
}

# burst_verdicts JSON: the correlator's verdict counts, the incomplete
# ones by reason, and every verdict that is false here (anything not ok).
burst_verdicts() {
	local json=$1 bad
	jq -c 'select(.type == "summary") |
		{records, lost_events, connections, verdicts}' "$json"
	jq -r 'select(.type == "finding" and .verdict == "incomplete") | .reason' "$json" |
		sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/T/g' |
		sort | uniq -c | sort -rn | head -n 10 |
		awk '{ n = $1; $1 = ""; printf "  incomplete %s:%s\n", n, $0 }'
	bad=$(jq -r 'select(.type == "summary") | .verdicts | to_entries |
		map(select(.key != "ok" and .key != "incomplete" and .value > 0)) |
		map("\(.key) \(.value)") | join(", ")' "$json")
	echo "false verdicts: ${bad:-none}"
}

# --------------------------------------------------------------- a case

TRACER=		# the tracer of the case being run
TICKS0=		# its CPU ticks when the baseline pass had ended
KILL_NS=	# when the holders were killed

# burst_trace_start CASE LOG ERR: the tracer, as CASE says; returns once
# its baseline pass is written.
burst_trace_start() {
	local name=$1 log=$2 err=$3 args=(trace --json --transport "${1%%-*}") p
	[ "$name" = "${name%-all-states}" ] || args+=(--all-states)
	for p in "${BURST_PORTS[@]}"; do
		args+=(-p "$p")
	done
	args+=("${TRACE_EXTRA[@]}" -o "$log")
	echo "command: finwatch ${args[*]}"
	bn_spawn ./finwatch "${args[@]}" 2>"$err"
	TRACER=$BN_LAST_PID
	burst_wait_record "$log" snapshot_end ||
		bn_die "no baseline pass in 60 s: $(tail -n 3 "$err")"
	bn_wait_quiet "$log" 30
	TICKS0=$(bn_cpu_ticks "$TRACER")
	echo "baseline: $(grep -c '"type":"snapshot"' "$log") sockets listed," \
		"RSS $(bn_status_kb "$TRACER" VmRSS) kB"
}

# burst_kill: all the holders in one kill, so that 2 x BURST_CONNS sockets
# close at once; waits until they are gone. KILL_NS: when it was sent.
burst_kill() {
	local gone_ns p
	KILL_NS=$(date +%s%N)
	kill -KILL "${HOLDERS[@]}"
	for p in "${HOLDERS[@]}"; do
		wait "$p"
		bn_forget "$p"
	done 2>/dev/null
	gone_ns=$(date +%s%N)
	echo "kill: the holders were gone $(burst_ms "$KILL_NS" "$gone_ns") ms after it"
}

# burst_trace_stop LOG ERR: the tracer's CPU from its baseline's end to
# now and its memory, then SIGINT.
burst_trace_stop() {
	local ticks
	ticks=$(bn_cpu_ticks "$TRACER")
	echo "tracer: CPU $(awk -v t=$((ticks - TICKS0)) -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.2f", t / hz }') s from the baseline's end to the drain," \
		"RSS $(bn_status_kb "$TRACER" VmRSS) kB, peak $(bn_status_kb "$TRACER" VmHWM) kB"
	bn_stop "$TRACER" INT
	[ -s "$2" ] && sed 's/^/  tracer: /' "$2" | head -n 5
}

# burst_correlate DIR: both reports of DIR/trace.log, and their figures.
burst_correlate() {
	local dir=$1 t0
	t0=$(bn_now_us)
	./finwatch correlate --json "$dir/trace.log" >"$dir/correlate.json" \
		2>"$dir/correlate.err"
	echo "correlate --json: exit $?, $((($(bn_now_us) - t0) / 1000)) ms"
	./finwatch correlate "$dir/trace.log" >"$dir/correlate.txt" 2>&1
	burst_verdicts "$dir/correlate.json"
	echo "report (text, first lines):"
	head -n 5 "$dir/correlate.txt" | sed 's/^/  /'
}

# burst_case CASE: one burst, traced as CASE says (none: not traced, for
# the time the closes take alone); prints its figures.
burst_case() {
	local name=$1 ns=fwburst-$$-$1 dir=$BN_TMP/$1 t0
	case $name in
	none | ring | perf | ring-all-states | perf-all-states) ;;
	*) bn_die "unknown case $name (none, ring, perf, ring-all-states, perf-all-states)" ;;
	esac
	mkdir -p "$dir"
	echo "== $name: $BURST_CONNS connections on ports ${BURST_PORTS[*]}," \
		"$((2 * BURST_CONNS)) sockets"
	burst_netns_setup "$ns"
	t0=$(bn_now_us)
	burst_hold "$ns"
	echo "held: $(burst_sockets "$ns" established) established sockets" \
		"(up in $((($(bn_now_us) - t0) / 1000)) ms), ${#HOLDERS[@]} holders"
	[ "$name" = none ] || burst_trace_start "$name" "$dir/trace.log" "$dir/trace.err"
	burst_kill
	burst_drain "$ns" "$dir/trace.log"
	echo "after: $(burst_sockets "$ns" time-wait) in TIME_WAIT," \
		"$(burst_sockets "$ns" all) in all"
	if [ "$name" != none ]; then
		burst_trace_stop "$dir/trace.log" "$dir/trace.err"
		burst_log_figures "$dir/trace.log" "$KILL_NS"
		burst_correlate "$dir"
	fi
	bn_netns_destroy "$ns"
	echo
}

# ----------------------------------------------------------------- main

[ "$(id -u)" = 0 ] || bn_die "run as root"
for tool in jq ss ip; do
	command -v "$tool" >/dev/null || bn_die "needs $tool"
done
trap bn_cleanup EXIT INT TERM
burst_reap_stale
BN_TMP=$(mktemp -d /tmp/fwburst.XXXXXX)
# The holders' descriptors: as many as the hard limit allows (raising it
# needs CAP_SYS_RESOURCE, which a container may not give); burst_hold
# runs as many holders as that takes.
ulimit -Hn 1048576 2>/dev/null
ulimit -n "$(ulimit -Hn)"
[ -x ./finwatch ] || make -s finwatch || bn_die "cannot build finwatch"
cc -O2 -Wall -o "$BN_TMP/connhold" bench/connhold.c || bn_die "cannot build connhold"
echo "# bench/burst.sh ${cases[*]}: $(uname -r), $(nproc) CPUs," \
	"$(awk '$1 == "MemTotal:" { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
	"finwatch $(./finwatch --version 2>/dev/null | head -n 1)"
for c in "${cases[@]}"; do
	burst_case "$c"
done
