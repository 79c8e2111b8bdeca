#!/usr/bin/env bash
# Traffic on an unwatched port never shows up: with the default port
# (6379), connections to a second redis on 6380 (redis-cli, a bash
# /dev/tcp client, and one that resets) leave no record at all, while a
# connection to 6379 made at the same time is traced.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

n=trace_unwatched
fw_scenario_setup
fw_redis_start "$FW_S" 6380
out=$FW_TMP/unwatched.jsonl

# No -p: the default is 6379 alone.
fw_trace_start "$out" || fw_die "tracer did not start: $(head -c 500 "$out.stderr")"
head -n 1 "$out" >"$FW_TMP/start"
fw_check "$n/default_ports" "$(jq -c .ports "$FW_TMP/start")" '[6379]' "$FW_TMP/start"

fw_redis_cli "$FW_C" "$FW_S4" 6380 PING
fw_redis_cli "$FW_C" "$FW_S6" 6380 PING
fw_bash_client "$FW_C" "$FW_S4" 6380 0.2
fw_tcpclient "$FW_C" -r -b 30080 "$FW_S4" 6380
fw_wait_pid "$FW_LAST_PID" 10
fw_redis_cli "$FW_C" "$FW_S4" 6379 PING
cpid=$FW_LAST_PID
fw_redis_cli "$FW_C" "$FW_S4" 6380 PING
fw_trace_stop || fw_die "tracer did not exit within 10 s of SIGINT"
fw_check_trace_end "$n/trace_end"

# Of any type, snapshots of the 6380 listener included.
jq -c --argjson c "$CINO" --argjson s "$SINO" \
	'select((.netns == $c or .netns == $s) and (.lport == 6380 or .rport == 6380))' "$out" >"$FW_TMP/bad"
if [ -s "$FW_TMP/bad" ]; then
	fw_fail "$n/port_6380_absent" "records of the unwatched port 6380:" "$FW_TMP/bad"
else
	fw_pass "$n/port_6380_absent"
fi

lports=$(fw_client_lports "$out" "$CINO" "$FW_S4" 6379)
if [ "$(printf '%s' "$lports" | grep -c .)" -ne 1 ]; then
	fw_records_where "$out" ".netns == $CINO" >"$FW_TMP/c"
	fw_fail "$n/port_6379_traced" "expected one client connection to 6379, local ports: '$(echo $lports)'" "$FW_TMP/c"
else
	fw_pass "$n/port_6379_traced"
	fw_check_conn "$n/port_6379" "$out" 4 "$lports" "$cpid" redis-cli \
		"$FW_CLIENT_CLEAN" "$FW_SERVER_OPEN $FW_SERVER_CLEAN"
fi
