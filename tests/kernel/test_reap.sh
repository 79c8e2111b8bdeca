#!/usr/bin/env bash
# finwatch reap end to end: a real redis-server in the server namespace,
# clients in the client namespace, a tracer in each. Ghosts are made the
# way they happen (the client's FIN, then its RST, never leave its host;
# its orphan is killed), next to live clients and to two sockets that the
# logs call ghosts but that are not any more when reap looks:
#
#   VANISHED  a ghost from before the traces: peer_vanished (the client
#             host's baseline snapshot has no socket for it)
#   GHOSTS    lost_fin ghosts, one of them over IPv6 (GHOST6)
#   REUSED    a lost_fin ghost that someone else destroyed since the logs
#             were taken, its 4-tuple now a new, live connection (other
#             ISNs, another cookie)
#   STIRRED   a lost_fin ghost that hears from someone after the logs
#             were taken (an ACK with the right numbers): not idle
#   HALF      a subscriber whose FIN was lost (lost_fin in the logs) but
#             which still holds its end and reads: Redis publishes to it
#   LIVE      clients that stay connected and keep working
#
# reap reads the logs as they were taken (a copy), then the kernel shows
# it what changed since. --dry-run must list exactly the ghosts and touch
# nothing; reap must destroy exactly them: Redis' connected_clients falls
# by that many, the live clients still get PONG, and the decoys stay.
#
# A kernel that copies a listener's cookie into the sockets it accepts
# (once anything asked for the listener's, as ss does) leaves SOCK_DESTROY
# no way to tell them from the listener: there reap must leave every
# ghost alone, and the test checks that instead.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

fw_require capsh
fw_scenario_setup
fw_build_helper halfclient
fw_build_helper tcpinject
HALFCLIENT=$FW_BUILD/kernel/halfclient
TCPINJECT=$FW_BUILD/kernel/tcpinject

VANISHED=35030
GHOSTS="35000 35001 35002"
GHOST6=35003
STIRRED=35010
REUSED=35020
HALF=35040
LIVE="1 2"
WANT=$(printf '%s\n' $GHOSTS $GHOST6 $VANISHED | sort -n | tr '\n' ' ')
LEFT="$STIRRED $REUSED $HALF "
ALL="$GHOSTS $GHOST6 $VANISHED $STIRRED $REUSED $HALF"

fw_nft_drop_fin "$FW_C" tcp sport 35000-35049
fw_nft_drop_rst "$FW_C" tcp sport 35000-35049
# No timestamps on the client's connections: tcpinject sends no options.
ip netns exec "$FW_C" sysctl -qw net.ipv4.tcp_timestamps=0

# peer_of PORT: the client address of the connection from PORT.
peer_of() {
	[ "$1" = "$GHOST6" ] && echo "$FW_C6" || echo "$FW_C4"
}

# make_ghosts WAIT PORT...: clients that PING, wait WAIT s and close; their
# FINs never leave, their orphans are killed: only the server holds them.
make_ghosts() {
	local wait=$1 p v c s pids=()
	shift
	for p in "$@"; do
		s=$FW_S4
		[ "$p" = "$GHOST6" ] && s=$FW_S6
		fw_tcpclient "$FW_C" -b "$p" -w "$wait" "$s" 6379
		pids+=("$FW_LAST_PID")
	done
	for p in "${pids[@]}"; do
		fw_wait_pid "$p" 15 || fw_die "a ghost's client failed"
	done
	for p in "$@"; do
		c=$(peer_of "$p")
		s=$FW_S4
		[ "$p" = "$GHOST6" ] && s=$FW_S6
		ip netns exec "$FW_C" ss -K state fin-wait-1 "( sport = :$p )" >/dev/null 2>&1
		v=$(fw_ss_state "$FW_C" "$c" "$p" "$s" 6379)
		[ -z "$v" ] || fw_die "client end of $p is still '$v'"
		v=$(fw_ss_state "$FW_S" "$s" 6379 "$c" "$p")
		[ "$v" = ESTAB ] || fw_die "server end of $p is '$v', not ESTAB"
	done
}

