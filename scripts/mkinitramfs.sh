#!/usr/bin/env bash
# Builds the initramfs that scripts/vmtest.sh boots: busybox, the tools the
# kernel-level tests use (copied from this host with their shared libraries
# and the dynamic loader), the kernel modules they need, the kernel config,
# and the project (./finwatch, tests/, helper binaries under build/).
#
#   scripts/mkinitramfs.sh OUT KVER MODDIR [CONFIG]
#
#   OUT     the cpio archive to write (gzip-compressed when it ends in .gz)
#   KVER    the guest kernel's release (uname -r); modules go to
#           /lib/modules/KVER and the config to /boot/config-KVER in the guest
#   MODDIR  the host directory with that kernel's modules (has modules.dep)
#   CONFIG  the kernel's .config (for libbpf's __kconfig); optional
#
# Environment:
#   VMTEST_TOOLS    more commands to copy (names or paths), space-separated
#   VMTEST_EXTRA    more host files or directories to copy verbatim
#   VMTEST_MODULES_EXTRA  more module names to include (with dependencies)
#   VMTEST_PATTERN  passed to `tests/run.sh kernel PATTERN` in the guest
#   VMTEST_TRACEFS  1: mount tracefs at /sys/kernel/tracing in the guest
#                   (default 0, like the bare CI machine)
#   VMTEST_SHELL    1: drop to a shell in the guest instead of running tests
set -euo pipefail

