#!/usr/bin/env bash
# Bad option values and missing privileges: each run exits 2 at once with
# exactly one line on stderr (naming the problem) and writes no record.
. "$(dirname "$0")/lib.sh"

fw_require setpriv capsh timeout

# expect_usage NAME NEEDLE ARGS...: `finwatch ARGS` exits 2, prints nothing
# on stdout and one line on stderr that contains NEEDLE.
expect_usage() {
	local name=trace_errors/$1 needle=$2 rc lines
	shift 2
	timeout 20 "$@" </dev/null >"$FW_TMP/out" 2>"$FW_TMP/err"
	rc=$?
	lines=$(grep -c . "$FW_TMP/err")
	{ echo "command: $*"; echo "exit: $rc"; echo "stderr:"; cat "$FW_TMP/err"; echo "stdout:"; head -n 5 "$FW_TMP/out"; } >"$FW_TMP/detail"
	if [ "$rc" -ne 2 ]; then
		fw_fail "$name" "exit status $rc, expected 2" "$FW_TMP/detail"
	elif [ "$lines" -ne 1 ]; then
		fw_fail "$name" "$lines lines on stderr, expected 1" "$FW_TMP/detail"
	elif ! grep -qF -- "$needle" "$FW_TMP/err"; then
		fw_fail "$name" "stderr does not name '$needle'" "$FW_TMP/detail"
	elif [ -s "$FW_TMP/out" ]; then
		fw_fail "$name" "wrote to stdout" "$FW_TMP/detail"
	else
		fw_pass "$name"
	fi
}

expect_usage port_zero 0 "$FINWATCH" trace --json -p 0
expect_usage port_too_big 70000 "$FINWATCH" trace --json -p 70000
expect_usage port_not_a_number abc "$FINWATCH" trace --json -p abc
expect_usage transport_bogus bogus "$FINWATCH" trace --json --transport bogus
expect_usage netns_missing /nonexistent "$FINWATCH" trace --json --netns /nonexistent
expect_usage btf_missing /nonexistent "$FINWATCH" trace --json --btf /nonexistent
expect_usage duration_bogus xyz "$FINWATCH" trace --json -d xyz

# Without privileges. A copy that user nobody can run wherever the tree is.
bindir=$FW_TMP/bin
mkdir -p "$bindir"
cp "$FINWATCH" "$bindir/finwatch"
chmod 711 "$FW_TMP"
chmod 755 "$bindir" "$bindir/finwatch"
expect_usage unprivileged_nobody CAP_ setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all --bounding-set=-all "$bindir/finwatch" trace --json -d 1
if grep -qE 'CAP_BPF|CAP_PERFMON' "$FW_TMP/err"; then
	fw_pass trace_errors/unprivileged_nobody_names_cap
else
	fw_fail trace_errors/unprivileged_nobody_names_cap "stderr names neither CAP_BPF nor CAP_PERFMON: $(cat "$FW_TMP/err")"
fi
# Root without CAP_BPF (nor CAP_SYS_ADMIN, which would stand in for it).
expect_usage root_without_cap_bpf CAP_BPF capsh --drop=cap_bpf,cap_sys_admin -- \
	-c 'exec "$0" trace --json -d 1' "$bindir/finwatch"
# Root without CAP_PERFMON (nor CAP_SYS_ADMIN).
expect_usage root_without_cap_perfmon CAP_PERFMON capsh --drop=cap_perfmon,cap_sys_admin -- \
	-c 'exec "$0" trace --json -d 1' "$bindir/finwatch"
