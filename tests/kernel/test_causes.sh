#!/usr/bin/env bash
# The cause of a lost close, end to end. The client's namespace runs
# conntrack with a 3 s nf_conntrack_tcp_timeout_established and a
# `ct state invalid drop` rule on its output: a connection idle past 3 s
# has its FIN refused as INVALID and dropped (conntrack_invalid), one that
# closes within 3 s closes cleanly, and a plain rule that drops one port's
# FINs while conntrack still tracks the flow is a firewall_rule. One
# tracer sees both namespaces; the correlator must name each cause with
# the host's own timeout, and its advice must say keepalive helps (below a
# sane floor: raise the timeout) and paste no sysctl under 10 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

IDLE_LOST=34000	 # idles 5 s, then closes: conntrack forgot the flow
IDLE_CLEAN=34001 # closes after 1 s: still tracked, closes cleanly
RULE=34010	 # a plain rule drops its FINs, conntrack tracking it

fw_scenario_setup
ip netns exec "$FW_C" nft add table inet fwtest
ip netns exec "$FW_C" nft add chain inet fwtest output \
	'{ type filter hook output priority 0; policy accept; }' ||
	fw_die "nft: cannot add the output chain"
ip netns exec "$FW_C" nft add rule inet fwtest output tcp sport "$IDLE_LOST-$IDLE_CLEAN" \
	ct state invalid counter drop || fw_die "nft: cannot add the invalid rule"
ip netns exec "$FW_C" nft add rule inet fwtest output tcp sport "$RULE" \
	tcp flags \& fin == fin counter drop || fw_die "nft: cannot add the FIN rule"
ip netns exec "$FW_C" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=3 ||
	fw_die "no conntrack in $FW_C"

out=$FW_TMP/causes.jsonl
fw_start_checked causes "$out" ring -p 6379 || exit 1
fw_tcpclient "$FW_C" -b "$IDLE_LOST" -w 5 -a 1 "$FW_S4" 6379
p1=$FW_LAST_PID
fw_tcpclient "$FW_C" -b "$IDLE_CLEAN" -w 1 -a 1 "$FW_S4" 6379
p2=$FW_LAST_PID
fw_tcpclient "$FW_C" -b "$RULE" -w 1 -a 1 "$FW_S4" 6379
p3=$FW_LAST_PID
for p in "$p1" "$p2" "$p3"; do
	fw_wait_pid "$p" 15 || fw_die "a client failed"
done
# a few tries of each dropped FIN, then the logs end
fw_wait_for 10 fw_nft_dropped_ge "$FW_C" 4 || fw_die "nft dropped no FIN"
fw_stop_checked causes || exit 1

"$FINWATCH" correlate --json "$out" >"$FW_TMP/json" 2>"$FW_TMP/json.err" ||
	fw_die "correlate failed: $(cat "$FW_TMP/json.err")"
"$FINWATCH" correlate "$out" >"$FW_TMP/text" 2>&1

finding() { # PORT: verdict cause cause_host of the finding of that client port
	jq -r --arg p ":$1" 'select(.type == "finding" and (.client | endswith($p))) |
		"\(.verdict) \(.cause) \(.cause_host)"' "$FW_TMP/json"
}
host=$(head -n 1 "$out" | jq -r .host)
fw_check causes/conntrack_invalid "$(finding "$IDLE_LOST")" \
	"lost_fin conntrack_invalid $host" "$FW_TMP/json"
fw_check causes/clean_within_timeout "$(finding "$IDLE_CLEAN")" "" "$FW_TMP/json"
fw_check causes/firewall_rule "$(finding "$RULE")" \
	"lost_fin firewall_rule $host" "$FW_TMP/json"
fw_check causes/own_numbers "$(grep -c "conntrack on $host forgets an idle flow after 3 s (nf_conntrack_tcp_timeout_established); the FIN came after" "$FW_TMP/text")" 1 "$FW_TMP/text"
fw_check causes/keepalive_helps "$(grep -c 'Keepalive helps here' "$FW_TMP/text")" 1 "$FW_TMP/text"
fw_check causes/no_sysctl_below_floor "$(grep -c 'tcp_keepalive_time=' "$FW_TMP/text")" 0 "$FW_TMP/text"
fw_check causes/answer "$(jq -r 'select(.type == "summary") | .answer' "$FW_TMP/json")" network "$FW_TMP/json"
