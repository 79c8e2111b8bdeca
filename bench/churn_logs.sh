#!/usr/bin/env bash
# Records the real churn logs that bench/correlate.sh measures the
# correlator on: two tracers (`--netns CLIENT --host client`, `--netns
# SERVER --host server`) record a redis-benchmark -k 0 churn (a new
# connection per request) between two namespaces, once with the default
# folded stream and once with --stream all-states. Needs root; on a shared
# machine run it under the kernel lock:
#
#   flock /work/kernel.lock bench/churn_logs.sh DIR [RECORDS]
#
# writes DIR/folded/{client,server}.log and DIR/all-states/{client,server}.log,
# about RECORDS records each pair (default 360000), and prints what it wrote.
# Everything it starts is removed on exit (bench/lib.sh).
set -u
cd "$(dirname "$0")/.." || exit 1
BN_ROOT=$(pwd)
. "$BN_ROOT/bench/lib.sh"

DIR=${1:?usage: bench/churn_logs.sh DIR [RECORDS]}
RECORDS=${2:-360000}
CLIENTS=${CLIENTS:-50}
FINWATCH=${FINWATCH:-$BN_ROOT/finwatch}
PORT=6379

# record STREAM: one pair of logs of about RECORDS records into DIR/STREAM.
record() {
	local stream=$1 out=$DIR/$1 cp sp have n rpc
	mkdir -p "$out"
	rm -f "$out/client.log" "$out/server.log"
	bn_spawn "$FINWATCH" trace --json --stream "$stream" -o "$out/client.log" \
		--netns "/run/netns/$BN_C" --host client </dev/null >/dev/null 2>"$out/client.err"
	cp=$BN_LAST_PID
	bn_spawn "$FINWATCH" trace --json --stream "$stream" -o "$out/server.log" \
		--netns "/run/netns/$BN_S" --host server </dev/null >/dev/null 2>"$out/server.err"
	sp=$BN_LAST_PID
	for f in "$out/client.log" "$out/server.log"; do
		for ((i = 0; i < 600; i++)); do
			[ -s "$f" ] && break
			sleep 0.1
		done
		[ -s "$f" ] || bn_die "no start record in $f: $(head -c 300 "${f%.log}.err")"
		bn_wait_quiet "$f"
	done
	# records per connection, both ends: from a short churn first
	have=$(($(bn_lines "$out/client.log") + $(bn_lines "$out/server.log")))
	bn_churn "$PORT" 0 2000 >/dev/null
	bn_wait_quiet "$out/client.log"
	bn_wait_quiet "$out/server.log"
	rpc=$(awk -v a="$have" -v b=$(($(bn_lines "$out/client.log") + $(bn_lines "$out/server.log"))) \
		'BEGIN { r = (b - a) / 2000; print (r > 0.5 ? r : 1) }')
	n=$(awk -v r="$RECORDS" -v b=$(($(bn_lines "$out/client.log") + $(bn_lines "$out/server.log"))) \
		-v p="$rpc" 'BEGIN { n = (r - b) / p; printf "%d", n < 1000 ? 1000 : n }')
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -le 10000000 ] ||
		bn_die "$stream: bad connection count '$n' ($rpc records per connection)"
	bn_log "$stream: $rpc records per connection; churning $n connections"
	bn_churn "$PORT" 0 "$n" >/dev/null
	bn_wait_quiet "$out/client.log"
	bn_wait_quiet "$out/server.log"
	bn_stop "$cp" INT
	bn_stop "$sp" INT
	echo "$stream: $(bn_lines "$out/client.log") + $(bn_lines "$out/server.log") records," \
		"$(($(bn_bytes "$out/client.log") + $(bn_bytes "$out/server.log"))) bytes in $out"
}

main() {
	[ "$(id -u)" -eq 0 ] || bn_die "run as root (namespaces, BPF)"
	[ -x "$FINWATCH" ] || bn_die "$FINWATCH is not built (make finwatch)"
	BN_TMP=$(mktemp -d /tmp/fwchurn.XXXXXX)
	trap bn_cleanup EXIT
	trap 'echo "churn_logs: interrupted" >&2; exit 130' INT
	trap 'echo "churn_logs: terminated" >&2; exit 143' TERM
	mkdir -p "$DIR"
	bn_reap_stale
	bn_netns_setup
	bn_redis_start "$PORT"
	bn_churn "$PORT" 0 5000 >/dev/null # warm-up: TIME_WAITs as on a busy host
	record folded
	record all-states
}

main "$@"
