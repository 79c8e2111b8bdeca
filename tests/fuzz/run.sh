#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a bounded time: fuzz_correlate
# (records and the join), fuzz_lineformat (syslog and journal lines,
# cut records, duplicates), fuzz_follow (rotations while following),
# fuzz_record_diff (the record parser's fast path against its general
# parser: the same records on every input).
#   tests/fuzz/run.sh [SECONDS]     (default 30)
# Prints "PASS fuzz_NAME" or "FAIL fuzz_NAME: why", like tests/run.sh.
set -u
cd "$(dirname "$0")/../.."
secs=${1:-30}
out=build/fuzz
mkdir -p "$out"
status=0

build() {
	# $1: target name; the library sources it needs follow. The
	# correlator is pure C: user/ alone on the include path, zlib alone.
	local name=$1
	shift
	clang -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -std=gnu11 -D_GNU_SOURCE \
		-Iuser "$@" -lz -o "$out/$name"
}

run() {
	local name=$1 seeds=(tests/fuzz/corpus/${1#fuzz_})
	local work=tests/fuzz/corpus-work/${1#fuzz_} log="$out/$1.log"
	mkdir -p "$work"
	# the records of the join's corpus are the parser's seeds too
	[ "$name" = fuzz_record_diff ] && seeds+=(tests/fuzz/corpus/correlate)
	if "$out/$name" -max_total_time="$secs" -max_len=16384 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/$name-" "$work" "${seeds[@]}" >"$log" 2>&1; then
		echo "PASS $name ($(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}') runs in ${secs}s)"
	else
		echo "FAIL $name: crashed or leaked, see $log and $out/$name-*"
		grep -m5 -E 'ERROR|runtime error|SUMMARY' "$log"
		status=1
	fi
}

# Every target links the whole correlator: the pure C library's sources.
# The correlator's sources, as the Makefile lists them (its library).
read -r -a lib <<<"$(make -s --no-print-directory print-pure-srcs)"
for name in fuzz_correlate fuzz_lineformat fuzz_follow fuzz_record_diff; do
	if ! build "$name" "tests/fuzz/$name.c" "${lib[@]}"; then
		echo "FAIL $name: does not build"
		status=1
		continue
	fi
	run "$name"
done
exit $status
