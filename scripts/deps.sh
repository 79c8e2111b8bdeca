#!/usr/bin/env bash
# Install every Debian 12 package that finwatch's build, tests, demo and VM
# suite need. Idempotent: it asks apt only for what is missing. It never
# starts, stops or reconfigures a service: packages that come with one
# (redis-server, rsyslog) are installed with service starts refused, and
# apt may not remove anything (another syslog daemon, say) to make room.
# The tests run their own redis-server and rsyslogd, with configurations,
# pid files and ports of their own, inside network namespaces.
#   --build-only   the build's packages only
#   --bench        the build's and the benchmark's (bench/run.sh), not the tests'
set -euo pipefail

build_pkgs=(make clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config)
test_pkgs=(redis-server redis-tools iproute2 nftables procps kmod cpio
	   qemu-system-x86 linux-image-cloud-amd64 linux-image-rt-amd64 busybox-static
	   libclang-rt-14-dev valgrind jq
	   prometheus libxml2-utils
	   logrotate rsyslog bsdutils systemd-journal-remote gzip)

# libbpf-tools for tcpstates and tcplife, time for /usr/bin/time -v.
bench_pkgs=(libbpf-tools redis-server redis-tools iproute2 procps util-linux time jq)

want=("${build_pkgs[@]}")
case "${1:-}" in
--build-only) ;;
--bench) want+=("${bench_pkgs[@]}") ;;
*) want+=("${test_pkgs[@]}") ;;
esac

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
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Debian's maintainer scripts ask policy-rc.d before starting a service
# (invoke-rc.d, deb-systemd-invoke): 101 means "do not". One that is
# already there is the host's own policy and stays as it is. (prometheus
# is there for promtool, which checks the report's metrics, not to run.)
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	trap 'rm -f "$policy"' EXIT
	printf '#!/bin/sh\n# deps.sh: no service starts while it installs\nexit 101\n' >"$policy"
	chmod 755 "$policy"
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends --no-remove "${missing[@]}" >/dev/null
