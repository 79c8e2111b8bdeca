#!/usr/bin/env bash
# What becomes of a ghost, end to end (issue 15, points 2 and 4). One
# client namespace (app*) and one server namespace (db*), three redis
# servers in the server namespace, each case traced on both hosts by its
# own pair of tracers (one port each, a snapshot pass every second):
#
#   KA       redis with tcp-keepalive 3 (Redis 7 sets TCP_KEEPIDLE 3,
#            TCP_KEEPINTVL 3/3 = 1, TCP_KEEPCNT 3). Two clients close;
#            their FINs and the RSTs after them never leave the client
#            host (nft on its output), their orphans are killed, and the
#            RSTs the client host answers the server's probes with are
#            dropped too: the probes go unanswered and keepalive reaps
#            the ghosts, idle + intvl * cnt after their last traffic.
#            lost_fin, reaped_by keepalive, reaped_after_ms from the
#            settings the server's snapshots show; the advice tells how
#            long ghosts live and does not say to turn keepalive on.
#   CONTROL  the same against redis with tcp-keepalive 0: the ghosts
#            live on; no reaped_by, and the advice says nothing will
#            reap them.
#   POOL     redis with tcp-keepalive 0, one bash holding a pool of
#            connections it never uses again: with --idle 3s they are
#            idle holders (host, comm, pid, count, idle), no lost close,
#            and the report's answer is the application.
. "$(dirname "$0")/lib.sh"

KA_PORT=6379
CONTROL_PORT=6380
POOL_PORT=6381
KA_SECS=3 # Redis' tcp-keepalive for KA
KA_GHOSTS=(36000 36001)
CONTROL_GHOSTS=(36010 36011)
POOL_SIZE=3
GHOST_WAIT=0.2 # a ghost's client closes this long after its PING

fw_require
fw_build_tcpclient
fw_netns_pair "$FW_C" "$FW_S"
fw_redis_start "$FW_S" "$KA_PORT" "$FW_S4"
KA_REDIS=$FW_LAST_PID
fw_redis_start "$FW_S" "$CONTROL_PORT" "$FW_S4"
fw_redis_start "$FW_S" "$POOL_PORT" "$FW_S4"
# Redis sets the keepalive of the connections it accepts afterwards.
[ "$(ip netns exec "$FW_S" redis-cli -h "$FW_S4" -p "$KA_PORT" CONFIG SET tcp-keepalive "$KA_SECS")" = OK ] ||
	fw_die "CONFIG SET tcp-keepalive $KA_SECS failed"
fw_nft_drop_fin "$FW_C" tcp sport 36000-36019
fw_nft_drop_rst "$FW_C" tcp sport 36000-36019

# trace_host HOST NS PORT: a tracer of one host and one port, a snapshot
# pass every second, writing $FW_TMP/HOST.log.
trace_host() {
	fw_spawn "$FINWATCH" trace --json "${FW_STREAM_ARGS[@]}" --snapshot-every 1s \
		--host "$1" --netns "/run/netns/$2" -p "$3" -o "$FW_TMP/$1.log" \
		</dev/null >"$FW_TMP/$1.stdout" 2>"$FW_TMP/$1.stderr"
	TRACERS+=("$FW_LAST_PID")
}
started() {
	[ -s "$FW_TMP/$1.log" ] && head -n 1 "$FW_TMP/$1.log" | jq -e 'select(.type == "start")' >/dev/null 2>&1
}
TRACERS=()
HOSTS="app1 db1 app2 db2 app3 db3"
trace_host app1 "$FW_C" "$KA_PORT"
trace_host db1 "$FW_S" "$KA_PORT"
trace_host app2 "$FW_C" "$CONTROL_PORT"
trace_host db2 "$FW_S" "$CONTROL_PORT"
trace_host app3 "$FW_C" "$POOL_PORT"
trace_host db3 "$FW_S" "$POOL_PORT"
for h in $HOSTS; do
	fw_wait_for 30 started "$h" || fw_die "$h's tracer did not start: $(head -c 500 "$FW_TMP/$h.stderr")"
done

