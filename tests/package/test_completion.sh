#!/usr/bin/env bash
# The bash completion, driven as bash-completion drives it: loaded by
# _completion_loader from a completions directory, then _finwatch called
# with COMP_WORDS/COMP_CWORD set, and its COMPREPLY checked. No root.
. "$(dirname "$0")/lib.sh"
bc=/usr/share/bash-completion/bash_completion
[ -r "$bc" ] || { echo "FAIL $PKG_TEST: bash-completion is missing (make test-deps)"; exit 1; }
[ -x "$FINWATCH" ] || { echo "FAIL $PKG_TEST: no $FINWATCH (make)"; exit 1; }

# The completion as installed: BASH_COMPLETION_USER_DIR is searched first.
mkdir -p "$PKG_TMP/completions/completions" "$PKG_TMP/netns"
cp dist/finwatch.bash-completion "$PKG_TMP/completions/completions/finwatch"
ln -s "$FINWATCH" "$PKG_TMP/finwatch"

# complete LINE...: what completing the last word of LINE offers.
complete_line() {
	BASH_COMPLETION_USER_DIR=$PKG_TMP/completions PATH=$PKG_TMP:$PATH \
		bash -c '. "$1"; shift
		_completion_loader finwatch
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"; COMP_LINE=${COMP_LINE// = /=}; COMP_POINT=${#COMP_LINE}
		_finwatch finwatch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' x "$bc" "$@" 2>&1 | sort | tr '\n' ' '
}

loaded=$(BASH_COMPLETION_USER_DIR=$PKG_TMP/completions bash -c \
	'. "$1"; _completion_loader finwatch; complete -p finwatch' x "$bc" 2>&1)
check loaded_by_bash_completion "$loaded" test "$loaded" = "complete -F _finwatch finwatch"

got=$(complete_line finwatch "")
check subcommands "$got" test "$got" = "--help --version correlate demo help reap snapshot trace "
got=$(complete_line finwatch help s)
check help_command "$got" test "$got" = "snapshot "
got=$(complete_line finwatch trace --tr)
check trace_option "$got" test "$got" = "--transport "
got=$(complete_line finwatch trace --transport "")
check transport_values "$got" test "$got" = "auto perf ring "
got=$(complete_line finwatch trace --stream a)
check stream_values "$got" test "$got" = "all-states "
got=$(complete_line finwatch snapshot --source "")
check source_values "$got" test "$got" = "auto iter sock_diag "
got=$(complete_line finwatch trace -p "")
check port_values "$got" bash -c "[[ '$got' == *6379* ]]"
# --opt=value is split by _init_completion -s
got=$(complete_line finwatch trace --transport = r)
check transport_equals "$got" test "$got" = "ring "
got=$(complete_line finwatch correlate --fo)
check correlate_option "$got" test "$got" = "--follow "
got=$(complete_line finwatch snapshot --pr)
check snapshot_prom_option "$got" test "$got" = "--prom "

# netns paths under /run/netns: a namespace of our own, if we may
if [ "$(id -u)" = 0 ] && ip netns add fwcompl$$ 2>/dev/null; then
	pkg_on_exit "ip netns del fwcompl$$"
	got=$(complete_line finwatch trace --netns /run/netns/fwcompl)
	check netns_values "$got" test "$got" = "/run/netns/fwcompl$$ "
fi
# files for correlate and -o
touch "$PKG_TMP/app1.jsonl" "$PKG_TMP/app1.jsonl.1.gz"
got=$(cd "$PKG_TMP" && complete_line finwatch correlate app1)
check correlate_files "$got" test "$got" = "app1.jsonl app1.jsonl.1.gz "
got=$(cd "$PKG_TMP" && complete_line finwatch reap --dry-run app1.jsonl.)
check reap_files "$got" test "$got" = "app1.jsonl.1.gz "
got=$(complete_line finwatch reap --mar)
check reap_option "$got" test "$got" = "--margin "
got=$(cd "$PKG_TMP" && complete_line finwatch trace -o app)
check output_files "$got" test "$got" = "app1.jsonl app1.jsonl.1.gz "
pkg_exit
