#!/usr/bin/env bash
# Benchmark of the tracer's JSON writer (not a test: nothing here is timed
# against a limit): formats RECORDS state records (default 1000000) with
# fw_format_event(), no write, and prints ns per record; with --callgrind
# it also counts the instructions per record under valgrind.
#   bench/format_json.sh [RECORDS] [--callgrind]
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
out=bench/out
mkdir -p "$out"
make -s build/libfinwatch.a build/libfwcorrelate.a
cc -O2 -g -std=gnu11 -D_GNU_SOURCE -Iuser -Ibpf -Ibuild \
	$(pkg-config --cflags libbpf 2>/dev/null) bench/format_json.c \
	build/libfinwatch.a build/libfwcorrelate.a \
	$(pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz \
	-o "$out/format_json"
for i in 1 2 3 4 5; do
	"$out/format_json" "$records"
done
if [ "${2:-}" = --callgrind ]; then
	n=100000
	valgrind --tool=callgrind --callgrind-out-file="$out/format_json.cg" \
		"$out/format_json" "$n" 2>&1 | awk -v n=$n '/Collected/ {
			printf "%.0f instructions per record (callgrind, %d records)\n", $4 / n, n }'
fi
