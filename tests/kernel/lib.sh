# shellcheck shell=bash
# Shared helpers of the kernel-level tests (tests/kernel/test_*.sh).
#
# A test sources this file, then builds its world out of real network
# namespaces joined by veth, a real redis-server, real nft rules, and the
# real tracer, and prints one "PASS name" or "FAIL name: why" line per
# assertion group (tests/run.sh counts them).
#
# Addresses used in the namespaces: 198.18.0.0/15 and 2001:db8::/32 only.
#
# Everything a test starts (namespaces, redis, clients, the tracer) is
# removed by fw_cleanup, which runs on exit, on failure and on SIGINT or
# SIGTERM. FW_KEEP=1 keeps the temporary directory (tracer output) for a
# look afterwards; its path is printed.
#
# Environment: FINWATCH (the binary, default ./finwatch at the repo root),
# BUILD (build directory, default build), FW_VERBOSE=1 (print every record
# of a failed group, not just the first 40 lines).

set -u

FW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FINWATCH=${FINWATCH:-$FW_ROOT/finwatch}
FW_BUILD=${BUILD:-build}
case "$FW_BUILD" in /*) ;; *) FW_BUILD=$FW_ROOT/$FW_BUILD ;; esac
FW_TEST=$(basename "${0%.sh}")
FW_TEST=${FW_TEST#test_}
FW_TMP=$(mktemp -d "/tmp/fwtest-$FW_TEST.XXXXXX")

# Namespace pair of a test; a test that needs more calls fw_netns_pair
# with other names. Names carry the test's pid so that runs never collide.
FW_C=fwc-$$
FW_S=fws-$$
FW_C4=198.18.0.1
FW_S4=198.18.0.2
FW_C6=2001:db8::1
FW_S6=2001:db8::2

# Which record stream the tracers write: folded (the tracer's default) or
# all-states (a record per transition). The suite runs in both
# (tests/run.sh's kernel and kernel-all-states parts).
FW_STREAM=${FW_STREAM:-folded}
FW_STREAM_ARGS=(--stream "$FW_STREAM")

FW_PIDS=()	# processes to kill at cleanup
FW_GROUPS=()	# process groups to kill at cleanup (tracers run under setsid)
FW_NETNS=()	# namespaces to delete at cleanup
FW_LAST_PID=	# set by the fw_*_start / client helpers
FW_TRACER_PID=
FW_TRACER_RC=
FW_TRACER_OUT=

# Connection records, as opposed to start/stop/lost/snapshot.
FW_JQ_CONN='select(.type == "state" or .type == "close" or .type == "reset_sent" or .type == "reset_received" or .type == "retransmit")'

# ---------------------------------------------------------------- reporting

fw_pass() {
	echo "PASS $1"
}

# fw_fail NAME WHY [FILE]: FILE holds the records that show the problem.
fw_fail() {
	local name=$1 why=$2 file=${3:-}
	echo "FAIL $name: $why"
	if [ -n "$file" ] && [ -s "$file" ]; then
		if [ "${FW_VERBOSE:-0}" = 1 ]; then
			sed 's/^/    /' "$file"
		else
			head -n 40 "$file" | sed 's/^/    /'
			local n
			n=$(wc -l <"$file")
			[ "$n" -le 40 ] || echo "    ... ($n lines, FW_VERBOSE=1 shows all)"
		fi
	fi
	return 1
}

# fw_check NAME ACTUAL EXPECTED [FILE]
fw_check() {
	local name=$1 actual=$2 expected=$3 file=${4:-}
	if [ "$actual" = "$expected" ]; then
		fw_pass "$name"
	else
		fw_fail "$name" "expected '$expected', got '$actual'" "$file"
	fi
}

# Setup errors end the test: the assertions that would follow mean nothing.
fw_die() {
	echo "FAIL $FW_TEST: $*"
	exit 1
}

fw_log() {
	echo "# $*" >&2
}

# ------------------------------------------------------------ prerequisites

fw_require() {
	local t missing=()
	[ "$(id -u)" -eq 0 ] || fw_die "kernel tests need root"
	for t in ip nft jq redis-server redis-cli ss stat setsid timeout "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	[ ${#missing[@]} -eq 0 ] || fw_die "missing tools: ${missing[*]} (run scripts/deps.sh)"
	[ -x "$FINWATCH" ] || fw_die "$FINWATCH is not built (run make)"
}

# fw_host_tool TOOL PACKAGE: whether a tool that checks what finwatch
# wrote (not what the kernel did) is here. The host's suite needs it; the
# VM's initramfs (VMTEST=1) carries only what the kernel side needs, and
# there such checks say SKIP (tests/run.sh counts them apart): the host's
# run of the same test makes them on the same code.
fw_host_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "${VMTEST:-0}" = 1 ] || fw_die "$1 missing (Debian's $2; scripts/deps.sh)"
	echo "SKIP $FW_TEST/$1: not in the VM image; the host's suite checks it"
	return 1
}

# The C helpers (tests/kernel/NAME.c), built into $BUILD/kernel, statically
# when the toolchain can, so the same binaries run in the busybox VM.
FW_TCPCLIENT=$FW_BUILD/kernel/tcpclient
FW_TCPSERVER=$FW_BUILD/kernel/tcpserver
fw_build_helper() {
	local name=$1 src=$FW_ROOT/tests/kernel/$1.c bin=$FW_BUILD/kernel/$1
	if [ -x "$bin" ] && [ "$bin" -nt "$src" ]; then
		return 0
	fi
	command -v cc >/dev/null 2>&1 || fw_die "no cc to build $bin (tests/kernel/$name.c)"
	mkdir -p "$FW_BUILD/kernel"
	cc -O2 -Wall -Wextra -static -o "$bin.tmp.$$" "$src" 2>"$FW_TMP/cc.err" ||
		cc -O2 -Wall -Wextra -o "$bin.tmp.$$" "$src" 2>"$FW_TMP/cc.err" ||
		fw_die "cannot build $name: $(cat "$FW_TMP/cc.err")"
	mv -f "$bin.tmp.$$" "$bin"
}

fw_build_tcpclient() {
	fw_build_helper tcpclient
}

# ----------------------------------------------------------------- cleanup

fw_kill_pids() {
	local pid
	for pid in "$@"; do
		kill -KILL "$pid" 2>/dev/null
	done
}

fw_netns_destroy() {
	local ns=$1 pids
	ip netns list 2>/dev/null | grep -q "^$ns\b" || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || fw_kill_pids $pids
	ip netns exec "$ns" nft flush ruleset 2>/dev/null
	# Orphans (a FIN_WAIT1 client whose FIN was dropped) would keep the
	# namespace alive for minutes after it is deleted.
	ip netns exec "$ns" ss -K -t -a >/dev/null 2>&1
	ip netns del "$ns" 2>/dev/null
}

fw_cleanup() {
	local rc=$? ns pid
	trap - EXIT INT TERM
	# bash would report each job killed here ("Killed ...") on stderr.
	exec 2>/dev/null
	for pid in "${FW_GROUPS[@]}"; do
		kill -KILL -- "-$pid"
	done
	fw_kill_pids "${FW_PIDS[@]}"
	for ns in "${FW_NETNS[@]}"; do
		fw_netns_destroy "$ns"
	done
	wait 2>/dev/null
	if [ "${FW_KEEP:-0}" = 1 ]; then
		echo "# kept $FW_TMP"
	else
		rm -rf "$FW_TMP"
	fi
	exit "$rc"
}
trap fw_cleanup EXIT
trap 'echo "FAIL $FW_TEST: interrupted"; exit 130' INT
trap 'echo "FAIL $FW_TEST: terminated"; exit 143' TERM

# Namespaces left by a test that was killed with SIGKILL: named as these
# tests name theirs, with the pid of a test that no longer runs.
fw_reap_stale() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		# Only names these tests make: fwc-PID, fws2-PID...
		[[ $ns =~ ^fw[cs][0-9]*-([0-9]+)$ ]] || continue
		pid=${BASH_REMATCH[1]}
		kill -0 "$pid" 2>/dev/null && continue
		fw_netns_destroy "$ns"
	done
}

# ------------------------------------------------------------- namespaces

fw_netns_add() {
	local ns=$1
	ip netns add "$ns" || fw_die "ip netns add $ns failed"
	FW_NETNS+=("$ns")
	ip -n "$ns" link set lo up
	# No duplicate address detection, for the link-local addresses too:
	# while they are tentative the first IPv6 SYN can be lost.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# fw_netns_pair CLIENT_NS SERVER_NS: two namespaces joined by veth, the
# client at 198.18.0.1 and 2001:db8::1, the server at .2 and ::2.
fw_netns_pair() {
	local c=${1:-$FW_C} s=${2:-$FW_S}
	fw_netns_add "$c"
	fw_netns_add "$s"
	ip link add fwv0 netns "$c" type veth peer name fwv1 netns "$s" ||
		fw_die "cannot create veth between $c and $s"
	ip -n "$c" addr add "$FW_C4/24" dev fwv0
	ip -n "$s" addr add "$FW_S4/24" dev fwv1
	ip -n "$c" -6 addr add "$FW_C6/64" dev fwv0 nodad
	ip -n "$s" -6 addr add "$FW_S6/64" dev fwv1 nodad
	ip -n "$c" link set fwv0 up
	ip -n "$s" link set fwv1 up
	# Resolve the neighbours both ways now, not during a traced connect:
	# a connect to a closed port (no ping in the VM image) is refused at
	# once by a RST once the neighbours know each other.
	fw_wait_for 5 fw_refused "$c" "$FW_S4" || fw_die "$FW_S4 unreachable from $c"
	fw_wait_for 5 fw_refused "$c" "$FW_S6" || fw_die "$FW_S6 unreachable from $c"
	# Ephemeral ports stay above the ones the tests bind explicitly.
	ip netns exec "$c" sysctl -qw net.ipv4.ip_local_port_range="40000 60999"
}

# fw_netns_link NS_A IF_A ADDR_A NS_B IF_B ADDR_B: a veth between two
# namespaces, each end with its IPv4 address (/24), both up.
fw_netns_link() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" ||
		fw_die "cannot link $1 to $4"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$4" addr add "$6/24" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# fw_refused NS ADDR: a connect from NS to ADDR port 1 is refused.
fw_refused() {
	ip netns exec "$1" timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/1"' fw_refused "$2" 2>&1 |
		grep -q 'Connection refused'
}

fw_netns_inode() {
	stat -L -c %i "/run/netns/$1"
}

# ------------------------------------------------------------------- redis

# fw_redis_start NS PORT [BIND_ADDR...]: a real redis-server, no timeout,
# no keepalive, nothing saved; FW_LAST_PID is its pid. Waits for PING.
fw_redis_start() {
	local ns=$1 port=$2 i
	shift 2
	local binds=("$@")
	[ ${#binds[@]} -gt 0 ] || binds=("$FW_S4" "$FW_S6")
	mkdir -p "$FW_TMP/redis-$ns-$port"
	ip netns exec "$ns" redis-server --port "$port" --bind "${binds[@]}" \
		--timeout 0 --tcp-keepalive 0 --save '' --appendonly no \
		--daemonize no --protected-mode no --dir "$FW_TMP/redis-$ns-$port" \
		--logfile "$FW_TMP/redis-$ns-$port/log" </dev/null >/dev/null 2>&1 &
	FW_LAST_PID=$!
	FW_PIDS+=("$FW_LAST_PID")
	for ((i = 0; i < 100; i++)); do
		if [ "$(ip netns exec "$ns" redis-cli -h "${binds[0]}" -p "$port" PING 2>/dev/null)" = PONG ]; then
			return 0
		fi
		kill -0 "$FW_LAST_PID" 2>/dev/null ||
			fw_die "redis-server on $ns port $port died: $(tail -n 3 "$FW_TMP/redis-$ns-$port/log" 2>/dev/null)"
		sleep 0.1
	done
	fw_die "redis-server on $ns port $port does not answer PING"
}

# ----------------------------------------------------------------- clients

# fw_redis_cli NS HOST PORT CMD...: redis-cli in NS, in the foreground;
# FW_LAST_PID is its pid (ip netns exec execs, so the pid is redis-cli's),
# FW_LAST_OUT its output.
fw_redis_cli() {
	local ns=$1 host=$2 port=$3 rc
	shift 3
	FW_LAST_OUT=$FW_TMP/cli.$RANDOM.out
	ip netns exec "$ns" redis-cli -h "$host" -p "$port" "$@" </dev/null >"$FW_LAST_OUT" 2>&1 &
	FW_LAST_PID=$!
	FW_PIDS+=("$FW_LAST_PID")
	wait "$FW_LAST_PID"
	rc=$?
	return "$rc"
}

# fw_tcpclient NS [tcpclient options] ADDR PORT: the C client in the
# background (see tcpclient.c); FW_LAST_PID is its pid, FW_LAST_OUT its
# output ("lport N" once connected).
fw_tcpclient() {
	local ns=$1
	shift
	FW_LAST_OUT=$FW_TMP/tcpclient.$RANDOM.out
	ip netns exec "$ns" "$FW_TCPCLIENT" "$@" </dev/null >"$FW_LAST_OUT" 2>&1 &
	FW_LAST_PID=$!
	FW_PIDS+=("$FW_LAST_PID")
}

# fw_bash_client NS HOST PORT HOLD_SECS: a bash /dev/tcp client (no C,
# no python): connects, PING, holds the connection, closes, exits.
# Foreground; FW_LAST_PID is the bash's pid.
fw_bash_client() {
	local ns=$1 host=$2 port=$3 hold=$4
	FW_LAST_OUT=$FW_TMP/bashclient.$RANDOM.out
	ip netns exec "$ns" bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		printf "PING\r\n" >&3
		read -r -t 5 reply <&3 || exit 1
		echo "$reply"
		sleep "$3"
		exec 3>&- 3<&-
	' fw_bash_client "$host" "$port" "$hold" </dev/null >"$FW_LAST_OUT" 2>&1 &
	FW_LAST_PID=$!
	FW_PIDS+=("$FW_LAST_PID")
	wait "$FW_LAST_PID"
}

# fw_wait_pid PID SECS: waits for a child, at most SECS; returns its status,
# or 124 (and kills it) on timeout.
fw_wait_pid() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL -- "-$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}

# fw_wait_for SECS CMD...: polls CMD every 0.1 s until it succeeds.
fw_wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# ------------------------------------------------------------------ nft

# nft rules, all in table "inet fwtest" of a namespace, each counting
# what it drops (fw_nft_dropped NS).
#
# Where a segment is dropped matters. A drop in the sender's own output
# (or egress) hook is reported back to TCP as a failed transmission
# (-EPERM, NET_XMIT_DROP): the FIN stays "unsent" in the write queue and
# is re-sent by the zero-window probe timer, which never goes through
# tcp_retransmit_skb, so no retransmission is ever seen (checked on 6.18:
# 5 FINs dropped, TcpRetransSegs 0). A middlebox instead loses a segment
# the sender thinks it sent: drop it on arrival, in the receiver's
# prerouting hook (fw_nft_lose), and the sender retransmits it for real.
#
# fw_nft_drop NS HOOK FLAG [MATCH...]: drops TCP segments with FLAG (fin or
# rst) at HOOK (output or prerouting) in NS, only those matching MATCH
# (nft words such as "tcp sport 30001" or "tcp sport 30000-30009").
fw_nft_drop() {
	local ns=$1 hook=$2 flag=$3 prio=0
	shift 3
	[ "$hook" = prerouting ] && prio=-300
	ip netns exec "$ns" nft add table inet fwtest 2>/dev/null
	ip netns exec "$ns" nft add chain inet fwtest "$hook" \
		"{ type filter hook $hook priority $prio; policy accept; }" ||
		fw_die "nft: cannot add the $hook chain in $ns"
	ip netns exec "$ns" nft add rule inet fwtest "$hook" "$@" \
		tcp flags \& "$flag" == "$flag" counter drop ||
		fw_die "nft: cannot add the $flag drop rule in $ns"
}

# fw_nft_drop_fin NS [MATCH...]: NS's outgoing FINs never leave it (and
# its TCP knows: see above).
fw_nft_drop_fin() {
	local ns=$1
	shift
	fw_nft_drop "$ns" output fin "$@"
}

fw_nft_drop_rst() {
	local ns=$1
	shift
	fw_nft_drop "$ns" output rst "$@"
}

# fw_nft_lose RECEIVER_NS FLAG [MATCH...]: segments with FLAG are lost on
# the way, as a middlebox loses them: dropped on arrival in RECEIVER_NS.
# MATCH is from the sender's side ("tcp sport 30001": the client's port).
fw_nft_lose() {
	local ns=$1 flag=$2
	shift 2
	fw_nft_drop "$ns" prerouting "$flag" "$@"
}

# fw_nft_dropped NS [TEXT]: packets dropped so far by the fwtest rules of
# NS (only by those whose listing contains TEXT, e.g. "sport 30001 ").
fw_nft_dropped() {
	ip netns exec "$1" nft list table inet fwtest 2>/dev/null |
		awk -v t="${2:-}" 'index($0, t) { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }'
}

# fw_nft_dropped_ge NS N [TEXT]: true once they dropped N packets or more.
fw_nft_dropped_ge() {
	[ "$(fw_nft_dropped "$1" "${3:-}")" -ge "$2" ]
}

fw_nft_flush() {
	ip netns exec "$1" nft delete table inet fwtest 2>/dev/null
	return 0
}

# fw_ss_state NS LADDR LPORT RADDR RPORT: the kernel's own view (ss) of a
# connection's state in NS, e.g. ESTAB, FIN-WAIT-1; empty when absent.
fw_ss_state() {
	local ns=$1 la=$2 lp=$3 ra=$4 rp=$5
	case "$la" in *:*) la="[$la]" ;; esac
	case "$ra" in *:*) ra="[$ra]" ;; esac
	ip netns exec "$ns" ss -H -t -a -n state all |
		awk -v l="$la:$lp" -v r="$ra:$rp" '$4 == l && $5 == r { print $1 }'
}

# ---------------------------------------------------------------- tracer

# fw_spawn CMD...: runs CMD in the background in a process group of its
# own, so that cleanup also kills what it starts (FINWATCH may be a
# wrapper: valgrind, a sanitizer runner). FW_LAST_PID is its pid (setsid
# execs CMD: a background job of a script leads no group, so setsid has
# no need to fork).
fw_spawn() {
	setsid "$@" &
	FW_LAST_PID=$!
	FW_PIDS+=("$FW_LAST_PID")
	FW_GROUPS+=("$FW_LAST_PID")
}

# fw_trace_start OUT [TRACE OPTIONS...]: runs `finwatch trace --json -o OUT
# OPTIONS` in the background and waits for its start record. Returns 1
# (after printing why) when it dies or does not start within 30 s.
fw_trace_start() {
	local out=$1 i
	shift
	FW_TRACER_OUT=$out
	rm -f "$out"
	fw_spawn "$FINWATCH" trace --json "${FW_STREAM_ARGS[@]}" -o "$out" "$@" </dev/null >"$out.stdout" 2>"$out.stderr"
	FW_TRACER_PID=$FW_LAST_PID
	for ((i = 0; i < 300; i++)); do
		if [ -s "$out" ] && head -n 1 "$out" | jq -e 'select(.type == "start")' >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$FW_TRACER_PID" 2>/dev/null; then
			wait "$FW_TRACER_PID"
			FW_TRACER_RC=$?
			echo "# tracer exited $FW_TRACER_RC before its start record: $(head -c 2000 "$out.stderr")" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "# tracer wrote no start record within 30 s: $(head -c 2000 "$out.stderr")" >&2
	return 1
}

# fw_trace_stop: waits for the records of the traffic just driven (the
# reader polls), then SIGINT and waits (10 s at most) for the tracer.
# FW_TRACER_RC is its exit status (124: it had to be killed).
fw_trace_stop() {
	sleep "${1:-0.5}"
	kill -INT "$FW_TRACER_PID" 2>/dev/null
	fw_wait_pid "$FW_TRACER_PID" 10
	FW_TRACER_RC=$?
	[ "$FW_TRACER_RC" -ne 124 ]
}

# fw_check_trace_end NAME: the tracer stopped by SIGINT exited 0, every
# line it wrote is JSON, and the last one is the stop record.
fw_check_trace_end() {
	local name=$1 out=$FW_TRACER_OUT bad
	bad=$(jq -R -c 'fromjson? // "bad"' "$out" 2>&1 | grep -c '^"bad"$')
	if [ "$FW_TRACER_RC" -ne 0 ]; then
		fw_fail "$name" "tracer exited $FW_TRACER_RC after SIGINT: $(head -c 500 "$out.stderr")"
	elif [ "$bad" -ne 0 ]; then
		fw_fail "$name" "$bad output lines are not JSON" "$out"
	elif ! tail -n 1 "$out" | jq -e 'select(.type == "stop" and (.events | type) == "number" and (.lost | type) == "number")' >/dev/null 2>&1; then
		tail -n 3 "$out" >"$FW_TMP/tail"
		fw_fail "$name" "last record is not a stop record with events and lost" "$FW_TMP/tail"
	else
		fw_pass "$name"
	fi
}

# --------------------------------------------------------------- records

# fw_socks FILE NETNS LADDR LPORT RADDR RPORT: the distinct sock ids of the
# connection records of that 4-tuple in NETNS (an inode).
fw_socks() {
	jq -r --argjson ns "$2" --arg la "$3" --argjson lp "$4" --arg ra "$5" --argjson rp "$6" \
		"$FW_JQ_CONN"' | select(.netns == $ns and .laddr == $la and .lport == $lp and .raddr == $ra and .rport == $rp) | .sock' \
		"$1" 2>/dev/null | sort -u
}

# fw_client_lports FILE NETNS RADDR RPORT: the distinct non-zero local
# ports of connections from NETNS to RADDR:RPORT.
fw_client_lports() {
	jq -r --argjson ns "$2" --arg ra "$3" --argjson rp "$4" \
		"$FW_JQ_CONN"' | select(.netns == $ns and .raddr == $ra and .rport == $rp and .lport != 0) | .lport' \
		"$1" 2>/dev/null | sort -u
}

# fw_sock_records FILE SOCK: every connection record of one socket.
fw_sock_records() {
	jq -c --argjson s "$2" "$FW_JQ_CONN"' | select(.sock == $s)' "$1" 2>/dev/null
}

# The transitions a record of the socket tells: those of its path (the
# folded stream's, or ones whose own record was lost), then, for a state
# record, its own.
FW_JQ_TRANSITIONS='((.path // [])[] | "\(.[0])>\(.[1])"), (select(.type == "state") | "\(.oldstate)>\(.newstate)")'

# fw_transitions FILE SOCK: the socket's transitions as "OLD>NEW OLD>NEW
# ...", in the order the tracer wrote them, whichever stream it wrote.
fw_transitions() {
	jq -r --argjson s "$2" "select(.sock == \$s) | $FW_JQ_TRANSITIONS" \
		"$1" 2>/dev/null | paste -sd' ' -
}

# The same, sorted by time_ns (to tell reordering from missing records).
fw_transitions_by_time() {
	jq -s -r --argjson s "$2" "map(select(.sock == \$s)) | sort_by(.time_ns) | .[] | $FW_JQ_TRANSITIONS" \
		"$1" 2>/dev/null | paste -sd' ' -
}

# fw_records_where FILE JQ_CONDITION: connection records matching it.
fw_records_where() {
	jq -c "$FW_JQ_CONN | select($2)" "$1" 2>/dev/null
}

# ------------------------------------------------------- connection checks

# fw_find_sock VAR FILE NETNS LADDR LPORT RADDR RPORT NAME: sets VAR to the
# one sock id of that 4-tuple; prints FAIL NAME and returns 1 when there
# is none or more than one.
fw_find_sock() {
	local var=$1 file=$2 ns=$3 la=$4 lp=$5 ra=$6 rp=$7 name=$8 socks n
	socks=$(fw_socks "$file" "$ns" "$la" "$lp" "$ra" "$rp")
	n=$(printf '%s' "$socks" | grep -c .)
	if [ "$n" -ne 1 ]; then
		jq -c --argjson ns "$ns" "$FW_JQ_CONN"' | select(.netns == $ns)' "$file" >"$FW_TMP/find" 2>/dev/null
		fw_fail "$name" "expected 1 socket for netns $ns $la:$lp -> $ra:$rp, found $n; the records of that netns:" "$FW_TMP/find"
		return 1
	fi
	printf -v "$var" '%s' "$socks"
}

# fw_check_states NAME FILE SOCK "OLD>NEW ...": the exact state sequence.
fw_check_states() {
	local name=$1 file=$2 sock=$3 expected=$4 actual bytime
	actual=$(fw_transitions "$file" "$sock")
	if [ "$actual" = "$expected" ]; then
		fw_pass "$name"
		return 0
	fi
	bytime=$(fw_transitions_by_time "$file" "$sock")
	fw_sock_records "$file" "$sock" >"$FW_TMP/states"
	if [ "$bytime" = "$expected" ]; then
		fw_fail "$name" "records out of order: written '$actual', by time_ns '$bytime'" "$FW_TMP/states"
	else
		fw_fail "$name" "expected '$expected', got '$actual'" "$FW_TMP/states"
	fi
}

# fw_check_all NAME FILE SOCK JQ_CONDITION WHY: every connection record of
# SOCK satisfies the condition (and there is at least one).
fw_check_all() {
	local name=$1 file=$2 sock=$3 cond=$4 why=$5
	fw_sock_records "$file" "$sock" >"$FW_TMP/all"
	jq -c "select(($cond) | not)" "$FW_TMP/all" >"$FW_TMP/bad"
	if [ ! -s "$FW_TMP/all" ]; then
		fw_fail "$name" "no records of sock $sock"
	elif [ -s "$FW_TMP/bad" ]; then
		fw_fail "$name" "$why; records that are not:" "$FW_TMP/bad"
	else
		fw_pass "$name"
	fi
}

# fw_check_tuple NAME FILE SOCK FAMILY LADDR LPORT RADDR RPORT ROLE
# Addresses, ports, family and role of every record of the socket. The
# CLOSE>SYN_SENT record may have lport 0: connect() binds the port after
# it sets SYN_SENT.
fw_check_tuple() {
	local name=$1 file=$2 sock=$3 fam=$4 la=$5 lp=$6 ra=$7 rp=$8 role=$9
	fw_check_all "$name" "$file" "$sock" \
		".family == $fam and .laddr == \"$la\" and .raddr == \"$ra\" and .rport == $rp and .role == \"$role\" and (.lport == $lp or (.lport == 0 and .type == \"state\" and .newstate == \"SYN_SENT\"))" \
		"expected family $fam $la:$lp -> $ra:$rp role $role"
}

# fw_check_owner NAME FILE SOCK PID COMM: every record names the owner.
fw_check_owner() {
	local name=$1 file=$2 sock=$3 pid=$4 comm=$5
	fw_check_all "$name" "$file" "$sock" ".pid == $pid and .comm == \"$comm\"" \
		"expected owner pid $pid comm $comm"
}

# fw_isn_pairs FILE SOCK: the distinct "isn_local isn_remote" pairs of the
# records of SOCK from its move to ESTABLISHED on; "missing" for a record
# without them.
fw_isn_pairs() {
	jq -s -r --argjson s "$2" "map($FW_JQ_CONN | select(.sock == \$s))"' |
		(map(.type == "state" and .newstate == "ESTABLISHED") | index(true)) as $i |
		if $i == null then "no-ESTABLISHED" else
		.[$i:][] | if (.isn_local | type) == "number" and (.isn_remote | type) == "number"
			then "\(.isn_local) \(.isn_remote)" else "missing" end end' \
		"$1" 2>/dev/null | sort -u
}

# fw_check_isn NAME FILE CLIENT_SOCK SERVER_SOCK: from ESTABLISHED on,
# each end reports one pair of ISNs, and the two ends mirror each other.
fw_check_isn() {
	local name=$1 file=$2 cs=$3 ss=$4 cp sp
	cp=$(fw_isn_pairs "$file" "$cs")
	sp=$(fw_isn_pairs "$file" "$ss")
	{ fw_sock_records "$file" "$cs"; fw_sock_records "$file" "$ss"; } >"$FW_TMP/isn"
	if [ "$(printf '%s\n' "$cp" | grep -c .)" -ne 1 ] || ! [[ $cp =~ ^[0-9]+\ [0-9]+$ ]]; then
		fw_fail "$name" "client ISNs from ESTABLISHED on: '$(echo $cp)'" "$FW_TMP/isn"
	elif [ "$(printf '%s\n' "$sp" | grep -c .)" -ne 1 ] || ! [[ $sp =~ ^[0-9]+\ [0-9]+$ ]]; then
		fw_fail "$name" "server ISNs from ESTABLISHED on: '$(echo $sp)'" "$FW_TMP/isn"
	elif [ "${cp% *}" != "${sp#* }" ] || [ "${cp#* }" != "${sp% *}" ]; then
		fw_fail "$name" "not mirrored: client local/remote $cp, server local/remote $sp" "$FW_TMP/isn"
	else
		fw_pass "$name"
	fi
}

# fw_check_ages NAME FILE SOCK: last_recv_ms and last_send_ms, where
# present, fit in the life of a socket of this test (well under 60 s).
fw_check_ages() {
	fw_check_all "$1" "$2" "$3" \
		'(.last_recv_ms == null or (.last_recv_ms >= 0 and .last_recv_ms < 60000)) and (.last_send_ms == null or (.last_send_ms >= 0 and .last_send_ms < 60000))' \
		"last_recv_ms/last_send_ms older than the socket (which is under 60 s old): they must be absent when unknown"
}

# fw_check_closed NAME FILE SOCK: the socket's end is reported. All
# states: exactly one close record via destroy (newstate CLOSE, oldstate
# CLOSE), after its last state record; a close via tcp_close may come too
# where fentry works. Folded: one final record, the last state record
# (only the RST an aborted socket sends once CLOSE may follow it), and no
# close record (the destroy writes one only when the final one was lost).
fw_check_closed() {
	local name=$1 file=$2 sock=$3 verdict
	fw_sock_records "$file" "$sock" >"$FW_TMP/closed"
	if [ "$FW_STREAM" = folded ]; then
		verdict=$(jq -s -r '
			(map(.final == true) | indices(true)) as $f |
			if ($f | length) != 1 then "\($f | length) final records"
			elif (.[$f[0] + 1:] | map(select(.type != "reset_sent")) | length) > 0 then "records other than a reset follow the final one"
			elif (map(select(.type == "close")) | length) > 0 then "a close record although the final one came"
			else "ok" end' "$FW_TMP/closed" 2>&1)
		if [ "$verdict" = ok ]; then
			fw_pass "$name"
		else
			fw_fail "$name" "$verdict" "$FW_TMP/closed"
		fi
		return
	fi
	verdict=$(jq -s -r '
		(map(.type == "close" and .via == "destroy") | indices(true)) as $d |
		(map(.type == "state") | indices(true)) as $st |
		if ($d | length) != 1 then "\($d | length) close records via destroy"
		elif .[$d[0]].newstate != "CLOSE" or .[$d[0]].oldstate != "CLOSE" then "close via destroy is \(.[$d[0]].oldstate)>\(.[$d[0]].newstate), not CLOSE>CLOSE"
		elif ($st | length) > 0 and $st[-1] > $d[0] then "a state record follows the close record"
		elif (map(select(.type == "close" and .via != "destroy" and .via != "tcp_close")) | length) > 0 then "close record with an unknown via"
		else "ok" end' "$FW_TMP/closed" 2>&1)
	if [ "$verdict" = ok ]; then
		fw_pass "$name"
	else
		fw_fail "$name" "$verdict" "$FW_TMP/closed"
	fi
}

# fw_check_none NAME FILE SOCK JQ_CONDITION WHY: no record of SOCK matches.
fw_check_none() {
	local name=$1 file=$2 sock=$3 cond=$4 why=$5
	fw_sock_records "$file" "$sock" | jq -c "select($cond)" >"$FW_TMP/none"
	if [ -s "$FW_TMP/none" ]; then
		fw_fail "$name" "$why" "$FW_TMP/none"
	else
		fw_pass "$name"
	fi
}

# The state sequences of a clean close, the client closing first.
FW_CLIENT_CLEAN='CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>TIME_WAIT'
FW_SERVER_CLEAN='SYN_RECV>ESTABLISHED ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSE'
# The server's child socket is created in SYN_RECV by cloning the listener
# (inet_csk_clone_lock), so its first move reads LISTEN>SYN_RECV.
FW_SERVER_OPEN='LISTEN>SYN_RECV'

fw_reap_stale

# ------------------------------------------------------- fw_netns_routed

# A router namespace between client and server: the wire, where a
# middlebox loses or rewrites segments that neither host sees go.
FW_R=fwr-$$
FW_RS4=198.18.1.2	# the server's addresses behind the router
FW_RS6=2001:db8:1::2

# fw_netns_routed CLIENT_NS ROUTER_NS SERVER_NS: the client at 198.18.0.1
# and 2001:db8::1, the server at FW_RS4 and FW_RS6, each routing through
# ROUTER_NS (forwarding on, .254 and ::fe on each side).
fw_netns_routed() {
	local c=${1:-$FW_C} r=${2:-$FW_R} s=${3:-$FW_S} l
	fw_netns_add "$c"
	fw_netns_add "$r"
	fw_netns_add "$s"
	ip link add fwv0 netns "$c" type veth peer name fwr0 netns "$r" &&
		ip link add fwv1 netns "$s" type veth peer name fwr1 netns "$r" ||
		fw_die "cannot create veth through $r"
	ip -n "$c" addr add "$FW_C4/24" dev fwv0
	ip -n "$r" addr add 198.18.0.254/24 dev fwr0
	ip -n "$r" addr add 198.18.1.254/24 dev fwr1
	ip -n "$s" addr add "$FW_RS4/24" dev fwv1
	ip -n "$c" -6 addr add "$FW_C6/64" dev fwv0 nodad
	ip -n "$r" -6 addr add 2001:db8::fe/64 dev fwr0 nodad
	ip -n "$r" -6 addr add 2001:db8:1::fe/64 dev fwr1 nodad
	ip -n "$s" -6 addr add "$FW_RS6/64" dev fwv1 nodad
	for l in "$c fwv0" "$r fwr0" "$r fwr1" "$s fwv1"; do
		ip -n "${l% *}" link set "${l#* }" up
	done
	ip -n "$c" route add default via 198.18.0.254
	ip -n "$c" -6 route add default via 2001:db8::fe
	ip -n "$s" route add default via 198.18.1.254
	ip -n "$s" -6 route add default via 2001:db8:1::fe
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
		fw_die "cannot turn forwarding on in $r"
	fw_wait_for 5 fw_refused "$c" "$FW_RS4" || fw_die "$FW_RS4 unreachable from $c through $r"
	fw_wait_for 5 fw_refused "$c" "$FW_RS6" || fw_die "$FW_RS6 unreachable from $c through $r"
	ip netns exec "$c" sysctl -qw net.ipv4.ip_local_port_range="40000 60999"
}

# Routers left by a test killed with SIGKILL (fw_reap_stale knows only
# the fwc/fws names).
fw_reap_stale_routers() {
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[[ $ns =~ ^fwr[0-9]*-([0-9]+)$ ]] || continue
		kill -0 "${BASH_REMATCH[1]}" 2>/dev/null || fw_netns_destroy "$ns"
	done
}
fw_reap_stale_routers
