# shellcheck shell=bash
# The soak's checks and figures (scripts/soak.sh sources this once the run
# is over). Inputs in $W: leaks.tsv (the ground truth: port, kind, when
# the client was started), live.tsv (each line --follow printed, stamped
# with the time it came), mem.tsv (the samples), the rotated logs.

# The connection a finding is about, the same live and in batch (its id
# is its end seen first, which in batch depends on the order of the
# files): both endpoints and both socket cookies.
FINDING_KEY='"\(.client)/\(.server)/\(.client_sock)/\(.server_sock)"'

# live_findings: "stamp id verdict provisional client_port close_time_ns
# key" of every finding --follow printed, in order.
live_findings() {
	jq -R -r 'index("\t") as $i | (.[$i + 1:] | fromjson? // {}) as $o |
		select($o.type == "finding") |
		[.[:$i], $o.id, $o.verdict, ($o.provisional // false),
		 ($o.client | sub(".*:"; "")), ($o.close_time_ns // "null"),
		 ($o | '"$FINDING_KEY"')] | @tsv' \
		"$W/live.tsv"
}

# wrong_findings: the findings (of $W/findings.tsv, or of the batch) that
# the ground truth contradicts ("false") or that are unsure
# ("incomplete"), with whose port (leak or clean) they are.
wrong_findings() { # FILE: "... verdict(3) ... port(5) ..."
	awk -F'\t' -v OFS='\t' 'FNR == NR { leak[$1] = 1; next }
		{ good = ($5 in leak) ? $3 == "lost_fin" : ($3 == "ok" || $3 == "open")
		  if (!good) print ($3 == "incomplete" ? "unsure" : "false"), ($5 in leak ? "leak" : "clean"), $0 }' \
		"$W/leaks.tsv" "$1"
}

# leak_latencies: per leak "port kind start_to_close_s close_to_named_s
# live|late|never", from its first lost_fin finding.
leak_latencies() {
	awk -F'\t' -v OFS='\t' -v stop="$1" '
		FNR == NR { kind[$1] = $2; spawn[$1] = $3 / 1e6; order[++n] = $1; next }
		($5 in kind) && $3 == "lost_fin" && !($5 in named) {
			named[$5] = $1; closed[$5] = $6 == "null" ? spawn[$5] : $6 / 1e9 }
		END { for (i = 1; i <= n; i++) { p = order[i]
			if (p in named)
				printf "%s\t%s\t%.3f\t%.3f\t%s\n", p, kind[p], closed[p] - spawn[p],
					named[p] - closed[p], named[p] <= stop ? "live" : "late"
			else
				printf "%s\t%s\t-\t-\tnever\n", p, kind[p] } }' \
		"$W/leaks.tsv" "$W/findings.tsv"
}

# min_median_max: of the numbers on stdin, "min median max" (- when none).
min_median_max() {
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "- - -"; exit }
		printf "%.2f %.2f %.2f\n", v[1], NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[NR] }'
}

# last_verdicts FILE: "key verdict" of each connection's last finding,
# sorted.
last_verdicts() {
	awk -F'\t' '{ last[$7] = $3 } END { for (k in last) print k "\t" last[k] }' "$1" | sort
}

