#!/usr/bin/env bash
# finwatch correlate end to end: real connections to a real redis-server,
# known subsets of them losing their FIN (dropped by the client host's own
# firewall, or lost on the way into the server) or their RST, a server
# that never closes, and the rest closing cleanly. Traced twice, by two
# tracers (one per namespace, each its own --host) and by one tracer that
# sees both; each time the correlator must name exactly the lost ones, with
# no false positive among the clean ones.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

fw_scenario_setup
fw_build_helper tcpserver
ip netns exec "$FW_S" "$FW_TCPSERVER" "$FW_S4" 6390 >"$FW_TMP/tcpserver.out" 2>&1 &
FW_PIDS+=($!)
fw_wait_for 5 grep -q listening "$FW_TMP/tcpserver.out" || fw_die "tcpserver did not start"

# The client ports of each kind: the mode's base (32000 for two tracers,
# 33000 for one) plus these offsets.
FIN_BLOCKED="0 1 2"	# dropped by nft on the client's output
FIN_LOST="10 11"	# dropped by nft on the server's input (on the wire)
RST_LOST="20 21"	# SO_LINGER 0 close, RST dropped on the server's input
CLEAN_FIN="30 31 32 33"
CLEAN_RST="40"
LEAK="50"		# to the server that never closes (port 6390)

for base in 32000 33000; do
	fw_nft_drop_fin "$FW_C" tcp sport "$((base + 0))-$((base + 2))"
	fw_nft_lose "$FW_S" fin tcp sport "$((base + 10))-$((base + 11))"
	fw_nft_lose "$FW_S" rst tcp sport "$((base + 20))-$((base + 21))"
done

ports() { # BASE OFFSETS...: the ports, sorted, space-separated
	local base=$1 o
	shift
	for o in "$@"; do echo $((base + o)); done | sort -n | tr '\n' ' '
}

drive() { # BASE: every kind of connection, one after the other
	local base=$1 o pids=()
	for o in $FIN_BLOCKED $FIN_LOST $CLEAN_FIN; do
		fw_tcpclient "$FW_C" -b $((base + o)) -a 1 "$FW_S4" 6379
		pids+=("$FW_LAST_PID")
	done
	for o in $RST_LOST $CLEAN_RST; do
		fw_tcpclient "$FW_C" -r -b $((base + o)) -a 1 "$FW_S4" 6379
		pids+=("$FW_LAST_PID")
	done
	fw_tcpclient "$FW_C" -n -b $((base + LEAK)) -a 1 "$FW_S4" 6390
	pids+=("$FW_LAST_PID")
	for p in "${pids[@]}"; do
		fw_wait_pid "$p" 15 || fw_die "a client failed: $(cat "$FW_TMP"/tcpclient.*.out | grep -v '^lport' | head -3)"
	done
	# FINs retried, RSTs gone, the never-closing server past --close-wait.
	sleep 2
}

stop_tracer() { # PID OUT
	kill -INT "$1" 2>/dev/null
	fw_wait_pid "$1" 10 || fw_die "tracer $2 did not stop"
}

# in_run BASE: the client ports (one a line) of this run's connections.
# A later run's log starts with a snapshot that still holds the ghosts of
# earlier runs, and rightly reports them again; they are not this run's.
in_run() {
	awk -v b="$1" '$1 >= b && $1 < b + 100'
}

# check NAME FINDINGS BASE: the verdict of every connection of the run.
check() {
	local n=$1 f=$2 base=$3 v got want tp fp fn lost_want lost_got
	for v in lost_fin lost_rst close_wait_leak ok; do
		case $v in
		lost_fin) want=$(ports "$base" $FIN_BLOCKED $FIN_LOST) ;;
		lost_rst) want=$(ports "$base" $RST_LOST) ;;
		close_wait_leak) want=$(ports "$base" $LEAK) ;;
		ok) want=$(ports "$base" $CLEAN_FIN $CLEAN_RST) ;;
		esac
		got=$(jq -r --arg v "$v" 'select(.type == "finding" and .verdict == $v) | .client | sub(".*:"; "")' "$f" |
			in_run "$base" | sort -n | tr '\n' ' ')
		fw_check "$n/$v" "$got" "$want" "$f"
	done
	# Precision and recall of "this close was lost", for the record.
	lost_want=$(ports "$base" $FIN_BLOCKED $FIN_LOST $RST_LOST)
	lost_got=$(jq -r 'select(.type == "finding" and (.verdict == "lost_fin" or .verdict == "lost_rst")) | .client | sub(".*:"; "")' "$f" |
		in_run "$base" | sort -n | tr '\n' ' ')
	tp=$(comm -12 <(tr ' ' '\n' <<<"$lost_want" | sort) <(tr ' ' '\n' <<<"$lost_got" | sort) | grep -c .)
	fp=$(comm -13 <(tr ' ' '\n' <<<"$lost_want" | sort) <(tr ' ' '\n' <<<"$lost_got" | sort) | grep -c .)
	fn=$(comm -23 <(tr ' ' '\n' <<<"$lost_want" | sort) <(tr ' ' '\n' <<<"$lost_got" | sort) | grep -c .)
	echo "# $n: lost closes: $tp found, $fp false positives, $fn missed (precision $tp/$((tp + fp)), recall $tp/$((tp + fn)))"
	got=$(jq -r 'select(.type == "summary") | .bad_lines' "$f")
	fw_check "$n/no_bad_lines" "$got" 0 "$f"
}

