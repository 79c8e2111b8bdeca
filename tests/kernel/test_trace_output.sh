#!/usr/bin/env bash
# How a trace ends and what it looks like: -d stops it on time with a stop
# record; a reader that goes away (| head -n 1) ends it promptly; without
# --json it prints aligned text lines with the state names.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

n=trace_output
fw_scenario_setup

now_ms() {
	local us=${EPOCHREALTIME//[.,]/}
	echo $((us / 1000))
}

# 1. -d 2: runs about 2 s from its start record, ends with a stop record.
out=$FW_TMP/duration.jsonl
if fw_trace_start "$out" -p 6379 -d 2; then
	t1=$(now_ms)
	fw_redis_cli "$FW_C" "$FW_S4" 6379 PING
	fw_wait_pid "$FW_TRACER_PID" 10
	FW_TRACER_RC=$?
	t2=$(now_ms)
	el=$((t2 - t1))
	if [ "$FW_TRACER_RC" -eq 124 ]; then
		fw_fail "$n/duration_exits" "still running 10 s after its start record with -d 2"
	elif [ "$el" -lt 1500 ] || [ "$el" -gt 3500 ]; then
		fw_fail "$n/duration_exits" "exited $el ms after its start record, expected about 2000"
	else
		fw_pass "$n/duration_exits"
	fi
	fw_check_trace_end "$n/duration_trace_end"
	span=$(jq -s '(map(select(.type == "stop"))[0].time_ns // 0) - (map(select(.type == "start"))[0].time_ns // 0) | . / 1000000 | floor' "$out")
	if [ "$span" -ge 1900 ] && [ "$span" -le 3000 ]; then
		fw_pass "$n/duration_span"
	else
		fw_fail "$n/duration_span" "stop.time_ns - start.time_ns is $span ms, expected 2000 to 3000" "$out"
	fi
	# The connection made meanwhile is in it, and the stop record counts
	# it: 10 records (5 per end) in the all-states stream, 5 folded.
	k=$(jq -c "$FW_JQ_CONN | select(.netns == $CINO or .netns == $SINO)" "$out" | grep -c .)
	ev=$(tail -n 1 "$out" | jq '.events // -1')
	want=10
	[ "$FW_STREAM" = folded ] && want=5
	if [ "$k" -ge "$want" ] && [ "$ev" -ge "$k" ]; then
		fw_pass "$n/duration_events"
	else
		fw_fail "$n/duration_events" "$k records of the PING connection (expected $want or more), stop says events $ev" "$out"
	fi
else
	fw_fail "$n/duration" "tracer did not start: $(head -c 500 "$out.stderr")"
fi

# 2. A reader that goes away: `finwatch trace --json | head -n 1`. Once
# head has the start record and is gone, the next records hit a closed
# pipe: the tracer must exit (0, or 141 killed by SIGPIPE) right away.
# (Process substitution, so that $! is the tracer, not head.)
fw_spawn "$FINWATCH" trace --json "${FW_STREAM_ARGS[@]}" -p 6379 2>"$FW_TMP/epipe.err" </dev/null > >(head -n 1 >"$FW_TMP/epipe.out")
trpid=$FW_LAST_PID
if fw_wait_for 30 test -s "$FW_TMP/epipe.out"; then
	sleep 0.2
	# Traffic, so that there is something to write.
	for i in 1 2 3; do
		fw_redis_cli "$FW_C" "$FW_S4" 6379 PING
	done
	fw_wait_pid "$trpid" 5
	rc=$?
	if [ "$rc" -eq 124 ]; then
		fw_fail "$n/epipe_exits" "tracer still running 5 s after its reader (head -n 1) exited and records were due; stderr: $(head -c 300 "$FW_TMP/epipe.err")"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 141 ]; then
		fw_fail "$n/epipe_exits" "tracer exited $rc, expected 0 or 141 (SIGPIPE); stderr: $(head -c 300 "$FW_TMP/epipe.err")"
	else
		fw_pass "$n/epipe_exits"
	fi
	if jq -e 'select(.type == "start")' "$FW_TMP/epipe.out" >/dev/null 2>&1; then
		fw_pass "$n/epipe_first_record_is_start"
	else
		fw_fail "$n/epipe_first_record_is_start" "head -n 1 got:" "$FW_TMP/epipe.out"
	fi
else
	fw_fail "$n/epipe_exits" "no start record on stdout within 30 s: $(head -c 300 "$FW_TMP/epipe.err")"
fi

