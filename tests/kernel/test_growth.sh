#!/usr/bin/env bash
# Ghosts growing over snapshot passes (the seed incident in seconds): both
# hosts traced with a pass every 2 s; app1 keeps a pool of 3 connections
# to redis; three waves of 2 connections then close with their FINs (and
# the RSTs of `ss -K`, which kills their FIN_WAIT1 sockets as a timeout
# would) dropped on app1, so that db1 keeps each as a ghost. The timeline
# must count them pass by pass, the chart must parse as XML, the metrics
# must pass promtool, and the text report must show the growth.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

fw_scenario_setup
fw_nft_drop_fin "$FW_C" tcp sport 35100-35199
fw_nft_drop_rst "$FW_C" tcp sport 35100-35199
for p in 35000 35001 35002; do
	fw_tcpclient "$FW_C" -b "$p" -w 120 "$FW_S4" 6379
done
fw_wait_for 10 test "$(ip netns exec "$FW_C" ss -Htn state established '( dport = :6379 )' | wc -l)" -eq 3 ||
	fw_die "the pool did not connect"

# trace_host HOST NS: a tracer with a pass every 2 s; sets TRACER.
trace_host() {
	fw_spawn "$FINWATCH" trace --json "${FW_STREAM_ARGS[@]}" --snapshot-every 2s \
		--host "$1" --netns "/run/netns/$2" -o "$FW_TMP/$1.log" \
		</dev/null >"$FW_TMP/$1.stdout" 2>"$FW_TMP/$1.stderr"
	TRACER=$FW_LAST_PID
}
started() { [ -s "$FW_TMP/$1.log" ] && head -n 1 "$FW_TMP/$1.log" | jq -e 'select(.type == "start")' >/dev/null 2>&1; }
trace_host app1 "$FW_C"
t1=$TRACER
trace_host db1 "$FW_S"
t2=$TRACER
fw_wait_for 30 started app1 || fw_die "app1's tracer did not start: $(head -c 500 "$FW_TMP/app1.stderr")"
fw_wait_for 30 started db1 || fw_die "db1's tracer did not start: $(head -c 500 "$FW_TMP/db1.stderr")"
sleep 3

for wave in 0 1 2; do
	pids=()
	for i in 0 1; do
		fw_tcpclient "$FW_C" -b "351$wave$i" -w 0.2 "$FW_S4" 6379
		pids+=("$FW_LAST_PID")
	done
	for p in "${pids[@]}"; do
		fw_wait_pid "$p" 10 || fw_die "a wave client failed"
	done
	ip netns exec "$FW_C" ss -K state fin-wait-1 '( sport >= :35100 and sport <= :35199 )' >/dev/null 2>&1
	sleep 4.5
done
for t in "$t1" "$t2"; do
	kill -INT "$t" 2>/dev/null
	fw_wait_pid "$t" 10 || fw_die "a tracer did not stop"
done

"$FINWATCH" correlate --json --maxclients 100 --chart "$FW_TMP/growth.svg" --prom "$FW_TMP/growth.prom" \
	"$FW_TMP/app1.log" "$FW_TMP/db1.log" >"$FW_TMP/out.json" 2>"$FW_TMP/out.err"
fw_check growth/exit "$?" 0 "$FW_TMP/out.err"
tl() { jq -c "select(.type == \"summary\") | .timeline | $1" "$FW_TMP/out.json"; }
fw_check growth/pairs "$(tl '[.[] | [.server_host, .client_host]]')" '[["db1","app1"]]' "$FW_TMP/out.json"
fw_check growth/first_pass "$(tl '.[0].points[0] | [.server_holds, .client_holds, .ghosts, .unknown]')" '[3,3,0,0]' "$FW_TMP/out.json"
# The last pass both logs cover (the folded stream's tracers end with a
# pass of their own, which the other host's log may not reach).
fw_check growth/last_pass "$(tl '[.[0].points[] | select(.unknown == 0)][-1] | [.server_holds, .client_holds, .ghosts, .unknown]')" '[9,3,6,0]' "$FW_TMP/out.json"
fw_check growth/never_fewer "$(tl '[.[0].points[].ghosts] | . == sort')" true "$FW_TMP/out.json"
fw_check growth/passes "$(tl '.[0].points | length >= 7')" true "$FW_TMP/out.json"
fw_check growth/rate "$(tl '.[0].ghosts_per_day > 0')" true "$FW_TMP/out.json"
fw_host_tool xmllint libxml2-utils &&
	fw_check growth/chart_is_xml "$(xmllint --noout "$FW_TMP/growth.svg" 2>&1 && echo ok)" ok "$FW_TMP/growth.svg"
fw_check growth/chart_ghosts "$(grep -c '<polyline class="ghosts" data-server="db1" data-client="app1"' "$FW_TMP/growth.svg")" 1 "$FW_TMP/growth.svg"
fw_host_tool promtool prometheus &&
	fw_check growth/promtool "$(promtool check metrics <"$FW_TMP/growth.prom" 2>&1 && echo ok)" ok "$FW_TMP/growth.prom"
fw_check growth/prom_ghosts "$(grep -c '^finwatch_timeline_ghosts{server_host="db1",client_host="app1"} 6$' "$FW_TMP/growth.prom")" 1 "$FW_TMP/growth.prom"
"$FINWATCH" correlate "$FW_TMP/app1.log" "$FW_TMP/db1.log" >"$FW_TMP/report.txt" 2>&1
fw_check growth/text "$(grep -cE '^  db1 from app1: \S+ 0 -> 6 ghosts over .*: \+[0-9]+ ghosts per (day|hour|minute)$' "$FW_TMP/report.txt")" 1 "$FW_TMP/report.txt"
