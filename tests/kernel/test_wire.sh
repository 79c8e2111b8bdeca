#!/usr/bin/env bash
# Closes lost on the wire, end to end: a router namespace between the
# client (app1) and the server (db1), each host traced by its own tracer
# (both trace drops), the router by none.
#  (a) The router's forward chain drops the FINs (and RSTs) of some client
#      ports: those are lost_fin with cause lost_in_network (the FIN left
#      the client, retransmitted, and neither host recorded a drop), the
#      others ok, paired by both ISNs; the text names the cause and says
#      the evidence points to the network.
#  (b) The router runs an nft SYN proxy: it answers the client's SYN with
#      a cookie ISN of its own, then opens the connection to the server
#      with the client's ISN and shifts the server's sequence numbers on
#      the way back. The client's ISN reaches the server, the server's
#      never reaches the client (checked on the records first). The ends
#      pair by the one ISN that matches and the mirrored 4-tuple
#      (paired_by isn_half, the evidence says the pairing is weaker), and
#      a FIN lost behind the proxy is still lost_fin, a clean close ok.
#  (c) The same SYN proxy with NAT (masquerade towards the server): no
#      mirrored 4-tuple, the one ISN backed by the moment both ends were
#      established.
#  (d) A relay on the router (tcprelay.c, a full proxy: both directions'
#      ISNs differ, and NAT): nothing pairs, and the FIN the relay never
#      got is incomplete with its reason, never lost_fin.
# shellcheck disable=SC2086 # the port lists are words
. "$(dirname "$0")/lib.sh"

LOST="35000 35001"	# (a) IPv4, FINs dropped on the router
LOST6=35002		# (a) IPv6
CLEAN="35010 35011"	# (a) IPv4 through the same router, clean
CLEAN6=35012
PLOST=35100		# (b) IPv4 through the SYN proxy, FIN dropped on the router
PLOST6=35101
PCLEAN=35110		# (b) through the SYN proxy, clean
PCLEAN6=35111
NLOST=35200		# (c) SYN proxy and NAT, FIN dropped
NCLEAN=35210
RLOST=35300		# (d) through a relay, FIN dropped on the router
RCLEAN=35310
WIRE_CAUSE='something between them (a NAT, firewall or load balancer, or the path) lost it'
WEAKER="paired by one direction's ISN only: the sequence numbers of the server on db1 were rewritten on the way (a SYN proxy, or a firewall randomising ISNs), so the pairing is weaker than by both ISNs"

fw_require
fw_build_tcpclient
fw_netns_routed "$FW_C" "$FW_R" "$FW_S"
fw_redis_start "$FW_S" 6379 "$FW_RS4" "$FW_RS6"
fw_redis_start "$FW_S" 6380 "$FW_RS4" "$FW_RS6"
fw_redis_start "$FW_S" 6381 "$FW_RS4"
fw_redis_start "$FW_S" 6382 "$FW_RS4"
fw_build_helper tcprelay
ip netns exec "$FW_R" "$FW_BUILD/kernel/tcprelay" 198.18.0.254 6382 "$FW_RS4" >"$FW_TMP/relay.out" 2>&1 &
FW_PIDS+=($!)
fw_wait_for 5 grep -q listening "$FW_TMP/relay.out" || fw_die "tcprelay did not start: $(cat "$FW_TMP/relay.out")"
fw_nft_drop "$FW_R" input fin tcp sport "$RLOST"
# One rule a port, so that each port's drops are counted apart.
for p in $LOST $LOST6 $PLOST $PLOST6 $NLOST $RLOST; do
	fw_nft_drop "$FW_R" forward fin tcp sport "$p"
	fw_nft_drop "$FW_R" forward rst tcp sport "$p"
done

# trace_both NAME PORT: a tracer on each host, watching PORT.
trace_both() {
	fw_trace_start "$FW_TMP/$1-app1.jsonl" -p "$2" --netns "/run/netns/$FW_C" --host app1 ||
		fw_die "tracer app1 did not start"
	APP1=$FW_TRACER_PID
	fw_trace_start "$FW_TMP/$1-db1.jsonl" -p "$2" --netns "/run/netns/$FW_S" --host db1 ||
		fw_die "tracer db1 did not start"
	DB1=$FW_TRACER_PID
}

