#!/usr/bin/env bash
# Install every Debian 12 package that finwatch's build, tests, demo and VM
# suite need. Idempotent: it asks apt only for what is missing.
#   --build-only   the build's packages only
#   --bench        the build's and the benchmark's (bench/run.sh), not the tests'
set -euo pipefail

build_pkgs=(make clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config)
test_pkgs=(redis-server redis-tools iproute2 nftables procps kmod cpio
	   qemu-system-x86 linux-image-cloud-amd64 linux-image-rt-amd64 busybox-static
	   libclang-rt-14-dev valgrind jq
	   prometheus libxml2-utils)

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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts redis-server as a service on install; tests run their own.
# prometheus is there for promtool (the report's metrics are checked with
# it), not to run.
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now redis-server >/dev/null 2>&1 || true
	systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
