#!/usr/bin/env bash
# `make vmtest`: runs the kernel-level tests (tests/run.sh kernel) inside
# qemu on another kernel, by default Debian's 6.1 cloud kernel. The BPF object
# and ./finwatch built on this host run unchanged in the guest (CO-RE).
#
# For each kernel: build an initramfs (scripts/mkinitramfs.sh), boot it
# (scripts/vm-init.sh is the guest side), show the console on stdout, save it
# to build/vmtest-KVER.log, and take the guest's "VMTEST-RESULT: rc=N".
#
# Environment (see docs/VMTEST.md):
#   VMTEST_KERNEL   vmlinuz to boot; several, space-separated, run one after
#                   the other (default: the newest /boot/vmlinuz-*-cloud-amd64)
#   VMTEST_MODULES  its modules directory (default /lib/modules/KVER, KVER
#                   read from the bzImage header, else from the file name)
#   VMTEST_CONFIG   its .config (default /boot/config-KVER, MODULES/build/.config)
#   VMTEST_PATTERN  run only kernel tests whose name contains this
#   VMTEST_ACCEL    auto (KVM if a probe boot works, else TCG), kvm or tcg
#   VMTEST_MEM      guest memory in MB (2048); VMTEST_SMP vCPUs (2)
#   VMTEST_TIMEOUT  seconds for one kernel's boot + suite (2400)
#   VMTEST_APPEND   more kernel command line
#   VMTEST_SHELL=1  interactive shell in the guest instead of the suite
#   (and VMTEST_TOOLS, VMTEST_EXTRA, VMTEST_MODULES_EXTRA, VMTEST_MODULES_LOAD,
#   VMTEST_TRACEFS: see scripts/mkinitramfs.sh)
#
# Exit status: the guest suite's (0 = all passed; 4 = the suite passed but
# the image check failed); 124 when qemu timed out; 125 when the guest never
# reported a result (crash, panic, missing marker); 2 on bad setup. With
# several kernels, the first non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD/scripts
build=${BUILD:-build}
mkdir -p "$build"

log() { echo "vmtest: $*" >&2; }
die() { log "error: $*"; exit 2; }

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"