# 3. Text (no --json): one line per record, columns aligned, the states by
# name. The tracer has attached once it printed something (a header, or
# the snapshot of the redis listener).
out=$FW_TMP/text.out
fw_spawn "$FINWATCH" trace -p 6379 -o "$out" </dev/null >"$FW_TMP/text.stdout" 2>"$FW_TMP/text.err"
FW_TRACER_PID=$FW_LAST_PID
if fw_wait_for 30 test -s "$out"; then
	sleep 0.2
	fw_redis_cli "$FW_C" "$FW_S4" 6379 PING
	fw_redis_cli "$FW_C" "$FW_S6" 6379 PING
	fw_trace_stop || fw_die "text tracer did not exit within 10 s of SIGINT"
	fw_check "$n/text_exit" "$FW_TRACER_RC" 0 "$FW_TMP/text.err"
	if grep -q '^[[:space:]]*{' "$out"; then
		fw_fail "$n/text_not_json" "text mode wrote JSON" "$out"
	else
		fw_pass "$n/text_not_json"
	fi
	# Every transition of both ends of the IPv4 connection, by name.
	missing=()
	for t in 'CLOSE SYN_SENT' 'SYN_SENT ESTABLISHED' 'LISTEN SYN_RECV' 'SYN_RECV ESTABLISHED' \
		'ESTABLISHED FIN_WAIT1' 'ESTABLISHED CLOSE_WAIT' 'CLOSE_WAIT LAST_ACK' \
		'FIN_WAIT1 FIN_WAIT2' 'FIN_WAIT2 TIME_WAIT' 'LAST_ACK CLOSE'; do
		grep -F "$FW_C4" "$out" | grep -qE "(^|[^A-Z_])${t% *}([^A-Z_]+)${t#* }([^A-Z_]|$)" ||
			missing+=("${t% *}>${t#* }")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		fw_pass "$n/text_states"
	else
		fw_fail "$n/text_states" "no line with ${missing[*]}" "$out"
	fi
	# Aligned: on every line of a transition ("OLD -> NEW" or the like),
	# the local address, the remote address and the old state start at
	# the same column, for IPv4 and IPv6 alike.
	cols=$(grep -E '(ESTABLISHED|SYN_SENT|LAST_ACK|FIN_WAIT[12]|CLOSE_WAIT|SYN_RECV)' "$out" |
		grep -E "$FW_C4|$FW_C6" | awk '
		{
			s = $0; off = 0; addr = 0; la = 0; ra = 0; st = 0
			while (match(s, /[^ ]+/)) {
				tok = substr(s, RSTART, RLENGTH); at = off + RSTART
				if (tok ~ /:[0-9]+$/ && tok ~ /[0-9.\]]:[0-9]+$/) {
					addr++
					if (addr == 1) la = at
					if (addr == 2) ra = at
				}
				if (!st && tok ~ /^(CLOSE|LISTEN|SYN_SENT|SYN_RECV|ESTABLISHED|FIN_WAIT1|FIN_WAIT2|CLOSE_WAIT|LAST_ACK|CLOSING|TIME_WAIT)$/)
					st = at
				off += RSTART + RLENGTH - 1; s = substr(s, RSTART + RLENGTH)
			}
			print la, ra, st
		}' | sort | uniq -c)
	if [ "$(printf '%s\n' "$cols" | grep -c .)" -eq 1 ] && ! printf '%s' "$cols" | grep -qE ' 0( |$)'; then
		fw_pass "$n/text_aligned"
	else
		fw_fail "$n/text_aligned" "columns (count, local, remote, state) differ between lines: $(echo $cols)" "$out"
	fi
else
	fw_fail "$n/text" "text tracer printed nothing within 30 s: $(head -c 300 "$FW_TMP/text.err")"
fi

# SIGHUP reopens the -o file (logrotate moved the old one away); with no
# -o it changes nothing, and the trace goes on writing to stdout.
n=trace_output/sighup
log=$FW_TMP/hup.jsonl
fw_trace_start "$log" --netns "/run/netns/$FW_C" || fw_die "tracer for SIGHUP did not start"
mv "$log" "$log.1"
kill -HUP "$FW_TRACER_PID"
sleep 0.5
fw_redis_cli "$FW_C" "$FW_S4" 6379 PING >/dev/null
fw_trace_stop
got="$(jq -r .type "$log.1" | head -n 1) $(jq -r 'select(.type == "state") | .type' "$log" | head -n 1) $(tail -n 1 "$log" | jq -r .type) $FW_TRACER_RC"
fw_check "$n/reopens_file" "$got" "start state stop 0" "$log.1"
fw_spawn "$FINWATCH" trace --json "${FW_STREAM_ARGS[@]}" --netns "/run/netns/$FW_C" </dev/null >"$FW_TMP/hup.out" 2>"$FW_TMP/hup.err"
pid=$FW_LAST_PID
fw_wait_for 10 grep -q '"type":"start"' "$FW_TMP/hup.out" || fw_die "stdout tracer did not start"
kill -HUP "$pid"
sleep 0.5
fw_redis_cli "$FW_C" "$FW_S4" 6379 PING >/dev/null
sleep 0.5
kill -INT "$pid"
fw_wait_pid "$pid" 10
rc=$?
got="$rc $(jq -r 'select(.type == "state") | .type' "$FW_TMP/hup.out" | head -n 1) $(tail -n 1 "$FW_TMP/hup.out" | jq -r .type)"
fw_check "$n/stdout_unaffected" "$got" "0 state stop" "$FW_TMP/hup.err"
