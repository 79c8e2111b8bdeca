# shellcheck shell=bash
# Scenarios shared by several kernel tests: a clean close and a lost FIN,
# over IPv4 or IPv6. Source after lib.sh, once fw_scenario_setup has built
# the namespaces and started redis.

# The server port of the connections checked by fw_find_conn/fw_check_conn.
FW_SPORT=6379

# fw_scenario_setup: the client and server namespaces, redis on 6379.
fw_scenario_setup() {
	fw_require
	fw_build_tcpclient
	fw_netns_pair "$FW_C" "$FW_S"
	fw_redis_start "$FW_S" 6379
	REDIS_PID=$FW_LAST_PID
	CINO=$(fw_netns_inode "$FW_C")
	SINO=$(fw_netns_inode "$FW_S")
}

# fw_addrs FAMILY: sets CADDR and SADDR.
fw_addrs() {
	if [ "$1" = 6 ]; then
		CADDR=$FW_C6
		SADDR=$FW_S6
	else
		CADDR=$FW_C4
		SADDR=$FW_S4
	fi
}

# fw_start_checked NAME OUT TRANSPORT [OPTIONS...]: starts the tracer and
# checks its start record. Returns 1 when it did not start.
fw_start_checked() {
	local n=$1 out=$2 transport=$3
	shift 3
	if ! fw_trace_start "$out" --transport "$transport" "$@"; then
		fw_fail "$n" "tracer did not start: $(head -c 500 "$out.stderr")"
		return 1
	fi
	if head -n 1 "$out" | jq -e --arg t "$transport" \
		'.v == 2 and (.stream == "all-states" or .stream == "folded") and .transport == $t and .ports == [6379] and .netns == [] and (.attach | type) == "array" and (.version | type) == "string"' >/dev/null; then
		fw_pass "$n/start_record"
	else
		head -n 1 "$out" >"$FW_TMP/start"
		fw_fail "$n/start_record" "expected v 2, transport $transport, ports [6379], netns [], attach and version" "$FW_TMP/start"
	fi
}

# fw_stop_checked NAME: stops the tracer, checks how it ended.
fw_stop_checked() {
	local n=$1
	if ! fw_trace_stop; then
		fw_fail "$n" "tracer did not exit within 10 s of SIGINT"
		return 1
	fi
	fw_check_trace_end "$n/trace_end"
}

# fw_find_conn NAME OUT FAMILY LPORT: sets CSOCK and SSOCK, the client's
# and the server's socket of the connection from CADDR:LPORT to SADDR:6379.
fw_find_conn() {
	local n=$1 out=$2 lport=$4
	fw_addrs "$3"
	CSOCK=
	SSOCK=
	fw_find_sock CSOCK "$out" "$CINO" "$CADDR" "$lport" "$SADDR" "$FW_SPORT" "$n/client_socket" || return 1
	fw_find_sock SSOCK "$out" "$SINO" "$SADDR" "$FW_SPORT" "$CADDR" "$lport" "$n/server_socket" || return 1
}

# fw_check_conn NAME OUT FAMILY LPORT CLIENT_PID CLIENT_COMM CLIENT_STATES
# SERVER_STATES: finds both ends and checks what every connection shows:
# exact state sequences, 4-tuples, roles, owners, active_open, ISNs.
fw_check_conn() {
	local n=$1 out=$2 fam=$3 lport=$4 cpid=$5 ccomm=$6 cstates=$7 sstates=$8
	fw_find_conn "$n" "$out" "$fam" "$lport" || return 1
	fw_check_states "$n/client_states" "$out" "$CSOCK" "$cstates"
	fw_check_states "$n/server_states" "$out" "$SSOCK" "$sstates"
	fw_check_tuple "$n/client_tuple" "$out" "$CSOCK" "$fam" "$CADDR" "$lport" "$SADDR" "$FW_SPORT" client
	fw_check_tuple "$n/server_tuple" "$out" "$SSOCK" "$fam" "$SADDR" "$FW_SPORT" "$CADDR" "$lport" server
	fw_check_owner "$n/client_owner" "$out" "$CSOCK" "$cpid" "$ccomm"
	fw_check_owner "$n/server_owner" "$out" "$SSOCK" "$REDIS_PID" redis-server
	fw_check_all "$n/client_active_open" "$out" "$CSOCK" '.active_open == true' \
		"client records must say active_open true"
	fw_check_all "$n/server_passive_open" "$out" "$SSOCK" '.active_open == false' \
		"server records must say active_open false"
	fw_check_isn "$n/isn_mirrored" "$out" "$CSOCK" "$SSOCK"
	fw_check_ages "$n/client_ages" "$out" "$CSOCK"
	fw_check_ages "$n/server_ages" "$out" "$SSOCK"
}

