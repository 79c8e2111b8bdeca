#!/usr/bin/env bash
# finwatch's cost benchmark (issue 12; docs/PERFORMANCE.md says what each
# figure means). Every comparison is made side by side in one run, rounds
# interleaved, and each figure is the median of ROUNDS rounds with its
# min-max: the absolute numbers on a shared machine are noise, the ratios
# taken within one round are not.
#
#   bench/run.sh                  as root; on a shared machine under the
#                                 kernel lock: flock /work/kernel.lock bench/run.sh
#   QUICK=1 bench/run.sh          one round, short churn (a smoke run)
#
# It builds two namespaces joined by veth (198.18.10.1 client, .2 server),
# runs redis-server on 6379 (watched: finwatch's default port) and 6380
# (unwatched), and drives them with redis-benchmark -k 0 (a new connection
# per request). Then, per round:
#   cost   for each transport: finwatch and an empty program on each of
#          finwatch's attach points (build/bench/empty), attached at once;
#          ns per program run (kernel.bpf_stats_enabled) under churn on
#          6379, with keepalive on 6379, and under churn on 6380;
#   tput   finwatch ring, finwatch perf, libbpf-tools' tcpstates and
#          tcplife, one at a time in an order that rotates each round, each
#          between two runs with no tracer: redis-benchmark throughput
#          against the mean of those two, ns per program run
#          (finwatch against the peers), tracer CPU per record, log bytes,
#          lost records, memory.
# Before the rounds: tracer startup times on a quiet host. After them: two
# tracers (--netns, --host) record both hosts' logs of a churn, and
# `finwatch correlate` is timed on them.
#
# Writes the table to stdout and to $OUT/results-DATE.md.
#
# Environment (defaults in brackets):
#   FINWATCH         the binary under test [./finwatch, built if missing]
#   FW_TRACE_ARGS    extra arguments of every `finwatch trace` [none]
#   ROUNDS           rounds [5; 1 with QUICK=1]
#   COST_REQUESTS    requests of each -k 0 churn of the cost phase [30000]
#   KEEP_REQUESTS    requests of its -k 1 run [100000]
#   TPUT_REQUESTS    requests of each throughput run [60000]
#   CORR_RECORDS     records to collect for the correlate timing [360000]
#   CLIENTS          redis-benchmark -c [50]
#   TCPSTATES, TCPLIFE, TCPSTATES_ARGS, TCPLIFE_ARGS   the peers [tcpstates, tcplife]
#   OUT              where results go [bench/out]
#   BENCH_KEEP=1     keep the temporary directory (logs, outputs)
set -u
cd "$(dirname "$0")/.." || exit 1
BN_ROOT=$(pwd)
. "$BN_ROOT/bench/lib.sh"

# The settings given in the environment, to print the command as run.
BN_ENV=
for v in QUICK ROUNDS COST_REQUESTS KEEP_REQUESTS TPUT_REQUESTS CORR_RECORDS \
	CLIENTS FINWATCH FW_TRACE_ARGS TCPSTATES TCPLIFE TCPSTATES_ARGS TCPLIFE_ARGS; do
	[ -z "${!v+x}" ] || BN_ENV+="$v=$(printf '%q' "${!v}") "
done
BENCH_COMMAND="${BN_ENV}bench/run.sh"
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	: "${ROUNDS:=1}" "${COST_REQUESTS:=8000}" "${KEEP_REQUESTS:=30000}"
	: "${TPUT_REQUESTS:=15000}" "${CORR_RECORDS:=100000}"