# stop_both NAME: stops both tracers, correlates their logs into NAME.json
# (--all) and NAME.txt (the text report).
stop_both() {
	local n=$1 p
	for p in "$APP1" "$DB1"; do
		kill -INT "$p" 2>/dev/null
		fw_wait_pid "$p" 10 || fw_die "a tracer of $n did not stop"
	done
	"$FINWATCH" correlate --json --all "$FW_TMP/$n-app1.jsonl" "$FW_TMP/$n-db1.jsonl" \
		>"$FW_TMP/$n.json" 2>"$FW_TMP/$n.err"
	fw_check "$n/exit" "$?" 0 "$FW_TMP/$n.err"
	"$FINWATCH" correlate "$FW_TMP/$n-app1.jsonl" "$FW_TMP/$n-db1.jsonl" >"$FW_TMP/$n.txt" 2>&1
}

# connect ADDR SERVER_PORT CLIENT_PORT...: PING from each port, close.
connect() {
	local addr=$1 sport=$2 p
	shift 2
	for p in "$@"; do
		fw_tcpclient "$FW_C" -b "$p" -a 0.2 "$addr" "$sport"
		fw_wait_pid "$FW_LAST_PID" 10 || fw_die "tcpclient from port $p failed: $(cat "$FW_LAST_OUT")"
	done
}

# wait_lost PORT...: the router dropped each port's FIN 3 times (the
# original and two retransmissions).
wait_lost() {
	local p
	for p in "$@"; do
		fw_wait_for 10 fw_nft_dropped_ge "$FW_R" 3 "sport $p " ||
			fw_die "the router dropped $(fw_nft_dropped "$FW_R" "sport $p ") FINs of port $p, expected 3 within 10 s"
	done
}

# findings NAME: "port verdict cause paired_by" per finding, by port.
findings() {
	jq -r 'select(.type == "finding") | "\(.client | sub(".*:"; "")) \(.verdict) \(.cause) \(.paired_by)"' \
		"$FW_TMP/$1.json" | sort -n
}

# expect VERDICT CAUSE PAIRED_BY PORT...: the lines findings prints.
expect() {
	local v=$1 c=$2 by=$3 p
	shift 3
	for p in "$@"; do echo "$p $v $c $by"; done
}

# cause_words FILE: how many findings of the text report have their own
# lost_in_network line.
cause_words() {
	grep -E '^ +cause lost_in_network: the FIN left app1 \(retransmitted [0-9]+ times\) ' "$1" |
		grep -cF ", and neither app1 nor db1 recorded dropping it: $WIRE_CAUSE"
}

# check_drops_traced NAME: both tracers traced drops (kfree_skb), so
# that "no host recorded a drop" means something, and recorded none.
check_drops_traced() {
	local n=$1 f got
	got=$(for f in "$FW_TMP/$n-app1.jsonl" "$FW_TMP/$n-db1.jsonl"; do
		head -n 1 "$f" | jq -r '[.attach[] | select(test("kfree_skb"))] | length > 0'
	done | paste -sd' ')
	fw_check "$n/drops_traced" "$got" "true true"
	got=$(cat "$FW_TMP/$n-app1.jsonl" "$FW_TMP/$n-db1.jsonl" | jq -c 'select(.type == "drop")' | grep -c .)
	fw_check "$n/no_drop_records" "$got" 0
}

# isns NAME CLIENT_PORT: "client_local client_remote server_local
# server_remote", the ISNs of the ESTABLISHED records of both ends.
isns() {
	local c s
	c=$(jq -r --argjson p "$2" 'select(.type == "state" and .newstate == "ESTABLISHED" and .lport == $p) | "\(.isn_local) \(.isn_remote)"' "$FW_TMP/$1-app1.jsonl")
	s=$(jq -r --argjson p "$2" 'select(.type == "state" and .newstate == "ESTABLISHED" and .rport == $p) | "\(.isn_local) \(.isn_remote)"' "$FW_TMP/$1-db1.jsonl")
	echo "$c $s"
}

