#!/usr/bin/env bash
# The record parser of this tree against the one of an older commit
# (bench/diff_parse.c): every field of every record the same, on valid
# and bad lines. For work on the parser's speed, which must not change
# what it reads.
#
#   bench/diff_parse.sh [-b BASE] FILE...      compare on the lines of FILEs
#   bench/diff_parse.sh [-b BASE] -f SECONDS [CORPUS_DIR...]
#                                              libFuzzer, seeded with the
#                                              correlator's corpus and DIRs
# BASE is a commit (default main). Its json.c and record*.c are built
# with its own headers and their global symbols renamed old_*; the struct
# fw_rec of both trees must be laid out alike (record.h).
set -euo pipefail
cd "$(dirname "$0")/.."
base=main
fuzz=
while getopts b:f: o; do
	case $o in
	b) base=$OPTARG ;;
	f) fuzz=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))

out=build/diff_parse
old=$out/old
rm -rf "$old"
mkdir -p "$old/user/correlate"
git archive "$base" user/correlate user/schema.h | tar -x -C "$old"
# the two parsers fill one struct: its definition must be the same
structs() { sed -n '/^struct fw_rec_step {/,/^int fw_rec_parse(/p' "$1"; }
if ! cmp -s <(structs "$old/user/correlate/record.h") <(structs user/correlate/record.h); then
	echo "diff_parse: struct fw_rec differs from $base's: the comparison is not valid" >&2
	exit 2
fi

if [ -n "$fuzz" ]; then
	cc=clang
	flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -DDIFF_FUZZ)
	objflags=(-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
else
	cc=${CC:-cc}
	flags=(-g -O2)
	objflags=(-g -O2)
fi
common=(-std=gnu11 -D_GNU_SOURCE)

# the older parser, one relocatable object, its globals renamed
objs=()
for f in "$old"/user/correlate/json.c "$old"/user/correlate/record*.c; do
	o=$old/$(basename "${f%.c}").o
	"$cc" "${objflags[@]}" "${common[@]}" -I"$old/user" -c "$f" -o "$o"
	objs+=("$o")
done
ld -r "${objs[@]}" -o "$old/parser.o"
nm -g --defined-only "$old/parser.o" | awk '{ print $3, "old_" $3 }' >"$old/syms"
objcopy --redefine-syms="$old/syms" "$old/parser.o"

# this tree's correlator, as the Makefile lists it
read -r -a lib <<<"$(make -s --no-print-directory print-pure-srcs)"
"$cc" "${flags[@]}" "${common[@]}" -Iuser bench/diff_parse.c "$old/parser.o" \
	"${lib[@]}" -lz -o "$out/diff_parse"

if [ -z "$fuzz" ]; then
	exec "$out/diff_parse" "$@"
fi
work=$out/corpus
mkdir -p "$work"
"$out/diff_parse" -max_total_time="$fuzz" -max_len=16384 -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/" \
	"$work" tests/fuzz/corpus/correlate tests/fuzz/corpus/lineformat "$@"