fi
ROUNDS=${ROUNDS:-5}
COST_REQUESTS=${COST_REQUESTS:-30000}
KEEP_REQUESTS=${KEEP_REQUESTS:-100000}
TPUT_REQUESTS=${TPUT_REQUESTS:-60000}
CORR_RECORDS=${CORR_RECORDS:-360000}
CLIENTS=${CLIENTS:-50}
FINWATCH=${FINWATCH:-$BN_ROOT/finwatch}
FW_TRACE_ARGS=${FW_TRACE_ARGS:-}
TCPSTATES=${TCPSTATES:-tcpstates}
TCPLIFE=${TCPLIFE:-tcplife}
TCPSTATES_ARGS=${TCPSTATES_ARGS:-}
TCPLIFE_ARGS=${TCPLIFE_ARGS:-}
EMPTY=$BN_ROOT/build/bench/empty
OUT=${OUT:-$BN_ROOT/bench/out}
WATCHED=6379
UNWATCHED=6380
read -ra FW_EXTRA <<<"$FW_TRACE_ARGS"
read -ra TS_EXTRA <<<"$TCPSTATES_ARGS"
read -ra TL_EXTRA <<<"$TCPLIFE_ARGS"

SAMPLES=	# "KEY VALUE" lines, one per measurement
NOTES=()	# what could not be measured, and why
PEERS=()	# the peers that run here (tcpstates, tcplife)
declare -A CMDS=()	# the exact commands, for the results

bn_note() {
	NOTES+=("$*")
	bn_log "note: $*"
}

sample() { # KEY VALUE
	[ -n "$2" ] && echo "$1 $2" >>"$SAMPLES"
}

# ------------------------------------------------------------ preparation

check_environment() {
	local t missing=()
	[ "$(id -u)" -eq 0 ] || bn_die "run as root (namespaces, BPF)"
	for t in ip ss redis-server redis-cli redis-benchmark bpftool jq sysctl \
		setsid awk stat mountpoint; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	[ -x /usr/bin/time ] || missing+=(/usr/bin/time)
	[ ${#missing[@]} -eq 0 ] || bn_die "missing: ${missing[*]} (run bash scripts/deps.sh --bench)"
	[ -r /sys/kernel/btf/vmlinux ] || bn_die "no kernel BTF (/sys/kernel/btf/vmlinux)"
	for t in "$TCPSTATES" "$TCPLIFE"; do
		if command -v "$t" >/dev/null 2>&1; then
			PEERS+=("$(basename "$t")")
		else
			bn_note "$t not found (package libbpf-tools): its figures are missing"
		fi
	done
}

build_binaries() {
	if [ "$FINWATCH" = "$BN_ROOT/finwatch" ]; then
		make -s finwatch >"$BN_TMP/make.log" 2>&1 ||
			bn_die "make finwatch failed: $(tail -n 5 "$BN_TMP/make.log")"
	fi
	[ -x "$FINWATCH" ] || bn_die "$FINWATCH is not an executable"
	make -s build/bench/empty >"$BN_TMP/make.log" 2>&1 ||
		bn_die "make build/bench/empty failed: $(tail -n 5 "$BN_TMP/make.log")"
}

# Program statistics for every program from now on; the previous value
# comes back at cleanup. libbpf-tools' peers attach classic tracepoints,
# which need tracefs (not mounted on a fresh machine).
prepare_kernel() {
	BN_STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1 || bn_die "cannot set kernel.bpf_stats_enabled"
	if [ ${#PEERS[@]} -gt 0 ] && ! mountpoint -q /sys/kernel/tracing; then
		if mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then
			BN_TRACEFS_MOUNTED=1
		else
			bn_note "cannot mount tracefs: tcpstates and tcplife cannot attach"
			PEERS=()
		fi
	fi
}

# ------------------------------------------------------------ the tools

# tool_cmd TOOL OUT [TRANSPORT] [EXTRA...]: sets CMD to the command line
# of TOOL (finwatch, empty, tcpstates, tcplife) writing to OUT.
tool_cmd() {
	local tool=$1 out=$2
	shift 2
	case $tool in
	finwatch)
		CMD=("$FINWATCH" trace --json -o "$out" --transport "$1" "${FW_EXTRA[@]}")
		shift
		CMD+=("$@")
		;;
	empty) CMD=("$EMPTY") ;;
	tcpstates) CMD=("$TCPSTATES" "${TS_EXTRA[@]}") ;;
	tcplife) CMD=("$TCPLIFE" "${TL_EXTRA[@]}") ;;
	esac
	[ -n "${CMDS[$tool]:-}" ] || CMDS[$tool]=$(show_cmd "${CMD[@]}")
}

