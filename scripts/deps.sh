#!/usr/bin/env bash
# Installs the Debian 12 packages finwatch needs, by group, asking apt only
# for what is missing:
#   build    (default) compile and run finwatch: the compilers, libbpf,
#            libelf and zlib (their runtime libraries come with them)
#   test     the test suite's: redis, nft, valgrind, logrotate, promtool,
#            node_exporter, debhelper and lintian, mandoc, systemd-analyze...
#   vm       the VM suite's: qemu, busybox and two Debian kernel images
#   bench    the benchmark's (bench/run.sh)
#   all      build, test and vm
#   scripts/deps.sh test vm      several groups
#
# Safe on a production host for the build group: it starts, stops,
# disables and reconfigures no service, and installs no kernel image. Every
# install runs under a policy-rc.d that forbids starting services (exit
# 101), so that not even the test group starts Debian's redis-server,
# rsyslog or node_exporter beside the ones the tests run themselves; an
# installed and running one is left alone (the tests run their own, with
# configurations, pid files and ports of their own, in network
# namespaces), and apt may remove nothing (another syslog daemon, say) to
# make room. Only the vm group installs kernel images (which may change
# what the host boots next).
set -euo pipefail

build_pkgs=(make clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config)
# prometheus for promtool (which checks the metrics), not to run one.
test_pkgs=(redis-server redis-tools iproute2 nftables procps kmod util-linux
	   libcap2-bin libclang-rt-14-dev valgrind jq curl gzip libxml2-utils
	   logrotate rsyslog bsdutils systemd-journal-remote bash-completion
	   mandoc systemd prometheus prometheus-node-exporter
	   debhelper dpkg-dev lintian)
vm_pkgs=(qemu-system-x86 linux-image-cloud-amd64 linux-image-rt-amd64
	 busybox-static cpio)
# libbpf-tools for tcpstates and tcplife, time for /usr/bin/time -v.
bench_pkgs=(libbpf-tools redis-server redis-tools iproute2 procps util-linux time jq)

want=("${build_pkgs[@]}")
for group in "${@:-build}"; do
	case "$group" in
	build | --build-only) ;;
	test) want+=("${test_pkgs[@]}") ;;
	vm) want+=("${vm_pkgs[@]}") ;;
	bench | --bench) want+=("${bench_pkgs[@]}") ;;
	all) want+=("${test_pkgs[@]}" "${vm_pkgs[@]}") ;;
	*)
		echo "deps.sh: unknown group '$group' (build, test, vm, bench, all)" >&2
		exit 2
		;;
	esac
done

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
	exit 2
fi

# invoke-rc.d and deb-systemd-invoke ask policy-rc.d before starting or
# restarting a service; 101 means "not allowed". A policy-rc.d already
# there is put back as it was afterwards.
policy=/usr/sbin/policy-rc.d
saved=$(mktemp)
had_policy=0
if [ -e "$policy" ]; then
	cp -p "$policy" "$saved"
	had_policy=1
fi
restore_policy() {
	if [ "$had_policy" = 1 ]; then
		cp -p "$saved" "$policy"
	else
		rm -f "$policy"
	fi
	rm -f "$saved"
}
trap restore_policy EXIT
printf '#!/bin/sh\n# finwatch deps.sh: start no service while installing.\nexit 101\n' >"$policy"
chmod 755 "$policy"

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends --no-remove "${missing[@]}" >/dev/null
