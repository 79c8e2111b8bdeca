#!/usr/bin/env bash
# The soak (issue 14, point 6; docs/PERFORMANCE.md): days of tracing in
# compressed time. An app host and a Redis host joined by a middlebox
# (three network namespaces), a tracer on each host writing its log,
# `finwatch correlate --follow --json --all` on the two live files, and
# for SOAK_DURATION seconds:
#   - steady churn: redis-benchmark -k 0 (a new connection per PING), about
#     SOAK_RATE connections a second, and a pool of SOAK_POOL connections
#     that PING every 2 s the whole time;
#   - a leak every SOAK_LEAK_EVERY seconds: a client from a port of its
#     own whose FIN is dropped, in turn by the middlebox (it is
#     retransmitted, and lost on the way) and by the app host's own
#     firewall (it never leaves); Redis runs with timeout 0, as in the
#     incident, so each leak leaves a ghost on it for the rest of the run
#     (SOAK_REDIS_TIMEOUT=N makes Redis reap them after N seconds);
#   - the real logrotate every SOAK_ROTATE_EVERY seconds: the app host's
#     log with create, compress and delaycompress, the Redis host's with
#     copytruncate and compress, each with a postrotate SIGHUP;
#   - every SOAK_SAMPLE_EVERY seconds, the resident memory (VmRSS, VmHWM)
#     and CPU time of both tracers and of the correlator.
# Then it stops everything and checks against its own ground truth (which
# ports it leaked): every leak named live, within SOAK_MAX_LATENCY seconds
# of its close (the time from the close to the first finding, printed as
# min/median/max); no false finding at any moment, provisional or not (a
# leak named anything but lost_fin, a clean connection anything but ok or
# open); no connection left incomplete; the batch verdict over the
# complete rotated logs (given in shuffled order) equal to the last live
# finding of every connection; no record lost; the memory of each process
# flat: after SOAK_WARMUP seconds (the correlator holds the ends a
# snapshot lists until they die: the TIME_WAIT minute of the churn fills
# up in the first 60 s), the last third's largest VmRSS within
# SOAK_FLAT_PCT percent (at least SOAK_FLAT_MIN_KB) of the first third's.
# It prints PASS/FAIL lines (tests/run.sh counts them), then the figures,
# disk bytes per connection and per day at the measured rate included;
# SOAK_OUT (default build/soak) keeps the report and the raw samples.
#
#   make soak                                   # 10 minutes (as root)
#   make soak SOAK_MINUTES=60                   # an hour
#   flock /work/kernel.lock bash scripts/soak.sh
#   bash tests/kernel/test_soak.sh              # one minute, the suite's
#
# Everything it starts (namespaces, redis, clients, tracers, logrotate,
# the correlator) is removed on exit, on failure and on Ctrl-C
# (tests/kernel/lib.sh); FW_KEEP=1 keeps the temporary directory.
# shellcheck source=tests/kernel/lib.sh
. "$(dirname "$0")/../tests/kernel/lib.sh"

SOAK_DURATION=${SOAK_DURATION:-600}
SOAK_RATE=${SOAK_RATE:-20}
SOAK_POOL=${SOAK_POOL:-4}
SOAK_LEAK_EVERY=${SOAK_LEAK_EVERY:-10}
SOAK_ROTATE_EVERY=${SOAK_ROTATE_EVERY:-60}
SOAK_SAMPLE_EVERY=${SOAK_SAMPLE_EVERY:-10}
SOAK_SNAPSHOT_EVERY=${SOAK_SNAPSHOT_EVERY:-30s}
SOAK_REDIS_TIMEOUT=${SOAK_REDIS_TIMEOUT:-0}
SOAK_MAX_LATENCY=${SOAK_MAX_LATENCY:-10}
SOAK_WARMUP=${SOAK_WARMUP:-70}
SOAK_FLAT_PCT=${SOAK_FLAT_PCT:-5}
SOAK_FLAT_MIN_KB=${SOAK_FLAT_MIN_KB:-1024}
SOAK_OUT=${SOAK_OUT-$FW_ROOT/build/soak}

if [ "${VMTEST:-0}" = 1 ]; then
	# Its figures are times and memory over minutes: under TCG they
	# measure the emulator. The host's suite runs it.
	echo "SKIP soak: timing figures mean nothing under emulation; the host's suite runs it"
	exit 0
fi
fw_require logrotate gzip shuf perl redis-benchmark
fw_build_tcpclient

W=$FW_TMP/soak
mkdir -p "$W/logs"
STOP=$W/stop
APP_IP=198.18.1.1
DB_IP=198.18.2.1
FW_M=fwm-$$
NET_PORTS=31000 # leaks the middlebox loses: 31000, 31001, ...
HOST_PORTS=32000 # leaks the app host's own firewall drops

now_us() {
	echo "${EPOCHREALTIME/./}"
}

# sleep_until T_US: false when the stop file appears first.
sleep_until() {
	local left
	while :; do
		[ -e "$STOP" ] && return 1
		left=$(($1 - $(now_us)))
		[ "$left" -gt 0 ] || return 0
		[ "$left" -le 500000 ] || left=500000
		sleep "$(printf '0.%06d' "$left")"
	done
}

