#!/usr/bin/env bash
# The fleet path with real daemons: on each host (a namespace) the tracer's
# JSON goes through `logger` to the host's own rsyslogd, which forwards it
# over TCP to a collector rsyslogd in a namespace of its own, which writes
# one file per host, in three formats (RFC 3339 file format, traditional
# RFC 3164, RFC 5424). `correlate` on the collector's files, batch and
# --follow, must give exactly the verdicts of the raw logs (tee'd beside
# the pipe). The same raw logs made into journal files by
# systemd-journal-remote and read back with `journalctl --file -o json`,
# `-o cat` and `-o short-iso` must too (journald itself does not run
# here: the files are the ones journald would write, the output
# journalctl's own).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

fw_scenario_setup
fw_require rsyslogd logger
JREMOTE=/lib/systemd/systemd-journal-remote
# journald's tools check only the reader's formats: the host's suite has
# them, the VM image not.
journal=0
if fw_host_tool journalctl systemd && fw_host_tool "$JREMOTE" systemd-journal-remote; then
	journal=1
fi

# The collector, joined to each host by a link of its own.
FW_L=fwl-$$
fw_netns_add "$FW_L"
fw_netns_link "$FW_C" fwl0 198.18.1.1 "$FW_L" fwl1 198.18.1.2
fw_netns_link "$FW_S" fwl0 198.18.2.1 "$FW_L" fwl2 198.18.2.2

R=$FW_TMP/rsyslog
mkdir -p "$R/collector"
# rsyslogd: its own config, pid file, work directory and socket; no
# /dev/log, no kernel log, nothing of the host's syslog touched.
rsyslog_start() { # NS NAME CONFIG
	mkdir -p "$R/$2.work"
	fw_spawn ip netns exec "$1" rsyslogd -n -f "$3" -i "$R/$2.pid" \
		</dev/null >"$R/$2.out" 2>&1
}

