#!/usr/bin/env bash
# make install and make uninstall with PREFIX and DESTDIR, as a packager
# runs them: the files where they belong, the units pointing at the
# installed binary; the build takes CPPFLAGS, CFLAGS and LDFLAGS from the
# environment and adds -Werror only with WERROR=1. No root.
. "$(dirname "$0")/lib.sh"
[ -x "$FINWATCH" ] || { echo "FAIL $PKG_TEST: no $FINWATCH (make)"; exit 1; }
dest=$PKG_TMP/root

make -s install DESTDIR="$dest" PREFIX=/opt/fw >"$PKG_TMP/install.log" 2>&1
rc=$?
check install_runs "exit $rc: $(tail -n 3 "$PKG_TMP/install.log")" test "$rc" = 0
want="/etc/finwatch/default.conf
/etc/finwatch/snapshot.conf
/etc/logrotate.d/finwatch
/opt/fw/lib/systemd/system/finwatch-snapshot.service
/opt/fw/lib/systemd/system/finwatch-snapshot.timer
/opt/fw/lib/systemd/system/finwatch-trace@.service
/opt/fw/sbin/finwatch
/opt/fw/share/bash-completion/completions/finwatch
/opt/fw/share/doc/finwatch/LICENSE
/opt/fw/share/doc/finwatch/README.md
/opt/fw/share/man/man8/finwatch.8"
got=$(cd "$dest" && find . -type f | sed 's|^\.||' | grep -v '^/opt/fw/share/doc/finwatch/[A-Z]*\.md$' |
	sort; ls "$dest/opt/fw/share/doc/finwatch/README.md" | sed "s|^$dest||")
got=$(sort -u <<<"$got")
check install_files "$(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')" \
	test "$got" = "$want"
check install_docs "docs/*.md missing" \
	test "$(ls "$dest/opt/fw/share/doc/finwatch" | grep -c '\.md$')" = "$(($(ls docs/*.md | wc -l) + 1))"
check units_use_sbindir "$(grep -h ExecStart "$dest"/opt/fw/lib/systemd/system/*.service)" \
	bash -c "[ \$(grep -h '^ExecStart=/opt/fw/sbin/finwatch ' '$dest'/opt/fw/lib/systemd/system/*.service | wc -l) = 2 ]"
check installed_binary_runs "$("$dest/opt/fw/sbin/finwatch" --version 2>&1)" \
	test "$("$dest/opt/fw/sbin/finwatch" --version)" = "finwatch $VERSION"

make -s uninstall DESTDIR="$dest" PREFIX=/opt/fw >/dev/null 2>&1
left=$(cd "$dest" && find . -type f | sed 's|^\.||' | grep -v '^/etc/finwatch/' | tr '\n' ' ')
check uninstall_removes "left: $left" test -z "$left"

# What a build would run, without running it (-n), in a tree of its own.
flags=$(make -n -B BUILD="$PKG_TMP/b" BIN="$PKG_TMP/b/finwatch" CPPFLAGS=-DFW_PKG_CPP \
	CFLAGS='-O1 -DFW_PKG_C' LDFLAGS=-Wl,-z,now "$PKG_TMP/b/finwatch" 2>/dev/null)
compiles=$(grep -E '^cc .* -c user/' <<<"$flags")
link=$(grep -- "-o $PKG_TMP/b/finwatch\$" <<<"$flags")
without=$(grep -vc -- '-DFW_PKG_CPP .*-O1 -DFW_PKG_C' <<<"$compiles")
check flags_from_environment "$without of $(wc -l <<<"$compiles") compiles without them" \
	test "$without" = 0
check ldflags_from_environment "the link: $link" grep -q -- '-Wl,-z,now' <<<"$link"
check no_werror_by_default "-Werror in a default compile" \
	test "$(grep -c -- -Werror <<<"$compiles")" = 0
werror=$(make -n -B WERROR=1 BUILD="$PKG_TMP/b" BIN="$PKG_TMP/b/finwatch" "$PKG_TMP/b/finwatch" 2>/dev/null |
	grep -E '^cc .* -c user/' | grep -vc -- -Werror)
check werror_for_developers "$werror compiles without -Werror" test "$werror" = 0
pkg_exit