# The pool: one bash connects POOL_SIZE times, PINGs on each, then holds
# them idle (its sleep gets none of them: the sockets are the bash's).
# shellcheck disable=SC2016 # the script's own variables
ip netns exec "$FW_C" bash -c '
	for ((i = 0; i < $3; i++)); do
		exec {fd}<>"/dev/tcp/$1/$2" || exit 1
		printf "PING\r\n" >&$fd
		read -r -t 5 r <&$fd || exit 1
		fds+=("$fd")
	done
	echo pooled
	for fd in "${fds[@]}"; do close+=("$fd>&-"); done
	eval "sleep 600 ${close[*]}"
' pool "$FW_S4" "$POOL_PORT" "$POOL_SIZE" </dev/null >"$FW_TMP/pool.out" 2>&1 &
POOL_PID=$!
FW_PIDS+=("$POOL_PID")

# make_ghosts DPORT PORT...: clients from each PORT to DPORT that PING and
# close; their FINs never leave, their orphans are killed: only the server
# holds them.
make_ghosts() {
	local dport=$1 p v pids=()
	shift
	for p in "$@"; do
		fw_tcpclient "$FW_C" -b "$p" -w "$GHOST_WAIT" "$FW_S4" "$dport"
		pids+=("$FW_LAST_PID")
	done
	for p in "${pids[@]}"; do
		fw_wait_pid "$p" 10 || fw_die "a ghost's client failed"
	done
	for p in "$@"; do
		ip netns exec "$FW_C" ss -K state fin-wait-1 "( sport = :$p )" >/dev/null 2>&1
		v=$(fw_ss_state "$FW_C" "$FW_C4" "$p" "$FW_S4" "$dport")
		[ -z "$v" ] || fw_die "client end of $p is still '$v'"
		v=$(fw_ss_state "$FW_S" "$FW_S4" "$dport" "$FW_C4" "$p")
		[ "$v" = ESTAB ] || fw_die "server end of $p is '$v', not ESTAB"
	done
}
make_ghosts "$KA_PORT" "${KA_GHOSTS[@]}"
make_ghosts "$CONTROL_PORT" "${CONTROL_GHOSTS[@]}"
fw_wait_for 5 grep -q pooled "$FW_TMP/pool.out" || fw_die "the pool did not connect: $(cat "$FW_TMP/pool.out")"

# What the kernel says of the keepalive ghosts' timers (ss -o), to check
# the test's own premise: Redis armed keepalive on them.
v=$(ip netns exec "$FW_S" ss -Htno state established "( sport = :$KA_PORT and dport >= :36000 and dport <= :36019 )" | grep -c 'timer:(keepalive')
[ "$v" -eq 2 ] || fw_die "ss shows $v keepalive timers on the KA ghosts, expected 2"

# ka_gone: the server holds none of the KA ghosts any more.
ka_gone() {
	[ "$(ip netns exec "$FW_S" ss -Htn state established "( sport = :$KA_PORT )" | wc -l)" -eq 0 ]
}
fw_wait_for 20 ka_gone || fw_die "keepalive did not reap the ghosts within 20 s"
# The control's and the pool's connections still held, on both hosts.
v=$(ip netns exec "$FW_S" ss -Htn state established "( sport = :$CONTROL_PORT )" | wc -l)
[ "$v" -eq 2 ] || fw_die "the server holds $v control ghosts, expected 2"
v=$(ip netns exec "$FW_S" ss -Htn state established "( sport = :$POOL_PORT )" | wc -l)
[ "$v" -eq "$POOL_SIZE" ] || fw_die "the server holds $v pool connections, expected $POOL_SIZE"
sleep 1.5 # a snapshot pass of each host after the reaping
for t in "${TRACERS[@]}"; do
	kill -INT "$t" 2>/dev/null
	fw_wait_pid "$t" 10 || fw_die "a tracer did not stop"
done