kernel_release() { # the release string in a bzImage's header, else from its name
	local f=$1 off v=
	if [ "$(od -An -j 514 -N4 -c "$f" 2>/dev/null | tr -d ' ')" = HdrS ]; then
		off=$(od -An -j 526 -N2 -tu2 "$f" | tr -d ' ')
		v=$(dd if="$f" bs=1 skip=$((off + 512)) count=200 2>/dev/null | tr '\0' '\n' | head -1 | cut -d' ' -f1)
	fi
	if [ -z "$v" ]; then
		v=$(basename "$f")
		v=${v#vmlinuz-}
	fi
	echo "$v"
}

default_kernel() {
	local k
	k=$(ls -1 /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -1)
	[ -n "$k" ] || die "no /boot/vmlinuz-*-cloud-amd64 (apt-get install linux-image-cloud-amd64, or set VMTEST_KERNEL)"
	echo "$k"
}

qemu_base() { # accel -> the qemu command line, without kernel/initrd
	local accel=$1
	local cpu=max
	[ "$accel" = kvm ] && cpu=host
	local acc=$accel
	[ "$accel" = tcg ] && acc=tcg,thread=multi,tb-size=256
	echo qemu-system-x86_64 -accel "$acc" -cpu "$cpu" -m "${VMTEST_MEM:-2048}" -smp "${VMTEST_SMP:-2}" \
		-nodefaults -no-reboot -display none -monitor none
}

# Does KVM work? /dev/kvm may exist and still fail (on this project's VMs
# it does: "failed to set MSR 0x10a" with -cpu host). A probe boot decides.
kvm_works() { # kernel initrd
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	local out rc=0
	out=$(mktemp)
	# shellcheck disable=SC2046
	# (in a subshell that reports qemu's abort into $out.err, not here)
	(timeout -k 5 60 $(qemu_base kvm) -kernel "$1" -initrd "$2" \
		-serial "file:$out" -append "console=ttyS0 panic=-1 vmtest.probe=1 quiet"
	exit $?) </dev/null >"$out.err" 2>&1 || rc=$?
	if grep -q VMTEST-PROBE-OK "$out"; then
		rm -f "$out" "$out.err"
		return 0
	fi
	log "KVM probe failed (rc=$rc): $(head -c 300 "$out.err" | tr '\n' ' ')"
	rm -f "$out" "$out.err"
	return 1
}

run_one() { # vmlinuz -> exit status
	local kernel=$1 kver moddir config initrd logf resf accel t0 t1 t2 rc qrc
	[ -f "$kernel" ] || die "kernel $kernel not found"
	kver=$(kernel_release "$kernel")
	moddir=${VMTEST_MODULES:-/lib/modules/$kver}
	[ -f "$moddir/modules.dep" ] || die "no modules for $kver: $moddir/modules.dep missing (set VMTEST_MODULES)"
	config=${VMTEST_CONFIG:-}
	if [ -z "$config" ]; then
		for c in "/boot/config-$kver" "$moddir/build/.config" "$moddir/source/.config" \
			"$(dirname "$kernel")/config-$kver" "$(dirname "$kernel")/.config"; do
			[ -f "$c" ] && { config=$c; break; }
		done
	fi
	[ -n "$config" ] || log "warning: no .config found for $kver (set VMTEST_CONFIG)"
	if [ -n "$config" ] && ! grep -q '^CONFIG_DEBUG_INFO_BTF=y' "$config"; then
		log "warning: $config has no CONFIG_DEBUG_INFO_BTF=y; CO-RE will not work on this kernel"
	fi

	# uncompressed: under TCG the kernel unpacks it 2 s faster than gzip
	initrd=$build/vmtest-$kver.cpio
	logf=$build/vmtest-$kver.log
	resf=$build/vmtest-$kver.result
	log "kernel $kernel ($kver), modules $moddir, config ${config:-none}"
	t0=$(date +%s.%N)
	BUILD=$build bash "$here/mkinitramfs.sh" "$initrd" "$kver" "$moddir" "$config"
	t1=$(date +%s.%N)

	accel=${VMTEST_ACCEL:-auto}
	if [ "$accel" = auto ]; then
		if kvm_works "$kernel" "$initrd"; then accel=kvm; else accel=tcg; fi
	fi
	local append="console=ttyS0,115200 panic=-1 mitigations=off ${VMTEST_APPEND:-}"
	local timeout_s=${VMTEST_TIMEOUT:-2400}
	rm -f "$resf"
	qrc=0
	if [ "${VMTEST_SHELL:-0}" = 1 ]; then
		# interactive: the terminal is the guest's console; no timeout
		# (timeout(1) would put qemu in a background process group)
		log "booting with $accel for a shell; console -> $logf"
		# shellcheck disable=SC2046,SC2054
		$(qemu_base "$accel") -kernel "$kernel" -initrd "$initrd" -append "$append" \
			-chardev stdio,id=con,signal=off -serial chardev:con -serial "file:$resf" |
			tee "$logf" || qrc=${PIPESTATUS[0]}
	else
		log "booting with $accel, ${VMTEST_MEM:-2048} MB, ${VMTEST_SMP:-2} vCPUs, timeout ${timeout_s}s; console -> $logf"
		# ttyS0: the console (stdout, and the log); ttyS1: the result, alone
		# shellcheck disable=SC2046
		timeout -k 10 "$timeout_s" $(qemu_base "$accel") \
			-kernel "$kernel" -initrd "$initrd" -append "$append" \
			-serial stdio -serial "file:$resf" </dev/null 2>&1 |
			sed -u 's/\r$//' | tee "$logf" || qrc=${PIPESTATUS[0]}
	fi
	t2=$(date +%s.%N)

	rc=$(sed -n 's/.*VMTEST-RESULT: rc=\([0-9][0-9]*\).*/\1/p' "$resf" 2>/dev/null | tail -1)
	[ -n "$rc" ] || rc=$(sed -n 's/^VMTEST-RESULT: rc=\([0-9][0-9]*\)$/\1/p' "$logf" | tail -1)
	if [ -z "$rc" ]; then
		if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
			log "TIMEOUT: $kver did not finish within ${timeout_s}s"
			rc=124
		else
			log "FAILED: $kver reported no result (qemu exit $qrc; kernel panic or crash? see $logf)"
			rc=125
		fi
	fi
	printf 'vmtest: %s: rc=%s accel=%s initramfs %.1fs, boot+suite %.1fs; log %s\n' \
		"$kver" "$rc" "$accel" "$(awk "BEGIN{print $t1 - $t0}")" "$(awk "BEGIN{print $t2 - $t1}")" "$logf" >&2
	summary+=("$kver: rc=$rc, $(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$logf" | tail -1 || true)")
	return "$rc"
}

# The tests' C helpers (tests/kernel/NAME.c -> build/kernel/NAME, static,
# as tests/kernel/lib.sh builds them): there is no compiler in the guest.
build_helpers() {
	local src bin
	for src in tests/kernel/*.c; do
		[ -f "$src" ] || continue
		bin=$build/kernel/$(basename "$src" .c)
		[ -x "$bin" ] && [ "$bin" -nt "$src" ] && continue
		mkdir -p "$build/kernel"
		log "building $bin"
		${CC:-cc} -O2 -Wall -Wextra -static -o "$bin.tmp.$$" "$src" ||
			${CC:-cc} -O2 -Wall -Wextra -o "$bin.tmp.$$" "$src" || die "cannot build $src"
		mv -f "$bin.tmp.$$" "$bin"
	done
}
build_helpers

kernels=${VMTEST_KERNEL:-$(default_kernel)}
summary=()
status=0
for k in $kernels; do
	rc=0
	run_one "$k" || rc=$?
	[ "$status" -ne 0 ] || status=$rc
done
echo "== vmtest summary"
printf '%s\n' "${summary[@]}"
exit "$status"