# check_isn_shifted NAME PORT...: the client's ISN reached the server,
# the server's did not reach the client: the proxy really rewrote it.
check_isn_shifted() {
	local n=$1 p bad='' i
	shift
	for p in "$@"; do
		read -ra i <<<"$(isns "$n" "$p")"
		if [ ${#i[@]} -ne 4 ] || [ "${i[0]}" != "${i[3]}" ] || [ "${i[1]}" = "${i[2]}" ]; then
			bad+=" $p: client ${i[*]:0:2}, server ${i[*]:2:2};"
		fi
	done
	fw_check "$n/isn_shifted_by_proxy" "${bad:-ok}" ok "$FW_TMP/$n-app1.jsonl"
}

# ---------------------------------------------- (a) FINs lost on the wire
trace_both wire 6379
connect "$FW_RS4" 6379 $LOST $CLEAN
connect "$FW_RS6" 6379 $LOST6 $CLEAN6
wait_lost $LOST $LOST6
sleep 1.5
stop_both wire
check_drops_traced wire
fw_check wire/findings "$(findings wire)" "$( {
	expect lost_fin lost_in_network isn $LOST $LOST6
	expect ok null isn $CLEAN $CLEAN6
} | sort -n)" "$FW_TMP/wire.json"
fw_check wire/answer "$(jq -r 'select(.type == "summary") | .answer' "$FW_TMP/wire.json")" network "$FW_TMP/wire.json"
t=$FW_TMP/wire.txt
fw_check wire/text_verdicts "$(grep -c '^verdicts: lost_fin 3 ok 3$' "$t")" 1 "$t"
# The closes come right after a PING: their idle is under the 20 ms the
# kernel's jiffies stamps can tell apart, so it is either "0.0 s" (a
# record written at the FIN) or not given (folded into a later one).
IDLE='( after 0\.0 s idle)?'
fw_check wire/text_cause "$(grep -cE "^  lost_in_network, 3 closes: they left the senders$IDLE and no traced host dropped them: something between the hosts lost them\$" "$t")" 1 "$t"
fw_check wire/text_answer "$(grep -cE "^The evidence points to the network: 3 closes lost$IDLE \(lost_in_network\)\$" "$t")" 1 "$t"
# The IPv6 finding stands alone in the text, with its cause in words.
fw_check wire/text_cause_words "$(cause_words "$t")" 1 "$t"
fw_check wire/router_dropped_no_rst "$(fw_nft_dropped "$FW_R" "rst ")" 0

# ------------------------------------------------- (b) through a SYN proxy
# The client's SYN is not tracked, so that the synproxy statement sees it
# untracked and answers it; its ACK is then INVALID (tcp_loose 0: no
# pickup of a flow from a bare ACK) and the proxy checks its cookie and
# opens the connection to the server.
ip netns exec "$FW_R" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 ||
	fw_die "no conntrack in $FW_R"
ip netns exec "$FW_R" nft -f - <<-NFT || fw_die "nft: cannot load the SYN proxy (nft_synproxy)"
	table inet fwproxy {
		chain prerouting {
			type filter hook prerouting priority raw; policy accept;
			iifname fwr0 tcp dport { 6380, 6381 } tcp flags & (syn | ack) == syn notrack
		}
		chain forward {
			type filter hook forward priority filter; policy accept;
			meta nfproto ipv4 tcp dport { 6380, 6381 } ct state invalid,untracked counter synproxy mss 1460 wscale 7 timestamp sack-perm
			meta nfproto ipv6 tcp dport { 6380, 6381 } ct state invalid,untracked counter synproxy mss 1440 wscale 7 timestamp sack-perm
			tcp dport { 6380, 6381 } ct state invalid counter drop
		}
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname fwr1 tcp dport 6381 masquerade
		}
	}