# show_cmd ARG...: the command as the results print it: the temporary
# directory as $TMP, the namespaces as CLIENT and SERVER.
show_cmd() {
	local line
	line=$(printf '%q ' "$@")
	line=${line//$BN_TMP/\$TMP}
	line=${line//$BN_C/CLIENT}
	echo "${line//$BN_S/SERVER}"
}

# tool_ready TOOL PID OUT: whether TOOL is attached and running: finwatch
# once its start record is out, empty once it says "ready", the peers once
# they hold a BPF link.
tool_ready() {
	case $1 in
	finwatch) [ -s "$3" ] && head -n 1 "$3" | grep -q '"type":"start"' ;;
	empty) grep -q '^ready' "$3" 2>/dev/null ;;
	*) bn_has_link "$2" ;;
	esac
}

# tool_start TOOL OUT [TRANSPORT] [EXTRA...]: starts TOOL and waits until
# it is ready; TOOL_PID is its pid, TOOL_STARTUP_US how long that took.
# Returns 1 (TOOL_ERR says why) when it dies or takes over 60 s.
tool_start() {
	local tool=$1 out=$2 t0 i
	tool_cmd "$@"
	rm -f "$out"
	t0=$(bn_now_us)
	if [ "$tool" = finwatch ]; then
		bn_spawn "${CMD[@]}" </dev/null >"$out.stdout" 2>"$out.stderr"
	else
		bn_spawn "${CMD[@]}" </dev/null >"$out" 2>"$out.stderr"
	fi
	TOOL_PID=$BN_LAST_PID
	for ((i = 0; i < 6000; i++)); do
		if tool_ready "$tool" "$TOOL_PID" "$out"; then
			TOOL_STARTUP_US=$(($(bn_now_us) - t0))
			return 0
		fi
		if ! kill -0 "$TOOL_PID" 2>/dev/null; then
			TOOL_ERR="$tool exited before it was ready: $(head -c 300 "$out.stderr")"
			return 1
		fi
		sleep 0.01
	done
	TOOL_ERR="$tool not ready after 60 s: $(head -c 300 "$out.stderr")"
	bn_stop "$TOOL_PID" KILL
	return 1
}

# fw_lost_figures OUT: "BUFFER_FULL RECURSION STDERR" of a stopped tracer:
# the first two from its stop record, the last summed from its stderr's
# "lost N records" lines.
fw_lost_figures() {
	local stop full rec errs
	stop=$(tail -n 1 "$1" 2>/dev/null)
	full=$(jq -r 'select(.type == "stop") | .lost_buffer_full // .lost // empty' <<<"$stop" 2>/dev/null)
	rec=$(jq -r 'select(.type == "stop") | .lost_recursion // 0' <<<"$stop" 2>/dev/null)
	errs=$(awk '{ for (i = 1; i < NF; i++) if ($i == "lost" && $(i + 1) ~ /^[0-9]+$/) n += $(i + 1) } END { print n + 0 }' "$1.stderr" 2>/dev/null)
	echo "${full:-nostop} ${rec:-nostop} ${errs:-0}"
}

# ------------------------------------------------------- cost per program

# snap_counters FILE TOOL=PID...: every program's counters now.
snap_counters() {
	local file=$1 tp
	shift
	: >"$file"
	for tp in "$@"; do
		bn_prog_counters "${tp#*=}" | sed "s/^/${tp%%=*} /" >>"$file"
	done
}