# live_client N: a bash client that PINGs, and PINGs again once
# $FW_TMP/ping.N exists; it holds its connection until killed.
live_client() {
	ip netns exec "$FW_C" bash -c '
		exec 3<>"/dev/tcp/$1/6379" || exit 1
		printf "PING\r\n" >&3
		read -r -t 5 r <&3 && echo "first ${r%?}"
		while [ ! -e "$2" ]; do sleep 0.1; done
		printf "PING\r\n" >&3
		read -r -t 5 r <&3 && echo "second ${r%?}"
		exec sleep 600
	' live "$FW_S4" "$FW_TMP/ping.$1" </dev/null >"$FW_TMP/live.$1" 2>&1 &
	FW_PIDS+=("$!")
}

clients() { # connected_clients, as Redis counts them
	ip netns exec "$FW_S" redis-cli -h "$FW_S4" INFO clients | tr -d '\r' |
		awk -F: '$1 == "connected_clients" { print $2 }'
}

server_estab() { # PORT...: the server's state of each, ESTAB or "-"
	local p v s
	for p in "$@"; do
		s=$FW_S4
		[ "$p" = "$GHOST6" ] && s=$FW_S6
		v=$(fw_ss_state "$FW_S" "$s" 6379 "$(peer_of "$p")" "$p")
		printf '%s ' "${v:--}"
	done
}

# stir PORT: one ACK from the client's address and PORT that the server's
# socket takes (its own rcv_nxt and snd_una, from finwatch snapshot).
stir() {
	local rec seq ack last
	rec=$("$FINWATCH" snapshot --json --netns "/run/netns/$FW_S" |
		jq -c --argjson p "$1" 'select(.type == "snapshot" and .rport == $p)')
	[ -n "$rec" ] || fw_die "no snapshot of the server socket of $1"
	seq=$(jq -r '(.isn_remote + 1 + .bytes_received) % 4294967296' <<<"$rec")
	ack=$(jq -r '(.isn_local + 1 + .bytes_sent) % 4294967296' <<<"$rec")
	ip netns exec "$FW_C" "$TCPINJECT" "$FW_C4" "$1" "$FW_S4" 6379 "$seq" "$ack" >/dev/null ||
		fw_die "tcpinject failed"
	sleep 0.2
	last=$(ip netns exec "$FW_S" ss -H -t -i -n state established "( dport = :$1 )" |
		grep -o 'lastack:[0-9]*' | cut -d: -f2)
	[ -n "$last" ] && [ "$last" -lt 2000 ] ||
		fw_die "the server socket of $1 did not take the ACK (lastack '$last')"
}

lines_ports() { # FILE WORD: client ports of reap's lines starting with WORD
	awk -v w="$2" 'index($0, w) == 1 { for (i = 1; i <= NF; i++) if ($i == "<-") { sub(".*:", "", $(i + 1)); print $(i + 1) } }' "$1" |
		sort -n | tr '\n' ' '
}

# shared_cookie: whether accepted sockets carry their listener's cookie.
shared_cookie() {
	ip netns exec "$FW_S" ss -H -t -e -a -n '( sport = :6379 )' |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^sk:/) { if ($1 == "LISTEN") l[$i] = 1; else e[$i] = 1 } }
			END { for (k in e) if (k in l) { print "yes"; exit } }'
}

# The listener gets its cookie now (any ss would give it one), so that a
# kernel that copies it does so for every connection of the test.
ip netns exec "$FW_S" ss -t -e -a -n >/dev/null

# The oldest ghost, before any log, then the traces.
make_ghosts 0.5 "$VANISHED"
SHARED=$(shared_cookie)
if [ -n "$SHARED" ]; then
	echo "# this kernel gives accepted sockets their listener's cookie: every ghost must be left alone"
	DESTROY=
	LEFT=$(printf '%s\n' $ALL | sort -n | tr '\n' ' ')
	N=0
	STIRRED_WHY="listener's too"
else
	DESTROY=$WANT
	N=5
	STIRRED_WHY="received a segment .* after its peer was gone"
fi
sleep 6
fw_trace_start "$FW_TMP/app1.jsonl" --netns "/run/netns/$FW_C" --host app1 ||
	fw_die "tracer app1 did not start"
fw_trace_start "$FW_TMP/db1.jsonl" --netns "/run/netns/$FW_S" --host db1 ||
	fw_die "tracer db1 did not start"

