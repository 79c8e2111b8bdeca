#!/usr/bin/env bash
# finwatch snapshot: connections opened before any finwatch runs are
# listed with their owners, keepalive settings and sequence numbers; the
# tcp iterator and sock_diag agree on them; --check flags the idle ones
# that nothing will ever reap; and a trace starts with the same baseline.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

n=snapshot
fw_scenario_setup

# Three clients, all before any finwatch: no keepalive, SO_KEEPALIVE with
# the namespace's defaults, and SO_KEEPALIVE with TCP_KEEPIDLE 42.
declare -A kopt=([31001]="" [31002]="-k 0" [31003]="-k 42")
declare -A kpid=()
for lp in 31001 31002 31003; do
	# shellcheck disable=SC2086
	fw_tcpclient "$FW_C" ${kopt[$lp]} -b "$lp" -w 60 "$FW_S4" 6379
	kpid[$lp]=$FW_LAST_PID
done
server_established() { # LPORT
	[ "$(fw_ss_state "$FW_S" "$FW_S4" 6379 "$FW_C4" "$1")" = ESTAB ]
}
for lp in 31001 31002 31003; do
	fw_wait_for 5 server_established "$lp" || fw_die "client from port $lp did not connect"
done
sleep 1.2 # idle for --check --idle 1s

snap=$FW_TMP/snap.jsonl
"$FINWATCH" snapshot --json >"$snap" 2>"$FW_TMP/snap.err" ||
	fw_die "finwatch snapshot failed: $(cat "$FW_TMP/snap.err")"

# conn LPORT ROLE: the snapshot record of that end of the connection.
conn() {
	local lp=$1 role=$2
	if [ "$role" = client ]; then
		jq -c --argjson ns "$CINO" --argjson p "$lp" \
			'select(.type == "snapshot" and .netns == $ns and .lport == $p)' "$snap"
	else
		jq -c --argjson ns "$SINO" --argjson p "$lp" \
			'select(.type == "snapshot" and .netns == $ns and .rport == $p and .lport == 6379)' "$snap"
	fi
}

for lp in 31001 31002 31003; do
	c=$(conn "$lp" client)
	s=$(conn "$lp" server)
	case $lp in
	31001) want='false,0' ;;
	31002) want='true,7200' ;;
	31003) want='true,42' ;;
	esac
	got=$(jq -r '"\(.keepalive),\(if .keepalive then .keepalive_idle_s else 0 end)"' <<<"$c")
	fw_check "$n/$lp/client_keepalive" "$got" "$want"
	got=$(jq -r '"\(.state) \(.role) \(.comm) \(.pid) \(.laddr) \(.raddr) \(.rport)"' <<<"$c")
	want="ESTABLISHED client tcpclient ${kpid[$lp]} $FW_C4 $FW_S4 6379"
	fw_check "$n/$lp/client_socket" "$got" "$want"
	got=$(jq -r '"\(.state) \(.role) \(.comm) \(.pid) \(.keepalive) \(.user_timeout_ms) \(.sndq) \(.rcvq)"' <<<"$s")
	want="ESTABLISHED server redis-server $REDIS_PID false 0 0 0"
	fw_check "$n/$lp/server_socket" "$got" "$want"
	got=$(jq -s -r '"\(.[0].isn_local == .[1].isn_remote and .[0].isn_remote == .[1].isn_local and .[0].isn_local != null)"' <<<"$c$s")
	fw_check "$n/$lp/isn_mirrored" "$got" true
	got=$(jq -r '.last_recv_ms >= 1000 and .last_recv_ms < 60000' <<<"$s")
	fw_check "$n/$lp/server_idle_1s_to_60s" "$got" true
done

# The tcp iterator and sock_diag see the same sockets the same way. The
# socket ids are the kernel's cookies, except for accepted sockets whose
# cookie was cloned from their listener (6.1): the iterator numbers those
# itself (2^52 and up), and only the others are compared.
key='[.netns, .state, .laddr, .lport, .raddr, .rport, .pid, .comm, (if .sock < 4503599627370496 then .sock else "own" end), .keepalive, .sndq, .rcvq] | @json'
iter=$("$FINWATCH" snapshot --json --source iter --netns "$CINO" --netns "$SINO" | jq -r "select(.type == \"snapshot\") | $key" | sort)
diag=$("$FINWATCH" snapshot --json --source sock_diag --netns "$CINO" --netns "$SINO" | jq -r "select(.type == \"snapshot\") | $key" | sort)
# Where the iterator gave its own id, sock_diag has the listener's cookie.
owns=$(printf '%s\n' "$iter" | grep -c '"own"')
if [ "$owns" -gt 0 ]; then
	cookie='[.[0:8][], .[9:][]] | @json'
	iter=$(printf '%s\n' "$iter" | jq -r "$cookie" | sort)
	diag=$(printf '%s\n' "$diag" | jq -r "$cookie" | sort)
