#!/usr/bin/env bash
# The Debian package, for real: make deb, lintian, dpkg -i, the installed
# binary, man page, units, logrotate file and completion each checked by
# its own tool, then dpkg -r and dpkg -P leave nothing behind. Root; it
# installs and removes the package "finwatch" on this machine (a copy
# already installed is purged first), and runs the demo under the
# installed binary (network namespaces: run it under the kernel lock).
. "$(dirname "$0")/lib.sh"
need dpkg-buildpackage lintian mandoc systemd-analyze logrotate
[ "$(id -u)" = 0 ] || { echo "FAIL $PKG_TEST: needs root"; exit 1; }

arch=$(dpkg --print-architecture)
deb=build/finwatch_${VERSION}_$arch.deb
purge() { dpkg -P finwatch >/dev/null 2>&1 || true; }
purge
pkg_on_exit purge

if make deb >"$PKG_TMP/build.log" 2>&1 && [ -f "$deb" ]; then
	pass deb_built
else
	fail deb_built "make deb: $(tail -n 3 "$PKG_TMP/build.log" | tr '\n' ' ')"
	pkg_exit
fi

lintian "$deb" >"$PKG_TMP/lintian" 2>&1
check lintian_no_errors "$(grep '^E:' "$PKG_TMP/lintian" | tr '\n' ' ')" \
	bash -c "! grep -q '^E:' '$PKG_TMP/lintian'"
grep '^[WI]:' "$PKG_TMP/lintian" | sed 's/^/    lintian: /'

depends=$(dpkg-deb -f "$deb" Depends)
recommends=$(dpkg-deb -f "$deb" Recommends)
runtime_only() {
	[[ $depends == *libbpf1* && $depends == *zlib1g* ]] &&
		! grep -qE 'redis|nftables|iproute2' <<<"$depends" &&
		[[ $recommends == *redis-server* && $recommends == *nftables* &&
			$recommends == *iproute2* ]]
}
check depends_runtime_only "Depends: $depends; Recommends: $recommends" runtime_only

# What is on disk before, where a package could leave something.
leftovers() {
	find /var/lib/systemd /var/log /run /etc/systemd -name '*finwatch*' \
		2>/dev/null | sort
}
leftovers >"$PKG_TMP/before"

check dpkg_install "$(dpkg -i "$deb" 2>&1 | tail -n 2)" \
	bash -c "dpkg -i '$deb' >'$PKG_TMP/install.log' 2>&1"
dpkg -L finwatch >"$PKG_TMP/files"

check installed_path "command -v finwatch is $(command -v finwatch)" \
	test "$(command -v finwatch)" = /usr/sbin/finwatch
check installed_version "$(/usr/sbin/finwatch --version 2>&1)" \
	test "$(/usr/sbin/finwatch --version)" = "finwatch $VERSION"
/usr/sbin/finwatch snapshot >"$PKG_TMP/snapshot" 2>&1
rc=$?
check installed_snapshot "exit $rc: $(head -n 2 "$PKG_TMP/snapshot")" test "$rc" = 0

timeout 300 /usr/sbin/finwatch demo >"$PKG_TMP/demo" 2>&1
rc=$?
check installed_demo "exit $rc: $(tail -n 3 "$PKG_TMP/demo" | tr '\n' ' ')" \
	bash -c "[ $rc = 0 ] && grep -q lost_fin '$PKG_TMP/demo'"
check demo_no_escapes_off_terminal "ANSI escapes in the demo's output" \
	bash -c "! grep -q $'\033' '$PKG_TMP/demo'"

man_page=$(man -w finwatch 2>/dev/null)
check man_installed "man -w finwatch: '$man_page'" \
	test "$man_page" = /usr/share/man/man8/finwatch.8.gz
check man_lint "$(mandoc -T lint -W warning "$man_page" 2>&1 | head -n 3)" \
	bash -c "[ -z \"\$(mandoc -T lint -W warning '$man_page' 2>&1)\" ]"

units="finwatch-trace@default.service finwatch-snapshot.service finwatch-snapshot.timer"
# shellcheck disable=SC2086
systemd-analyze verify $units >"$PKG_TMP/verify" 2>&1
rc=$?
check systemd_analyze_verify "exit $rc: $(head -n 3 "$PKG_TMP/verify" | tr '\n' ' ')" \
	bash -c "[ $rc = 0 ] && [ ! -s '$PKG_TMP/verify' ]"

logrotate -d /etc/logrotate.d/finwatch >"$PKG_TMP/logrotate" 2>&1
rc=$?
check logrotate_debug "exit $rc: $(grep -i error "$PKG_TMP/logrotate" | head -n 2)" \
	bash -c "[ $rc = 0 ] && ! grep -qi '^error' '$PKG_TMP/logrotate'"

completion=$(bash -c '. /usr/share/bash-completion/bash_completion
	_completion_loader finwatch; complete -p finwatch' 2>&1)
check completion_loaded "complete -p: $completion" \
	test "$completion" = "complete -F _finwatch finwatch"

check dpkg_remove "$(dpkg -r finwatch 2>&1 | tail -n 2)" \
	bash -c "dpkg -r finwatch >'$PKG_TMP/remove.log' 2>&1"
# Every file the package had is gone, but its conffiles in /etc.
remaining=$(while read -r f; do
	[ -d "$f" ] && continue
	[ -e "$f" ] || [ -L "$f" ] || continue
	[[ $f == /etc/* ]] || echo "$f"
done <"$PKG_TMP/files")
check removed_all_but_etc "left: $remaining" test -z "$remaining"
leftovers >"$PKG_TMP/after"
check removed_no_state "new: $(comm -13 "$PKG_TMP/before" "$PKG_TMP/after" | tr '\n' ' ')" \
	cmp -s "$PKG_TMP/before" "$PKG_TMP/after"

check dpkg_purge "$(dpkg -P finwatch 2>&1 | tail -n 2)" \
	bash -c "dpkg -P finwatch >'$PKG_TMP/purge.log' 2>&1"
remaining=$(while read -r f; do
	[ -e "$f" ] && [[ $f == *finwatch* ]] && echo "$f"
done <"$PKG_TMP/files")
check purged_everything "left: $remaining" test -z "$remaining"
check purged_from_dpkg "dpkg still knows finwatch" \
	bash -c "! dpkg-query -W -f='\${Status}' finwatch 2>/dev/null | grep -q installed"
pkg_exit