NFT
trace_both proxy 6380
connect "$FW_RS4" 6380 $PLOST $PCLEAN
connect "$FW_RS6" 6380 $PLOST6 $PCLEAN6
wait_lost $PLOST $PLOST6
# A pair by one ISN calibrates no clock: the server's silence counts
# once its log is past the FIN plus --skew and 1 s.
sleep 3.5
stop_both proxy
check_isn_shifted proxy $PLOST $PCLEAN $PLOST6 $PCLEAN6
check_drops_traced proxy
fw_check proxy/findings "$(findings proxy)" "$( {
	expect lost_fin lost_in_network isn_half $PLOST $PLOST6
	expect ok null isn_half $PCLEAN $PCLEAN6
} | sort -n)" "$FW_TMP/proxy.json"
fw_check proxy/weaker_words "$(jq -r --arg w "$WEAKER" 'select(.type == "finding") | .evidence | endswith("; " + $w)' "$FW_TMP/proxy.json" | paste -sd' ')" \
	"true true true true" "$FW_TMP/proxy.json"
t=$FW_TMP/proxy.txt
fw_check proxy/text_weaker "$(grep -cF "$WEAKER" "$t")" 2 "$t"
fw_check proxy/text_cause_words "$(cause_words "$t")" 2 "$t"
fw_check proxy/text_answer "$(grep -cE "^The evidence points to the network: 2 closes lost$IDLE \(lost_in_network\)\$" "$t")" 1 "$t"

# ------------------------------------------------ (c) SYN proxy and NAT
trace_both nat 6381
connect "$FW_RS4" 6381 $NLOST $NCLEAN
wait_lost $NLOST
sleep 3.5
stop_both nat
check_isn_shifted nat $NLOST $NCLEAN
got=$(jq -r 'select(.type == "state" and .newstate == "ESTABLISHED") | "\(.raddr):\(.rport)"' "$FW_TMP/nat-db1.jsonl" | paste -sd' ')
fw_check nat/server_sees_router "$got" "198.18.1.254:$NLOST 198.18.1.254:$NCLEAN" "$FW_TMP/nat-db1.jsonl"
fw_check nat/findings "$(findings nat)" "$( {
	expect lost_fin lost_in_network isn_half $NLOST
	expect ok null isn_half $NCLEAN
} | sort -n)" "$FW_TMP/nat.json"
fw_check nat/weaker_words "$(jq -r --arg w "$WEAKER" 'select(.type == "finding") | .evidence | endswith("; " + $w)' "$FW_TMP/nat.json" | paste -sd' ')" \
	"true true" "$FW_TMP/nat.json"

# ------------------------------- (d) both directions rewritten, behind NAT
# A relay on the router (a full proxy): each host's ISNs reach only the
# relay. Nothing proves which server end is the client's peer, so a FIN
# the relay never got is no lost_fin but incomplete, with the reason.
trace_both relay 6382
# the relay serves one connection at a time: the one that never ends last
connect 198.18.0.254 6382 $RCLEAN $RLOST
wait_lost $RLOST
sleep 3.5
stop_both relay
got=$(jq -r 'select(.type == "finding") | "\(if .client_host then (.client | sub(".*:"; "")) else "relay" end) \(.verdict) \(.cause) \(.paired_by)"' \
	"$FW_TMP/relay.json" | sort)
# The relay still holds its connection to db1 of the FIN it never got:
# that one is open, truly.
fw_check relay/findings "$got" "$RLOST incomplete null none
$RCLEAN ok null none
relay ok null none
relay open null none" "$FW_TMP/relay.json"
got=$(jq -r --arg p ":$RLOST" 'select(.type == "finding" and (.client | endswith($p))) | .reason' "$FW_TMP/relay.json")
fw_check relay/reason "$got" "FIN still unacknowledged after $(jq -r --arg p ":$RLOST" 'select(.type == "finding" and (.client | endswith($p))) | .close_retrans' "$FW_TMP/relay.json") retransmissions when the log ended; the peer's log has no record of it" "$FW_TMP/relay.json"
# The one end in the logs is the closer: no "other end is still" anything.
got=$(jq -r --arg p ":$RLOST" 'select(.type == "finding" and (.client | endswith($p))) | .surviving_state' "$FW_TMP/relay.json")
fw_check relay/no_survivor "$got" null "$FW_TMP/relay.json"
fw_check relay/text_no_survivor "$(grep -c 'the other end is still FIN_WAIT1' "$FW_TMP/relay.txt")" 0 "$FW_TMP/relay.txt"
fw_check relay/answer "$(jq -r 'select(.type == "summary") | .answer' "$FW_TMP/relay.json")" unknown "$FW_TMP/relay.json"
