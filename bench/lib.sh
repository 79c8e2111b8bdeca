# shellcheck shell=bash
# Helpers of bench/run.sh: the processes it starts and how it cleans them
# up, the namespaces, the churn, and the counters it reads.
#
# Everything started here is registered (BN_PIDS, BN_GROUPS, BN_NETNS) and
# removed by bn_cleanup, which run.sh traps on EXIT, INT and TERM.

BN_PIDS=()	# processes to kill at cleanup
BN_GROUPS=()	# process groups to kill at cleanup (tracers run under setsid)
BN_NETNS=()	# namespaces to delete at cleanup
BN_LAST_PID=
BN_STATS_WAS=	# kernel.bpf_stats_enabled before the run
BN_TRACEFS_MOUNTED=0
BN_TMP=

BN_C=fwbc-$$	# client namespace (redis-benchmark)
BN_S=fwbs-$$	# server namespace (redis-server)
BN_C4=198.18.10.1
BN_S4=198.18.10.2

bn_log() {
	echo "# $*" >&2
}

bn_die() {
	echo "bench: $*" >&2
	exit 1
}

# Monotonic enough for durations of a second or more, and free: no fork.
bn_now_us() {
	echo "${EPOCHREALTIME/./}"
}

# ------------------------------------------------------------- cleanup

bn_kill_group() {
	kill -TERM -- "-$1" 2>/dev/null
}

bn_netns_destroy() {
	local ns=$1 pids
	ip netns list 2>/dev/null | grep -q "^$ns\b" || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	ip netns exec "$ns" ss -K -t -a >/dev/null 2>&1
	ip netns del "$ns" 2>/dev/null
}

bn_cleanup() {
	local rc=$? g p ns
	trap - EXIT INT TERM
	for g in "${BN_GROUPS[@]}"; do
		bn_kill_group "$g"
	done
	for p in "${BN_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.3
	for g in "${BN_GROUPS[@]}"; do
		kill -KILL -- "-$g" 2>/dev/null
	done
	for p in "${BN_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for ns in "${BN_NETNS[@]}"; do
		bn_netns_destroy "$ns"
	done
	wait 2>/dev/null
	[ -z "$BN_STATS_WAS" ] || sysctl -qw kernel.bpf_stats_enabled="$BN_STATS_WAS"
	[ "$BN_TRACEFS_MOUNTED" = 0 ] || umount /sys/kernel/tracing 2>/dev/null
	if [ -n "$BN_TMP" ] && [ -d "$BN_TMP" ]; then
		if [ "${BENCH_KEEP:-0}" = 1 ]; then
			echo "# kept $BN_TMP" >&2
		else
			rm -rf "$BN_TMP"
		fi
	fi
	exit "$rc"
}

# Namespaces of an earlier run that was killed with SIGKILL.
bn_reap_stale() {
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[[ $ns =~ ^fwb[cs]-([0-9]+)$ ]] || continue
		kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
		bn_netns_destroy "$ns"
	done
}

# ------------------------------------------------------------ processes

# bn_spawn CMD...: CMD in the background in a process group of its own
# (setsid execs: a background job of a script leads no group), so that
# cleanup also gets whatever CMD starts. BN_LAST_PID is its pid.
bn_spawn() {
	setsid "$@" &
	BN_LAST_PID=$!
	BN_PIDS+=("$BN_LAST_PID")
	BN_GROUPS+=("$BN_LAST_PID")
}

# bn_forget PID: PID has been waited for; cleanup must not signal it (its
# number may belong to someone else's process by then).
bn_forget() {
	local p keep=()
	for p in "${BN_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	BN_PIDS=("${keep[@]}")
	keep=()
	for p in "${BN_GROUPS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	BN_GROUPS=("${keep[@]}")
}

# bn_run CMD...: CMD in the background, waited for, so that a signal to
# this script is handled at once rather than when CMD ends.
bn_run() {
	local pid rc
	"$@" &
	pid=$!
	BN_PIDS+=("$pid")
	wait "$pid"
	rc=$?
	bn_forget "$pid"
	return "$rc"
}

# bn_stop PID [SIGNAL]: signals PID and waits (10 s at most) for it.
bn_stop() {
	local pid=$1 sig=${2:-INT} i
	kill "-$sig" "$pid" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL -- "-$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	bn_forget "$pid"
}

# bn_cpu_ticks PID: user+sys of the process (all its threads), in ticks.
bn_cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	# The fields after the command name, which may hold spaces.
	# shellcheck disable=SC2086
	set -- ${stat##*) }
	echo $((${12} + ${13}))
}

# bn_status_kb PID FIELD: VmRSS or VmHWM in kB.
bn_status_kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

# bn_has_link PID: the process holds a BPF link (its programs are attached).
bn_has_link() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = anon_inode:bpf_link ] && return 0
	done
	return 1
}

# bn_wait_quiet FILE [MAX_SECS]: until FILE has not grown for 0.3 s: the
# tracer wrote what the traffic so far made (it holds records 100 ms at
# most, then reorders them for 1 ms).
bn_wait_quiet() {
	local file=$1 max=${2:-20} last=-1 size same=0 i
	for ((i = 0; i < max * 10; i++)); do
		size=$(stat -c %s "$file" 2>/dev/null || echo 0)
		if [ "$size" = "$last" ]; then
			same=$((same + 1))
			[ "$same" -ge 3 ] && return 0
		else
			same=0
			last=$size
		fi
		sleep 0.1
	done
	return 1
}