# Stale middleboxes of soaks killed by SIGKILL (lib.sh reaps the others).
reap_stale_middleboxes() {
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[[ $ns =~ ^fwm-([0-9]+)$ ]] || continue
		kill -0 "${BASH_REMATCH[1]}" 2>/dev/null || fw_netns_destroy "$ns"
	done
}

# The app host, the middlebox and the Redis host; the middlebox loses the
# FINs of the NET_PORTS leaks, the app host drops those of HOST_PORTS.
setup_network() {
	reap_stale_middleboxes
	fw_netns_add "$FW_C"
	fw_netns_add "$FW_M"
	fw_netns_add "$FW_S"
	fw_netns_link "$FW_C" fwa0 "$APP_IP" "$FW_M" fwm0 198.18.1.254
	fw_netns_link "$FW_S" fwd0 "$DB_IP" "$FW_M" fwm1 198.18.2.254
	ip -n "$FW_C" route add default via 198.18.1.254
	ip -n "$FW_S" route add default via 198.18.2.254
	ip netns exec "$FW_M" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$FW_C" sysctl -qw net.ipv4.ip_local_port_range="40000 60999"
	ip netns exec "$FW_M" nft -f - <<-EOF || fw_die "cannot load the middlebox's rule"
	table inet soak {
		chain forward {
			type filter hook forward priority 0; policy accept;
			tcp sport $NET_PORTS-$((NET_PORTS + 999)) tcp flags & fin == fin counter drop
		}
	}
	EOF
	fw_nft_drop_fin "$FW_C" tcp sport "$HOST_PORTS-$((HOST_PORTS + 999))"
	fw_wait_for 5 fw_refused "$FW_C" "$DB_IP" || fw_die "$DB_IP unreachable from the app host"
}

start_redis() {
	fw_redis_start "$FW_S" 6379 "$DB_IP"
	[ "$SOAK_REDIS_TIMEOUT" -gt 0 ] || return 0
	ip netns exec "$FW_S" redis-cli -h "$DB_IP" CONFIG SET timeout "$SOAK_REDIS_TIMEOUT" >/dev/null ||
		fw_die "redis: CONFIG SET timeout failed"
}

start_tracer() { # NS HOST: sets TRACER
	fw_trace_start "$W/logs/$2.log" -p 6379 --netns "/run/netns/$1" --host "$2" \
		--snapshot-every "$SOAK_SNAPSHOT_EVERY" --prom "$W/$2.prom" ||
		fw_die "the tracer of $2 did not start"
	TRACER=$FW_TRACER_PID
}

write_logrotate_conf() {
	cat >"$W/logrotate.conf" <<-EOF
	$W/logs/app1.log {
		rotate 1000
		create 0640 root root
		compress
		delaycompress
		missingok
		postrotate
			kill -HUP $APP_TRACER
		endscript
	}
	$W/logs/db1.log {
		rotate 1000
		copytruncate
		compress
		missingok
		postrotate
			kill -HUP $DB_TRACER
		endscript
	}
	EOF
}

# The correlator following both live files; each line it prints is
# stamped with the time it came (perl reads in blocks: cheap).
start_follow() {
	mkfifo "$W/follow.fifo"
	perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } printf "%.6f\t%s", time, $_' \
		<"$W/follow.fifo" >"$W/live.tsv" &
	STAMPER=$!
	FW_PIDS+=("$STAMPER")
	"$FINWATCH" correlate --follow --json --all "$W/logs/app1.log" "$W/logs/db1.log" \
		>"$W/follow.fifo" 2>"$W/follow.err" &
	FOLLOW=$!
	FW_PIDS+=("$FOLLOW")
}

# ------------------------------------------------------------ the workload

churn_loop() {
	local t=$T0 runs=0 failed=0
	while sleep_until "$t"; do
		if ip netns exec "$FW_C" redis-benchmark -h "$DB_IP" -p 6379 -k 0 -c 2 \
			-n "$SOAK_RATE" -t ping_inline -q </dev/null >/dev/null 2>&1; then
			runs=$((runs + 1))
		else
			failed=$((failed + 1))
		fi
		t=$((t + 1000000))
	done
	echo "$runs $failed" >"$W/churn.count"
}

pool_client() {
	ip netns exec "$FW_C" bash -c '
		exec 3<>"/dev/tcp/$1/6379" || exit 1
		while [ ! -e "$2" ]; do
			printf "PING\r\n" >&3
			read -r -t 5 reply <&3 || exit 1
			[ "$reply" = $'\''+PONG\r'\'' ] || exit 1
			sleep 2
		done
		exec 3>&- 3<&-
	' pool "$DB_IP" "$STOP" </dev/null >/dev/null 2>&1 &
	FW_PIDS+=($!)
	POOL_PIDS+=($!)
}

