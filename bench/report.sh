# shellcheck shell=bash
# The results of bench/run.sh as markdown: sourced by run.sh, which has
# filled $SAMPLES ("KEY VALUE" lines), CMDS, NOTES and the settings.

declare -A MED=() LO=() HI=() CNT=() SUM=()

# Median (the mean of the middle two for an even count), min, max, count
# and sum of each key's samples.
load_stats() {
	local k med lo hi n sum
	while read -r k med lo hi n sum; do
		MED[$k]=$med LO[$k]=$lo HI[$k]=$hi CNT[$k]=$n SUM[$k]=$sum
	done < <(sort -k1,1 -k2,2g "$SAMPLES" | awk '
		function flush() {
			if (n == 0) return
			med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			print key, med, v[1], v[n], n, sum
		}
		$1 != key { flush(); key = $1; n = 0; sum = 0 }
		{ v[++n] = $2; sum += $2 }
		END { flush() }')
}

# num VALUE DECIMALS [SCALE]
num() {
	awk -v v="$1" -v d="$2" -v s="${3:-1}" 'BEGIN { printf "%.*f", d, v * s }'
}

# row LABEL KEY DECIMALS TARGET [SCALE] [UNIT]: one table row; the key's
# median, min-max and sample count.
row() {
	local label=$1 k=$2 d=$3 target=$4 s=${5:-1} u=${6:-}
	if [ -z "${MED[$k]:-}" ]; then
		printf '| %s | not measured | | | %s |\n' "$label" "$target"
		return
	fi
	printf '| %s | **%s%s** | %s–%s | %s | %s |\n' "$label" \
		"$(num "${MED[$k]}" "$d" "$s")" "$u" "$(num "${LO[$k]}" "$d" "$s")" \
		"$(num "${HI[$k]}" "$d" "$s")" "${CNT[$k]}" "$target"
}

# sum_row LABEL KEY TARGET: a count added up over all rounds.
sum_row() {
	local label=$1 k=$2 target=$3
	if [ -z "${SUM[$k]:-}" ]; then
		printf '| %s | not measured | | | %s |\n' "$label" "$target"
		return
	fi
	printf '| %s | **%s** in all | per round %s–%s | %s | %s |\n' "$label" \
		"$(num "${SUM[$k]}" 0)" "$(num "${LO[$k]}" 0)" "$(num "${HI[$k]}" 0)" \
		"${CNT[$k]}" "$target"
}

table_head() {
	echo '| figure | median | min–max | n | target (issue 12) |'
	echo '|---|---|---|---|---|'
}

# The attach points of finwatch's programs seen in the cost phase.
fw_points() {
	awk '$1 ~ /^runs\/[a-z]+\/[a-z]+\/finwatch\// { split($1, a, "/"); print a[5] }' "$SAMPLES" | sort -u
}

machine_section() {
	local cpu mem
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
	echo "## Machine"
	echo
	echo "- kernel: \`$(uname -r)\` ($(uname -v)), $(uname -m)"
	echo "- CPU: $cpu, $(nproc) cores online, $mem memory"
	echo "- userland: Debian $(cat /etc/debian_version 2>/dev/null), $(redis-server --version | awk '{ print $1, $2, $3 }'), libbpf-tools $(dpkg-query -W -f='${Version}' libbpf-tools 2>/dev/null || echo '?')"
	echo "- finwatch: \`$FINWATCH\`, version ${FW_VERSION:-?}, FW_TRACE_ARGS='${FW_TRACE_ARGS}'"
	echo "- load average at the start ${LOAD_START:-?}, at the end $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine: the absolute figures are noisy, the ratios are taken within each round)"
	echo "- settings: ROUNDS=$ROUNDS COST_REQUESTS=$COST_REQUESTS KEEP_REQUESTS=$KEEP_REQUESTS TPUT_REQUESTS=$TPUT_REQUESTS CORR_RECORDS=$CORR_RECORDS CLIENTS=$CLIENTS QUICK=$QUICK; the run took ${ELAPSED}s"
	echo
}

main_table() {
	local tr p
	echo "## Issue 12's figures"
	echo
	echo "Medians over rounds (n: samples; min–max: their spread). \"×\" figures are ratios taken within one round, side by side."
	echo
	table_head
	for tr in ring perf; do
		row "ns/run, state program (inet_sock_set_state), watched port, $tr" "ns/$tr/watched/finwatch/inet_sock_set_state" 0 "≤ 5× empty"
	done
	for tr in ring perf; do
		row "ns/run, empty tp_btf inet_sock_set_state, same time ($tr phase)" "ns/$tr/watched/empty/inet_sock_set_state" 0 "(reference)"
	done
	for tr in ring perf; do
		row "state program ÷ empty, watched, $tr" "xempty/$tr/watched/inet_sock_set_state" 2 "≤ 5" 1 "×"
	done
	for tr in ring perf; do
		row "ns/run, state program, alone in the throughput runs, $tr" "ns/tput/fw-$tr/finwatch/inet_sock_set_state" 0 "(for the ratios below)"
	done
	for p in "${PEERS[@]}"; do
		row "ns/run, $p (alone in the throughput runs)" "nsrun/tput/$p/$p" 0 "(reference)"
	done
	for p in "${PEERS[@]}"; do
		for tr in ring perf; do
			row "state program ÷ $p (same round), $tr" "x$p/tput/$tr" 3 "$([ "$p" = tcpstates ] && echo '≤ 0.03' || echo '(reference)')" 1 "×"
		done
	done
	for p in "${PEERS[@]}"; do
		for tr in ring perf; do
			row "kernel time per connection, all finwatch programs ÷ $p's (same round), $tr" "xconn$p/tput/$tr" 3 "(reference)" 1 "×"
		done
	done
	# The programs that run for (nearly) every connection; the detailed
	# table has the rare ones (a reset now and then: one run is noise).
	for p in $(fw_points); do
		[ -n "${MED[ns/ring/unwatched/finwatch/$p]:-}" ] || continue
		awk -v r="${MED[runs/ring/unwatched/finwatch/$p]}" -v c="${MED[conns/ring/unwatched]:-0}" \
			'BEGIN { exit !(c > 0 && r >= c / 2) }' || continue
		row "ns/run on an UNWATCHED port (6380), $p, ring phase" "ns/ring/unwatched/finwatch/$p" 0 "≤ 1.5× empty"
		row "… $p ÷ empty" "xempty/ring/unwatched/$p" 2 "≤ 1.5" 1 "×"
	done
	for tr in ring perf; do
		row "tracer CPU (user+sys) per record written, $tr" "cpurec/fw-$tr" 2 "≤ 0.5 µs" 1 " µs"
	done
	for p in "${PEERS[@]}"; do
		for tr in ring perf; do
			row "tracer CPU per connection, finwatch ÷ $p (same round), $tr" "xcpu$p/tput/$tr" 2 "(reference)" 1 "×"
		done
	done
	for tr in ring perf; do
		row "redis-benchmark -k 0 throughput with finwatch ($tr) ÷ without" "tput/fw-$tr" 1 "≥ 98%" 100 "%"
	done
	for p in "${PEERS[@]}"; do
		row "… with $p ÷ without" "tput/$p" 1 "(reference)" 100 "%"
	done
	for tr in ring perf; do
		row "finwatch program runs per request, keepalive (-k 1), $tr phase (${MED[conns/$tr/keepalive]:-?} connections for $KEEP_REQUESTS requests)" "runsreq/$tr/keepalive/finwatch" 4 "≈ 0"
	done
	row "correlate, records/s on one core (records ÷ user+sys)" "corr/full/cpurate" 0 "≥ 2 M/s"
	row "correlate, records/s (wall clock)" "corr/full/wallrate" 0 ""
	row "correlate CPU ÷ gzip -1's on the same logs (same round)" "corr/xref" 3 "(reference: compares runs)" 1 "×"
	row "correlate, peak RSS" "corr/full/rss" 0 "O(open connections)" 1 " kB"
	row "correlate, peak RSS on all the log ÷ on its first half" "corr/rssratio" 2 "≈ 1 if O(open connections)" 1 "×"
	for tr in ring perf; do
		sum_row "lost records at max churn, default buffers, $tr (stop record: buffer full)" "lostfull/fw-$tr" 0
		sum_row "… $tr (stop record: skipped runs, recursion)" "lostrec/fw-$tr" 0
		sum_row "… $tr (stderr \"lost\" lines)" "losterr/fw-$tr" 0
	done
	echo
}

extra_table() {
	local tr p c
	echo "## More figures"
	echo
	table_head
	for tr in ring perf; do
		row "log bytes per connection (both ends traced), $tr" "bytesconn/fw-$tr" 0 "" 1 " B"
		row "records per connection (both ends), $tr" "recconn/fw-$tr" 2 ""
	done
	for tr in ring perf; do
		row "finwatch startup, until its start record (quiet host), $tr" "startup/fw-$tr" 0 "" 1 " ms"
	done
	for p in "${PEERS[@]}"; do
		row "$p startup, until its first BPF link" "startup/$p" 0 "(reference)" 1 " ms"
	done
	for c in fw-ring fw-perf "${PEERS[@]}"; do
		row "VmRSS idle after start, $c" "rssidle/$c" 0 "" 1 " kB"
		row "VmRSS after a max-churn run, $c" "rss/$c" 0 "" 1 " kB"
		row "VmHWM after a max-churn run, $c" "hwm/$c" 0 "" 1 " kB"
	done
	for c in fw-ring fw-perf "${PEERS[@]}"; do
		row "tracer CPU per connection, $c" "cpuconn/$c" 1 "" 1 " µs"
	done
	for p in "${PEERS[@]}"; do
		row "$p CPU per output line (one per event)" "cpurec/$p" 2 "(reference)" 1 " µs"
	done
	row "redis-benchmark -k 0 requests/s without a tracer (absolute: noisy)" "rps/base" 0 ""
	for c in fw-ring fw-perf "${PEERS[@]}"; do
		row "… with $c" "rps/$c" 0 ""
	done
	for tr in ring perf; do
		for c in finwatch empty; do
			row "kernel ns per connection, all programs of $c, cost phase, watched, $tr" "nsconn/$tr/watched/$c" 0 ""
		done
	done
	for tr in ring perf; do
		row "kernel ns per connection, all finwatch programs, alone, $tr" "nsconn/tput/fw-$tr/finwatch" 0 ""
	done
	for p in "${PEERS[@]}"; do
		row "kernel ns per connection, $p, alone" "nsconn/tput/$p/$p" 0 ""
	done
	for tr in ring perf; do
		row "finwatch program runs per request, -k 0 (one connection each), $tr phase" "runsreq/$tr/watched/finwatch" 2 ""
		sum_row "lost records in the cost phase (finwatch and the empty programs), $tr" "costlost/$tr" ""
	done
	row "correlate, records in the log pair" "corr/full/records" 0 "≈ $CORR_RECORDS"
	row "correlate on the first half, records/s on one core" "corr/half/cpurate" 0 ""
	row "correlate on the first half, peak RSS" "corr/half/rss" 0 "" 1 " kB"
	echo
	[ -z "${CORR_SUMMARY:-}" ] || echo "correlate's summary of the full log pair: \`$CORR_SUMMARY\`" && echo
}

# ns per run of every program, per transport and window, with ×empty.
program_table() {
	local tr win p k tag runs conns rpc
	echo "## Every program, ns per run (median) and × the empty program on the same attach point"
	echo
	echo "Windows: watched, keepalive and unwatched are the cost phase (finwatch and the empty programs attached together); alone is the throughput run (finwatch by itself, at the machine's maximum churn)."
	echo
	echo "| transport | window | attach point | finwatch ns/run | min–max | × empty | empty ns/run | runs/connection | recursion misses (all rounds) |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for tr in ring perf; do
		for win in watched keepalive unwatched alone; do
			tag=$tr/$win
			[ "$win" = alone ] && tag=tput/fw-$tr
			for p in $(fw_points); do
				k=$tag/finwatch/$p
				runs=${MED[runs/$k]:-}
				conns=${MED[conns/$tag]:-}
				[ -n "$runs" ] || continue
				rpc=—
				[ -z "$conns" ] || [ "$win" = keepalive ] ||
					rpc=$(awk -v r="$runs" -v c="$conns" 'BEGIN { if (c > 0) printf "%.2f", r / c }')
				printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$tr" "$win" "$p" \
					"$([ -n "${MED[ns/$k]:-}" ] && num "${MED[ns/$k]}" 0 || echo "no runs")" \
					"$([ -n "${MED[ns/$k]:-}" ] && echo "$(num "${LO[ns/$k]}" 0)–$(num "${HI[ns/$k]}" 0)")" \
					"$([ -n "${MED[xempty/$tag/$p]:-}" ] && num "${MED[xempty/$tag/$p]}" 2)" \
					"$([ -n "${MED[ns/$tag/empty/$p]:-}" ] && num "${MED[ns/$tag/empty/$p]}" 0)" \
					"$rpc" "$(num "${SUM[miss/$k]:-0}" 0)"
			done
		done
	done
	echo
}

commands_section() {
	local k
	echo "## Commands"
	echo
	echo "Run: \`${BENCH_COMMAND}\`. Namespaces CLIENT ($BN_C4) and SERVER ($BN_S4) joined by veth; redis-server on $WATCHED and $UNWATCHED in SERVER; every tracer runs in the root namespace. The commands, as run (\$TMP: the run's temporary directory):"
	echo
	echo '```'
	echo "sysctl -w kernel.bpf_stats_enabled=1   # ns/run = run_time_ns / run_cnt, /proc/PID/fdinfo of each program fd"
	echo "ip netns exec CLIENT sysctl -w net.ipv4.ip_local_port_range='1024 65535' net.ipv4.tcp_tw_reuse=1"
	echo "ip netns exec CLIENT redis-benchmark -h $BN_S4 -p $WATCHED -k 0 -n $TPUT_REQUESTS -c $CLIENTS -t ping_inline --csv   # throughput runs"
	echo "ip netns exec CLIENT redis-benchmark -h $BN_S4 -p $WATCHED -k 0 -n $COST_REQUESTS -c $CLIENTS -t ping_inline --csv   # cost: watched"
	echo "ip netns exec CLIENT redis-benchmark -h $BN_S4 -p $WATCHED -k 1 -n $KEEP_REQUESTS -c $CLIENTS -t ping_inline --csv   # cost: keepalive"
	echo "ip netns exec CLIENT redis-benchmark -h $BN_S4 -p $UNWATCHED -k 0 -n $COST_REQUESTS -c $CLIENTS -t ping_inline --csv   # cost: unwatched"
	for k in finwatch empty tcpstates tcplife corr-client corr-server corr-churn correlate-full correlate-half corr-reference; do
		[ -n "${CMDS[$k]:-}" ] && echo "${CMDS[$k]}"
	done
	echo '```'
	echo
}

notes_section() {
	local n
	[ ${#NOTES[@]} -gt 0 ] || return 0
	echo "## Not measured, or measured with trouble"
	echo
	for n in "${NOTES[@]}"; do
		echo "- $n"
	done
	echo
}

write_report() {
	load_stats
	echo "# finwatch cost benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	machine_section
	main_table
	extra_table
	program_table
	commands_section
	notes_section
}
