#!/usr/bin/env bash
# The systemd units: systemd-analyze verify accepts them (there is no
# running systemd here, so verify is what can be run), and the tracer's
# unit works with exactly the privileges it grants: its ExecStart, with
# the shipped default.conf's options, run the way the unit runs it
# (DynamicUser: an unprivileged uid; its AmbientCapabilities and
# CapabilityBoundingSet; NoNewPrivileges) by setpriv, traces a redis in a
# namespace, names the owners, writes its metrics, and reopens its log on
# ExecReload's SIGHUP. Without CAP_SYS_ADMIN there is no snapshot pass,
# without CAP_BPF no trace: the capabilities the unit documents are the
# ones needed (CAP_SYS_ADMIN covers CAP_BPF and CAP_PERFMON too). Root, namespaces: run it under the kernel lock.
. "$(dirname "$0")/../kernel/lib.sh"
fw_require systemd-analyze setpriv
UNITS=$FW_TMP/units
unit=$UNITS/finwatch-trace@.service
mkdir -p "$UNITS"
for u in finwatch-trace@.service finwatch-snapshot.service finwatch-snapshot.timer; do
	sed "s|@SBINDIR@|$FW_ROOT|g; s|@SYSCONFDIR@|/etc|g" "$FW_ROOT/dist/$u" >"$UNITS/$u"
done
# shellcheck disable=SC2086
(cd "$UNITS" && systemd-analyze verify --man=no finwatch-trace@default.service \
	finwatch-snapshot.service finwatch-snapshot.timer) >"$FW_TMP/verify" 2>&1
rc=$?
fw_check units/systemd_analyze_verify "$rc $(wc -c <"$FW_TMP/verify")" "0 0" "$FW_TMP/verify"

key() { sed -n "s/^$1=//p" "$unit"; }
fw_check units/least_privilege "$(key NoNewPrivileges) $(key ProtectSystem) $(key DynamicUser)" \
	"yes strict yes"
# Instances and the snapshot unit share the log and metrics directories,
# so they share one (dynamic) user: systemd chowns those at each start.
fw_check units/one_user "$(cat "$UNITS"/*.service | sed -n 's/^User=//p' | sort -u)" finwatch
fw_check units/reload_is_sighup "$(key ExecReload)" '/bin/kill -HUP $MAINPID'
caps=$(key AmbientCapabilities)
fw_check units/bounding_is_ambient "$(key CapabilityBoundingSet)" "$caps"

# The unit's command line, as systemd would expand it for "default".
LOGS=$FW_TMP/log RUN=$FW_TMP/run
mkdir -p "$LOGS" "$RUN"
chmod 711 "$FW_TMP"
chown 65534:65534 "$LOGS" "$RUN"
# shellcheck disable=SC1091
eval "$(sed -n 's/^FINWATCH_TRACE_ARGS=/args=/p' "$FW_ROOT/dist/trace-default.conf")"
# shellcheck disable=SC2154
args=${args//\/run\/finwatch/$RUN}
exec_start=$(key ExecStart | sed -e "s|^$FW_ROOT/finwatch|$FINWATCH|" \
	-e "s|/var/log/finwatch|$LOGS|; s|%i|default|; s|%H|db1|" \
	-e "s|\$FINWATCH_TRACE_ARGS|$args|")
setpriv_caps() { # CAPS (CAP_X CAP_Y): setpriv's list
	tr ' ' '\n' <<<"$1" | sed 's/^CAP_//' | tr 'A-Z' 'a-z' | sed 's/^/+/' | paste -sd, -
}
as_unit() { # CAPS: SETPRIV, to run a command as DynamicUser would with CAPS
	local c
	c=-all,$(setpriv_caps "$1")
	SETPRIV=(setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs
		--inh-caps="$c" --ambient-caps="$c" --bounding-set="$c")
}

fw_netns_pair "$FW_C" "$FW_S"
fw_redis_start "$FW_S" 6379
log=$LOGS/default.jsonl
as_unit "$caps"
# shellcheck disable=SC2086
fw_spawn "${SETPRIV[@]}" $exec_start
TRACER=$FW_LAST_PID
fw_wait_for 30 test -s "$log" || fw_die "the unit's tracer wrote no log: $(ls -la "$LOGS")"
fw_wait_for 10 grep -q '"snapshot_end"' "$log"
fw_redis_cli "$FW_C" "$FW_S4" 6379 PING || fw_die "redis-cli failed"
sleep 1
fw_check units/runs_unprivileged "$(stat -c %u "$log")" 65534
fw_check units/baseline_names_owner \
	"$(jq -r 'select(.type == "snapshot" and .newstate == "LISTEN") | .comm' "$log" | sort -u)" redis-server "$log"
fw_check units/traces_clients \
	"$(jq -r "$FW_JQ_CONN | select(.role == \"server\" and .newstate == \"ESTABLISHED\") | .comm" "$log" | sort -u)" \
	redis-server "$log"
mv "$log" "$log.1"
kill -HUP "$TRACER"
fw_wait_for 10 test -s "$log"
fw_check units/reload_reopens "$(head -n 1 "$log" | jq -r '"\(.type) \(.reopen)"')" "start true" "$log"
fw_wait_for 20 test -s "$RUN/trace-default.prom"
fw_check units/writes_metrics "$(grep -c '^finwatch_trace_records_total ' "$RUN/trace-default.prom")" 1
kill -TERM "$TRACER"
fw_wait_pid "$TRACER" 10
fw_check units/stops_on_sigterm "$? $(tail -n 1 "$log" | jq -r .type)" "0 stop" "$log"

# Each capability is needed for what the unit's comment says.
without() { # CAP: the unit's set less CAP
	tr ' ' '\n' <<<"$caps" | grep -vx "$1" | paste -sd ' ' -
}
as_unit "$(without CAP_SYS_ADMIN)"
"${SETPRIV[@]}" "$FINWATCH" trace --json -p 6379 -d 1 \
	>"$FW_TMP/nosysadmin" 2>"$FW_TMP/nosysadmin.err"
# (Every pass fails: the baseline, and the one the folded stream ends with.)
fw_check units/sys_admin_for_snapshots \
	"$(grep -c '"type":"snapshot_end"' "$FW_TMP/nosysadmin") $(grep -q 'no snapshot pass' "$FW_TMP/nosysadmin.err" && echo warned)" \
	"0 warned" "$FW_TMP/nosysadmin.err"
# (CAP_SYS_ADMIN alone would also let it load BPF: both must go.)
caps_no_admin=$(without CAP_SYS_ADMIN)
as_unit "$(caps=$caps_no_admin without CAP_BPF)"
"${SETPRIV[@]}" "$FINWATCH" trace --json -p 6379 -d 1 >/dev/null 2>"$FW_TMP/nobpf.err"
fw_check units/bpf_to_trace "$? $(grep -c 'missing capability CAP_BPF' "$FW_TMP/nobpf.err")" "2 1" "$FW_TMP/nobpf.err"