batch_findings() { # the rotated logs, shuffled, in batch: as findings.tsv
	local files
	files=$(ls "$W"/logs/*.log "$W"/logs/*.log.[0-9]* | shuf)
	# shellcheck disable=SC2086
	"$FINWATCH" correlate --json --all $files >"$W/batch.json" 2>"$W/batch.err"
	BATCH_RC=$?
	jq -r 'select(.type == "finding") | ["-", .id, .verdict, false,
		(.client | sub(".*:"; "")), (.close_time_ns // "null"),
		'"$FINDING_KEY"'] | @tsv' "$W/batch.json"
}

# flatness COLUMN: "first last max first_third last_third margin
# flat|grows" (kB) of one mem.tsv column: its first, last and largest
# sample, then the largest of the first and of the last third of the
# samples after the warm-up (SOAK_WARMUP seconds); flat when the last
# third's exceeds the first third's by no more than the margin,
# max(SOAK_FLAT_PCT %, SOAK_FLAT_MIN_KB).
flatness() {
	awk -v c="$1" -v w="$SOAK_WARMUP" -v T="$SOAK_DURATION" -v pct="$SOAK_FLAT_PCT" -v minkb="$SOAK_FLAT_MIN_KB" '
		NR == 2 { first = $c }
		NR > 1 { last = $c; if ($c > top) top = $c
			third = (T - w) / 3
			if ($1 >= w && $1 < w + third && $c > f) f = $c
			if ($1 >= T - third && $c > l) l = $c }
		END { m = int(f * pct / 100); if (m < minkb) m = minkb
			printf "%d %d %d %d %d %d %s\n", first, last, top, f, l, m, (f && l && l <= f + m) ? "flat" : "grows" }' "$W/mem.tsv"
}

# cpu_share COLUMN: the process's CPU time over the run, % of one core.
cpu_share() {
	awk -v c="$1" -v hz="$(getconf CLK_TCK)" 'NR == 2 { t0 = $1; c0 = $c } NR > 2 { t = $1; c1 = $c }
		END { if (t > t0) printf "%.1f\n", 100 * (c1 - c0) / hz / (t - t0); else print "-" }' "$W/mem.tsv"
}

# host_disk HOST: "raw_bytes gzip_bytes records files conn_bytes
# snapshot_bytes passes" of its log and rotated parts (gzip -6 for the
# parts not compressed yet): conn_bytes those of the connection records
# (state, close, reset, retransmit, drop), snapshot_bytes those of the
# snapshot passes (snapshot, snapshot_end), passes how many there were.
host_disk() {
	local gz=0 files=() f
	for f in "$W/logs/$1.log" "$W/logs/$1.log".[0-9]*; do
		[ -e "$f" ] || continue
		files+=("$f")
		case "$f" in
		*.gz) gz=$((gz + $(stat -c %s "$f"))) ;;
		*) gz=$((gz + $(gzip -c "$f" | wc -c))) ;;
		esac
	done
	gzip -cdf "${files[@]}" | awk -v gz="$gz" -v n="${#files[@]}" '
		{ raw += length($0) + 1; rec++
		  t = match($0, /"type":"[a-z_]+"/) ? substr($0, RSTART + 8, RLENGTH - 9) : "" }
		t ~ /^(state|close|reset_sent|reset_received|retransmit|drop)$/ { conn += length($0) + 1 }
		t ~ /^snapshot/ { snap += length($0) + 1 }
		t == "snapshot_end" { passes++ }
		END { printf "%d %d %d %d %d %d %d\n", raw, gz, rec, n, conn, snap, passes }'
}

# tracer_lost HOST: the lost records its stop record counts.
tracer_lost() {
	tail -n 1 "$W/logs/$1.log" | jq -r 'select(.type == "stop") | "\(.lost) \(.lost_unpinned)"'
}

mb() {
	awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

# ----------------------------------------------------------------- checks

check_run() {
	local leak_failed rotations want_rot
	fw_check soak/tracers_exit "$APP_RC $DB_RC" "0 0" "$W/logs/app1.log.stderr"
	fw_check soak/follow_exit "$FOLLOW_RC" 0 "$W/follow.err"
	fw_check soak/pool "$POOL_FAILED" 0
	fw_check soak/churn_failed "$(cut -d' ' -f2 "$W/churn.count" 2>/dev/null)" 0
	leak_failed=$(awk '$2 != 0' "$W/leaks.rc" 2>/dev/null | grep -c .)
	fw_check soak/leak_clients "$leak_failed $(grep -c . "$W/leaks.rc")" "0 $LEAKS"
	rotations=$(grep -c . "$W/rotations" 2>/dev/null)
	want_rot=$((SOAK_DURATION / SOAK_ROTATE_EVERY))
	fw_check soak/rotations "$rotations $(grep -c . "$W/logrotate.err" 2>/dev/null)" "$want_rot 0" "$W/logrotate.err"
	fw_check soak/tracers_lost_nothing "$(tracer_lost app1) $(tracer_lost db1)" "0 0 0 0"
}

check_findings() {
	local named late lat
	live_findings >"$W/findings.tsv"
	wrong_findings "$W/findings.tsv" >"$W/wrong.tsv"
	leak_latencies "${T_STOP:0:-6}.${T_STOP: -6}" >"$W/latencies.tsv"
	named=$(grep -c $'\tlive$' "$W/latencies.tsv")
	late=$(grep -vc $'\tlive$' "$W/latencies.tsv")
	fw_check soak/leaks_named_live "$named of $LEAKS" "$LEAKS of $LEAKS" "$W/latencies.tsv"
	[ "$LEAKS" -gt 0 ] || fw_fail soak/leaks_made "no leak was made"
	lat=$(awk -F'\t' -v max="$SOAK_MAX_LATENCY" '$5 == "live" && $4 > max' "$W/latencies.tsv" | grep -c .)
	fw_check soak/named_within_${SOAK_MAX_LATENCY}s "$((lat + late))" 0 "$W/latencies.tsv"
	fw_check soak/no_false_finding "$(grep -c '^false' "$W/wrong.tsv")" 0 "$W/wrong.tsv"
	fw_check soak/no_incomplete "$(grep -c '^unsure' "$W/wrong.tsv")" 0 "$W/wrong.tsv"
	LATENCY=$(awk -F'\t' '$5 == "live" { print $4 }' "$W/latencies.tsv" | min_median_max)
	LATENCY_NET=$(awk -F'\t' '$5 == "live" && $2 == "net" { print $4 }' "$W/latencies.tsv" | min_median_max)
	LATENCY_HOST=$(awk -F'\t' '$5 == "live" && $2 == "host" { print $4 }' "$W/latencies.tsv" | min_median_max)
	FALSE_LIVE=$(grep -c '^false' "$W/wrong.tsv")
	UNSURE_LIVE=$(grep -c '^unsure' "$W/wrong.tsv")
}

check_batch() {
	local diffs
	batch_findings >"$W/batch.tsv"
	fw_check soak/batch_exit "$BATCH_RC" 0 "$W/batch.err"
	last_verdicts "$W/findings.tsv" >"$W/live.last"
	last_verdicts "$W/batch.tsv" >"$W/batch.last"
	diff "$W/live.last" "$W/batch.last" >"$W/last.diff"
	diffs=$(grep -c '^[<>]' "$W/last.diff")
	fw_check soak/batch_equals_last_live "$diffs" 0 "$W/last.diff"
	wrong_findings "$W/batch.tsv" >"$W/batch.wrong"
	fw_check soak/batch_truth "$(grep -c . "$W/batch.wrong")" 0 "$W/batch.wrong"
	BATCH_LEAKS=$(awk -F'\t' '$3 == "lost_fin"' "$W/batch.tsv" | grep -c .)
	fw_check soak/batch_lost_fin "$BATCH_LEAKS" "$LEAKS" "$W/batch.tsv"
	CONNECTIONS=$(jq -r 'select(.type == "summary") | .connections' "$W/batch.json")
	fw_check soak/batch_summary "$(jq -r 'select(.type == "summary") | "\(.bad_lines) \(.duplicates) \(.lost_events)"' "$W/batch.json")" "0 0 0"
}

check_memory() {
	local who col f
	for who in app1:2 db1:5 correlator:8; do
		col=${who#*:}
		f=$(flatness "$col")
		set -- $f
		fw_check "soak/memory_flat/${who%:*}" "$7" flat "$W/mem.tsv"
		eval "FLAT_${who%:*}='$f'"
	done
}

# ---------------------------------------------------------------- figures

print_memory() {
	echo "memory over time (VmRSS MB, a dozen of the samples of mem.tsv; VmHWM MB at the end), CPU % of one core:"
	awk -v n="$(($(grep -c . "$W/mem.tsv") - 1))" 'NR > 1 && ((NR - 2) % int((n + 11) / 12) == 0 || NR == n + 1) { printf "  %5ds  app1 tracer %6.1f  db1 tracer %6.1f  correlator %6.1f\n", $1, $2 / 1024, $5 / 1024, $8 / 1024 }' "$W/mem.tsv"
	tail -n 1 "$W/mem.tsv" | awk '{ printf "  VmHWM  app1 tracer %6.1f  db1 tracer %6.1f  correlator %6.1f\n", $3 / 1024, $6 / 1024, $9 / 1024 }'
	echo "  CPU    app1 tracer $(cpu_share 4)%  db1 tracer $(cpu_share 7)%  correlator $(cpu_share 10)%"
	echo "  VmRSS first, last, largest; flat = after ${SOAK_WARMUP}s of warm-up, the last third's largest <= the first third's + max(${SOAK_FLAT_PCT}%, ${SOAK_FLAT_MIN_KB} kB):"
	# shellcheck disable=SC2154
	for who in app1 db1 correlator; do
		eval "set -- \$FLAT_$who"
		echo "    $who: $(mb "$1") / $(mb "$2") / $(mb "$3") MB; first third $(mb "$4") MB, last third $(mb "$5") MB, margin $(mb "$6") MB: $7"
	done
}

# print_disk: what the logs of both hosts hold, and what a day of it
# takes: at this run's rate and passes, and with the passes of the
# shipped configuration (dist/trace-default.conf: every 10 minutes).
print_disk() {
	local span a d
	span=$(awk -v a="$T_TRACE0" -v b="$T_STOP" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
	a=$(host_disk app1)
	d=$(host_disk db1)
	set -- $a $d
	echo "disk: ${span}s traced, $CONNECTIONS connections ($(awk -v n="$CONNECTIONS" -v s="$span" 'BEGIN { printf "%.1f", n / s }')/s), $(($3 + ${10})) records"
	echo "  app1: $1 bytes ($2 gzipped) in $4 files, $3 records, $6 bytes in $7 snapshot passes"
	echo "  db1: $8 bytes ($9 gzipped) in ${11} files, ${10} records, ${13} bytes in ${14} snapshot passes"
	awk -v raw=$(($1 + $8)) -v gz=$(($2 + $9)) -v conn=$(($5 + ${12})) -v snap=$(($6 + ${13})) \
		-v passes="$7" -v n="$CONNECTIONS" -v s="$span" -v every="$SOAK_SNAPSHOT_EVERY" 'BEGIN {
		other = raw - conn - snap; z = gz / raw
		printf "  per connection, both hosts: %.0f bytes of connection records (%.0f bytes with passes and heartbeats), %.0f gzipped\n", conn / n, raw / n, gz / n
		printf "  per snapshot pass, both hosts: %.0f bytes; heartbeats, starts and the rest: %.0f bytes\n", passes ? snap / passes : 0, other
		printf "  per day at %.1f connections/s, both hosts: %.0f MB (%.0f MB gzipped) with passes every %s, as run\n", n / s, raw / s * 86400 / 1e6, gz / s * 86400 / 1e6, every
		day = (conn + other) / s * 86400 + (passes ? snap / passes : 0) * 144
		printf "  per day at %.1f connections/s, both hosts: %.0f MB (%.0f MB gzipped) with passes every 10m (dist/trace-default.conf)\n", n / s, day / 1e6, day * z / 1e6 }'
}

soak_report() {
	check_run
	check_findings
	check_batch
	check_memory
	{
		echo "soak: ${SOAK_DURATION}s, churn $SOAK_RATE/s, pool $SOAK_POOL, a leak every ${SOAK_LEAK_EVERY}s, logrotate every ${SOAK_ROTATE_EVERY}s, passes every $SOAK_SNAPSHOT_EVERY, redis timeout ${SOAK_REDIS_TIMEOUT}s"
		echo "leaks: $LEAKS made ($(grep -c $'\tnet\t' "$W/leaks.tsv") lost by the middlebox, $(grep -c $'\thost\t' "$W/leaks.tsv") dropped by the app host), $(grep -c $'\tlive$' "$W/latencies.tsv") named live, $BATCH_LEAKS lost_fin in batch"
		set -- $LATENCY
		echo "close to first live finding: min $1 s, median $2 s, max $3 s"
		echo "  lost by the middlebox (min median max): $LATENCY_NET s; dropped by the app host: $LATENCY_HOST s"
		echo "false findings: $FALSE_LIVE live, $(grep -c '^false' "$W/batch.wrong") batch; incomplete: $UNSURE_LIVE live, $(grep -c '^unsure' "$W/batch.wrong") batch"
		echo "findings printed live: $(grep -c . "$W/findings.tsv") ($(awk -F'\t' '$4 == "true"' "$W/findings.tsv" | grep -c .) provisional), about $(grep -c . "$W/live.last") connections; batch $(grep -c . "$W/batch.last")"
		print_memory
		print_disk
		echo "per leak (port kind start->close_s close->named_s):"
		awk -F'\t' '{ printf "  %s %-4s %6s %6s %s\n", $1, $2, $3, $4, $5 }' "$W/latencies.tsv"
	} >"$W/report.txt"
	sed 's/^/# /' "$W/report.txt"
	if [ -n "$SOAK_OUT" ]; then
		mkdir -p "$SOAK_OUT"
		cp "$W/report.txt" "$SOAK_OUT/report.txt"
		cp "$W/mem.tsv" "$W/latencies.tsv" "$SOAK_OUT/"
		echo "# saved in $SOAK_OUT"
	fi
}