# prog_figures TAG CONNS REQUESTS POINTS BEFORE AFTER: the samples of one
# window from two counter snapshots, per program (keys TAG/TOOL/POINT):
# ns per run, runs, recursion misses (finwatch), and per tool: ns per run
# of all its programs together, kernel ns per connection, runs per
# request, and finwatch's ns per run over the
# empty program's on the same attach point.
prog_figures() {
	awk -v tag="$1" -v conns="$2" -v reqs="$3" '
		FILENAME == ARGV[1] { point[$1 " " $2] = $3; next }
		FILENAME == ARGV[2] { t0[$1 " " $2] = $3; c0[$1 " " $2] = $4; m0[$1 " " $2] = $5; next }
		{
			k = $1 " " $2
			if (!(k in point)) next
			dt = $3 - t0[k]; dc = $4 - c0[k]; dm = $5 - m0[k]
			key = tag "/" $1 "/" point[k]
			print "runs/" key, dc
			if ($1 == "finwatch") print "miss/" key, dm
			if (dc > 0) { print "ns/" key, dt / dc; ns[$1 "/" point[k]] = dt / dc }
			tt[$1] += dt; tc[$1] += dc
		}
		END {
			for (tool in tt) {
				if (tc[tool] > 0) print "nsrun/" tag "/" tool, tt[tool] / tc[tool]
				if (conns > 0) print "nsconn/" tag "/" tool, tt[tool] / conns
				if (reqs > 0) print "runsreq/" tag "/" tool, tc[tool] / reqs
			}
			for (k in ns) {
				split(k, a, "/")
				if (a[1] == "finwatch" && ns["empty/" a[2]] > 0)
					print "xempty/" tag "/" a[2], ns[k] / ns["empty/" a[2]]
			}
		}' "$4" "$5" "$6"
}

# cost_window TRANSPORT WINDOW PORT KEEPALIVE REQUESTS POINTS TOOL=PID...:
# one churn, and the per-program figures of every tool over it.
cost_window() {
	local tr=$1 win=$2 port=$3 ka=$4 n=$5 points=$6 c0 c1 rps
	shift 6
	c0=$(bn_redis_conns "$port")
	snap_counters "$BN_TMP/before" "$@"
	rps=$(bn_churn "$port" "$ka" "$n")
	# The last closes (LAST_ACK -> CLOSE, destroy) come after the client
	# is done.
	sleep 0.5
	snap_counters "$BN_TMP/after" "$@"
	c1=$(bn_redis_conns "$port")
	bn_log "  $tr $win: $n requests at $rps/s, $((c1 - c0 - 1)) connections"
	prog_figures "$tr/$win" $((c1 - c0 - 1)) "$n" "$points" "$BN_TMP/before" "$BN_TMP/after" >>"$SAMPLES"
	sample "conns/$tr/$win" $((c1 - c0 - 1))
}

# One round's cost phase for one transport: finwatch and the empty
# programs attached at once (the peers are measured alone, in the
# throughput runs: their userspace would slow the churn and crowd the
# caches of both).
phase_cost() {
	local tr=$1 dir=$BN_TMP/cost tool pids=() full rec errs
	local -A pid=()
	mkdir -p "$dir"
	: >"$dir/points"
	for tool in empty finwatch; do
		if ! tool_start "$tool" "$dir/$tool.out" "$tr"; then
			bn_note "cost phase ($tr): $TOOL_ERR"
			[ "$tool" = finwatch ] && bn_die "finwatch must start"
			continue
		fi
		pid[$tool]=$TOOL_PID
		pids+=("$tool=$TOOL_PID")
	done
	bn_wait_quiet "$dir/finwatch.out" || bn_log "finwatch keeps writing before the churn"
	for tool in "${!pid[@]}"; do
		bn_prog_points "${pid[$tool]}" | sed "s/^/$tool /" >>"$dir/points"
	done
	cost_window "$tr" watched "$WATCHED" 0 "$COST_REQUESTS" "$dir/points" "${pids[@]}"
	cost_window "$tr" keepalive "$WATCHED" 1 "$KEEP_REQUESTS" "$dir/points" "${pids[@]}"
	cost_window "$tr" unwatched "$UNWATCHED" 0 "$COST_REQUESTS" "$dir/points" "${pids[@]}"
	bn_wait_quiet "$dir/finwatch.out"
	for tool in "${!pid[@]}"; do
		bn_stop "${pid[$tool]}" INT
	done
	read -r full rec errs < <(fw_lost_figures "$dir/finwatch.out")
	sample "costlost/$tr" "$((${full/nostop/0} + ${rec/nostop/0}))"
	rm -rf "$dir"
}

