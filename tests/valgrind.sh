#!/usr/bin/env bash
# The userspace under valgrind (memcheck): every unit test binary, and the
# CLI on real work (a trace, a snapshot, a correlation, bad input). Prints
# PASS/FAIL per run: any memory error or leak is a failure.
set -u
cd "$(dirname "$0")/.."
build=${BUILD:-build}
FW=./finwatch
tmp=$(mktemp -d /tmp/fwvalgrind.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

vg() { # NAME EXPECTED_EXIT CMD...
	local name=$1 want=$2 rc
	shift 2
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible \
		--suppressions=tests/valgrind.supp --error-exitcode=99 \
		--log-file="$tmp/vg.log" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	# The log also holds valgrind's notes on bpf commands and ioctls it
	# has no wrapper for; only the exit code tells errors and leaks.
	if [ "$rc" = 99 ]; then
		echo "FAIL valgrind/$name: memory errors or leaks:"
		grep -v 'unhandled eBPF command\|unhandled ioctl\|spurious value\|README_MISSING' \
			"$tmp/vg.log" | sed 's/^/    /' | head -40
	elif [ "$rc" != "$want" ]; then
		echo "FAIL valgrind/$name: exit $rc, want $want"
		sed 's/^/    /' "$tmp/err" | head -10
	else
		echo "PASS valgrind/$name"
	fi
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	vg "$(basename "$t")" 0 "$t"
done
vg "trace_ring" 0 $FW trace --json -d 1 --transport ring
vg "trace_perf" 0 $FW trace -d 1 --transport perf
vg "trace_bad_option" 2 $FW trace -p 0
vg "snapshot_iter" 0 $FW snapshot --json
vg "snapshot_sock_diag" 0 $FW snapshot --source sock_diag
vg "trace_prom" 0 $FW trace -d 1 --prom "$tmp/trace.prom"
vg "snapshot_prom" 0 $FW snapshot --prom "$tmp/snapshot.prom"
vg "help_and_version" 0 $FW correlate -h
vg "version" 0 $FW trace -V
for f in tests/data/correlate/*.jsonl; do
	[ -f "$f" ] || continue
	vg "correlate_$(basename "$f" .jsonl)" 0 $FW correlate --all "$f"
done
printf '{"v":1,"type":"state"\n\x00\xff garbage\n' >"$tmp/bad.jsonl"
# nothing usable in it: exit 3 (docs/CORRELATE.md)
vg "correlate_bad_input" 3 $FW correlate "$tmp/bad.jsonl"
vg "correlate_missing_file" 2 $FW correlate "$tmp/missing.jsonl"
# reap on the demo's logs: every ghost judged from the logs alone (the
# demo's clients still hold their ends), and on input it cannot use.
vg "reap_dry_run" 1 $FW reap --dry-run --host redis1 \
	tests/data/correlate/demo-app1.log.gz tests/data/correlate/demo-redis1.log.gz
vg "reap_bad_input" 3 $FW reap --dry-run "$tmp/bad.jsonl"
