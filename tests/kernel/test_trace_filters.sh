#!/usr/bin/env bash
# Filters: --netns (by path and by inode, repeated) keeps the records of
# those namespaces only; -p, repeated, watches exactly those ports.
# Two client/server pairs of namespaces, a redis in each server one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

n=trace_filters
fw_scenario_setup
C1=$FW_C S1=$FW_S C1INO=$CINO S1INO=$SINO R1PID=$REDIS_PID
C2=fwc2-$$ S2=fws2-$$
fw_netns_pair "$C2" "$S2"
fw_redis_start "$S2" 6379
C2INO=$(fw_netns_inode "$C2")

# only_netns NAME OUT INODE...: every record that names a netns names one
# of these, and the start record lists exactly them.
only_netns() {
	local name=$1 out=$2 want
	shift 2
	want=$(printf '%s\n' "$@" | sort -n | jq -s -c .)
	fw_check "$name/start_netns" "$(head -n 1 "$out" | jq -c '.netns | sort')" "$want" "$out"
	jq -c --argjson w "$want" 'select(.type != "start" and (.netns | type) == "number" and (.netns as $i | $w | index($i)) == null)' \
		"$out" >"$FW_TMP/bad"
	if [ -s "$FW_TMP/bad" ]; then
		fw_fail "$name/only_those_netns" "records of other namespaces than $want:" "$FW_TMP/bad"
	else
		fw_pass "$name/only_those_netns"
	fi
}

# server_end NAME OUT SINO CLIENT_LPORTS_NETNS PORT REDIS_PID: the server end
# of the one connection from a client namespace, its sequence and owner.
# The client port is not in the records when only the server is traced:
# it is read from the server's records.
server_end() {
	local name=$1 out=$2 sino=$3 port=$4 rpid=$5 rports sock
	rports=$(jq -r --argjson ns "$sino" --argjson p "$port" \
		"$FW_JQ_CONN"' | select(.netns == $ns and .lport == $p) | .rport' "$out" | sort -u)
	if [ "$(printf '%s' "$rports" | grep -c .)" -ne 1 ]; then
		fw_records_where "$out" ".netns == $sino" >"$FW_TMP/s"
		fw_fail "$name/server_socket" "expected one connection to port $port in netns $sino, client ports: '$(echo $rports)'" "$FW_TMP/s"
		return 1
	fi
	fw_find_sock sock "$out" "$sino" "$FW_S4" "$port" "$FW_C4" "$rports" "$name/server_socket" || return 1
	fw_check_states "$name/server_states" "$out" "$sock" "$FW_SERVER_OPEN $FW_SERVER_CLEAN"
	fw_check_owner "$name/server_owner" "$out" "$sock" "$rpid" redis-server
}

# client_end NAME OUT CINO PORT PID: the client end, likewise.
client_end() {
	local name=$1 out=$2 cino=$3 port=$4 cpid=$5 lports sock
	lports=$(fw_client_lports "$out" "$cino" "$FW_S4" "$port")
	if [ "$(printf '%s' "$lports" | grep -c .)" -ne 1 ]; then
		fw_records_where "$out" ".netns == $cino" >"$FW_TMP/c"
		fw_fail "$name/client_socket" "expected one connection to port $port from netns $cino, local ports: '$(echo $lports)'" "$FW_TMP/c"
		return 1
	fi
	fw_find_sock sock "$out" "$cino" "$FW_C4" "$lports" "$FW_S4" "$port" "$name/client_socket" || return 1
	fw_check_states "$name/client_states" "$out" "$sock" "$FW_CLIENT_CLEAN"
	fw_check_owner "$name/client_owner" "$out" "$sock" "$cpid" redis-cli
}

# 1. One namespace, by path: the server namespace of pair 1.
m=$n/netns_path
out=$FW_TMP/netns_path.jsonl
if fw_trace_start "$out" -p 6379 --netns "/run/netns/$S1"; then
	fw_redis_cli "$C1" "$FW_S4" 6379 PING
	fw_redis_cli "$C2" "$FW_S4" 6379 PING
	fw_trace_stop || fw_die "tracer did not exit within 10 s of SIGINT"
	fw_check_trace_end "$m/trace_end"
	only_netns "$m" "$out" "$S1INO"
	server_end "$m/s1" "$out" "$S1INO" 6379 "$R1PID"
else
	fw_fail "$m" "tracer did not start: $(head -c 500 "$out.stderr")"
fi

# 2. Two namespaces, one by inode, one by path: the client of pair 2 and
# the server of pair 1, each seeing the other pair's end missing.
m=$n/netns_two
out=$FW_TMP/netns_two.jsonl
if fw_trace_start "$out" -p 6379 --netns "$C2INO" --netns "/run/netns/$S1"; then
	fw_redis_cli "$C1" "$FW_S4" 6379 PING
	fw_redis_cli "$C2" "$FW_S4" 6379 PING
	c2pid=$FW_LAST_PID
	fw_trace_stop || fw_die "tracer did not exit within 10 s of SIGINT"
	fw_check_trace_end "$m/trace_end"
	only_netns "$m" "$out" "$S1INO" "$C2INO"
	server_end "$m/s1" "$out" "$S1INO" 6379 "$R1PID"
	client_end "$m/c2" "$out" "$C2INO" 6379 "$c2pid"
else
	fw_fail "$m" "tracer did not start: $(head -c 500 "$out.stderr")"
fi

# 3. Several ports: 6379 and 6380 watched, 6381 not.
m=$n/ports
fw_redis_start "$S1" 6380
R80PID=$FW_LAST_PID
fw_redis_start "$S1" 6381
out=$FW_TMP/ports.jsonl
if fw_trace_start "$out" -p 6380 -p 6379; then
	fw_check "$m/start_ports" "$(head -n 1 "$out" | jq -c '.ports | sort')" '[6379,6380]' "$out"
	fw_redis_cli "$C1" "$FW_S4" 6379 PING
	p79=$FW_LAST_PID
	fw_redis_cli "$C1" "$FW_S4" 6380 PING
	p80=$FW_LAST_PID
	fw_redis_cli "$C1" "$FW_S4" 6381 PING
	fw_trace_stop || fw_die "tracer did not exit within 10 s of SIGINT"
	fw_check_trace_end "$m/trace_end"
	client_end "$m/6379" "$out" "$C1INO" 6379 "$p79"
	server_end "$m/6379" "$out" "$S1INO" 6379 "$R1PID"
	client_end "$m/6380" "$out" "$C1INO" 6380 "$p80"
	server_end "$m/6380" "$out" "$S1INO" 6380 "$R80PID"
	jq -c --argjson c "$C1INO" --argjson s "$S1INO" \
		'select((.netns == $c or .netns == $s) and (.lport == 6381 or .rport == 6381))' "$out" >"$FW_TMP/bad"
	if [ -s "$FW_TMP/bad" ]; then
		fw_fail "$m/port_6381_absent" "records of the unwatched port 6381:" "$FW_TMP/bad"
	else
		fw_pass "$m/port_6381_absent"
	fi
else
	fw_fail "$m" "tracer did not start: $(head -c 500 "$out.stderr")"
fi