fi
printf '%s\n' "$iter" >"$FW_TMP/iter"
printf '%s\n' "$diag" >"$FW_TMP/diag"
nsock=$(grep -c . "$FW_TMP/iter")
if [ "$iter" = "$diag" ] && [ "$nsock" -ge 8 ]; then
	fw_pass "$n/iter_equals_sock_diag"
else
	diff "$FW_TMP/iter" "$FW_TMP/diag" >"$FW_TMP/diff"
	fw_fail "$n/iter_equals_sock_diag" "$nsock sockets from the iterator; the two differ:" "$FW_TMP/diff"
fi

# --check on the server: its three connections are idle past 1s and have
# no keepalive (redis' tcp-keepalive 0), so nothing will ever reap them.
"$FINWATCH" snapshot --check --idle 1s --json --netns "$SINO" >"$FW_TMP/check" 2>"$FW_TMP/check.err"
rc=$?
got=$(jq -r 'select(.type == "snapshot") | .rport' "$FW_TMP/check" | sort | tr '\n' ' ')
fw_check "$n/check_flags_idle" "$rc $got" "1 31001 31002 31003 " "$FW_TMP/check.err"
fw_check "$n/check_advice" "$(grep -c "CONFIG SET tcp-keepalive" "$FW_TMP/check.err")" 1 "$FW_TMP/check.err"
"$FINWATCH" snapshot --check --idle 1h --netns "$SINO" >/dev/null 2>&1
fw_check "$n/check_clean_exit" "$?" 0
# On the client the ones with keepalive are not flagged.
"$FINWATCH" snapshot --check --idle 1s --json --netns "$CINO" >"$FW_TMP/check2" 2>/dev/null
got=$(jq -r 'select(.type == "snapshot") | .lport' "$FW_TMP/check2" | tr '\n' ' ')
fw_check "$n/check_keepalive_spared" "$got" "31001 "

# A trace begins with the same baseline.
tr=$FW_TMP/trace.jsonl
"$FINWATCH" trace --json "${FW_STREAM_ARGS[@]}" -d 1 --netns "$SINO" >"$tr" 2>"$FW_TMP/trace.err"
# (The folded stream ends with a pass of its own: only the first counts.)
got=$(jq -r 'select(.type == "snapshot" and .snap == 1 and .state == "ESTABLISHED") | .rport' "$tr" | sort | tr '\n' ' ')
end=$(jq -r 'select(.type == "snapshot_end" and .snap == 1) | "\(.snap) \(.count)"' "$tr")
nrec=$(jq -r 'select(.type == "snapshot" and .snap == 1) | .type' "$tr" | grep -c .)
first=$(head -n 1 "$tr" | jq -r .type)
fw_check "$n/trace_baseline" "$first|$got|$end" "start|31001 31002 31003 |1 $nrec" "$tr"

# A connection older than the trace, closed during it: its server end's
# move to CLOSE_WAIT runs in softirq, under whatever task was interrupted;
# the owner named by the baseline (through /proc or task_file) is the one
# the record must carry.
tr2=$FW_TMP/trace2.jsonl
fw_trace_start "$tr2" --netns "/run/netns/$FW_S" || fw_die "tracer did not start"
kill "${kpid[31001]}"
close_wait_seen() { grep -q '"newstate":"CLOSE_WAIT"' "$tr2"; }
fw_wait_for 5 close_wait_seen
fw_trace_stop
got=$(jq -r 'select(.type == "state" and .rport == 31001 and .newstate == "CLOSE_WAIT") | "\(.comm) \(.pid)"' "$tr2")
fw_check "$n/seeded_owner_in_softirq" "$got" "redis-server $REDIS_PID" "$tr2"
