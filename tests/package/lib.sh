# shellcheck shell=bash
# What the packaging tests share: PASS/FAIL lines, a scratch directory,
# and cleanup actions that run on exit, on failure and on SIGINT/SIGTERM.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
PKG_TEST=$(basename "$0" .sh)
PKG_TMP=$(mktemp -d "/tmp/finwatch-$PKG_TEST.XXXXXX")
PKG_CLEANUP=() # commands, run last first
PKG_FAILED=0
VERSION=$(cat VERSION)
# The binary under test: the installed one, or ./finwatch by default.
FINWATCH=${FINWATCH:-$PWD/finwatch}

pkg_cleanup() {
	trap - EXIT INT TERM
	for ((i = ${#PKG_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${PKG_CLEANUP[i]}" >/dev/null 2>&1 || true
	done
	rm -rf "$PKG_TMP"
}
trap pkg_cleanup EXIT
trap 'echo "FAIL $PKG_TEST: interrupted"; exit 130' INT
trap 'echo "FAIL $PKG_TEST: terminated"; exit 143' TERM

pkg_on_exit() { PKG_CLEANUP+=("$*"); }
pass() { echo "PASS $PKG_TEST/$1"; }
fail() {
	echo "FAIL $PKG_TEST/$1: $2"
	PKG_FAILED=1
}
# check NAME WHY COMMAND...: PASS when COMMAND succeeds.
check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}
need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null ||
			{ echo "FAIL $PKG_TEST: $t is missing (make test-deps)"; exit 1; }
	done
}
pkg_exit() { exit "$PKG_FAILED"; }
