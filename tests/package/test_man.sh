#!/usr/bin/env bash
# finwatch(8) against the binary: mandoc -T lint is clean, it has a
# section for every subcommand `finwatch --help` lists, and each section
# documents exactly the options that subcommand's --help prints (so that
# neither can drift from the other). No root needed.
. "$(dirname "$0")/lib.sh"
need mandoc
man=dist/finwatch.8
[ -x "$FINWATCH" ] || { echo "FAIL $PKG_TEST: no $FINWATCH (make)"; exit 1; }

lint=$(mandoc -T lint -W warning "$man" 2>&1)
check mandoc_lint "$lint" test -z "$lint"

# The options every subcommand has, documented once for all.
common="-h --help --usage -V --version"

# -x and --long options of COMMAND's --help, one a line, sorted.
help_options() {
	"$FINWATCH" "$1" --help |
		sed -nE 's/^ +((-[A-Za-z?]), )?(--[a-z][a-z0-9-]*).*/\2 \3/p' |
		tr ' ' '\n' | sed '/^$/d' | grep -vxF -f <(tr ' ' '\n' <<<"$common") |
		sort -u
}

# The options the man page's ".Ss finwatch COMMAND" lists in its .It lines.
man_options() {
	awk -v cmd="finwatch $1" '
		/^\.S[sh] / { inside = ($0 == ".Ss " cmd) }
		inside && /^\.It Fl / {
			for (i = 2; i <= NF; i++)
				if ($(i - 1) == "Fl") print "-" $i
		}' "$man" | sort -u
}

commands=$("$FINWATCH" --help | sed -nE 's/^  ([a-z]+)  .*/\1/p')
sections=$(sed -nE 's/^\.Ss finwatch ([a-z]+)$/\1/p' "$man")
check man_has_every_command "commands: $(echo $commands); sections: $(echo $sections)" \
	test "$(sort <<<"$commands")" = "$(sort <<<"$sections")"

for cmd in $commands; do
	diff <(help_options "$cmd") <(man_options "$cmd") >"$PKG_TMP/$cmd.diff"
	check "options_$cmd" \
		"< in --help only, > in finwatch(8) only: $(grep '^[<>]' "$PKG_TMP/$cmd.diff" | tr '\n' ' ')" \
		test ! -s "$PKG_TMP/$cmd.diff"
	for o in $common; do
		"$FINWATCH" "$cmd" --help | grep -qE -- "(^| )$o(,|$| )" ||
			fail "help_$cmd" "--help does not list $o"
	done
done
# The sentence that documents the common ones.
check man_common_options "no line naming -h, --help, --usage, -V, --version" \
	grep -qF 'Every subcommand takes' "$man"
pkg_exit