cat >"$R/collector.conf" <<EOF
global(workDirectory="$R/collector.work" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" port="10514")
template(name="f3339" type="string" string="$R/collector/%HOSTNAME%.log")
template(name="f3164" type="string" string="$R/collector/%HOSTNAME%.3164")
template(name="f5424" type="string" string="$R/collector/%HOSTNAME%.5424")
if \$programname == "finwatch" then {
	action(type="omfile" dynaFile="f3339" template="RSYSLOG_FileFormat")
	action(type="omfile" dynaFile="f3164" template="RSYSLOG_TraditionalFileFormat")
	action(type="omfile" dynaFile="f5424" template="RSYSLOG_SyslogProtocol23Format")
}
EOF
rsyslog_start "$FW_L" collector "$R/collector.conf"
fw_wait_for 10 bash -c "ip netns exec $FW_L ss -Hltn | grep -q ':10514 '" ||
	fw_die "collector rsyslogd does not listen: $(cat "$R/collector.out")"

host_rsyslog() { # NS HOST COLLECTOR_ADDR
	cat >"$R/$2.conf" <<EOF
global(workDirectory="$R/$2.work" localHostname="$2" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$R/$2.sock" RateLimit.Interval="0")
action(type="omfwd" target="$3" port="10514" protocol="tcp"
       template="RSYSLOG_ForwardFormat" action.resumeRetryCount="-1"
       queue.type="LinkedList" queue.size="100000")
EOF
	rsyslog_start "$1" "$2" "$R/$2.conf"
	fw_wait_for 10 test -S "$R/$2.sock" ||
		fw_die "rsyslogd of $2 made no socket: $(cat "$R/$2.out")"
}
host_rsyslog "$FW_C" app1 198.18.1.2
host_rsyslog "$FW_S" db1 198.18.2.2

# The README's pipeline, with the size limits lifted (logger's default
# is 1 KiB, rsyslog's 8 KiB: see docs/FLEET.md).
trace_to_syslog() { # NS HOST: FW_TMP/HOST.pid is the tracer's pid
	fw_spawn bash -c '
		ip netns exec "$1" "$2" trace --json --host "$3" -p 6379 \
			--netns "/run/netns/$1" 2>"$4.err" \
			> >(tee "$4.raw" | logger -u "$5" -S 65536 -t finwatch --id=$$) &
		echo $! >"$4.pid"
		wait $!' fw_pipeline "$1" "$FINWATCH" "$2" "$FW_TMP/$2" "$R/$2.sock"
}
# --follow on the collector's files, which do not exist yet.
"$FINWATCH" correlate --follow --json --all --close-wait 1s \
	"$R/collector/app1.log" "$R/collector/db1.log" >"$FW_TMP/follow.json" 2>"$FW_TMP/follow.err" &
FOLLOW=$!
FW_PIDS+=("$FOLLOW")
trace_to_syslog "$FW_C" app1
APP1=$FW_LAST_PID
trace_to_syslog "$FW_S" db1
DB1=$FW_LAST_PID
fw_wait_for 30 bash -c "grep -qs '\"type\":\"start\"' '$FW_TMP/app1.raw' && grep -qs '\"type\":\"start\"' '$FW_TMP/db1.raw'" ||
	fw_die "tracers did not start: $(cat "$FW_TMP"/*.err)"

# Clean closes, FINs dropped by the client's own firewall, an RST lost.
fw_nft_drop_fin "$FW_C" tcp sport 34000-34002
fw_nft_lose "$FW_S" rst tcp sport 34020
pids=()
for p in 34000 34001 34002 34010 34011 34012 34013; do
	fw_tcpclient "$FW_C" -b "$p" -a 1 "$FW_S4" 6379
	pids+=("$FW_LAST_PID")
done
fw_tcpclient "$FW_C" -r -b 34020 -a 1 "$FW_S4" 6379
pids+=("$FW_LAST_PID")
for p in "${pids[@]}"; do
	fw_wait_pid "$p" 15 || fw_die "a client failed"
done
sleep 3
kill -INT "$(cat "$FW_TMP/app1.pid")" "$(cat "$FW_TMP/db1.pid")"
fw_wait_pid "$APP1" 15
fw_wait_pid "$DB1" 15
# Everything the tracers wrote reached the collector.
arrived() {
	[ "$(wc -l <"$FW_TMP/app1.raw")" = "$(wc -l <"$R/collector/app1.log" 2>/dev/null)" ] &&
		[ "$(wc -l <"$FW_TMP/db1.raw")" = "$(wc -l <"$R/collector/db1.log" 2>/dev/null)" ]
}
fw_wait_for 20 arrived
fw_check fleet/all_lines_arrived "$(wc -l <"$R/collector/app1.log" 2>/dev/null) $(wc -l <"$R/collector/db1.log" 2>/dev/null)" \
	"$(wc -l <"$FW_TMP/app1.raw") $(wc -l <"$FW_TMP/db1.raw")"
sleep 4
kill -INT "$FOLLOW"
fw_wait_pid "$FOLLOW" 20
fw_check fleet/follow_exit "$?" 0 "$FW_TMP/follow.err"

verdicts() { # FILE: "verdict client server" of the last finding of each id (--follow
	# names lost closes provisionally first), sorted
	jq -r 'select(.type == "finding") | "\(.id) \(.verdict) \(.client) \(.server)"' "$1" |
		awk '{ last[$1] = $2 " " $3 " " $4 } END { for (k in last) print last[k] }' | sort
}
run() { # NAME FILES...: batch correlate; its verdicts in $FW_TMP/NAME.v
	local n=$1
	shift
	"$FINWATCH" correlate --json --all --close-wait 1s "$@" >"$FW_TMP/$n.json" 2>"$FW_TMP/$n.err"
	fw_check "fleet/$n/exit" "$?" 0 "$FW_TMP/$n.err"
	verdicts "$FW_TMP/$n.json" >"$FW_TMP/$n.v"
}
run raw "$FW_TMP/app1.raw" "$FW_TMP/db1.raw"
want=$(cat "$FW_TMP/raw.v")
fw_check fleet/raw/lost "$(grep -c '^lost_fin ' "$FW_TMP/raw.v") $(grep -c '^lost_rst ' "$FW_TMP/raw.v") $(grep -c '^ok ' "$FW_TMP/raw.v")" \
	"3 1 4" "$FW_TMP/raw.v"
for f in log 3164 5424; do
	run "collector_$f" "$R/collector/app1.$f" "$R/collector/db1.$f"
	fw_check "fleet/collector_$f/same_verdicts" "$(cat "$FW_TMP/collector_$f.v")" "$want"
	fw_check "fleet/collector_$f/no_bad_lines" \
		"$(jq -r 'select(.type == "summary") | "\(.bad_lines) \(.duplicates)"' "$FW_TMP/collector_$f.json")" "0 0"
done
fw_check fleet/follow/same_verdicts "$(verdicts "$FW_TMP/follow.json")" "$want" "$FW_TMP/follow.err"
# The raw logs and the collector's copies together: each record once.
run mixed "$FW_TMP/app1.raw" "$R/collector/app1.log" "$FW_TMP/db1.raw" "$R/collector/db1.5424"
fw_check fleet/mixed/same_verdicts "$(cat "$FW_TMP/mixed.v")" "$want"
fw_check fleet/mixed/duplicates "$(jq -r 'select(.type == "summary") | .duplicates' "$FW_TMP/mixed.json")" \
	"$(cat "$FW_TMP/app1.raw" "$FW_TMP/db1.raw" | grep -c .)"

# journald's files: the raw logs in its export format, written by
# systemd-journal-remote, read back by journalctl.
[ "$journal" = 1 ] || exit 0
for h in app1 db1; do
	# (not jq: its numbers are doubles, and time_ns needs 64 bits)
	awk -v h="$h" 'match($0, /"time_ns":[0-9]+/) {
		t = substr($0, RSTART + 10, RLENGTH - 13)
		printf "__REALTIME_TIMESTAMP=%s\n_HOSTNAME=%s\nSYSLOG_IDENTIFIER=finwatch\nMESSAGE=%s\n\n", t, h, $0
	}' "$FW_TMP/$h.raw" >"$FW_TMP/$h.export"
	"$JREMOTE" -o "$FW_TMP/$h.journal" - <"$FW_TMP/$h.export" >/dev/null 2>&1 ||
		fw_die "systemd-journal-remote could not write $h.journal"
	journalctl --file "$FW_TMP/$h.journal" -o json --all >"$FW_TMP/$h.jjson"
	journalctl --file "$FW_TMP/$h.journal" -o cat >"$FW_TMP/$h.jcat"
	journalctl --file "$FW_TMP/$h.journal" -o short-iso >"$FW_TMP/$h.jiso"
done
for f in jjson jcat jiso; do
	run "journal_$f" "$FW_TMP/app1.$f" "$FW_TMP/db1.$f"
	fw_check "fleet/journal_$f/same_verdicts" "$(cat "$FW_TMP/journal_$f.v")" "$want"
done