# ------------------------------------------------------------- throughput

# tput_run CONFIG: one redis-benchmark -k 0 run with CONFIG (base: no
# tracer; fw-ring, fw-perf; tcpstates; tcplife) and what the tracer did.
tput_run() {
	local cfg=$1 dir=$BN_TMP/tput tool tr='' out p='' full rec errs l0 b0 cpu0 c0 rps l1 b1 cpu1 c1 conns recs
	mkdir -p "$dir"
	case $cfg in
	fw-*) tool=finwatch tr=${cfg#fw-} ;;
	*) tool=$cfg ;;
	esac
	out=$dir/$cfg.out
	if [ "$cfg" != base ]; then
		tool_start "$tool" "$out" "$tr" || {
			bn_note "throughput ($cfg): $TOOL_ERR"
			return 0
		}
		p=$TOOL_PID
		bn_wait_quiet "$out"
	fi
	l0=$(bn_lines "$out") b0=$(bn_bytes "$out")
	cpu0=$([ -n "$p" ] && bn_cpu_ticks "$p")
	c0=$(bn_redis_conns "$WATCHED")
	if [ -n "$p" ]; then
		bn_prog_points "$p" | sed "s/^/$tool /" >"$dir/points"
		snap_counters "$dir/before" "$tool=$p"
	fi
	rps=$(bn_churn "$WATCHED" 0 "$TPUT_REQUESTS")
	sample "rps/$cfg" "$rps"
	TPUT_RPS[$cfg]=$rps
	if [ -z "$p" ]; then
		bn_log "  $cfg: $rps requests/s"
		return 0
	fi
	bn_wait_quiet "$out" || bn_log "$cfg still writing after 20 s"
	snap_counters "$dir/after" "$tool=$p"
	cpu1=$(bn_cpu_ticks "$p")
	l1=$(bn_lines "$out") b1=$(bn_bytes "$out")
	c1=$(bn_redis_conns "$WATCHED")
	conns=$((c1 - c0 - 1)) recs=$((l1 - l0))
	sample "rss/$cfg" "$(bn_status_kb "$p" VmRSS)"
	sample "hwm/$cfg" "$(bn_status_kb "$p" VmHWM)"
	bn_stop "$p" INT
	sample "records/$cfg" "$recs"
	sample "conns/tput/$cfg" "$conns"
	prog_figures "tput/$cfg" "$conns" "$TPUT_REQUESTS" "$dir/points" "$dir/before" "$dir/after" >"$dir/figures"
	cat "$dir/figures" >>"$SAMPLES"
	# finwatch's state program; a peer's programs all together (one, on
	# the same tracepoint, whose name its link may not tell on older
	# kernels).
	if [ "$tool" = finwatch ]; then
		TPUT_NS[$cfg]=$(awk -v k="ns/tput/$cfg/$tool/inet_sock_set_state" '$1 == k { print $2 }' "$dir/figures")
	else
		TPUT_NS[$cfg]=$(awk -v k="nsrun/tput/$cfg/$tool" '$1 == k { print $2 }' "$dir/figures")
	fi
	TPUT_NSCONN[$cfg]=$(awk -v k="nsconn/tput/$cfg/$tool" '$1 == k { print $2 }' "$dir/figures")
	if [ "$recs" -gt 0 ]; then
		sample "cpurec/$cfg" "$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$recs" 'BEGIN { print t / hz * 1e6 / n }')"
	fi
	if [ "$conns" -gt 0 ]; then
		TPUT_CPUCONN[$cfg]=$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$conns" 'BEGIN { print t / hz * 1e6 / n }')
		sample "cpuconn/$cfg" "${TPUT_CPUCONN[$cfg]}"
		sample "recconn/$cfg" "$(awk -v r="$recs" -v n="$conns" 'BEGIN { print r / n }')"
		sample "bytesconn/$cfg" "$(awk -v r=$((b1 - b0)) -v n="$conns" 'BEGIN { print r / n }')"
	fi
	if [ "$tool" = finwatch ]; then
		read -r full rec errs < <(fw_lost_figures "$out")
		if [ "$full" = nostop ]; then
			bn_note "throughput ($cfg): the tracer wrote no stop record"
		else
			sample "lostfull/$cfg" "$full"
			sample "lostrec/$cfg" "$rec"
		fi
		sample "losterr/$cfg" "$errs"
	fi
	bn_log "  $cfg: $rps requests/s, $recs records, $conns connections"
	rm -f "$out" "$out".*
}