# fw_scenario_clean_close NAME TRANSPORT FAMILY: redis-cli PING, the client
# closes first, the server follows.
fw_scenario_clean_close() {
	local n=$1 transport=$2 fam=$3 out cpid lports
	out=$FW_TMP/${n//\//_}.jsonl
	fw_addrs "$fam"
	fw_start_checked "$n" "$out" "$transport" -p 6379 || return

	fw_redis_cli "$FW_C" "$SADDR" 6379 PING
	cpid=$FW_LAST_PID
	[ "$(cat "$FW_LAST_OUT")" = PONG ] || fw_die "redis-cli PING failed: $(cat "$FW_LAST_OUT")"
	fw_stop_checked "$n" || return

	lports=$(fw_client_lports "$out" "$CINO" "$SADDR" 6379)
	if [ "$(printf '%s' "$lports" | grep -c .)" -ne 1 ]; then
		fw_records_where "$out" ".netns == $CINO" >"$FW_TMP/c"
		fw_fail "$n" "expected one client connection in netns $CINO to $SADDR:6379, local ports: '$(echo $lports)'" "$FW_TMP/c"
		return
	fi
	fw_check_conn "$n" "$out" "$fam" "$lports" "$cpid" redis-cli \
		"$FW_CLIENT_CLEAN" "$FW_SERVER_OPEN $FW_SERVER_CLEAN" || return
	fw_check_closed "$n/client_closed" "$out" "$CSOCK"
	fw_check_closed "$n/server_closed" "$out" "$SSOCK"
	fw_check_none "$n/client_no_resets_retransmits" "$out" "$CSOCK" \
		'.type == "retransmit" or .type == "reset_sent" or .type == "reset_received"' \
		"a clean close over veth has no retransmission or reset"
	fw_check_none "$n/server_no_resets_retransmits" "$out" "$SSOCK" \
		'.type == "retransmit" or .type == "reset_sent" or .type == "reset_received"' \
		"a clean close over veth has no retransmission or reset"
}

# fw_scenario_lost_fin NAME TRANSPORT FAMILY LOST_PORT CLEAN_PORT: two
# tcpclient connections, from LOST_PORT and from CLEAN_PORT; an nft rule
# loses every FIN from LOST_PORT on its way to the server. The client
# closes both right after PING.
fw_scenario_lost_fin() {
	local n=$1 transport=$2 fam=$3 lp=$4 cp=$5 out lpid cpid d1 d2 k v
	out=$FW_TMP/${n//\//_}.jsonl
	fw_addrs "$fam"
	fw_nft_lose "$FW_S" fin tcp sport "$lp"
	fw_start_checked "$n" "$out" "$transport" -p 6379 || return

	fw_tcpclient "$FW_C" -b "$lp" "$SADDR" 6379
	lpid=$FW_LAST_PID
	fw_wait_pid "$lpid" 10 || fw_die "tcpclient from port $lp failed: $(cat "$FW_LAST_OUT")"
	fw_tcpclient "$FW_C" -b "$cp" "$SADDR" 6379
	cpid=$FW_LAST_PID
	fw_wait_pid "$cpid" 10 || fw_die "tcpclient from port $cp failed: $(cat "$FW_LAST_OUT")"
	# The original FIN and two retransmissions lost (RTO 200 ms, then 400).
	fw_wait_for 10 fw_nft_dropped_ge "$FW_S" 3 "sport $lp " ||
		fw_die "nft lost $(fw_nft_dropped "$FW_S" "sport $lp ") FINs from port $lp, expected 3 within 10 s"
	# What the kernel itself says, so that the test checks the tracer
	# against a scene known to be right.
	v=$(fw_ss_state "$FW_C" "$CADDR" "$lp" "$SADDR" 6379)
	[ "$v" = FIN-WAIT-1 ] || fw_die "ss: client from port $lp is '$v', not FIN-WAIT-1"
	v=$(fw_ss_state "$FW_S" "$SADDR" 6379 "$CADDR" "$lp")
	[ "$v" = ESTAB ] || fw_die "ss: server end of port $lp is '$v', not ESTAB"
	v=$(fw_ss_state "$FW_C" "$CADDR" "$cp" "$SADDR" 6379)
	[ "$v" = TIME-WAIT ] || fw_die "ss: client from port $cp is '$v', not TIME-WAIT"
	sleep 0.5
	d1=$(fw_nft_dropped "$FW_S" "sport $lp ")
	fw_stop_checked "$n" || return
	d2=$(fw_nft_dropped "$FW_S" "sport $lp ")
	# The rule stays: the orphan keeps retransmitting until cleanup.

	fw_check_conn "$n/lost" "$out" "$fam" "$lp" "$lpid" tcpclient \
		'CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1' \
		"$FW_SERVER_OPEN SYN_RECV>ESTABLISHED" || return
	# Every FIN the kernel retransmitted is reported, none more: d1 - 1
	# were sent before the tracer was stopped, d2 - 1 at most by the end.
	fw_sock_records "$out" "$CSOCK" | jq -c 'select(.type == "retransmit")' >"$FW_TMP/rtx"
	k=$(grep -c . "$FW_TMP/rtx")
	if [ "$k" -lt 1 ] || [ "$k" -lt $((d1 - 1)) ] || [ "$k" -gt $((d2 - 1)) ]; then
		fw_sock_records "$out" "$CSOCK" >"$FW_TMP/rtx"
		fw_fail "$n/lost/fin_retransmits" "$k retransmit records; the kernel retransmitted the FIN $((d1 - 1)) to $((d2 - 1)) times (nft lost $d1, $d2 FINs)" "$FW_TMP/rtx"
	else
		fw_pass "$n/lost/fin_retransmits"
	fi
	v=$(jq -s -c 'map(select((.tcp_flags | type) != "string" or (.tcp_flags | split("|") | index("FIN")) == null or .oldstate != "FIN_WAIT1" or .newstate != "FIN_WAIT1"))' "$FW_TMP/rtx")
	if [ "$k" -gt 0 ] && [ "$v" = '[]' ]; then
		fw_pass "$n/lost/fin_retransmit_records"
	else
		fw_fail "$n/lost/fin_retransmit_records" "expected tcp_flags with FIN and FIN_WAIT1>FIN_WAIT1 in each retransmit record; not so:" "$FW_TMP/rtx"
	fi
	v=$(jq -s -r '[.[].close_retrans] | if length > 0 and . == [range(1; length + 1)] then "ok" else tostring end' "$FW_TMP/rtx")
	fw_check "$n/lost/close_retrans_counts" "$v" ok "$FW_TMP/rtx"
	fw_check_none "$n/lost/client_not_closed" "$out" "$CSOCK" '.type == "close" and .via == "destroy"' \
		"the client is an orphan in FIN_WAIT1, not destroyed yet"
	fw_check_none "$n/lost/server_untouched" "$out" "$SSOCK" \
		'.type != "state" and .type != "close" or .newstate == "CLOSE_WAIT" or (.type == "close" and .via == "destroy")' \
		"the server got no FIN: no CLOSE_WAIT, no reset, no retransmission, no destroy"

	fw_check_conn "$n/clean" "$out" "$fam" "$cp" "$cpid" tcpclient \
		"$FW_CLIENT_CLEAN" "$FW_SERVER_OPEN $FW_SERVER_CLEAN" || return
	fw_check_none "$n/clean/no_retransmits" "$out" "$CSOCK" '.type == "retransmit"' \
		"the FIN from port $cp is not lost"
	fw_check_closed "$n/clean/server_closed" "$out" "$SSOCK"
}

# fw_scenario_fin_blocked NAME TRANSPORT FAMILY PORT: the client's own
# output hook drops its FINs (nft in the client namespace). The kernel
# then never counts the FIN as sent: it re-sends it from the probe timer,
# not through tcp_retransmit_skb, so the client sits in FIN_WAIT1 with no
# retransmission to report, and the server stays ESTABLISHED. Each try
# is dropped by the client's host itself, and the tracer reports every
# one as a "drop" record (skb:kfree_skb, reason NETFILTER_DROP): exactly
# as many as nft counted.
fw_scenario_fin_blocked() {
	local n=$1 transport=$2 fam=$3 lp=$4 out lpid v drops_before drops_after
	out=$FW_TMP/${n//\//_}.jsonl
	fw_addrs "$fam"
	fw_nft_drop_fin "$FW_C" tcp sport "$lp"
	fw_start_checked "$n" "$out" "$transport" -p 6379 || return

	fw_tcpclient "$FW_C" -b "$lp" "$SADDR" 6379
	lpid=$FW_LAST_PID
	fw_wait_pid "$lpid" 10 || fw_die "tcpclient from port $lp failed: $(cat "$FW_LAST_OUT")"
	fw_wait_for 10 fw_nft_dropped_ge "$FW_C" 3 "sport $lp " ||
		fw_die "nft dropped $(fw_nft_dropped "$FW_C" "sport $lp ") FINs from port $lp, expected 3 within 10 s"
	v=$(fw_ss_state "$FW_C" "$CADDR" "$lp" "$SADDR" 6379)
	[ "$v" = FIN-WAIT-1 ] || fw_die "ss: client from port $lp is '$v', not FIN-WAIT-1"
	v=$(fw_ss_state "$FW_S" "$SADDR" 6379 "$CADDR" "$lp")
	[ "$v" = ESTAB ] || fw_die "ss: server end of port $lp is '$v', not ESTAB"
	drops_before=$(fw_nft_dropped "$FW_C" "sport $lp ")
	fw_stop_checked "$n" || return
	drops_after=$(fw_nft_dropped "$FW_C" "sport $lp ")

	fw_check_conn "$n" "$out" "$fam" "$lp" "$lpid" tcpclient \
		'CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1' \
		"$FW_SERVER_OPEN SYN_RECV>ESTABLISHED" || return
	fw_check_none "$n/no_retransmit" "$out" "$CSOCK" '.type == "retransmit"' \
		"the kernel retransmitted nothing (the FIN never left: it is re-sent by the probe timer)"
	fw_check_none "$n/server_untouched" "$out" "$SSOCK" \
		'.type != "state" and .type != "close" or .newstate == "CLOSE_WAIT" or (.type == "close" and .via == "destroy")' \
		"the server got no FIN: no CLOSE_WAIT, no reset, no retransmission, no destroy"
	fw_check_fin_drops "$n/drops" "$out" "$CSOCK" "$drops_before" "$drops_after"
}

# fw_check_fin_drops NAME FILE SOCK MIN MAX: SOCK has between MIN and MAX
# "drop" records (nft's count before and after the tracer stopped), each
# an outgoing FIN dropped by netfilter in FIN_WAIT1, numbered 1, 2, ...
fw_check_fin_drops() {
	local name=$1 file=$2 sock=$3 min=$4 max=$5 recs n bad
	recs=$(jq -c --argjson s "$sock" 'select(.type == "drop" and .sock == $s)' "$file")
	n=$(printf '%s' "$recs" | grep -c .)
	bad=$(printf '%s\n' "$recs" | jq -c -s '[to_entries[] | select(
		.value.close_drops != .key + 1 or .value.direction != "out" or
		.value.reason != "NETFILTER_DROP" or .value.oldstate != "FIN_WAIT1" or
		(.value.tcp_flags | split("|") | index("FIN")) == null)] | length')
	if [ "$n" -lt "$min" ] || [ "$n" -gt "$max" ] || [ "$n" -lt 3 ] || [ "$bad" != 0 ]; then
		printf '%s\n' "$recs" >"$FW_TMP/drops"
		fw_fail "$name" "expected $min..$max numbered FIN drop records (nft counted that many), got $n, $bad malformed" "$FW_TMP/drops"
	else
		fw_pass "$name"
	fi
}