# leak I: the Ith leak, by the middlebox (even) or the app host (odd).
leak() {
	local i=$1 kind=net port
	port=$((NET_PORTS + i / 2))
	if [ $((i % 2)) -eq 1 ]; then
		kind=host
		port=$((HOST_PORTS + i / 2))
	fi
	printf '%s\t%s\t%s\n' "$port" "$kind" "$(now_us)" >>"$W/leaks.tsv"
	(
		ip netns exec "$FW_C" "$FW_TCPCLIENT" -b "$port" -w 0.2 -a 1 "$DB_IP" 6379 \
			</dev/null >"$W/leak.$port.out" 2>&1
		echo "$port $?" >>"$W/leaks.rc"
	) &
}

# Leaks until SOAK_MAX_LATENCY + 5 s before the end, so that each has
# its time to be named while the tracers still run.
leak_loop() {
	local i=0 t=$((T0 + 3000000))
	local last=$((T0 + (SOAK_DURATION - SOAK_MAX_LATENCY - 5) * 1000000))
	while [ "$t" -le "$last" ] && sleep_until "$t"; do
		leak "$i"
		i=$((i + 1))
		t=$((t + SOAK_LEAK_EVERY * 1000000))
	done
	wait
}

rotate_loop() {
	local t=$((T0 + SOAK_ROTATE_EVERY * 1000000))
	while sleep_until "$t"; do
		if logrotate -f -s "$W/logrotate.state" "$W/logrotate.conf" 2>>"$W/logrotate.err"; then
			now_us >>"$W/rotations"
		else
			echo "logrotate failed at $(now_us)" >>"$W/logrotate.err"
		fi
		t=$((t + SOAK_ROTATE_EVERY * 1000000))
	done
}

# status_of PID: "VmRSS VmHWM cpu_ticks" of a process (0 0 0 when gone).
status_of() {
	local rss hwm cpu
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	# utime and stime: fields 14 and 15, after the ")" that ends comm.
	cpu=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }')
	echo "${rss:-0} ${hwm:-0} ${cpu:-0}"
}

sample_loop() {
	local t=$T0
	echo "t_s app1_rss app1_hwm app1_cpu db1_rss db1_hwm db1_cpu corr_rss corr_hwm corr_cpu" >"$W/mem.tsv"
	while sleep_until "$t"; do
		echo "$(((t - T0) / 1000000)) $(status_of "$APP_TRACER") $(status_of "$DB_TRACER") $(status_of "$FOLLOW")" >>"$W/mem.tsv"
		t=$((t + SOAK_SAMPLE_EVERY * 1000000))
	done
}

start_loop() { # FUNCTION
	"$1" &
	FW_PIDS+=($!)
	LOOPS+=($!)
}

# all_leaks_named: every leak made has a lost_fin finding (by its port).
all_leaks_named() {
	local named
	named=$(cut -f2- "$W/live.tsv" 2>/dev/null | jq -r 'select(.type == "finding" and .verdict == "lost_fin") | .client' 2>/dev/null |
		sed 's/.*://' | sort -u | grep -cxFf <(cut -f1 "$W/leaks.tsv"))
	[ "$named" -ge "${LEAKS:-0}" ]
}

# ---------------------------------------------------------------- the run

run_soak() {
	LOOPS=()
	POOL_PIDS=()
	T0=$(now_us)
	start_loop sample_loop
	start_loop churn_loop
	start_loop leak_loop
	start_loop rotate_loop
	for ((i = 0; i < SOAK_POOL; i++)); do
		pool_client
	done
	fw_log "soak: ${SOAK_DURATION}s of churn (about $SOAK_RATE connections/s), a leak every ${SOAK_LEAK_EVERY}s, logrotate every ${SOAK_ROTATE_EVERY}s"
	sleep_until $((T0 + SOAK_DURATION * 1000000))
	touch "$STOP"
	for pid in "${LOOPS[@]}"; do
		wait "$pid"
	done
	POOL_FAILED=0
	for pid in "${POOL_PIDS[@]}"; do
		fw_wait_pid "$pid" 10 || POOL_FAILED=$((POOL_FAILED + 1))
	done
	LEAKS=$(grep -c . "$W/leaks.tsv" 2>/dev/null)
	fw_wait_for "$SOAK_MAX_LATENCY" all_leaks_named
	sleep 2
	T_STOP=$(now_us)
	for pid in "$APP_TRACER" "$DB_TRACER"; do
		kill -INT "$pid" 2>/dev/null
	done
	fw_wait_pid "$APP_TRACER" 15
	APP_RC=$?
	fw_wait_pid "$DB_TRACER" 15
	DB_RC=$?
	sleep 3
	kill -INT "$FOLLOW" 2>/dev/null
	fw_wait_pid "$FOLLOW" 30
	FOLLOW_RC=$?
	fw_wait_pid "$STAMPER" 10
}

setup_network
start_redis
T_TRACE0=$(now_us)
start_tracer "$FW_C" app1
APP_TRACER=$TRACER
start_tracer "$FW_S" db1
DB_TRACER=$TRACER
write_logrotate_conf
start_follow
sleep 1
run_soak

# shellcheck source=scripts/soak_report.sh
. "$(dirname "$0")/soak_report.sh"
soak_report