# One round's throughput phase: every configuration once, the order
# rotated by the round, each between two runs without a tracer: its ratio
# is to the mean of those two, so that drift cancels.
phase_tput() {
	local round=$1 cfgs=(fw-ring fw-perf "${PEERS[@]}") n i cfg tr p before after
	declare -gA TPUT_RPS=() TPUT_NS=() TPUT_NSCONN=() TPUT_CPUCONN=()
	n=${#cfgs[@]}
	tput_run base
	before=${TPUT_RPS[base]}
	for ((i = 0; i < n; i++)); do
		cfg=${cfgs[$(((i + round - 1) % n))]}
		tput_run "$cfg"
		tput_run base
		after=${TPUT_RPS[base]}
		[ -z "${TPUT_RPS[$cfg]:-}" ] ||
			sample "tput/$cfg" "$(ratio "${TPUT_RPS[$cfg]}" "$(awk -v a="$before" -v b="$after" 'BEGIN { print (a + b) / 2 }')")"
		before=$after
	done
	# finwatch's state program against each peer's, all its programs'
	# kernel time and its tracer's CPU per connection against the peer's,
	# within the round.
	for tr in ring perf; do
		for p in "${PEERS[@]}"; do
			sample "x$p/tput/$tr" "$(ratio "${TPUT_NS[fw-$tr]:-}" "${TPUT_NS[$p]:-}")"
			sample "xconn$p/tput/$tr" "$(ratio "${TPUT_NSCONN[fw-$tr]:-}" "${TPUT_NSCONN[$p]:-}")"
			sample "xcpu$p/tput/$tr" "$(ratio "${TPUT_CPUCONN[fw-$tr]:-}" "${TPUT_CPUCONN[$p]:-}")"
		done
	done
}

# ratio A B: A / B, nothing when either is missing or B is 0.
ratio() {
	[ -n "$1" ] && [ -n "$2" ] || return 0
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) print a / b }'
}

# --------------------------------------------------------------- startup

# Startup on a quiet host (no TIME_WAIT sockets on the watched port yet:
# finwatch's baseline snapshot lists those): until the start record for
# finwatch, until their first BPF link for the peers; memory when idle.
phase_startup() {
	local dir=$BN_TMP/startup r cfg tool tr
	mkdir -p "$dir"
	for ((r = 1; r <= ROUNDS; r++)); do
		for cfg in fw-ring fw-perf "${PEERS[@]}"; do
			case $cfg in
			fw-*) tool=finwatch tr=${cfg#fw-} ;;
			*) tool=$cfg tr= ;;
			esac
			if ! tool_start "$tool" "$dir/$cfg.out" "$tr"; then
				[ "$tool" != finwatch ] || bn_die "$TOOL_ERR"
				bn_note "startup ($cfg): $TOOL_ERR"
				continue
			fi
			sample "startup/$cfg" "$(awk -v u="$TOOL_STARTUP_US" 'BEGIN { print u / 1000 }')"
			[ "$tool" != finwatch ] || [ -n "${FW_VERSION:-}" ] ||
				FW_VERSION=$(head -n 1 "$dir/$cfg.out" | jq -r '.version // empty' 2>/dev/null)
			sleep 0.3
			sample "rssidle/$cfg" "$(bn_status_kb "$TOOL_PID" VmRSS)"
			bn_stop "$TOOL_PID" INT
		done
	done
	rm -rf "$dir"
}

