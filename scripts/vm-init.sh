#!/bin/sh
# The guest side of scripts/vmtest.sh: busybox init runs this as its only
# sysinit action (see the inittab that scripts/mkinitramfs.sh writes). It sets
# the machine up, runs `bash tests/run.sh kernel` in /finwatch, prints the
# result as "VMTEST-RESULT: rc=N" on the console and on the second serial port
# (which the host reads), and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 SHELL=/bin/bash
export VMTEST=1
umask 022

VMTEST_PATTERN='' VMTEST_TRACEFS=0 VMTEST_SHELL=0 VMTEST_MODULES_LOAD=''
[ -f /etc/vmtest.conf ] && . /etc/vmtest.conf

say() { echo "vmtest: $*"; }
result() {
	say "$(date +%T) done"
	echo "VMTEST-RESULT: rc=$1"
	# the host reads this one; the console line may be interleaved with
	# kernel messages
	[ -c /dev/ttyS1 ] && echo "VMTEST-RESULT: rc=$1" >/dev/ttyS1
	sync
	poweroff -f
	sleep 5
	echo o >/proc/sysrq-trigger
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts -o mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
mkdir -p /run/netns /run/redis /var/lib/redis
if [ "$VMTEST_TRACEFS" = 1 ]; then
	mount -t tracefs tracefs /sys/kernel/tracing
fi

# the probe boot that vmtest.sh uses to see whether KVM works
if grep -qw vmtest.probe=1 /proc/cmdline; then
	echo VMTEST-PROBE-OK
	[ -c /dev/ttyS1 ] && echo VMTEST-PROBE-OK >/dev/ttyS1
	poweroff -f
fi

hostname -F /etc/hostname
ip link set lo up
# busybox ash has both
# shellcheck disable=SC3045
ulimit -l unlimited
# shellcheck disable=SC3045
ulimit -n 65536

say "kernel $(uname -r) ($(uname -v)), $(nproc) CPUs, $(free -m | awk '/^Mem:/ {print $2}') MB"
say "cmdline: $(cat /proc/cmdline)"
if [ -e /sys/kernel/btf/vmlinux ]; then
	say "BTF: /sys/kernel/btf/vmlinux ($(stat -c %s /sys/kernel/btf/vmlinux) bytes)"
else
	say "BTF: /sys/kernel/btf/vmlinux MISSING (CONFIG_DEBUG_INFO_BTF=n?): CO-RE cannot work"
fi
[ -f "/boot/config-$(uname -r)" ] && say "config: /boot/config-$(uname -r)"

# Modules the tests need before anything asks for them; the kernel loads
# the rest (nft expressions, conntrack helpers) on demand via /sbin/modprobe.
mods="veth nf_tables nft_ct nf_conntrack nft_reject_inet nft_chain_nat nf_nat nft_limit
	nft_log nft_fib_inet nft_nat nft_masq sch_netem tcp_diag inet_diag udp_diag
	$VMTEST_MODULES_LOAD"
loaded='' failed=''
for m in $mods; do
	if err=$(modprobe "$m" 2>&1); then
		if [ -d "/sys/module/$m" ] && ! [ -e "/sys/module/$m/initstate" ]; then
			loaded="$loaded $m(builtin)"
		else
			loaded="$loaded $m"
		fi
	else
		failed="$failed $m"
		say "modprobe $m: $err"
	fi
done
say "modules:$loaded"
[ -n "$failed" ] && say "modules NOT loaded:$failed"

cd /finwatch || { say "no /finwatch"; result 3; }
# Helpers built on the host must look newer than their sources, or
# tests/kernel/lib.sh tries to rebuild them (there is no compiler here).
# Kernels without CONFIG_INITRAMFS_PRESERVE_MTIME give every file the time
# of unpacking.
[ -d build ] && find build -type f -perm -u+x -exec touch {} +

if [ "$VMTEST_SHELL" = 1 ]; then
	say "VMTEST_SHELL=1: a shell on the console; exit it to power off"
	setsid -c /bin/bash -l </dev/console >/dev/console 2>&1
	result 0
fi

say "image check (scripts/vm-check.sh):"
check_rc=0
bash scripts/vm-check.sh </dev/null 2>&1 || check_rc=$?
[ "$check_rc" -eq 0 ] || say "IMAGE CHECK FAILED: the initramfs or kernel lacks something the tests need"

# Which attach points the tracer gets on this kernel (--verbose prints them
# on stderr). Best effort: the suite below is what counts.
if [ -x ./finwatch ]; then
	say "finwatch --version: $(./finwatch --version 2>&1 | head -1)"
	say "attach check: ./finwatch trace --json --verbose for 3 s"
	timeout --preserve-status -s INT -k 3 3 ./finwatch trace --json --verbose >/tmp/attach.out 2>/tmp/attach.err
	say "attach check: exit $? after SIGINT; stderr:"
	sed 's/^/  | /' /tmp/attach.err
	say "attach check: $(wc -l </tmp/attach.out) JSON lines on stdout; first 3:"
	head -3 /tmp/attach.out | sed 's/^/  | /'
else
	say "./finwatch is not there"
fi

say "$(date +%T) running: bash tests/run.sh kernel $VMTEST_PATTERN"
start=$(date +%s)
dmesg_before=$(dmesg | wc -l)
bash tests/run.sh kernel "$VMTEST_PATTERN" </dev/null 2>&1
rc=$?
splats=$(dmesg | tail -n +$((dmesg_before + 1)) | grep -cE 'BUG:|WARNING:|Call Trace:|Oops|sleeping function called|lockdep|stall')
say "kernel warnings during the suite: $splats"
# a suite that passed on a broken image does not count as a pass
[ "$rc" -eq 0 ] && [ "$check_rc" -ne 0 ] && rc=4
say "suite took $(($(date +%s) - start)) s, rc=$rc"
result $rc
