#!/usr/bin/env bash
# The code's shape, checked: the kernel's style as .clang-format spells it
# (any diff fails), no source file over 900 lines, no function over 80.
# Prints PASS/FAIL lines like the rest of tests/run.sh.
set -u
cd "$(dirname "$0")/.."
max_file=900
max_func=80
status=0

sources() {
	git ls-files 'bpf/*.[ch]' 'user/*.[ch]' 'user/*/*.[ch]' 'tests/unit/*.[ch]' \
		'tests/fuzz/*.c' 'tests/kernel/*.c' 'bench/*.c' 2>/dev/null
}

if ! command -v clang-format >/dev/null 2>&1; then
	echo "FAIL style/clang-format: clang-format is not installed (scripts/deps.sh)"
	status=1
else
	bad=$(for f in $(sources); do
		[ -f "$f" ] || continue
		clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"
	done)
	if [ -z "$bad" ]; then
		echo "PASS style/clang-format"
	else
		echo "FAIL style/clang-format: not formatted (clang-format -i them):" $bad
		status=1
	fi
fi

# The project's own code, tests aside: a file a newcomer can read.
long=$(for f in $(git ls-files 'bpf/*.[ch]' 'user/*.[ch]' 'user/*/*.[ch]'); do
	n=$(wc -l <"$f")
	[ "$n" -le "$max_file" ] || echo "$f ($n lines)"
done)
if [ -z "$long" ]; then
	echo "PASS style/file_length"
else
	echo "FAIL style/file_length: over $max_file lines:" $long
	status=1
fi

# A function starts with its name at the start of a line (kernel style
# puts the return type on the same line or the one before) and ends at
# the first "}" alone at the start of a line.
long=$(for f in $(git ls-files 'bpf/*.c' 'user/*.c' 'user/*/*.c'); do
	awk -v max="$max_func" -v file="$f" '
		/^[A-Za-z_].*\(/ && !/;[ \t]*$/ { cand = $0; cand_line = NR }
		/^\{/ && cand != "" { name = cand; start = NR; cand = "" }
		/^\}/ && start { if (NR - start - 1 > max) {
				sub(/\(.*/, "", name); n = split(name, w, /[ *]+/)
				printf "%s:%d %s (%d lines)\n", file, start, w[n], NR - start - 1 }
			start = 0 }' "$f"
done)
if [ -z "$long" ]; then
	echo "PASS style/function_length"
else
	echo "FAIL style/function_length: over $max_func lines:"
	echo "$long" | sed 's/^/    /'
	status=1
fi
exit $status