# -------------------------------------------------------------- correlate

# time_correlate KIND FILE...: one /usr/bin/time -v run of finwatch
# correlate --json on FILEs; samples records/s (CPU and wall) and peak RSS.
time_correlate() {
	local kind=$1 t=$BN_TMP/time.txt f=$BN_TMP/findings.jsonl user sys wall rss recs
	shift
	CMDS[correlate-$kind]=$(show_cmd /usr/bin/time -v "$FINWATCH" correlate --json "$@")
	if ! bn_run /usr/bin/time -v "$FINWATCH" correlate --json "$@" >"$f" 2>"$t"; then
		bn_note "correlate ($kind) failed: $(grep -v '^\s' "$t" | head -c 300)"
		return 0
	fi
	user=$(awk -F': ' '/User time/ { print $2 }' "$t")
	sys=$(awk -F': ' '/System time/ { print $2 }' "$t")
	sample "corr/$kind/cpu" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')"
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$t" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	rss=$(awk -F': ' '/Maximum resident/ { print $2 }' "$t")
	recs=$(tail -n 1 "$f" | jq -r 'select(.type == "summary") | .records' 2>/dev/null)
	[ -n "$recs" ] || recs=$(cat "$@" | wc -l)
	sample "corr/$kind/records" "$recs"
	sample "corr/$kind/cpurate" "$(awk -v n="$recs" -v u="$user" -v s="$sys" 'BEGIN { if (u + s > 0) print n / (u + s) }')"
	sample "corr/$kind/wallrate" "$(awk -v n="$recs" -v w="$wall" 'BEGIN { if (w > 0) print n / w }')"
	sample "corr/$kind/rss" "$rss"
	CORR_SUMMARY=$(tail -n 1 "$f" | jq -c 'select(.type == "summary") | {records, connections, open_peak, verdicts}' 2>/dev/null)
}

# time_reference FILE...: CPU seconds of `gzip -1` over FILEs, a fixed
# single-core job that moves with the machine's speed as correlate does.
time_reference() {
	local t=$BN_TMP/gzip-time.txt
	/usr/bin/time -f '%U %S' -o "$t" gzip -1 -c "$@" >/dev/null 2>&1 || return 0
	awk '{ print $1 + $2 }' "$t"
}

