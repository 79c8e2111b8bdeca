#!/usr/bin/env bash
# A lost RST: the client closes abortively (SO_LINGER 0, so the kernel
# sends a RST instead of a FIN) and the RST is lost on its way to the
# server, which stays ESTABLISHED just as after a lost FIN. A second
# connection closed the same way, whose RST arrives, is torn down on both
# ends. (An abortive close reaches tcp:tcp_send_reset with the socket
# already in CLOSE, and the socket's addresses are cleared by
# tcp_disconnect() before tcp:tcp_destroy_sock: checked on 6.18.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

n=trace_lost_rst
fw_scenario_setup
lp=30001 cp=30002
out=$FW_TMP/lost_rst.jsonl
fw_nft_lose "$FW_S" rst tcp sport "$lp"
fw_start_checked "$n" "$out" ring -p 6379 || exit 0

fw_tcpclient "$FW_C" -r -b "$lp" "$FW_S4" 6379
lpid=$FW_LAST_PID
fw_wait_pid "$lpid" 10 || fw_die "tcpclient from port $lp failed: $(cat "$FW_LAST_OUT")"
fw_tcpclient "$FW_C" -r -b "$cp" "$FW_S4" 6379
cpid=$FW_LAST_PID
fw_wait_pid "$cpid" 10 || fw_die "tcpclient from port $cp failed: $(cat "$FW_LAST_OUT")"
# The server of the second one is gone once redis has closed it.
server_gone() { [ -z "$(fw_ss_state "$FW_S" "$FW_S4" 6379 "$FW_C4" "$cp")" ]; }
fw_wait_for 5 server_gone ||
	fw_die "ss: server end of port $cp is still '$(fw_ss_state "$FW_S" "$FW_S4" 6379 "$FW_C4" "$cp")'"
v=$(fw_nft_dropped "$FW_S" "sport $lp ")
[ "$v" -eq 1 ] || fw_die "nft lost $v RSTs from port $lp, expected 1"
v=$(fw_ss_state "$FW_S" "$FW_S4" 6379 "$FW_C4" "$lp")
[ "$v" = ESTAB ] || fw_die "ss: server end of port $lp is '$v', not ESTAB"
[ -z "$(fw_ss_state "$FW_C" "$FW_C4" "$lp" "$FW_S4" 6379)" ] || fw_die "ss: client from port $lp still exists"
fw_stop_checked "$n" || exit 0

# reset_sent NAME SOCK: exactly one reset_sent record, in CLOSE (its
# tcp_flags, optional for this type, name RST).
reset_sent() {
	fw_sock_records "$out" "$2" >"$FW_TMP/rst"
	v=$(jq -s -r 'map(select(.type == "reset_sent")) |
		if length != 1 then "\(length) reset_sent records"
		elif .[0].oldstate != "CLOSE" or .[0].newstate != "CLOSE" then "reset_sent in \(.[0].oldstate)>\(.[0].newstate), not CLOSE>CLOSE"
		elif .[0].tcp_flags != null and (.[0].tcp_flags | split("|") | index("RST")) == null then "tcp_flags without RST"
		else "ok" end' "$FW_TMP/rst")
	fw_check "$1" "$v" ok "$FW_TMP/rst"
}

fw_check_conn "$n/lost" "$out" 4 "$lp" "$lpid" tcpclient \
	'CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>CLOSE' \
	"$FW_SERVER_OPEN SYN_RECV>ESTABLISHED" || exit 0
reset_sent "$n/lost/client_reset_sent" "$CSOCK"
fw_check_closed "$n/lost/client_closed" "$out" "$CSOCK"
fw_check_none "$n/lost/server_untouched" "$out" "$SSOCK" \
	'.type != "state" or .newstate != "ESTABLISHED" and .newstate != "SYN_RECV"' \
	"the server got no RST: nothing after ESTABLISHED"

fw_check_conn "$n/delivered" "$out" 4 "$cp" "$cpid" tcpclient \
	'CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>CLOSE' \
	"$FW_SERVER_OPEN SYN_RECV>ESTABLISHED ESTABLISHED>CLOSE" || exit 0
reset_sent "$n/delivered/client_reset_sent" "$CSOCK"
fw_check_closed "$n/delivered/client_closed" "$out" "$CSOCK"
fw_sock_records "$out" "$SSOCK" >"$FW_TMP/rr"
v=$(jq -s -r 'map(select(.type == "reset_received")) |
	if length != 1 then "\(length) reset_received records"
	elif .[0].oldstate != "ESTABLISHED" or .[0].newstate != "ESTABLISHED" then "reset_received in \(.[0].oldstate)>\(.[0].newstate), not ESTABLISHED>ESTABLISHED"
	else "ok" end' "$FW_TMP/rr")
fw_check "$n/delivered/server_reset_received" "$v" ok "$FW_TMP/rr"
fw_check_closed "$n/delivered/server_closed" "$out" "$SSOCK"
