#!/usr/bin/env bash
# A host that goes dark and comes back, and tracers that stall (issue 15
# point 3, issue 14 points 1 and 2), end to end on the real kernel.
#
# Dark: the client host's tracer (app1) is killed with SIGKILL mid-trace,
# its log ending without a stop record, while the server's (db1) traces
# on. Then, still unseen, the client's open connections die without their
# closes reaching the server (their processes killed with FIN and RST
# dropped by nft in the client, the orphans killed with ss -K), and a new
# tracer of app1 starts a new log, whose baseline lacks them.
#  34100  clean close before the kill                 ok
#  34101  FIN dropped by app1's firewall, before      lost_fin
#  34102  open at the kill, dropped later             incomplete, then peer_vanished
#  34103  open at the kill, its FIN lost right after  incomplete, then peer_vanished
#  34105  open at the kill and all along              incomplete, then open
# The dead log with the server's alone: what app1 did after its last
# record is unknown ("app1's log ends at T without a stop record"), never
# lost_fin nor open. With the new log too: the ghosts are peer_vanished,
# citing the new baseline, and nothing else changes.
#
# Stalled and idle (port 6380, tracers of their own, correlate --follow):
#  34200  an idle server (heartbeats only), the client's FIN lost on the
#         wire: named live (provisional lost_fin); the latency is printed
#  34201  the server's tracer stopped (SIGSTOP) and its log stalled, then
#         the client's FIN lost on the wire: nothing may claim the server
#         never received it until SIGCONT; then the live lost_fin
# and at the end, batch correlate gives the last live verdict of each.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

fw_scenario_setup

tracer() { # NS HOST OUT PORT: starts it; FW_TRACER_PID is its pid
	fw_trace_start "$3" -p "$4" --netns "/run/netns/$1" --host "$2" ||
		fw_die "tracer $2 ($3) did not start"
}

# findings FILE: "port verdict" of each finding of the 198.18.0.1 client
# (the last of each id), sorted by port.
findings() {
	jq -r 'select(.type == "finding" and (.client | startswith("198.18.0.1:"))) |
		"\(.id) \(.client | sub(".*:"; "")) \(.verdict)"' "$1" |
		awk '{ v[$2] = $3 } END { for (p in v) print p, v[p] }' | sort -n | tr '\n' ' '
}

# finding_of FILE PORT: the last finding of the client from PORT.
finding_of() {
	jq -c --arg c "198.18.0.1:$2" 'select(.type == "finding" and .client == $c)' "$1" | tail -n 1
}

# iso NS: the correlator's time text of a record time (ms truncated).
iso() {
	local ns=$1
	printf '%s.%03dZ' "$(date -u -d "@$((ns / 1000000000))" +%Y-%m-%dT%H:%M:%S)" \
		$((ns / 1000000 % 1000))
}

# time_ns: the time_ns of the record on stdin, exactly (jq 1.6 rounds
# integers to doubles).
time_ns() {
	grep -o '"time_ns":[0-9]*' | head -n 1 | cut -d: -f2
}

stop_tracers() { # PID...: SIGINT, and each must end within 10 s
	local pid
	for pid in "$@"; do
		kill -INT "$pid"
		fw_wait_pid "$pid" 10 || fw_die "a tracer did not stop"
	done
}

time_ns_all() { # the time_ns of each record on stdin
	grep -o '"time_ns":[0-9]*' | cut -d: -f2
}

# -------------------------------------------------------------- dark host

D=$FW_TMP/dark
mkdir -p "$D"
tracer "$FW_S" db1 "$D/db1.log" 6379
DB1=$FW_TRACER_PID
tracer "$FW_C" app1 "$D/app1.log" 6379
APP1=$FW_TRACER_PID

fw_nft_drop_fin "$FW_C" tcp sport 34101
declare -A CL
for p in 34100 34101; do
	fw_tcpclient "$FW_C" -b "$p" -w 0.3 -a 0 "$FW_S4" 6379
	CL[$p]=$FW_LAST_PID
done
for p in 34102 34103 34105; do
	fw_tcpclient "$FW_C" -b "$p" -w 600 "$FW_S4" 6379
	CL[$p]=$FW_LAST_PID
done
for p in 34100 34101; do
	fw_wait_pid "${CL[$p]}" 10 || fw_die "tcpclient from port $p failed"
done
fw_wait_for 10 fw_nft_dropped_ge "$FW_C" 3 "sport 34101 " ||
	fw_die "app1's firewall dropped $(fw_nft_dropped "$FW_C" "sport 34101 ") FINs from 34101, expected 3"
for p in 34102 34103 34105; do
	v=$(fw_ss_state "$FW_C" "$FW_C4" "$p" "$FW_S4" 6379)
	[ "$v" = ESTAB ] || fw_die "client from $p is '$v', not ESTAB"
done
# The lost FIN is decided by db1's heartbeats long before the kill.
sleep 4

