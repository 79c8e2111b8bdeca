#!/usr/bin/env bash
# Prometheus metrics end to end: snapshot --prom and trace --prom (and
# correlate --prom on the trace's logs) write files that promtool accepts,
# atomically (no temporary file left beside them); the real
# prometheus-node-exporter, inside a network namespace with only its
# textfile collector, serves them, scraped over HTTP with curl from the
# other namespace; the README's alert rules pass promtool. The numbers are those of the world built here: 3
# clients idle past --idle on a redis without keepalive. Root, namespaces:
# run it under the kernel lock.
. "$(dirname "$0")/../kernel/lib.sh"
fw_require promtool prometheus-node-exporter curl
# As the units and finwatch(8) lay it out: finwatch writes into its own
# directory (/run/finwatch), the collector's directory links to the files.
RUN=$FW_TMP/run PROM=$FW_TMP/textfile
mkdir -p "$RUN" "$PROM"
for f in snapshot trace correlate; do
	ln -s "$RUN/$f.prom" "$PROM/$f.prom"
done

# The alert rules README.md shows are rules promtool accepts.
awk '/^```yaml$/ { f = 1; next } /^```$/ { f = 0 } f' "$FW_ROOT/README.md" >"$FW_TMP/rules.yml"
promtool check rules "$FW_TMP/rules.yml" >"$FW_TMP/rules.out" 2>&1
fw_check metrics/readme_alert_rules "$? $(grep -o '[0-9]* rules found' "$FW_TMP/rules.out")" \
	"0 3 rules found" "$FW_TMP/rules.out"

fw_netns_pair "$FW_C" "$FW_S"
fw_redis_start "$FW_S" 6379
SINO=$(fw_netns_inode "$FW_S")
CINO=$(fw_netns_inode "$FW_C")

fw_trace_start "$FW_TMP/db1.jsonl" -p 6379 --netns "/run/netns/$FW_S" --host db1 \
	--prom "$RUN/trace.prom" || fw_die "tracer did not start"
# Three clients that connect, PING and then say nothing: no keepalive on
# either end (redis --tcp-keepalive 0, bash sets none).
for i in 1 2 3; do
	fw_spawn ip netns exec "$FW_C" bash -c '
		exec 3<>"/dev/tcp/$1/6379" || exit 1
		printf "PING\r\n" >&3; read -r -t 5 reply <&3; sleep 30' x "$FW_S4"
done
fw_redis_cli "$FW_C" "$FW_S4" 6379 PING || fw_die "redis-cli failed"
sleep 2.5

"$FINWATCH" snapshot -p 6379 --idle 2s --prom "$RUN/snapshot.prom" >"$FW_TMP/snap.out" 2>&1
fw_check metrics/snapshot_exit "$?" 0 "$FW_TMP/snap.out"
fw_check metrics/snapshot_no_listing "$(wc -c <"$FW_TMP/snap.out")" 0 "$FW_TMP/snap.out"
fw_trace_stop 1 || fw_die "tracer did not stop"
"$FINWATCH" correlate --prom "$RUN/correlate.prom" "$FW_TMP/db1.jsonl" >/dev/null 2>"$FW_TMP/corr.err"

for f in snapshot trace correlate; do
	promtool check metrics <"$RUN/$f.prom" >"$FW_TMP/promtool.$f" 2>&1
	fw_check "metrics/promtool_$f" "$?" 0 "$FW_TMP/promtool.$f"
done
fw_check metrics/atomic_no_temp_files "$(ls -A "$RUN" | tr '\n' ' ')" \
	"correlate.prom snapshot.prom trace.prom "

# node_exporter in the server's namespace, on its address only (redis
# listens on both of the server's addresses: two LISTEN sockets).
fw_spawn ip netns exec "$FW_S" prometheus-node-exporter --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$PROM" \
	--web.listen-address="$FW_S4:9100" 2>"$FW_TMP/node_exporter.log"
scrape() {
	ip netns exec "$FW_C" curl -sf "http://$FW_S4:9100/metrics" >"$FW_TMP/scrape" 2>&1
}
fw_wait_for 10 scrape || fw_die "node_exporter does not answer: $(head -c 300 "$FW_TMP/scrape")"
metric() { # NAME{LABELS}: its value in the scrape
	awk -v m="$1" '$1 == m { print $2 }' "$FW_TMP/scrape"
}
fw_check metrics/scrape/textfile_ok "$(metric node_textfile_scrape_error)" 0 "$FW_TMP/scrape"
fw_check metrics/scrape/idle_no_keepalive_server \
	"$(metric "finwatch_idle_no_keepalive{netns=\"$SINO\",port=\"6379\",role=\"server\"}")" 3 "$FW_TMP/scrape"
fw_check metrics/scrape/idle_no_keepalive_client \
	"$(metric "finwatch_idle_no_keepalive{netns=\"$CINO\",port=\"6379\",role=\"client\"}")" 3 "$FW_TMP/scrape"
fw_check metrics/scrape/established_server \
	"$(metric "finwatch_connections{netns=\"$SINO\",port=\"6379\",role=\"server\",state=\"ESTABLISHED\"}")" 3 "$FW_TMP/scrape"
fw_check metrics/scrape/listen \
	"$(metric "finwatch_connections{netns=\"$SINO\",port=\"6379\",role=\"server\",state=\"LISTEN\"}")" 2 "$FW_TMP/scrape"
fw_check metrics/scrape/trace_events \
	"$(metric finwatch_trace_events_total)" "$(jq -r 'select(.type == "stop") | .events' "$FW_TMP/db1.jsonl")" "$FW_TMP/scrape"
fw_check metrics/scrape/trace_records "$(metric finwatch_trace_records_total)" "$(wc -l <"$FW_TMP/db1.jsonl")"
fw_check metrics/scrape/trace_lost_buffer_full \
	"$(metric 'finwatch_trace_lost_records_total{reason="buffer_full"}')" 0 "$FW_TMP/scrape"
fw_check metrics/scrape/trace_recovered "$(metric finwatch_trace_recovered_records_total)" 0
fw_check metrics/scrape/correlate_verdicts \
	"$(grep -c '^finwatch_verdicts{verdict=' "$FW_TMP/scrape")" 8 "$FW_TMP/scrape"
