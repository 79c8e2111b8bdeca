#!/usr/bin/env bash
# `finwatch correlate` of two builds side by side on the same logs (not a
# test: nothing here is timed against a limit). The machine is shared and
# noisy, so the two builds alternate, ROUNDS times each (default 9), and
# the figures are medians: records/s on one core (the summary's records ÷
# user+sys), records/s of wall time, and the peak RSS, from
# /usr/bin/time -v. Both must write the same findings and summary, byte
# for byte: a speed change must not change a verdict.
#
#   bench/correlate_ab.sh [-b BASE] DIR...
#
# BASE is a commit (default main), built from `git archive` in
# build/bench-ab/BASE; the other build is ./finwatch (made here). Each DIR
# holds client.log and server.log: the real churn logs of
# bench/churn_logs.sh (DIR/folded, DIR/all-states) or bench/gen_log's.
set -euo pipefail
cd "$(dirname "$0")/.."
base=main
while getopts b: o; do
	case $o in
	b) base=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || {
	echo "usage: bench/correlate_ab.sh [-b BASE] DIR..." >&2
	exit 2
}
rounds=${ROUNDS:-9}
out=build/bench-ab
bdir=$out/$(git rev-parse --short "$base")
if [ ! -x "$bdir/finwatch" ]; then
	rm -rf "$bdir"
	mkdir -p "$bdir"
	git archive "$base" | tar -x -C "$bdir"
	make -s -C "$bdir" finwatch >"$bdir.log" 2>&1 ||
		{ echo "correlate_ab: $base does not build: $bdir.log" >&2; exit 1; }
fi
make -s finwatch >/dev/null
builds=("$bdir/finwatch" ./finwatch)
names=("$base" "this tree")

# one_run K DIR: "records cpu_s wall_s rss_kb" of one run of build K;
# its output goes to $out/findings.K.
one_run() {
	local t=$out/time.txt f=$out/findings.$1
	/usr/bin/time -v "${builds[$1]}" correlate --json "$2/client.log" \
		"$2/server.log" >"$f" 2>"$t"
	awk -F': ' -v recs="$(tail -1 "$f" | grep -o '"records":[0-9]*' | cut -d: -f2)" '
		/User time/ { u = $2 } /System time/ { s = $2 }
		/Maximum resident/ { r = $2 }
		/Elapsed \(wall clock\)/ { n = split($2, a, ":"); w = 0
			for (i = 1; i <= n; i++) w = w * 60 + a[i] }
		END { print recs, u + s, w, r }' "$t"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for dir in "$@"; do
	cat "$dir/client.log" "$dir/server.log" >/dev/null # page cache
	declare -A samples=()
	for ((r = 0; r < rounds; r++)); do
		# alternate which build goes first
		for k in $((r % 2)) $((1 - r % 2)); do
			samples[$k]+="$(one_run "$k" "$dir")"$'\n'
		done
	done
	same=yes
	cmp -s "$out/findings.0" "$out/findings.1" ||
		same="NO: $out/findings.0 and $out/findings.1 differ"
	recs=$(echo "${samples[0]}" | head -1 | awk '{ print $1 }')
	echo "== $dir: $recs records, $(cat "$dir/client.log" "$dir/server.log" | wc -c) bytes, $rounds rounds each, same output: $same"
	printf '%-12s %14s %14s %12s %14s\n' build "rec/s (cpu)" "rec/s (wall)" "cpu s" "max RSS KB"
	for k in 0 1; do
		s=${samples[$k]}
		cpu=$(echo "$s" | awk 'NF { print $2 }' | median)
		wall=$(echo "$s" | awk 'NF { print $3 }' | median)
		rss=$(echo "$s" | awk 'NF { print $4 }' | median)
		printf '%-12s %14.0f %14.0f %12s %14s\n' "${names[$k]}" \
			"$(awk -v n="$recs" -v t="$cpu" 'BEGIN { print n / t }')" \
			"$(awk -v n="$recs" -v t="$wall" 'BEGIN { print n / t }')" \
			"$cpu" "$rss"
	done
	unset samples
done