kill -KILL "$APP1"
wait "$APP1" 2>/dev/null
fw_check dark/killed_log_has_no_stop "$(jq -c 'select(.type == "stop")' "$D/app1.log" | grep -c .) $(tail -c 1 "$D/app1.log" | od -An -c | tr -d ' ')" \
	'0 \n' "$D/app1.log"
LAST_NS=$(tail -n 1 "$D/app1.log" | time_ns)
DARK_END=$(iso "$LAST_NS")

# Unseen by any tracer of app1: 34103 closes at once, its FIN dropped;
# 34102 later; the orphans are killed, their RSTs dropped too.
fw_nft_drop_fin "$FW_C" tcp sport 34102-34103
fw_nft_drop_rst "$FW_C" tcp sport 34101-34103
kill -KILL "${CL[34103]}"
sleep 2
kill -KILL "${CL[34102]}"
fw_wait_for 10 fw_nft_dropped_ge "$FW_C" 2 "sport 34102-34103 " ||
	fw_die "the FINs of 34102 and 34103 were not dropped"
ip netns exec "$FW_C" ss -K state fin-wait-1 '( dport = :6379 )' >/dev/null 2>&1
for p in 34101 34102 34103; do
	v=$(fw_ss_state "$FW_S" "$FW_S4" 6379 "$FW_C4" "$p")
	[ "$v" = ESTAB ] || fw_die "server end of $p is '$v', not ESTAB"
	v=$(fw_ss_state "$FW_C" "$FW_C4" "$p" "$FW_S4" 6379)
	[ -z "$v" ] || fw_die "client end of $p is still '$v'"
done
v=$(fw_ss_state "$FW_C" "$FW_C4" 34105 "$FW_S4" 6379)
[ "$v" = ESTAB ] || fw_die "client from 34105 is '$v', not ESTAB"
sleep 2

# app1 is back: a new tracer, a new log, the same host name.
tracer "$FW_C" app1 "$D/app1.new.log" 6379
APP1=$FW_TRACER_PID
# The pass, the correlator's second after it, and the allowance.
sleep 5
stop_tracers "$APP1" "$DB1"
PASS_NS=$(grep -m 1 '"type":"snapshot_end"' "$D/app1.new.log" | time_ns)
# Its baseline (the first pass) lists 34105 open, and none of the ghosts.
fw_check dark/new_baseline "$(jq -r 'select(.type == "snapshot" and .snap == 1 and .lport >= 34101 and .lport <= 34105) | "\(.lport) \(.state)"' \
	"$D/app1.new.log" | sort -n | tr '\n' ' ')" "34105 ESTABLISHED " "$D/app1.new.log"

# The dead log and the server's: nothing after app1's last record known.
"$FINWATCH" correlate --json --all "$D/app1.log" "$D/db1.log" >"$D/dark.json" 2>"$D/dark.err"
fw_check dark/exit "$?" 0 "$D/dark.err"
fw_check dark/verdicts "$(findings "$D/dark.json")" \
	"34100 ok 34101 lost_fin 34102 incomplete 34103 incomplete 34105 incomplete " "$D/dark.json"
bad=0
for p in 34102 34103 34105; do
	finding_of "$D/dark.json" "$p" | jq -e --arg r "app1's log ends at $DARK_END without a stop record, with the client still ESTABLISHED" \
		'.reason | contains($r)' >/dev/null || bad=$((bad + 1))
done
fw_check dark/reasons "$bad" 0 <(jq -c 'select(.type == "finding") | {client, reason}' "$D/dark.json"; echo "want: app1's log ends at $DARK_END without a stop record")
fw_check dark/lost_fin_evidence "$(finding_of "$D/dark.json" 34101 | jq -r '"\(.cause) \(.cause_host) \(.evidence | test("the sender.s own host dropped it [0-9]+ times \\(NETFILTER_DROP\\), so it never left; server on db1 never received it"))"')" \
	"firewall_rule app1 true" "$D/dark.json"

# With the new log of app1 too, in either order.
for order in "app1.log app1.new.log" "app1.new.log app1.log"; do
	# shellcheck disable=SC2046
	"$FINWATCH" correlate --json --all $(for f in $order db1.log; do echo "$D/$f"; done) \
		>"$D/back.json" 2>"$D/back.err"
	fw_check "dark/back/exit ($order)" "$?" 0 "$D/back.err"
	fw_check "dark/back/verdicts ($order)" "$(findings "$D/back.json")" \
		"34100 ok 34101 lost_fin 34102 peer_vanished 34103 peer_vanished 34105 open " "$D/back.json"
done
bad=0
for p in 34102 34103; do
	finding_of "$D/back.json" "$p" | jq -e --arg e "the snapshot of app1 at $(iso "$PASS_NS") no longer lists it: it died unseen; server on db1 never received its close and is still ESTABLISHED" \
		'(.evidence | contains($e)) and .cause == "peer_gone" and .cause_host == "app1"' >/dev/null || bad=$((bad + 1))
