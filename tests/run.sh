#!/usr/bin/env bash
# Runs finwatch's test suite and ends with "N passed, N failed".
#
# Every test prints "PASS name" or "FAIL name: why" lines; this script runs
# the unit test binaries, then each kernel-level test script, and counts.
#   tests/run.sh              everything
#   tests/run.sh unit         unit tests only
#   tests/run.sh kernel [PAT] kernel-level tests (matching PAT) only
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
pattern=${2:-}
build=${BUILD:-build}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() {
	# $1: a command whose output holds PASS/FAIL lines
	local name=$1 rc
	shift
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	local p f
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exited $rc without naming a failed test"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: ran no test"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		echo "== unit: $(basename "$t")"
		count "$(basename "$t")" "$t"
	done
fi

if [ "$what" = all ] || [ "$what" = kernel ]; then
	for t in tests/kernel/test_*.sh; do
		[ -f "$t" ] || continue
		case "$t" in *"$pattern"*) ;; *) continue ;; esac
		echo "== kernel: $(basename "$t")"
		count "$(basename "$t")" bash "$t"
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