bn_lines() {
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

bn_bytes() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

# ------------------------------------------------------------ namespaces

bn_netns_add() {
	ip netns add "$1" || bn_die "ip netns add $1 failed"
	BN_NETNS+=("$1")
	ip -n "$1" link set lo up
}

# Client and server namespaces joined by veth. The client reuses ports in
# TIME_WAIT (tcp_tw_reuse=1, all ports): a new connection per request at
# 10k+/s would otherwise run out of ports within seconds.
bn_netns_setup() {
	bn_netns_add "$BN_C"
	bn_netns_add "$BN_S"
	ip link add fwbv0 netns "$BN_C" type veth peer name fwbv1 netns "$BN_S" ||
		bn_die "cannot create veth between $BN_C and $BN_S"
	ip -n "$BN_C" addr add "$BN_C4/24" dev fwbv0
	ip -n "$BN_S" addr add "$BN_S4/24" dev fwbv1
	ip -n "$BN_C" link set fwbv0 up
	ip -n "$BN_S" link set fwbv1 up
	ip netns exec "$BN_C" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
		net.ipv4.tcp_tw_reuse=1 || bn_die "cannot set the client's sysctls"
}

# bn_redis_start PORT: a real redis-server in the server namespace, no
# persistence, no timeouts; waits until it answers PING.
bn_redis_start() {
	local port=$1 dir=$BN_TMP/redis-$1 i
	mkdir -p "$dir"
	ip netns exec "$BN_S" redis-server --port "$port" --bind "$BN_S4" \
		--timeout 0 --tcp-keepalive 0 --save '' --appendonly no \
		--daemonize no --protected-mode no --dir "$dir" \
		--logfile "$dir/log" </dev/null >/dev/null 2>&1 &
	BN_PIDS+=("$!")
	for ((i = 0; i < 100; i++)); do
		[ "$(ip netns exec "$BN_C" redis-cli -h "$BN_S4" -p "$port" PING 2>/dev/null)" = PONG ] &&
			return 0
		sleep 0.1
	done
	bn_die "redis-server on port $port does not answer: $(tail -n 3 "$dir/log" 2>/dev/null)"
}

# bn_redis_conns PORT: connections the server has accepted so far (this
# query's own included).
bn_redis_conns() {
	ip netns exec "$BN_C" redis-cli -h "$BN_S4" -p "$1" INFO stats 2>/dev/null |
		tr -d '\r' | awk -F: '$1 == "total_connections_received" { print $2 }'
}

# bn_churn PORT KEEPALIVE REQUESTS: redis-benchmark from the client
# namespace, PING_INLINE only; prints its requests per second. With
# keepalive 0 every request is a new connection.
bn_churn() {
	local port=$1 ka=$2 n=$3 out=$BN_TMP/churn.csv
	bn_run ip netns exec "$BN_C" redis-benchmark -h "$BN_S4" -p "$port" \
		-k "$ka" -n "$n" -c "$CLIENTS" -t ping_inline --csv \
		</dev/null >"$out" 2>>"$BN_TMP/churn.err" ||
		bn_die "redis-benchmark failed: $(tail -n 3 "$BN_TMP/churn.err")"
	awk -F'"' '$2 == "PING_INLINE" { print $4 }' "$out"
}

# ------------------------------------------------------- program counters

# bn_prog_counters PID: "PROG_ID RUN_TIME_NS RUN_CNT RECURSION_MISSES" for
# each BPF program the process holds (kernel.bpf_stats_enabled=1).
bn_prog_counters() {
	local fd files=()
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = anon_inode:bpf-prog ] &&
			files+=("/proc/$1/fdinfo/${fd##*/}")
	done
	[ ${#files[@]} -gt 0 ] || return 0
	awk 'FNR == 1 && id != "" { print id, t, c, m; id = "" }
	     $1 == "prog_id:" { id = $2 } $1 == "run_time_ns:" { t = $2 }
	     $1 == "run_cnt:" { c = $2 } $1 == "recursion_misses:" { m = $2 + 0 }
	     END { if (id != "") print id, t, c, m }' "${files[@]}" | sort -u -k1,1n
}

# bn_prog_points PID: "PROG_ID ATTACH_POINT NAME" for each program of the
# process. The attach point comes from its link (the tracepoint's name,
# iter:TARGET), else from the program's name without a "fw_" or "empty_".
bn_prog_points() {
	local pid=$1 fd l ids=() names id p name
	local -A point=()
	for fd in /proc/"$pid"/fd/*; do
		l=$(readlink "$fd" 2>/dev/null)
		case $l in
		anon_inode:bpf-prog)
			ids+=("$(awk '$1 == "prog_id:" { print $2 }' "/proc/$pid/fdinfo/${fd##*/}")")
			;;
		anon_inode:bpf_link)
			read -r id p < <(awk '$1 == "prog_id:" { id = $2 }
				$1 == "tp_name:" { p = $2 } $1 == "target_name:" { p = "iter:" $2 }
				END { print id, p }' "/proc/$pid/fdinfo/${fd##*/}")
			[ -z "$p" ] || point[$id]=$p
			;;
		esac
	done
	[ ${#ids[@]} -gt 0 ] || return 0
	names=$(bpftool prog show --json 2>/dev/null | jq -r '.[] | "\(.id) \(.name)"')
	for id in $(printf '%s\n' "${ids[@]}" | sort -un); do
		name=$(awk -v id="$id" '$1 == id { print $2 }' <<<"$names")
		[ -n "$name" ] || name=prog$id
		p=${point[$id]:-}
		if [ -z "$p" ]; then
			p=${name#fw_}
			p=${p#empty_}
		fi
		echo "$id $p $name"
	done
}
