#!/usr/bin/env bash
# The shipped logrotate file (dist/finwatch.logrotate), with the real
# logrotate on a live trace: only its path and its postrotate command are
# adapted (the test's directory, and kill -HUP of the test's tracer
# instead of systemctl). Two rotations while redis clients come and go;
# then every file after the first starts with a start record marked
# "reopen" and a baseline, the compressed ones are gzip, and no record is
# lost: the tracer's stop record counts as many records read from the
# kernel as the files hold, together. Root, namespaces: run it under the
# kernel lock.
. "$(dirname "$0")/../kernel/lib.sh"
fw_require logrotate gzip
conf=$FW_ROOT/dist/finwatch.logrotate
LOGS=$FW_TMP/log
mkdir -p "$LOGS"

logrotate -d "$conf" >"$FW_TMP/debug" 2>&1
fw_check logrotate/debug_shipped_file "$? $(grep -ci '^error' "$FW_TMP/debug")" "0 0" "$FW_TMP/debug"

fw_netns_pair "$FW_C" "$FW_S"
fw_redis_start "$FW_S" 6379
fw_trace_start "$LOGS/db1.jsonl" -p 6379 --netns "/run/netns/$FW_S" --host db1 ||
	fw_die "tracer did not start"

# The shipped file, its path and postrotate adapted, nothing else.
sed -e "s|^/var/log/finwatch/\*\.jsonl {|$LOGS/*.jsonl {|" \
	-e "s|^\t\tsystemctl kill .*|\t\tkill -HUP $FW_TRACER_PID|" "$conf" >"$FW_TMP/logrotate.conf"
fw_check logrotate/adapted_two_lines \
	"$(diff "$conf" "$FW_TMP/logrotate.conf" | grep -c '^>')" 2 "$FW_TMP/logrotate.conf"

clients() { # N: redis-cli PINGs, one connection each
	for ((i = 0; i < $1; i++)); do
		fw_redis_cli "$FW_C" "$FW_S4" 6379 PING || fw_die "redis-cli failed"
	done
}
rotate() {
	logrotate -f -s "$FW_TMP/state" "$FW_TMP/logrotate.conf" 2>"$FW_TMP/rotate.err" ||
		fw_die "logrotate failed: $(cat "$FW_TMP/rotate.err")"
	# the tracer reopens within a poll; the new file starts at once
	fw_wait_for 10 test -s "$LOGS/db1.jsonl" || fw_die "no new file after SIGHUP"
}
clients 5
rotate
clients 5
# the second rotation while clients come and go: records in flight go to
# one file or the other, and the new file still begins with its start
fw_spawn ip netns exec "$FW_C" bash -c 'for i in $(seq 10); do
	redis-cli -h "$1" PING >/dev/null; sleep 0.05; done' x "$FW_S4"
busy=$FW_LAST_PID
sleep 0.2
rotate
fw_wait_pid "$busy" 20 || fw_die "the busy clients did not finish"
clients 5
fw_trace_stop 1 || fw_die "tracer did not stop"
fw_check_trace_end logrotate/trace_end

files=$(cd "$LOGS" && ls db1.jsonl* | grep -vE "\.(stdout|stderr)$" | tr "\n" " ")
fw_check logrotate/rotated_files "$files" "db1.jsonl db1.jsonl.1 db1.jsonl.2.gz "
fw_check logrotate/compressed "$(gzip -t "$LOGS/db1.jsonl.2.gz" 2>&1 && echo ok)" ok

all() { zcat -f "$LOGS/db1.jsonl.2.gz" "$LOGS/db1.jsonl.1" "$LOGS/db1.jsonl"; }
# Oldest first: the first file's start is the trace's, the others reopen.
starts=$(for f in "$LOGS/db1.jsonl.2.gz" "$LOGS/db1.jsonl.1" "$LOGS/db1.jsonl"; do
	zcat -f "$f" | head -n 1 | jq -r '"\(.type):\(.reopen // false)"'
done | tr '\n' ' ')
fw_check logrotate/each_file_starts "$starts" "start:false start:true start:true "
baselines=$(for f in "$LOGS/db1.jsonl.1" "$LOGS/db1.jsonl"; do
	zcat -f "$f" | jq -r 'select(.type == "snapshot_end") | .snap' | head -n 1
done | wc -l)
fw_check logrotate/reopened_with_baseline "$baselines" 2

# No record lost: what the kernel gave equals what the files hold.
events=$(all | jq -r 'select(.type == "stop") | .events')
held=$(all | jq -c "$FW_JQ_CONN, select(.type == \"drop\")" | wc -l)
fw_check logrotate/no_record_lost "$held" "$events"
lost=$(all | jq -r 'select(.type == "stop") | .lost')
fw_check logrotate/none_lost_by_tracer "$lost" 0
# 25 clients: each one's socket closes, in some file
closes=$(all | jq -r "$FW_JQ_CONN | select(.role == \"server\" and .newstate == \"CLOSE\") | .sock" | sort -u | wc -l)
fw_check logrotate/every_connection_closed "$closes" 25