# Two tracers, one per namespace, each with its own host name.
fw_trace_start "$FW_TMP/app1.jsonl" -p 6379 -p 6390 --netns "/run/netns/$FW_C" --host app1 ||
	fw_die "tracer app1 did not start"
app1=$FW_TRACER_PID
fw_trace_start "$FW_TMP/db1.jsonl" -p 6379 -p 6390 --netns "/run/netns/$FW_S" --host db1 ||
	fw_die "tracer db1 did not start"
db1=$FW_TRACER_PID
drive 32000
stop_tracer "$app1" app1
stop_tracer "$db1" db1
"$FINWATCH" correlate --json --all --close-wait 1s "$FW_TMP/app1.jsonl" "$FW_TMP/db1.jsonl" \
	>"$FW_TMP/two.json" 2>"$FW_TMP/two.err"
fw_check correlate/two_tracers/exit "$?" 0 "$FW_TMP/two.err"
check correlate/two_tracers "$FW_TMP/two.json" 32000
# The client of the server that never closes got no FIN: its socket must
# not be reported entering TIME_WAIT (it goes to a FIN_WAIT2 time-wait
# socket, which the kernel reports as a plain move to CLOSE).
got=$(jq -r --argjson p $((32000 + LEAK)) "select(.lport == \$p) | $FW_JQ_TRANSITIONS" "$FW_TMP/app1.jsonl" | tr '\n' ' ')
fw_check correlate/half_closed_is_not_time_wait "$got" "CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>CLOSE " "$FW_TMP/app1.jsonl"
got=$(jq -r 'select(.type == "finding" and .verdict == "lost_fin") | "\(.client_host) \(.server_host) \(.closer) \(.client_comm) \(.server_comm)"' "$FW_TMP/two.json" | sort -u)
fw_check correlate/two_tracers/lost_fin_ends "$got" "app1 db1 client tcpclient redis-server" "$FW_TMP/two.json"

# One tracer that sees both namespaces: the ends differ by netns only.
fw_trace_start "$FW_TMP/both.jsonl" -p 6379 -p 6390 --netns "/run/netns/$FW_C" \
	--netns "/run/netns/$FW_S" --host both || fw_die "tracer both did not start"
both=$FW_TRACER_PID
drive 33000
stop_tracer "$both" both
"$FINWATCH" correlate --json --all --close-wait 1s - <"$FW_TMP/both.jsonl" \
	>"$FW_TMP/one.json" 2>"$FW_TMP/one.err"
fw_check correlate/one_tracer/exit "$?" 0 "$FW_TMP/one.err"
check correlate/one_tracer "$FW_TMP/one.json" 33000
got=$(jq -r --argjson c "$CINO" --argjson s "$SINO" 'select(.type == "finding" and .verdict == "lost_fin") | "\(.client_netns == $c) \(.server_netns == $s)"' "$FW_TMP/one.json" | sort -u)
fw_check correlate/one_tracer/netns_ends "$got" "true true" "$FW_TMP/one.json"

# The same logs, gzipped as logrotate leaves them, give the same verdicts.
gzip -c "$FW_TMP/app1.jsonl" >"$FW_TMP/app1.jsonl.gz"
"$FINWATCH" correlate --json --all --close-wait 1s "$FW_TMP/app1.jsonl.gz" "$FW_TMP/db1.jsonl" \
	>"$FW_TMP/gz.json" 2>/dev/null
fw_check correlate/gzip_same_verdicts "$(jq -c 'select(.type == "finding") | [.verdict, .client]' "$FW_TMP/gz.json" | sort)" \
	"$(jq -c 'select(.type == "finding") | [.verdict, .client]' "$FW_TMP/two.json" | sort)"