[ $# -ge 3 ] || { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;$d' >&2; exit 2; }
out=$1 kver=$2 moddir=$3 config=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
proj=$(cd "$here/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$proj/$build ;; esac

log() { echo "mkinitramfs: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ -f "$moddir/modules.dep" ] || die "$moddir/modules.dep not found (set VMTEST_MODULES)"
command -v busybox >/dev/null || die "busybox not found (apt-get install busybox-static)"
command -v cpio >/dev/null || die "cpio not found (apt-get install cpio)"
command -v depmod >/dev/null || die "depmod not found (apt-get install kmod)"

root=$build/vmtest/root-$kver
rm -rf "$root"
mkdir -p "$root"
# Debian 12 has merged /usr; so does the guest, so host paths work as they are.
mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{proc,sys,dev,run,tmp,root,etc,boot,mnt,var}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
ln -s ../run "$root/var/run"
mkdir -p "$root/var/tmp" "$root/var/lib" "$root/var/log"
chmod 1777 "$root/tmp" "$root/var/tmp"

# --- files and their shared libraries -------------------------------------
declare -A copied=()
copy_file() { # host path -> same path in the guest (symlinks followed)
	local src=$1 dst=${2:-$1}
	[ -n "${copied[$dst]:-}" ] && return 0
	copied[$dst]=1
	mkdir -p "$root$(dirname "$dst")"
	if [ -L "$src" ] && [ "$src" = "$dst" ]; then
		# a symlink stays one (redis-check-rdb -> redis-server, modprobe -> kmod)
		local real
		real=$(readlink -f "$src")
		case $real in /bin/* | /sbin/* | /lib/* | /lib64/*) real=/usr$real ;; esac
		copy_file "$real"
		ln -sfn "$real" "$root$dst"
		return 0
	fi
	cp -L --preserve=mode "$src" "$root$dst"
}
is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }
copy_libs() { # the libraries and the loader that ELF file $1 needs
	local f=$1 line lib
	is_elf "$f" || return 0
	while read -r line; do
		case $line in
		*'=> not found'*) log "warning: $f: ${line%% *} not found" ;;
		*'=> /'*) lib=${line#*=> }; lib=${lib%% (*}; copy_file "$lib" ;;
		/*) lib=${line%% (*}; copy_file "$lib" ;;
		esac
	done < <(ldd "$f" 2>/dev/null || true)
}
copy_bin() { # a command name or path
	local p
	p=$(type -P "$1" 2>/dev/null) || { log "note: $1 not on this host, skipped"; return 0; }
	# keep the path the host has (resolving /bin -> /usr/bin and the like)
	case $p in /bin/* | /sbin/* | /lib/* | /lib64/*) p=/usr$p ;; esac
	[ -n "${copied[$p]:-}" ] && return 0
	copy_file "$p"
	copy_libs "$p"
}

# The tools. Whole packages where they are installed (all of coreutils beats
# busybox's look-alikes: `stat -c`, `timeout -k`, `sleep 0.1`, `date +%N`...).
pkgs=(bash coreutils util-linux util-linux-extra procps psmisc grep sed mawk gawk findutils
	diffutils gzip iproute2 nftables jq redis-server redis-tools kmod iputils-ping
	netcat-openbsd socat conntrack ethtool tcpdump strace)
for pkg in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || continue
	while read -r f; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		copy_bin "$f"
	done < <(dpkg -L "$pkg" | grep -E '^/(usr/)?s?bin/')
done
# Commands named in the tests (anything that resolves to a program on this
# host), so that a new test's new tool comes along without editing this file.
# Comments are dropped first; compilers, editors and big programs are left out
# unless VMTEST_TOOLS names them.
mapfile -t words < <(cat "$proj"/tests/run.sh "$proj"/tests/kernel/*.sh "$proj"/tests/kernel/*/*.sh \
	2>/dev/null | sed -E 's/^[[:space:]]*#.*//; s/[[:space:]]#[^"'"'"']*$//' |
	grep -ohE '[A-Za-z_][A-Za-z0-9_.+-]*' | sort -u)
skip=' cc gcc g++ c++ clang clang-14 ld make git vi vim view ex shellcheck valgrind gdb man '
for w in "${words[@]}"; do
	[[ $skip == *" $w "* ]] && continue
	p=$(type -P "$w" 2>/dev/null) || continue
	# only Debian's programs: /usr/local is this machine's business
	case $p in /usr/bin/* | /usr/sbin/* | /bin/* | /sbin/*) ;; *) continue ;; esac
	[ "$(stat -Lc %s "$p")" -le 4000000 ] || { log "note: $w is over 4 MB, skipped (name it in VMTEST_TOOLS)"; continue; }
	copy_bin "$p"
	# interpreters need their libraries
	case $w in python3*) [ -d /usr/lib/python3 ] && VMTEST_EXTRA="${VMTEST_EXTRA:-} $(ls -d /usr/lib/python3.[0-9]* | head -1)" ;; esac
	case $w in perl) VMTEST_EXTRA="${VMTEST_EXTRA:-} /usr/lib/x86_64-linux-gnu/perl-base /usr/share/perl5" ;; esac
	# rsyslogd loads its inputs and outputs (lmnet, imtcp, omfwd...) at start
	case $w in rsyslogd) VMTEST_EXTRA="${VMTEST_EXTRA:-} /usr/lib/x86_64-linux-gnu/rsyslog" ;; esac
done
for w in ${VMTEST_TOOLS:-}; do copy_bin "$w"; done
for x in ${VMTEST_EXTRA:-}; do
	[ -e "$x" ] || { log "warning: VMTEST_EXTRA $x does not exist"; continue; }
	mkdir -p "$root$(dirname "$x")"
	cp -a "$x" "$root$(dirname "$x")/"
	while read -r f; do copy_libs "$f"; done < <(find "$x" -type f \( -perm -u+x -o -name '*.so*' \))
done
# busybox fills the gaps (init, mount, poweroff, and whatever was not copied)
copy_file "$(type -P busybox)" /usr/bin/busybox
while read -r a; do
	a=${a#/}
	case $a in linuxrc) continue ;; esac
	[ -e "$root/$a" ] || [ -L "$root/$a" ] || ln -s /usr/bin/busybox "$root/$a"
done < <(busybox --list-full)
ln -sf /usr/bin/busybox "$root/init"

# glibc's name services: the static-ish minimum
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
redis:x:100:101::/var/lib/redis:/usr/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
redis:x:101:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\nservices: files\nprotocols: files\n' \
	>"$root/etc/nsswitch.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
echo vmtest >"$root/etc/hostname"
for f in /etc/services /etc/protocols /etc/ethertypes /etc/iproute2 /usr/share/iproute2 /etc/ld.so.conf /etc/ld.so.conf.d; do
	[ -e "$f" ] || continue
	mkdir -p "$root$(dirname "$f")"
	cp -a "$f" "$root$(dirname "$f")/"
done
# NSS modules are dlopen()ed, ldd cannot see them
for f in /usr/lib/x86_64-linux-gnu/libnss_files.so.2 /usr/lib/x86_64-linux-gnu/libnss_dns.so.2; do
	[ -e "$f" ] && copy_file "$f"
done

# --- kernel modules --------------------------------------------------------
# What the tests need (veth, nf_tables and every nft expression, conntrack,
# NAT, the tc qdiscs, the socket diag modules for `ss`, TCP congestion
# controls, the crypto that they may ask for), with their dependencies from
# modules.dep and modules.softdep. The kernel loads the
# rest on demand through /sbin/modprobe (kmod), e.g. when nft adds a rule.
mkdir -p "$root/lib/modules/$kver"
declare -A want_mod=()
mod_patterns='^kernel/(crypto/|arch/x86/crypto/crc32|drivers/net/(veth|dummy|ifb|macvlan|ipvlan)\.ko|net/(netfilter|ipv4/netfilter|ipv6/netfilter|bridge/netfilter|sched)/|net/ipv4/(inet_diag|tcp_diag|udp_diag|raw_diag|tcp_[a-z]+)\.ko|net/ipv6/ipv6\.ko|net/packet/|net/unix/|net/core/|net/netlink/|drivers/net/netdevsim/)'
while IFS=: read -r m deps; do
	base=${m%%.ko*}
	base=${base##*/}
	if [[ $m =~ $mod_patterns ]] || [[ " ${VMTEST_MODULES_EXTRA:-} " == *" $base "* ]] ||
		[[ " ${VMTEST_MODULES_EXTRA:-} " == *" ${base//-/_} "* ]]; then
		want_mod[$m]=1
		for d in $deps; do want_mod[$d]=1; done
	fi
done <"$moddir/modules.dep"
# Soft dependencies (libcrc32c wants crc32c first: built in on the cloud
# kernel, a module on the RT one) name modules or aliases (crypto-crc32c).
declare -A mod_path=() mod_alias=() mod_soft=()
while IFS=: read -r m deps; do
	base=${m##*/}
	base=${base%%.ko*}
	mod_path[${base//-/_}]=$m
done <"$moddir/modules.dep"
while read -r kw name target; do
	[ "$kw" = alias ] && [ -z "${mod_alias[$name]:-}" ] && mod_alias[$name]=$target
done < <(grep -E '^alias (crypto-|crc32|nf-|nft-|net-pf-|nfnetlink|tcp-)' "$moddir/modules.alias" 2>/dev/null)
while read -r kw name rest; do
	[ "$kw" = softdep ] || continue
	mod_soft[${name//-/_}]=$(echo "$rest" | sed 's/\(pre\|post\)://g')
done <"$moddir/modules.softdep"
# dependencies of dependencies, hard and soft
changed=1
while [ $changed = 1 ]; do
	changed=0
	while IFS=: read -r m deps; do
		[ -n "${want_mod[$m]:-}" ] || continue
		base=${m##*/}
		base=${base%%.ko*}
		for n in ${mod_soft[${base//-/_}]:-}; do
			n=${n//-/_}
			[ -n "${mod_path[$n]:-}" ] || n=${mod_alias[$n]:-$n}
			[ -n "${mod_path[$n]:-}" ] && deps="$deps ${mod_path[$n]}"
		done
		for d in $deps; do
			[ -n "${want_mod[$d]:-}" ] || { want_mod[$d]=1; changed=1; }
		done
	done <"$moddir/modules.dep"
done
nmod=0
for m in "${!want_mod[@]}"; do
	src=$moddir/$m
	[ -f "$src" ] || { log "warning: module $m listed but missing"; continue; }
	dst=$root/lib/modules/$kver/$m
	mkdir -p "$(dirname "$dst")"
	# decompress, so that any modprobe (or insmod) can load it
	case $m in
	*.ko.xz) xz -dc "$src" >"${dst%.xz}" ;;
	*.ko.zst) zstd -qdc "$src" >"${dst%.zst}" ;;
	*.ko.gz) gzip -dc "$src" >"${dst%.gz}" ;;
	*) cp "$src" "$dst" ;;
	esac
	nmod=$((nmod + 1))
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$moddir/$f" ] && sed 's/\.ko\.\(xz\|zst\|gz\)$/.ko/' "$moddir/$f" >"$root/lib/modules/$kver/$f"
done
depmod -b "$root" "$kver" || die "depmod failed for $kver"
log "$nmod modules from $moddir"

# --- kernel config, for libbpf's __kconfig ---------------------------------
if [ -n "$config" ] && [ -f "$config" ]; then
	cp "$config" "$root/boot/config-$kver"
else
	log "warning: no kernel config; libbpf's __kconfig will need /proc/config.gz in the guest"
fi

# --- the project -----------------------------------------------------------
dest=$root/finwatch
mkdir -p "$dest"
if [ -x "$proj/finwatch" ]; then
	copy_file "$proj/finwatch" /finwatch/finwatch
else
	log "warning: ./finwatch not built; the guest runs the tests without it"
fi
# tests/ without the fuzzers' corpora (a running fuzzer changes them as we
# read), scripts/, docs/
(cd "$proj" && tar -cf - --exclude=tests/fuzz --exclude='*.o' --ignore-failed-read \
	tests scripts docs 2>/dev/null) | tar -xf - -C "$dest"
[ -f "$dest/tests/run.sh" ] || die "could not copy tests/"
# build/: helper binaries and unit tests, not objects nor other trees
if [ -d "$build" ]; then
	(cd "$build" && find . \( -path ./vmtest -o -path ./asan -o -name 'vmtest-*' -o -name '*.o' \
		-o -name '*.a' -o -name '*.d' \) -prune -o \( -type f -o -type l \) -print) |
		while read -r f; do
			mkdir -p "$dest/build/$(dirname "$f")"
			cp -a "$build/$f" "$dest/build/$f"
		done
fi
while read -r f; do copy_libs "$f"; done < <(find "$dest" -type f -perm -u+x)
# The guest has no compiler: scripts/vmtest.sh builds the C helpers of the
# tests on the host. tests/kernel/lib.sh's fw_require still asks for `cc`,
# so the guest gets one that only says so.
if ! [ -e "$root/usr/bin/cc" ]; then
	mkdir -p "$root/usr/local/bin"
	printf '%s\n' '#!/bin/sh' \
		'echo "cc: no compiler in the vmtest guest; scripts/vmtest.sh builds tests/kernel/*.c on the host into build/kernel/" >&2' \
		'exit 1' >"$root/usr/local/bin/cc"
	chmod +x "$root/usr/local/bin/cc"
fi

# --- init --------------------------------------------------------------------
cp "$here/vm-init.sh" "$root/etc/vm-init.sh"
chmod +x "$root/etc/vm-init.sh"
{
	printf 'VMTEST_PATTERN=%q\n' "${VMTEST_PATTERN:-}"
	printf 'VMTEST_TRACEFS=%q\n' "${VMTEST_TRACEFS:-0}"
	printf 'VMTEST_SHELL=%q\n' "${VMTEST_SHELL:-0}"
	printf 'VMTEST_MODULES_LOAD=%q\n' "${VMTEST_MODULES_LOAD:-}"
} >"$root/etc/vmtest.conf"
# busybox init reaps orphans (so `pgrep` never sees zombies), runs the
# script, and the script powers off. If it ever returns, power off anyway.
cat >"$root/etc/inittab" <<'EOF'
::sysinit:/bin/sh /etc/vm-init.sh
::sysinit:/bin/busybox poweroff -f
EOF

# --- pack --------------------------------------------------------------------
mkdir -p "$(dirname "$out")"
case $out in
*.gz) comp=(gzip -1) ;;
*.zst) comp=(zstd -q -3) ;;
*) comp=(cat) ;;
esac
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | "${comp[@]}" >"$out.tmp"
mv "$out.tmp" "$out"
log "$out: $(du -h "$out" | cut -f1) ($(du -sh "$root" | cut -f1) unpacked)"
