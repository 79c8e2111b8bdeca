#!/usr/bin/env bash
# Runs finwatch's test suite and ends with "N passed, N failed".
#
# Every test prints "PASS name" or "FAIL name: why" lines; this script runs
# the parts in turn and counts:
#   unit      the unit test binaries (build/tests)
#   asan      the same, built with ASan and UBSan (build/asan/tests)
#   valgrind  the unit tests and the CLI under valgrind
#   fuzz      each libFuzzer target for FW_FUZZ_SECONDS (default 30)
#   style     the code's shape (tests/style.sh: clang-format, lengths)
#   kernel    the kernel-level tests on this kernel (tests/kernel), the
#             tracers writing the folded stream (their default)
#   kernel-all-states  the same, the tracers writing every transition
#   package   what operators install (tests/package): the Debian package
#             installed and removed for real, the man page against --help,
#             the units, logrotate, bash completion, Prometheus metrics
#             through node_exporter (root; namespaces for some)
#   vm        the kernel-level tests inside qemu on Debian's 6.1 kernels
#             (cloud and PREEMPT_RT; VMTEST_KERNEL names others)
#
#   tests/run.sh                 all of them
#   tests/run.sh PART [PATTERN]  one part (kernel: the files matching PATTERN)
#   FW_SKIP="vm fuzz" tests/run.sh   all but those
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
pattern=${2:-}
skip=" ${FW_SKIP:-} "
wanted() {
	case "$skip" in *" $1 "*) return 1 ;; esac
	[ "$what" = all ] || [ "$what" = "$1" ]
}
build=${BUILD:-build}
passed=0
failed=0
skipped=0 # checks a part could not make here and says why (SKIP lines)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() {
	# $1: a command whose output holds PASS/FAIL lines
	local name=$1 rc
	shift
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	local p f k
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	k=$(grep -c '^SKIP ' "$log")
	skipped=$((skipped + k))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exited $rc without naming a failed test"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$k" -eq 0 ]; then
		echo "FAIL $name: ran no test"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

run_units() { # DIR LABEL
	local t
	for t in "$1"/test_*; do
		[ -x "$t" ] || continue
		echo "== $2: $(basename "$t")"
		count "$2/$(basename "$t")" "$t"
	done
}

if wanted style; then
	echo "== style"
	count style bash tests/style.sh
fi
if wanted unit; then
	run_units "$build/tests" unit
fi
if wanted asan; then
	run_units "$build/asan/tests" asan
fi
if wanted valgrind; then
	echo "== valgrind"
	count valgrind bash tests/valgrind.sh
fi
if wanted fuzz; then
	echo "== fuzz"
	count fuzz bash tests/fuzz/run.sh "${FW_FUZZ_SECONDS:-30}"
fi
run_scripts() { # PART: tests/PART/test_*.sh matching PATTERN
	local t
	for t in tests/"$1"/test_*.sh; do
		[ -f "$t" ] || continue
		case "$t" in *"$pattern"*) ;; *) continue ;; esac
		echo "== $1: $(basename "$t")"
		count "$(basename "$t")" bash "$t"
	done
}
if wanted kernel; then
	export FW_STREAM=folded
	run_scripts kernel
fi
if wanted kernel-all-states; then
	echo "== kernel, every transition (FW_STREAM=all-states)"
	export FW_STREAM=all-states
	run_scripts kernel
fi
if wanted package; then
	run_scripts package
fi
if wanted vm; then
	# Debian 12's 6.1 kernels, cloud and PREEMPT_RT, unless told others.
	kernels=${VMTEST_KERNEL:-$(ls /boot/vmlinuz-*-cloud-amd64 /boot/vmlinuz-*-rt-amd64 2>/dev/null | tr '\n' ' ')}
	echo "== vm: $kernels"
	VMTEST_KERNEL=$kernels count vm bash scripts/vmtest.sh
fi

[ "$skipped" -eq 0 ] || echo "($skipped skipped: see the SKIP lines)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
