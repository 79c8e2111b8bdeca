#!/usr/bin/env bash
# Lost records are counted, never dropped silently. Two tracers watch the
# same burst of connections: one with the default buffer, which must not
# overflow, and one with a one-page buffer, which must, and say so. Records
# go missing two ways, both counted: a full buffer ("buffer_full", exact),
# and program runs the kernel skipped because the program was already
# running on that CPU ("recursion", an upper bound: a skipped run may have
# been about any socket). A transition whose record was lost comes back in
# a later record of its socket ("recovered" in the stop record, which the
# kept records then include). For each tracer, records kept + buffer_full
# - recovered is a lower bound of the records the burst made, plus
# recursion an upper one; the two tracers' ranges must overlap. For each
# transport. Records are what this counts, so both tracers write the
# all-states stream whatever FW_STREAM says: in the folded one a lost
# record may have carried folded transitions that were never records.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

fw_scenario_setup
fw_build_helper churn

open_conns() { # the client's sockets still on their way to TIME_WAIT
	ip netns exec "$FW_C" ss -Htn state fin-wait-1 state fin-wait-2 state syn-sent \
		state established state close-wait state last-ack state closing
}

burst_over() {
	[ -z "$(open_conns)" ]
}

conn_records() { # FILE: how many connection records
	jq -r "$FW_JQ_CONN | .type" "$1" | grep -c .
}

# Transitions that came back in a later record's path (any record, the
# repair pass's snapshot records included), those nobody saw aside.
path_steps() { # FILE
	jq -s '[.[] | (.path // [])[] | select(.[2] != null)] | length' "$1"
}

for transport in ring perf; do
	n=trace_loss/$transport
	big=$FW_TMP/big-$transport.jsonl
	small=$FW_TMP/small-$transport.jsonl
	fw_trace_start "$big" --transport "$transport" --stream all-states --netns "/run/netns/$FW_C" ||
		fw_die "tracer with the default buffer did not start"
	bigpid=$FW_TRACER_PID
	fw_trace_start "$small" --transport "$transport" --stream all-states --buffer-pages 1 --netns "/run/netns/$FW_C" ||
		fw_die "tracer with a one-page buffer did not start"
	smallpid=$FW_TRACER_PID
	# A burst: 3000 connections opened and closed as fast as possible.
	ip netns exec "$FW_C" "$FW_BUILD/kernel/churn" "$FW_S4" 6379 3000 >"$FW_TMP/churn.out" 2>&1 ||
		fw_die "churn failed: $(cat "$FW_TMP/churn.out")"
	# Both tracers must see the same window: wait until redis has closed
	# every connection, so that no socket of the burst changes state.
	fw_wait_for 20 burst_over ||
		fw_die "the burst's connections did not all close: $(open_conns | head -3)"
	sleep 0.3
	for p in "$smallpid" "$bigpid"; do
		kill -INT "$p"
		fw_wait_pid "$p" 10 || fw_die "a tracer did not stop"
	done
	lost() { jq -s --arg r "$2" '[.[] | select(.type == "lost" and .reason == $r and .scope == "all") | .count] | add // 0' "$1"; }
	recovered() { jq -s '[.[] | select(.type == "stop")][0].recovered' "$1"; }
	bigrec=$(($(conn_records "$big") + $(path_steps "$big") - $(recovered "$big")))
	bigfull=$(lost "$big" buffer_full)
	bigskip=$(lost "$big" recursion)
	smallrec=$(($(conn_records "$small") + $(path_steps "$small") - $(recovered "$small")))
	smallfull=$(lost "$small" buffer_full)
	smallskip=$(lost "$small" recursion)
	lostsum=$((smallfull + smallskip))
	stoplost=$(jq -s '[.[] | select(.type == "stop")][0].lost' "$small")
	fw_check "$n/default_buffer_does_not_overflow" "$bigfull" 0 "$big.stderr"
	fw_check "$n/small_buffer_overflows" "$([ "$smallfull" -gt 0 ] && echo yes)" yes
	lo=$((bigrec + bigfull > smallrec + smallfull ? bigrec + bigfull : smallrec + smallfull))
	hi=$((bigrec + bigfull + bigskip < smallrec + smallfull + smallskip ? bigrec + bigfull + bigskip : smallrec + smallfull + smallskip))
	fw_check "$n/every_record_accounted_for" "$([ "$lo" -le "$hi" ] && echo yes)" yes
	echo "#   default buffer: $bigrec kept, $bigfull buffer_full, $bigskip recursion; one page: $smallrec kept, $smallfull buffer_full, $smallskip recursion"
	fw_check "$n/stop_record_total" "$stoplost" "$lostsum"
	fw_check "$n/stderr_says_lost" "$(grep -c 'lost [0-9]* records' "$small.stderr" | tr -d ' ' | sed 's/^0$/none/;s/^[1-9].*/some/')" some "$small.stderr"
	jq -c 'select(.type == "lost")' "$small" | head -n 5 >"$FW_TMP/lost"
	got=$(jq -r 'select(.type == "lost") | (.from_ns <= .time_ns and .count > 0 and .transport == "'"$transport"'" and (.reason == "buffer_full" or .reason == "recursion" or .reason == "no_state") and (.pinned | type) == "boolean")' "$small" | sort -u)
	fw_check "$n/lost_record_fields" "$got" true "$FW_TMP/lost"
done
