#!/usr/bin/env bash
# `finwatch demo` as a user runs it (scripts/demo.sh, linked into the
# binary): three waves of app workers through a middlebox whose conntrack
# forgets idle flows leave 24 ghosts on redis-server (maxclients 28), and a
# new worker is refused. The report must name the cause (lost_in_network:
# the middlebox runs no tracer), show the growth against Redis' own
# maxclients, and reap must destroy exactly the ghosts, after which the new
# worker gets PONG. The demo must take a minute at most and leave nothing
# behind; Ctrl-C (SIGINT to its process group) must clean up too; --keep
# must leave the namespaces and Redis, removable by the command it prints.
. "$(dirname "$0")/lib.sh"

fw_require nft

DB_IP=198.18.2.1
DEMO_PID=

# demo_spawn OUT [ARGS...]: finwatch demo in a session of its own, its
# output in OUT. With SIGINT as a terminal's foreground job has it: a
# script's background job ignores it, and bash cannot trap what it was
# started ignoring.
demo_spawn() {
	local out=$1
	shift
	fw_spawn env --default-signal=INT "$FINWATCH" demo "$@" </dev/null >"$out" 2>&1
	DEMO_PID=$FW_LAST_PID
	FW_NETNS+=("fwdemo-app-$DEMO_PID" "fwdemo-mbox-$DEMO_PID" "fwdemo-redis-$DEMO_PID")
}

# The logs a failed demo kept go with the test's own (FW_KEEP=1 keeps them).
demo_keep_logs() { # OUT
	local dir
	dir=$(sed -n 's/^finwatch demo: its logs are kept in //p' "$1")
	[ -z "$dir" ] || mv "$dir" "$FW_TMP/" 2>/dev/null
}

demo_netns_count() { # PID: the demo's namespaces still there
	ip netns list | grep -cE "^fwdemo-(app|mbox|redis)-$1( |$)"
}

redis_running() {
	pgrep -f "redis-server $DB_IP:6379" >/dev/null
}

tracers_running() { # PID
	pgrep -f "trace --json --netns /run/netns/fwdemo-(app|redis)-$1 " >/dev/null
}

lines() { # FILE ERE: how many lines match
	grep -cE "$2" "$1"
}

# A line of the report (indented two, or none), once there and once in the
# demo's own quote of it (indented four).
check_quoted() { # NAME FILE INDENT ERE
	fw_check "$1" "$(lines "$2" "^$3$4\$") $(lines "$2" "^    $4\$")" "1 1" "$2"
}

# The last line that sed -n EXPRESSION prints of FILE.
after() { # FILE SED-EXPRESSION
	sed -n "$2" "$1" | tail -n 1
}

# ---- the demo, start to end
out=$FW_TMP/demo.out
demo_spawn "$out"
fw_wait_pid "$DEMO_PID" 120
rc=$?
tag=$DEMO_PID
demo_keep_logs "$out"
fw_check demo/exit "$rc" 0 "$out"
# Before the reap; after it, too, where reap can touch nothing (below).
refusals=$(lines "$out" '^    redis-cli PING: ERR max number of clients reached$')
# 24 ghosts, nothing else but ok: the 16 closes of the busy pool
# connections and the refused worker's, and, when a tracer's start raced
# the demo's own redis-cli (CONFIG GET, the first PINGs; seen under
# emulation), the one connection it caught the end of.
fw_check demo/verdicts "$(lines "$out" '^verdicts: lost_fin 24 ok 1[78]$')" 1 "$out"

idle='after 6\.[0-9] s( to 6\.[0-9] s)? idle'
cause="lost_in_network, 24 closes: they left the senders $idle and no traced host dropped them: something between the hosts lost them"
check_quoted demo/cause "$out" "  " "$cause"
check_quoted demo/answer "$out" "" "The evidence points to the network: 24 closes lost $idle \\(lost_in_network\\)"
fw_check demo/middlebox_dropped "$(lines "$out" 'its ct state invalid rule dropped [1-9][0-9]* packets ')" 1 "$out"

ghosts=$(after "$out" 's/^  the server redis1 holds 24 connections from client host app1; app1 holds 0 of them; \([0-9]*\) are ghosts$/\1/p')
fw_check demo/ghosts "$ghosts" 24 "$out"
growth='redis1 from app1: \S+ 0 -> 24 ghosts over [0-9]+ seconds \([0-9]+ passes\): \+[0-9]+ ghosts per minute'
check_quoted demo/growth "$out" "  " "$growth"
check_quoted demo/maxclients "$out" "  " 'at that pace \(\+[0-9]+ ghosts per day\) redis1 reaches maxclients \(28\) in [0-9]+ seconds'
fw_check demo/maxclients_asked "$(lines "$out" '^    redis-cli CONFIG GET maxclients: 28$')" 1 "$out"

