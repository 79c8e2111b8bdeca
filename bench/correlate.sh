#!/usr/bin/env bash
# Benchmark of `finwatch correlate` (not a test: nothing here is timed
# against a limit). Builds ./finwatch and bench/gen_log, generates a
# two-host log of EVENTS records (default 5000000) with a known number of
# lost FINs, runs
#     /usr/bin/time -v ./finwatch correlate --json client.log server.log
# and prints events/s and the peak RSS. It checks that the lost FINs
# found are the ones generated.
#   bench/correlate.sh [EVENTS] [CONCURRENT]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-5000000}
concurrent=${2:-20000}
out=bench/out
mkdir -p "$out"

if ! make -s finwatch >/dev/null 2>&1; then
	echo "bench: 'make finwatch' failed; building the correlator alone" >&2
	cat >"$out/main.c" <<'MAIN'
#include "correlate/correlate.h"
#include <string.h>
int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "correlate"))
		return correlate_main(argc - 1, argv + 1);
	return 2;
}
MAIN
	cc -O2 -g -std=gnu11 -D_GNU_SOURCE -Iuser "$out/main.c" \
		user/correlate/*.c user/schema.c user/duration.c -lz \
		-o "$out/finwatch"
	fw=$out/finwatch
else
	fw=./finwatch
fi
cc -O2 -Wall -Wextra -std=gnu11 bench/gen_log.c -o "$out/gen_log"

echo "== generating ~$events events, $concurrent connections open at once"
gen=$("$out/gen_log" -e "$events" -c "$concurrent" "$out")
echo "$gen"
want_lost=$(echo "$gen" | awk '{print $6}')
total=$(echo "$gen" | awk '{print $2}')
ls -l "$out/client.log" "$out/server.log" | awk '{print $5, $9}'
# warm the page cache so the first run does not measure the disk
cat "$out/client.log" "$out/server.log" >/dev/null

echo "== $fw correlate --json $out/client.log $out/server.log"
/usr/bin/time -v "$fw" correlate --json "$out/client.log" "$out/server.log" \
	>"$out/findings.jsonl" 2>"$out/time.txt"
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.txt" |
	awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
user=$(awk -F': ' '/User time/ {print $2}' "$out/time.txt")
sys=$(awk -F': ' '/System time/ {print $2}' "$out/time.txt")
rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$out/time.txt")
got_lost=$(grep -c '"verdict":"lost_fin"' "$out/findings.jsonl" || true)
tail -1 "$out/findings.jsonl" | cut -c1-200
awk -v n="$total" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
	printf "events            %d\n", n
	printf "wall              %.2f s  -> %.0f events/s\n", w, n / w
	printf "cpu (user+sys)    %.2f s  -> %.0f events/s on one core\n", u + s, n / (u + s)
	printf "peak RSS          %.1f MB\n", r / 1024
}'
if [ "$got_lost" = "$want_lost" ]; then
	echo "lost_fin found     $got_lost of $want_lost generated"
else
	echo "MISMATCH: lost_fin found $got_lost, generated $want_lost"
	exit 1
fi