done
fw_check dark/back/evidence "$bad" 0 <(jq -c 'select(.type == "finding" and .verdict == "peer_vanished")' "$D/back.json"; echo "want: the snapshot of app1 at $(iso "$PASS_NS") no longer lists it")

# ------------------------------------------------------ stalled and idle

S=$FW_TMP/stall
mkdir -p "$S"
fw_redis_start "$FW_S" 6380
tracer "$FW_S" db1 "$S/db1.log" 6380
DB1=$FW_TRACER_PID
tracer "$FW_C" app1 "$S/app1.log" 6380
APP1=$FW_TRACER_PID
"$FINWATCH" correlate --follow --json --all "$S/app1.log" "$S/db1.log" \
	>"$S/follow.json" 2>"$S/follow.err" &
FOLLOW=$!
FW_PIDS+=("$FOLLOW")
fw_nft_lose "$FW_S" fin tcp sport 34200
fw_nft_lose "$FW_S" fin tcp sport 34201

# live_lost PORT: the follower named the client from PORT lost_fin.
live_lost() {
	jq -c --arg c "198.18.0.1:$1" 'select(.type == "finding" and .client == $c and .verdict == "lost_fin")' \
		"$S/follow.json" 2>/dev/null | grep -q .
}
# The idle server: 4 s of heartbeats only, then the lost FIN.
fw_tcpclient "$FW_C" -b 34200 -w 4 -a 0 "$FW_S4" 6380
pid=$FW_LAST_PID
fw_wait_pid "$pid" 10 || fw_die "tcpclient from port 34200 failed"
fw_wait_for 30 live_lost 34200
NAMED_NS=$(date +%s%N)
FIN_NS=$(grep '"lport":34200,' "$S/app1.log" | jq -r '((.path // [])[] | select(.[1] == "FIN_WAIT1") | .[2]),
	(select(.type == "state" and .newstate == "FIN_WAIT1") | .time_ns)' | head -n 1)
fw_check idle/named_live "$(jq -r --arg c "198.18.0.1:34200" 'select(.type == "finding" and .client == $c) | "\(.verdict) \(.provisional)"' "$S/follow.json" | head -n 1)" \
	"lost_fin true" "$S/follow.json"

# The stalled server: its tracer stopped for 10 s, the FIN lost after 3.
fw_tcpclient "$FW_C" -b 34201 -w 600 "$FW_S4" 6380
STALLED=$FW_LAST_PID
sleep 1
kill -STOP "$DB1"
STOP_NS=$(date +%s%N)
sleep 3
kill -TERM "$STALLED"
fw_wait_for 10 fw_nft_dropped_ge "$FW_S" 3 "sport 34201 " ||
	fw_die "the FIN of 34201 was not lost"
sleep 6
cp "$S/follow.json" "$S/follow.stalled.json"
CONT_NS=$(date +%s%N)
kill -CONT "$DB1"
fw_check stall/nothing_claimed "$(jq -r --arg c "198.18.0.1:34201" 'select(.type == "finding" and .client == $c) | .verdict' "$S/follow.stalled.json" |
	grep -c -v -x incomplete)" 0 "$S/follow.stalled.json"
fw_wait_for 30 live_lost 34201
fw_check stall/named_after_cont "$(finding_of "$S/follow.json" 34201 | jq -r '"\(.verdict) \(.provisional)"')" \
	"lost_fin true" "$S/follow.json"

sleep 2
stop_tracers "$APP1" "$DB1"
sleep 3
kill -INT "$FOLLOW"
fw_wait_pid "$FOLLOW" 20
fw_check stall/follow_exit "$?" 0 "$S/follow.err"
"$FINWATCH" correlate --json --all "$S/app1.log" "$S/db1.log" >"$S/batch.json" 2>"$S/batch.err"
# The stall was one: db1 wrote no heartbeat while it was stopped.
fw_check stall/no_heartbeat_while_stopped "$(grep '"type":"tick"' "$S/db1.log" | time_ns_all |
	awk -v a="$STOP_NS" -v b="$CONT_NS" '$1 > a + 1500000000 && $1 < b' | grep -c .)" 0
fw_check stall/batch_exit "$?" 0 "$S/batch.err"
fw_check stall/batch_verdicts "$(findings "$S/batch.json")" "34200 lost_fin 34201 lost_fin " "$S/batch.json"
fw_check stall/batch_equals_last_live "$(findings "$S/follow.json")" "$(findings "$S/batch.json")" "$S/follow.json"

# The latency from the idle server's lost FIN to its live verdict.
if [ -n "$FIN_NS" ]; then
	ms=$(((NAMED_NS - FIN_NS) / 1000000))
	fw_log "idle server: the lost FIN was named live $ms ms after the close"
	fw_check idle/named_within_30s "$([ "$ms" -ge 0 ] && [ "$ms" -lt 30000 ] && echo yes)" yes
else
	fw_fail idle/fin_record "no FIN_WAIT1 step of the client from 34200" "$S/app1.log"
fi