make_ghosts 3 $GHOSTS "$GHOST6" "$STIRRED" "$REUSED"
sleep 1.5
fw_spawn ip netns exec "$FW_C" "$HALFCLIENT" -b "$HALF" "$FW_S4" 6379 news \
	>"$FW_TMP/half" 2>&1 </dev/null
fw_wait_for 5 grep -q subscribed "$FW_TMP/half" || fw_die "the subscriber did not subscribe: $(cat "$FW_TMP/half")"
sleep 1.5
for n in $LIVE; do
	live_client "$n"
done
for n in $LIVE; do
	fw_wait_for 5 grep -q "first +PONG" "$FW_TMP/live.$n" || fw_die "live client $n: $(cat "$FW_TMP/live.$n")"
done
# Something on both hosts after the closes, so the logs run past them.
sleep 1.5
fw_redis_cli "$FW_C" "$FW_S4" 6379 PING >/dev/null || fw_die "redis-cli PING failed"
sleep 1

# The logs as reap will read them: taken now.
mkdir -p "$FW_TMP/logs"
cp "$FW_TMP/app1.jsonl" "$FW_TMP/db1.jsonl" "$FW_TMP/logs/"
LOGS=("$FW_TMP/logs/app1.jsonl" "$FW_TMP/logs/db1.jsonl")

# What the logs claim: every one of the five a ghost, the live ones open.
"$FINWATCH" correlate --json --all "${LOGS[@]}" >"$FW_TMP/findings" 2>"$FW_TMP/correlate.err"
got=$(jq -r 'select(.type == "finding" and (.verdict == "lost_fin" or .verdict == "peer_vanished") and .surviving_state == "ESTABLISHED" and .server_host == "db1") | "\(.client | sub(".*:"; "")):\(.verdict)"' "$FW_TMP/findings" | sort | tr '\n' ' ')
fw_check reap/logs_claim_ghosts "$got" "35000:lost_fin 35001:lost_fin 35002:lost_fin 35003:lost_fin 35010:lost_fin 35020:lost_fin 35030:peer_vanished 35040:lost_fin " "$FW_TMP/findings"

# What changed since. REUSED: destroyed by someone else, and its 4-tuple
# taken again by a new connection that stays. STIRRED: hears from
# someone. HALF: Redis publishes to it, it acknowledges.
ip netns exec "$FW_S" ss -K "( dport = :$REUSED )" >/dev/null 2>&1
fw_wait_for 5 bash -c "[ -z \"\$(ip netns exec $FW_S ss -H -t -n state established '( dport = :$REUSED )')\" ]" ||
	fw_die "the server socket of $REUSED did not go"
fw_tcpclient "$FW_C" -b "$REUSED" -w 600 "$FW_S4" 6379
fw_wait_for 5 grep -q lport "$FW_LAST_OUT" || fw_die "the new connection from $REUSED failed: $(cat "$FW_LAST_OUT")"
fw_wait_for 5 bash -c "ip netns exec $FW_S ss -H -t -n state established '( dport = :$REUSED )' | grep -q ." ||
	fw_die "no new connection from $REUSED"
n=$(ip netns exec "$FW_S" redis-cli -h "$FW_S4" PUBLISH news first)
fw_check reap/subscriber_hears "$n" 1
fw_wait_for 5 grep -q first "$FW_TMP/half" || fw_die "the subscriber did not get the message: $(cat "$FW_TMP/half")"
stir "$STIRRED"

before=$(clients)
states=$(server_estab $ALL)
fw_check reap/before "$states" "ESTAB ESTAB ESTAB ESTAB ESTAB ESTAB ESTAB ESTAB "

# Without CAP_NET_ADMIN: one line, exit 2, nothing touched.
capsh --drop=cap_net_admin -- -c "$FINWATCH reap --host db1 ${LOGS[*]}" >"$FW_TMP/nocap.out" 2>"$FW_TMP/nocap.err"
rc=$?
fw_check reap/no_net_admin/exit "$rc" 2 "$FW_TMP/nocap.err"
fw_check reap/no_net_admin/says "$(grep -c 'CAP_NET_ADMIN' "$FW_TMP/nocap.err")" 1 "$FW_TMP/nocap.err"