# Known bug, found on Debian's 6.1 kernels (2026-12-02): the id the tracer
# records for an accepted socket is not the cookie sock_diag gives it, so
# reap, which checks the cookie before it acts, rightly leaves every ghost
# alone ("its cookie is N, the log's M: another socket"). There the demo
# cannot clear its ghosts; what is checked is that reap touched nothing.
# tests/kernel/test_reap.sh's accepted sockets carry their cookies there.
if [ "$(lines "$out" "^    finwatch reap on redis1: 0 destroyed, 0 gone already, $ghosts left alone, of $ghosts ghosts in the logs\$")" = 1 ] &&
	grep -q "but its cookie is [0-9]*, the log's [0-9]*: another socket" "$out" &&
	[ "$(uname -r | cut -d. -f1,2)" = 6.1 ]; then
	fw_check demo/refused_when_full "$refusals" 2 "$out"
	fw_check demo/reap_touched_nothing "$(lines "$out" "^    redis-cli INFO clients: connected_clients:$((ghosts + 1)) \\(0 fewer\\)\$")" 1 "$out"
	echo "SKIP demo/reap: on $(uname -r) the log's ids of accepted sockets are not their cookies (a known bug): reap rightly destroyed none"
else
	fw_check demo/refused_when_full "$refusals" 1 "$out"
	fw_check demo/reap_dry_run "$(lines "$out" "^    finwatch reap on redis1: $ghosts would be destroyed \\(--dry-run\\), 0 gone already, 0 left alone, of $ghosts ghosts in the logs\$")" 1 "$out"
	fw_check demo/reap "$(lines "$out" "^    finwatch reap on redis1: $ghosts destroyed, 0 gone already, 0 left alone, of $ghosts ghosts in the logs\$")" 1 "$out"
	fw_check demo/connected_clients "$(lines "$out" "^    redis-cli INFO clients: connected_clients:$((ghosts + 1)) \\(this redis-cli is one of them\\)\$") $(lines "$out" "^    redis-cli INFO clients: connected_clients:1 \\($ghosts fewer\\)\$")" "1 1" "$out"
	fw_check demo/ping_after_reap "$(after "$out" 's/^    redis-cli PING: //p')" PONG "$out"
fi

secs=$(after "$out" 's/^==> Done in \([0-9]*\)s$/\1/p')
fw_check demo/within_a_minute "$([ -n "$secs" ] && [ "$secs" -le 60 ] && echo yes || echo "no: ${secs:-?}s")" yes "$out"
fw_check demo/no_escapes "$(grep -c $'\033' "$out")" 0 "$out"

work=$(after "$out" 's/.*records (in \(\/tmp\/finwatch-demo\.[A-Za-z0-9]*\))$/\1/p')
fw_check demo/cleaned_up "$(demo_netns_count "$tag") $(redis_running && echo redis) $(tracers_running "$tag" && echo tracers) $([ -n "$work" ] && [ ! -e "$work" ] && echo logs-removed)" "0   logs-removed" "$out"

# ---- Ctrl-C while the workers run
out=$FW_TMP/interrupted.out
demo_spawn "$out"
fw_wait_for 30 grep -q '^==> Running 3 waves' "$out" || fw_die "the demo did not reach its workload: $(tail -n 5 "$out")"
work=$(after "$out" 's/^    logs: \(\/tmp\/finwatch-demo\.[A-Za-z0-9]*\)\/app1\.log, .*/\1/p')
sleep 2
kill -INT -- "-$DEMO_PID"
fw_wait_pid "$DEMO_PID" 30
rc=$?
demo_keep_logs "$out"
fw_check demo/ctrl_c_exit "$rc $(lines "$out" '^interrupted; cleaning up$')" "130 1" "$out"
fw_check demo/ctrl_c_cleaned_up "$(demo_netns_count "$DEMO_PID") $(redis_running && echo redis) $(tracers_running "$DEMO_PID" && echo tracers) $([ -n "$work" ] && [ ! -e "$work" ] && echo logs-removed)" "0   logs-removed" "$out"

# ---- --keep: the namespaces, Redis and the logs stay, as printed
out=$FW_TMP/keep.out
demo_spawn "$out" --keep
fw_wait_pid "$DEMO_PID" 120
rc=$?
tag=$DEMO_PID
work=$(after "$out" "s/^==> Kept: namespaces .* logs in \\(\\/tmp\\/finwatch-demo\\.[A-Za-z0-9]*\\)\$/\\1/p")
fw_check demo/keep_exit "$rc" 0 "$out"
fw_check demo/keep_left "$(demo_netns_count "$tag") $(ip netns exec "fwdemo-app-$tag" redis-cli -h "$DB_IP" PING 2>&1) $(tracers_running "$tag" && echo tracers) $([ -n "$work" ] && ls "$work"/app1.log "$work"/redis1.log 2>/dev/null | wc -l)" "3 PONG  2" "$out"
remove=$(after "$out" 's/^    remove:  //p')
fw_check demo/keep_remove_command "$(bash -c "$remove" >/dev/null 2>&1; fw_wait_for 5 bash -c "! pgrep -f 'redis-server $DB_IP:6379' >/dev/null"; demo_netns_count "$tag") $(redis_running && echo redis)" "0 " "$out"
[ -z "$work" ] || rm -rf "$work"