# correlate NAME LOG...: NAME.json (--json) and NAME.txt (the report).
correlate() {
	local n=$1
	shift
	"$FINWATCH" correlate --json --idle 3s "$@" >"$FW_TMP/$n.json" 2>"$FW_TMP/$n.err"
	fw_check "keepalive/$n/exit" "$?" 0 "$FW_TMP/$n.err"
	"$FINWATCH" correlate --idle 3s "$@" >"$FW_TMP/$n.txt" 2>&1
}
# findings NAME: "client_port verdict reaped_by" per finding, sorted.
findings() {
	jq -r 'select(.type == "finding") | "\(.client | split(":") | last) \(.verdict) \(.reaped_by)"' \
		"$FW_TMP/$1.json" | sort
}
summary() { # NAME JQ
	jq -c "select(.type == \"summary\") | $2" "$FW_TMP/$1.json"
}
# lines NAME FIXED_TEXT: how many lines of NAME.txt hold it.
lines() {
	grep -cF -- "$2" "$FW_TMP/$1.txt"
}

# ---- KA: keepalive reaped the ghosts
correlate ka "$FW_TMP/app1.log" "$FW_TMP/db1.log"
fw_check keepalive/ka/findings "$(findings ka | paste -sd' ' -)" \
	"36000 lost_fin keepalive 36001 lost_fin keepalive" "$FW_TMP/ka.json"
fw_check keepalive/ka/server_owner "$(jq -r 'select(.type == "finding") | "\(.server_pid) \(.server_comm)"' "$FW_TMP/ka.json" | sort -u)" \
	"$KA_REDIS redis-server" "$FW_TMP/ka.json"