# --dry-run: exactly the ghosts listed, the decoys left alone, nothing touched.
"$FINWATCH" reap --dry-run --host db1 "${LOGS[@]}" >"$FW_TMP/dry.out" 2>"$FW_TMP/dry.err"
rc=$?
fw_check reap/dry_run/exit "$rc" 1 "$FW_TMP/dry.err"
fw_check reap/dry_run/would_destroy "$(lines_ports "$FW_TMP/dry.out" "would destroy")" "$DESTROY" "$FW_TMP/dry.out"
fw_check reap/dry_run/left_alone "$(lines_ports "$FW_TMP/dry.out" "left alone")" "$LEFT" "$FW_TMP/dry.out"
fw_check reap/dry_run/nothing_changed "$(clients) $(server_estab $ALL)" "$before $states" "$FW_TMP/dry.out"

# The real thing.
"$FINWATCH" reap --host db1 "${LOGS[@]}" >"$FW_TMP/reap.out" 2>"$FW_TMP/reap.err"
rc=$?
fw_check reap/exit "$rc" 1 "$FW_TMP/reap.err"
fw_check reap/destroyed "$(lines_ports "$FW_TMP/reap.out" destroyed)" "$DESTROY" "$FW_TMP/reap.out"
fw_check reap/left_alone "$(lines_ports "$FW_TMP/reap.out" "left alone")" "$LEFT" "$FW_TMP/reap.out"
fw_check reap/reused_why "$(grep -c "<- $FW_C4:$REUSED .*ISNs are .* another connection on the same 4-tuple" "$FW_TMP/reap.out")" 1 "$FW_TMP/reap.out"
fw_check reap/stirred_why "$(grep -c "<- $FW_C4:$STIRRED .*$STIRRED_WHY" "$FW_TMP/reap.out")" 1 "$FW_TMP/reap.out"
fw_check reap/half_why "$(grep -c "<- $FW_C4:$HALF .*its peer on app1 still held its end ([A-Z_0-9]*) when its log ended" "$FW_TMP/reap.out")" 1 "$FW_TMP/reap.out"
fw_check reap/summary "$(grep -c "^finwatch reap on db1: $N destroyed, 0 gone already, $((8 - N)) left alone, of 8 ghosts in the logs\$" "$FW_TMP/reap.out")" 1 "$FW_TMP/reap.out"
if [ -n "$SHARED" ]; then
	fw_check reap/shared_cookie_why "$(grep -c "listener's too" "$FW_TMP/reap.out")" 6 "$FW_TMP/reap.out"
fi
sleep 0.5
after=$(clients)
echo "# connected_clients: $before before, $after after"
fw_check reap/connected_clients "$after" "$((before - N))"
want=$(for p in $ALL; do case " $DESTROY " in *" $p "*) printf -- '- ' ;; *) printf 'ESTAB ' ;; esac; done)
fw_check reap/server_after "$(server_estab $ALL)" "$want"

# The live clients, the new connection and the subscriber all still work.
for n in $LIVE; do
	touch "$FW_TMP/ping.$n"
done
for n in $LIVE; do
	fw_wait_for 5 grep -q "second +PONG" "$FW_TMP/live.$n"
	fw_check "reap/live_$n/pong" "$(grep -c 'second +PONG' "$FW_TMP/live.$n")" 1 "$FW_TMP/live.$n"
done
n=$(ip netns exec "$FW_S" redis-cli -h "$FW_S4" PUBLISH news second)
fw_check reap/subscriber_still_hears "$n" 1
fw_check reap/reused_still_there "$(fw_ss_state "$FW_C" "$FW_C4" "$REUSED" "$FW_S4" 6379)" ESTAB

# Again: nothing is left to destroy, and nothing else is touched.
"$FINWATCH" reap --host db1 "${LOGS[@]}" >"$FW_TMP/again.out" 2>"$FW_TMP/again.err"
fw_check reap/again/destroyed "$(lines_ports "$FW_TMP/again.out" destroyed)" "" "$FW_TMP/again.out"
fw_check reap/again/gone "$(lines_ports "$FW_TMP/again.out" gone)" "$DESTROY" "$FW_TMP/again.out"
fw_check reap/again/left_alone "$(lines_ports "$FW_TMP/again.out" "left alone")" "$LEFT" "$FW_TMP/again.out"
fw_check reap/again/connected_clients "$(clients)" "$after"
