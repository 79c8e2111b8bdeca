#!/usr/bin/env bash
# One version everywhere: VERSION is what the binary says (every
# subcommand's -V too), what debian/changelog releases, and, when the
# repository has tags, the latest of them (v0.4.0 or 0.4.0). No root.
. "$(dirname "$0")/lib.sh"
[ -x "$FINWATCH" ] || { echo "FAIL $PKG_TEST: no $FINWATCH (make)"; exit 1; }

check version_format "VERSION is '$VERSION'" \
	bash -c "[[ '$VERSION' =~ ^[0-9]+\.[0-9]+\.[0-9]+([~+.-][0-9A-Za-z.~+-]+)?$ ]]"
for cmd in "" $("$FINWATCH" --help | sed -nE 's/^  ([a-z]+)  .*/\1/p'); do
	got=$("$FINWATCH" $cmd --version 2>&1)
	check "binary_says_it${cmd:+_$cmd}" "'finwatch $cmd --version' says '$got'" \
		test "$got" = "finwatch $VERSION"
done
deb=$(sed -n '1s/^finwatch (\([^)]*\)).*/\1/p' debian/changelog)
check debian_changelog "debian/changelog releases '$deb'" test "$deb" = "$VERSION"
if git rev-parse --git-dir >/dev/null 2>&1 &&
	tag=$(git describe --tags --abbrev=0 2>/dev/null); then
	check latest_tag "the latest tag is $tag" test "${tag#v}" = "$VERSION"
else
	pass latest_tag_none
fi
pkg_exit
