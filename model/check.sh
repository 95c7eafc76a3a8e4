#!/usr/bin/env bash
# check.sh: model-check store.pml with spin: the correct model must verify
# (no assertion violation, no invalid end state, exhaustively: no bitstate,
# no hash compaction), and every seeded-bug variant must be refuted with a
# counterexample trail (breadth-first: the shortest one).
# Installs nothing. Exit 0 only if all of that holds; 1 otherwise; 2 if spin
# or a C compiler is missing.
# Columns: seconds is the wall clock, cpu-s the CPU time (user+sys) of
# spin, gcc and pan for that row.
# Usage: model/check.sh [outdir]   (pan outputs, trails and their one-line-
# per-step summaries, trail.txt, land in outdir/<variant>-<config>/)
set -uo pipefail
if ! command -v spin >/dev/null 2>&1; then
	echo "check.sh: spin is not installed (apt-get install -y spin); model not checked" >&2
	exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "check.sh: no C compiler ($cc) for spin's pan; model not checked" >&2
	exit 2
fi

# variant  config  -D flag  expected  search. Configurations (README.md):
# full = WriterA (Put, Put, Remove), WriterB, Compactor, Reader (Get, Get,
# scan), GroupCommit; reput = WriterA puts A again after the Remove, and the
# Reader does no scan. Searches: dfs = safety, depth-first, assertions and
# invalid end states; ltl = the LTL invariants as a never claim (pan -a);
# bfs = safety, breadth-first (the shortest counterexample).
variants=(
	"correct full - verified dfs"
	"correct reput - verified dfs"
	"correct-ltl reput WITH_LTL verified ltl"
	"slot-race full SLOT_RACE refuted bfs"
	"content-offset-race full CONTENT_OFFSET_RACE refuted bfs"
	"compaction-swap-window full COMPACTION_SWAP_WINDOW refuted bfs"
	"compaction-lost-store full COMPACTION_LOST_STORE refuted bfs"
	"unlocked-activation full UNLOCKED_ACTIVATION refuted bfs"
	"index-before-block full INDEX_BEFORE_BLOCK refuted bfs"
	"mutant-scan-no-recheck full MUTANT_SCAN_NO_RECHECK refuted bfs"
	"mutant-rewrite-not-current reput MUTANT_REWRITE_NOT_CURRENT refuted bfs"
)

# config_flags CONFIG: the -D flags of a configuration.
config_flags() {
	case $1 in
	full) ;;
	reput) echo "-DREPUT -DNO_SCAN" ;;
	*) echo "check.sh: unknown configuration $1" >&2; exit 1 ;;
	esac
}

# trail_summary DIR DEFS...: the trail as one line per step (step, process,
# what it did), from spin's replay.
trail_summary() {
	local dir=$1
	shift
	(cd "$dir" && spin "$@" -t -p store.pml 2>&1) | awk '
		function flush() { if (line != "") print line; if (err != "") print err; line = ""; err = "" }
		/^ *[0-9]+:\tproc/ {
			n = $1; sub(":", "", n)
			st = $0
			if (!match(st, /\(state [0-9]+\)\t\[/)) next
			st = substr(st, RSTART + RLENGTH); sub(/\]$/, "", st)
			if (st ~ /^(IF|DO|\.\(goto\)|\(1\)|sub-sequence|else|break)$/) next
			if (n != last) { flush(); line = sprintf("%4s  %-16s %s", n, $3 " " $4, st); last = n }
			else line = line "; " st
			next
		}
		/assertion violated/ { err = err (err == "" ? "" : "\n") "      " $0 }
		END { flush() }' >"$dir/trail.txt"
}

fail=0
printf '%-26s %-6s %-9s %-10s %10s %6s %8s %8s %7s  %s\n' variant config expected result states depth "MB" seconds cpu-s note
for v in "${variants[@]}"; do
	read -r name config flag expected search <<<"$v"
	dir="$out/$name-$config"
	rm -rf "$dir" && mkdir -p "$dir"
	cp "$here/store.pml" "$dir/"
	read -r -a def <<<"$(config_flags "$config")"
	[ "$flag" != - ] && def+=("-D$flag")
	case $search in
	dfs) ccflags=(-DSAFETY) panflags=() ;;
	ltl) ccflags=() panflags=(-a) ;;
	bfs) ccflags=(-DSAFETY -DBFS) panflags=() ;;
	esac
	start=$(date +%s%N)
	# CPU seconds (user+sys, spin, gcc and pan) beside the wall clock: on a
	# machine shared with other work the wall clock says little.
	TIMEFORMAT='%U %S'
	{ time (cd "$dir" && spin "${def[@]}" -a store.pml >spin.out 2>&1 &&
		"$cc" -O2 "${ccflags[@]}" -DCOLLAPSE -DVECTORSZ=2048 -o pan pan.c >cc.out 2>&1 &&
		./pan "${panflags[@]}" -m200000 >pan.out 2>&1); } 2>"$dir/time.out"
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}')
	cpu=$(awk '{printf "%.1f", $1 + $2}' "$dir/time.out")
	states=$(awk '/states, stored/{print $1; exit}' "$dir/pan.out" 2>/dev/null)
	depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' "$dir/pan.out" 2>/dev/null | head -1)
	mem=$(awk '/total actual memory usage/{print $1; exit}' "$dir/pan.out" 2>/dev/null)
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.out" 2>/dev/null | head -1)
	note=""
	if [ -z "$errors" ]; then
		result=broken
		note="spin/pan did not run: see $dir"
	elif [ "$errors" = 0 ]; then
		result=verified
		if grep -q 'search not completed\|max search depth too small\|bitstate\|hash-compact' "$dir/pan.out"; then
			result=incomplete
			note="search not exhaustive"
		fi
	else
		result=refuted
		trail_summary "$dir" "${def[@]}"
		note=$(grep -m1 -o 'pan:1: .*' "$dir/pan.out" | cut -c1-60)
		note="$note; $dir/trail.txt"
	fi
	printf '%-26s %-6s %-9s %-10s %10s %6s %8s %8.1f %7s  %s\n' "$name" "$config" "$expected" "$result" "${states:--}" "${depth:--}" "${mem:--}" "$secs" "$cpu" "$note"
	[ "$result" = "$expected" ] || fail=1
done
for f in "$out"/correct-full/pan.out "$out"/correct-reput/pan.out; do
	[ -f "$f" ] || continue
	echo
	echo "$(basename "$(dirname "$f")"), pan's own numbers:"
	grep -E 'State-vector|states, stored|states, matched|transitions|total actual memory|elapsed time|invalid end states|assertion violations|Partial Order' "$f" | sed 's/^/  /'
done
if [ "$fail" = 0 ]; then
	echo "model check: PASS (correct model verified, every bug variant refuted)"
else
	echo "model check: FAIL"
fi
exit "$fail"
