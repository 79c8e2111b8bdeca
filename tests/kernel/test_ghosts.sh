#!/usr/bin/env bash
# Ghosts older than any log: connections opened, and closed with their FIN
# lost, all before finwatch starts. The client host then holds nothing of
# them (its orphaned FIN_WAIT1 sockets are killed with ss -K, as a timeout
# would), while the server still holds them ESTABLISHED. Snapshots of both
# hosts, standalone or as the baseline a trace starts with, must let the
# correlator name exactly those as peer_vanished, and no other.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

fw_scenario_setup
GHOSTS="34000 34001 34002"
CLEAN="34003 34004 34005"
# ss -K resets what it kills: that RST is lost too, as a vanished host's
# would never be sent.
fw_nft_drop_fin "$FW_C" tcp sport 34000-34002
fw_nft_drop_rst "$FW_C" tcp sport 34000-34002
pids=()
for p in $GHOSTS $CLEAN; do
	fw_tcpclient "$FW_C" -b "$p" -w 0.5 "$FW_S4" 6379
	pids+=("$FW_LAST_PID")
done
for p in "${pids[@]}"; do
	fw_wait_pid "$p" 10 || fw_die "a client failed"
done
ip netns exec "$FW_C" ss -K state fin-wait-1 '( dport = :6379 )' >/dev/null 2>&1
for p in $GHOSTS; do
	v=$(fw_ss_state "$FW_S" "$FW_S4" 6379 "$FW_C4" "$p")
	[ "$v" = ESTAB ] || fw_die "server end of $p is '$v', not ESTAB"
	v=$(fw_ss_state "$FW_C" "$FW_C4" "$p" "$FW_S4" 6379)
	[ -z "$v" ] || fw_die "client end of $p is still '$v'"
done

# The correlator calls a socket vanished only when the other host's
# snapshot comes after the socket surely existed, clock skew (2 s) and a
# second's margin included: real ghosts are hours old, these a moment.
sleep 3.5

want=$(tr ' ' '\n' <<<"$GHOSTS" | sort -n | tr '\n' ' ')
vanished() { # FINDINGS: client ports of the peer_vanished findings
	jq -r 'select(.type == "finding" and .verdict == "peer_vanished") | .client | sub(".*:"; "")' "$1" |
		sort -n | tr '\n' ' '
}

# Standalone snapshots of each host.
"$FINWATCH" snapshot --json --host app1 --netns "/run/netns/$FW_C" >"$FW_TMP/app1.snap"
"$FINWATCH" snapshot --json --host db1 --netns "/run/netns/$FW_S" >"$FW_TMP/db1.snap"
"$FINWATCH" correlate --json "$FW_TMP/app1.snap" "$FW_TMP/db1.snap" >"$FW_TMP/snap.json" 2>"$FW_TMP/snap.err"
fw_check ghosts/snapshots/peer_vanished "$(vanished "$FW_TMP/snap.json")" "$want" "$FW_TMP/snap.json"
got=$(jq -r 'select(.type == "finding") | .verdict' "$FW_TMP/snap.json" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
fw_check ghosts/snapshots/nothing_else "$got" "peer_vanished=3 " "$FW_TMP/snap.json"

# The baselines that traces start with.
"$FINWATCH" trace --json "${FW_STREAM_ARGS[@]}" -d 1 --host app1 --netns "/run/netns/$FW_C" >"$FW_TMP/app1.log" 2>/dev/null &
t1=$!
"$FINWATCH" trace --json "${FW_STREAM_ARGS[@]}" -d 1 --host db1 --netns "/run/netns/$FW_S" >"$FW_TMP/db1.log" 2>/dev/null &
t2=$!
wait "$t1" "$t2"
"$FINWATCH" correlate --json "$FW_TMP/app1.log" "$FW_TMP/db1.log" >"$FW_TMP/trace.json" 2>"$FW_TMP/trace.err"
fw_check ghosts/trace_baseline/peer_vanished "$(vanished "$FW_TMP/trace.json")" "$want" "$FW_TMP/trace.json"

# The text report tells the incident's own story.
"$FINWATCH" correlate "$FW_TMP/app1.snap" "$FW_TMP/db1.snap" >"$FW_TMP/report.txt" 2>&1
fw_check ghosts/report_counts "$(grep -c 'holds 3 connections from client host app1' "$FW_TMP/report.txt")" 1 "$FW_TMP/report.txt"