# The settings in force, from the server's own snapshots of the ghosts.
settings=$(jq -r --argjson p "$KA_PORT" 'select(.type == "snapshot" and .lport == $p and .rport >= 36000 and .rport < 36020) |
	"\(.keepalive) \(.keepalive_idle_s) \(.keepalive_intvl_s) \(.keepalive_cnt)"' "$FW_TMP/db1.log" | sort -u)
fw_check keepalive/ka/snapshot_settings "$settings" "true $KA_SECS $((KA_SECS / 3)) 3" "$FW_TMP/db1.log"
read -r _ idle intvl cnt <<<"$settings"
life_ms=$(((idle + intvl * cnt) * 1000))
# The probes start idle s after the ghost's last traffic (the ACK of its
# PONG), the close came GHOST_WAIT later, and the timers are a jiffy
# wheel's: within 0.7 s of idle + intvl * cnt, and so more than 0.3 s
# from a count off by one probe (intvl is 1 s).
lo=$((life_ms - 700))
hi=$((life_ms + 700))
v=$(jq -r --argjson lo "$lo" --argjson hi "$hi" 'select(.type == "finding") |
	if (.reaped_after_ms | type) == "number" and .reaped_after_ms >= $lo and .reaped_after_ms <= $hi then "ok" else "\(.client) \(.reaped_after_ms)" end' \
	"$FW_TMP/ka.json" | sort -u)
fw_check keepalive/ka/reaped_after_ms "$v" ok "$FW_TMP/ka.json"
fw_log "reaped_after_ms $(jq -r 'select(.type == "finding") | .reaped_after_ms' "$FW_TMP/ka.json" | paste -sd' ' -), expected $lo..$hi"
fw_check keepalive/ka/survivor_died "$(jq -r --argjson p "$KA_PORT" 'select(.type == "state" and .newstate == "CLOSE" and .lport == $p and .rport >= 36000 and .rport < 36020) |
	"\(.rport) \(.sk_err) \(.keepalive) \(.probes_out)"' "$FW_TMP/db1.log" | sort | paste -sd' ' -)" \
	"36000 ETIMEDOUT true $cnt 36001 ETIMEDOUT true $cnt" "$FW_TMP/db1.log"
REAPED_WORDS='the survivor was reaped at [^;]*, [0-9.]+ ?m?s after the lost close: its keepalive probes timed out$'
fw_check keepalive/ka/evidence_reaped "$(jq -r 'select(.type == "finding") | .evidence' "$FW_TMP/ka.json" | grep -cE "$REAPED_WORDS")" 2 "$FW_TMP/ka.json"
# The report groups the two and words one of them as its example.
fw_check keepalive/ka/text_reaped "$(grep -cE "^ +e\.g\. port 3600[01]: .*$REAPED_WORDS" "$FW_TMP/ka.txt")" 1 "$FW_TMP/ka.txt"
fw_check keepalive/ka/advice_ghost_life "$(lines ka "2 of these connections sit on servers with keepalive already on (db1; idle up to $idle s): a ghost lives up to $((life_ms / 1000)) s after its last traffic before the probes reap it")" 1 "$FW_TMP/ka.txt"
fw_check keepalive/ka/advice_on_already "$(lines ka 'Turning keepalive on changes nothing there')" 1 "$FW_TMP/ka.txt"
fw_check keepalive/ka/no_turn_on "$(grep -ciE 'CONFIG SET tcp-keepalive|nothing will ever reap' "$FW_TMP/ka.txt")" 0 "$FW_TMP/ka.txt"
fw_check keepalive/ka/no_holders "$(summary ka '.idle_holders')" '[]' "$FW_TMP/ka.json"

# ---- CONTROL: keepalive off, the ghosts live on
correlate control "$FW_TMP/app2.log" "$FW_TMP/db2.log"
fw_check keepalive/control/findings "$(findings control | paste -sd' ' -)" \
	"36010 lost_fin null 36011 lost_fin null" "$FW_TMP/control.json"
fw_check keepalive/control/no_reaped_after "$(jq -r 'select(.type == "finding") | .reaped_after_ms' "$FW_TMP/control.json" | sort -u)" null "$FW_TMP/control.json"
fw_check keepalive/control/snapshot_keepalive_off "$(jq -r --argjson p "$CONTROL_PORT" 'select(.type == "snapshot" and .lport == $p and .rport >= 36000) | .keepalive' "$FW_TMP/db2.log" | sort -u)" false "$FW_TMP/db2.log"
fw_check keepalive/control/text_not_reaped "$(lines control 'the survivor was reaped')" 0 "$FW_TMP/control.txt"
fw_check keepalive/control/advice_never_reaped "$(lines control '2 of these connections sit on servers with keepalive off: nothing will ever reap them.')" 1 "$FW_TMP/control.txt"
fw_check keepalive/control/advice_no_life "$(lines control 'a ghost lives up to')" 0 "$FW_TMP/control.txt"

# ---- POOL: the application holds idle connections
correlate pool "$FW_TMP/app3.log" "$FW_TMP/db3.log"
fw_check keepalive/pool/holders "$(summary pool '[.idle_holders[] | [.client_host, .comm, .pid, .server_host, .server, .count]]')" \
	"[[\"app3\",\"bash\",$POOL_PID,\"db3\",\"$FW_S4:$POOL_PORT\",$POOL_SIZE]]" "$FW_TMP/pool.json"
fw_check keepalive/pool/holders_idle "$(summary pool '[.idle_holders[].idle_ms | .min > 3000 and .min <= .median and .median <= .max and .max < 60000]')" \
	'[true]' "$FW_TMP/pool.json"
# Open on both ends, not lost closes: no finding, and not ghosts.
fw_check keepalive/pool/not_lost "$(jq -r 'select(.type == "finding") | .verdict' "$FW_TMP/pool.json" | grep -c .) $(summary pool '.verdicts | [.lost_fin, .lost_rst, .peer_vanished, .incomplete, .open]')" \
	"0 [0,0,0,0,$POOL_SIZE]" "$FW_TMP/pool.json"
fw_check keepalive/pool/text "$(grep -cE "^  app3 bash\[$POOL_PID\] holds $POOL_SIZE connections idle over 3(\.0)? ?s to db3:$POOL_PORT \(idle min [^)]*\)$" "$FW_TMP/pool.txt")" 1 "$FW_TMP/pool.txt"
fw_check keepalive/pool/answer "$(summary pool '.answer')" '"application"' "$FW_TMP/pool.json"
fw_check keepalive/pool/verdict_line "$(lines pool 'The evidence points to the application')" 1 "$FW_TMP/pool.txt"