# Two tracers, one per host (namespace), record a churn of about
# CORR_RECORDS records; then correlate is timed on the logs, ROUNDS times,
# and on their first halves (memory should follow the open connections,
# not the records).
phase_correlate() {
	local dir=$BN_TMP/corr rpc n cp sp r lc ls
	mkdir -p "$dir"
	rpc=$(awk '$1 == "recconn/fw-ring" { s += $2; n++ } END { if (n) print s / n; else print 12 }' "$SAMPLES")
	tool_start finwatch "$dir/client.log" auto --netns "/run/netns/$BN_C" --host client ||
		bn_die "correlate: $TOOL_ERR"
	cp=$TOOL_PID
	CMDS[corr-client]=$(show_cmd "${CMD[@]}")
	tool_start finwatch "$dir/server.log" auto --netns "/run/netns/$BN_S" --host server ||
		bn_die "correlate: $TOOL_ERR"
	sp=$TOOL_PID
	CMDS[corr-server]=$(show_cmd "${CMD[@]}")
	bn_wait_quiet "$dir/client.log"
	bn_wait_quiet "$dir/server.log"
	# The baseline snapshots (TIME_WAIT sockets of the earlier churn) are
	# part of the logs, and of the count.
	n=$(awk -v r="$CORR_RECORDS" -v have=$(($(bn_lines "$dir/client.log") + $(bn_lines "$dir/server.log"))) -v p="$rpc" \
		'BEGIN { n = (r - have) / p; printf "%d", n < 1000 ? 1000 : n }')
	bn_log "correlate: recording $n connections"
	bn_churn "$WATCHED" 0 "$n" >/dev/null
	bn_wait_quiet "$dir/client.log"
	bn_wait_quiet "$dir/server.log"
	bn_stop "$cp" INT
	bn_stop "$sp" INT
	lc=$(bn_lines "$dir/client.log")
	ls=$(bn_lines "$dir/server.log")
	sample corr/loglines $((lc + ls))
	head -n $((lc / 2)) "$dir/client.log" >"$dir/client-half.log"
	head -n $((ls / 2)) "$dir/server.log" >"$dir/server-half.log"
	cat "$dir"/*.log >/dev/null
	CMDS[corr-reference]="gzip -1 -c \$TMP/corr/client.log \$TMP/corr/server.log >/dev/null   # correlate: the reference job"
	for ((r = 1; r <= ROUNDS; r++)); do
		time_correlate full "$dir/client.log" "$dir/server.log"
		sample corr/refcpu "$(time_reference "$dir/client.log" "$dir/server.log")"
		time_correlate half "$dir/client-half.log" "$dir/server-half.log"
	done
	awk '$1 == "corr/full/rss" { f[++nf] = $2 } $1 == "corr/half/rss" { h[++nh] = $2 }
	     $1 == "corr/full/cpu" { c[++nc] = $2 } $1 == "corr/refcpu" { g[++ng] = $2 }
	     END {
		for (i = 1; i <= nf && i <= nh; i++) if (h[i] > 0) print "corr/rssratio", f[i] / h[i]
		for (i = 1; i <= nc && i <= ng; i++) if (g[i] > 0) print "corr/xref", c[i] / g[i]
	     }' "$SAMPLES" >"$BN_TMP/ratios"
	cat "$BN_TMP/ratios" >>"$SAMPLES"
	CMDS[corr-churn]="ip netns exec CLIENT redis-benchmark -h $BN_S4 -p $WATCHED -k 0 -n $n -c $CLIENTS -t ping_inline --csv   # correlate: the churn both tracers record"
	rm -rf "$dir"
}

# ------------------------------------------------------------------ main

main() {
	local r started tr
	started=$(date +%s)
	check_environment
	BN_TMP=$(mktemp -d /tmp/fwbench.XXXXXX)
	trap bn_cleanup EXIT
	trap 'echo "bench: interrupted" >&2; exit 130' INT
	trap 'echo "bench: terminated" >&2; exit 143' TERM
	SAMPLES=$BN_TMP/samples
	: >"$SAMPLES"
	CLK_TCK=$(getconf CLK_TCK)
	build_binaries
	bn_reap_stale
	prepare_kernel
	bn_netns_setup
	bn_redis_start "$WATCHED"
	bn_redis_start "$UNWATCHED"
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	bn_log "startup, $ROUNDS rounds"
	phase_startup
	bn_log "warm-up churn"
	bn_churn "$WATCHED" 0 "$TPUT_REQUESTS" >/dev/null
	for ((r = 1; r <= ROUNDS; r++)); do
		bn_log "round $r of $ROUNDS"
		if ((r % 2)); then tr="ring perf"; else tr="perf ring"; fi
		for t in $tr; do
			phase_cost "$t"
		done
		phase_tput "$r"
	done
	phase_correlate
	ELAPSED=$(($(date +%s) - started))
	mkdir -p "$OUT"
	RESULTS=$OUT/results-$(date +%Y%m%d-%H%M%S).md
	. "$BN_ROOT/bench/report.sh"
	write_report | tee "$RESULTS"
	cp "$SAMPLES" "${RESULTS%.md}.samples"
	bn_log "results in $RESULTS (raw samples: ${RESULTS%.md}.samples)"
}

main "$@"
