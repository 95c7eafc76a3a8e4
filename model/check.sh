#!/usr/bin/env bash
# check.sh: model-check store.pml with spin: the correct model must verify
# (no assertion violation, no invalid end state, exhaustively: no bitstate,
# no hash compaction), and every seeded-bug variant must be refuted with a
# counterexample trail (breadth-first: the shortest one).
# Installs nothing. Exit 0 only if all of that holds; 1 otherwise; 2 if spin
# or a C compiler is missing.
# Usage: model/check.sh [outdir]   (pan outputs, trails and their one-line-
# per-step summaries, trail.txt, land in outdir/<variant>/)
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

# variant  config  -D flag  expected  search. One configuration, "full"
# (README.md): WriterA, WriterB, Compactor, Reader, GroupCommit. Searches:
# dfs = safety, depth-first, assertions and invalid end states; ltl = the
# LTL invariants as a never claim (pan -a); bfs = safety, breadth-first.
variants=(
	"correct full - verified dfs"
	"correct-ltl full WITH_LTL verified ltl"
	"slot-race full SLOT_RACE refuted bfs"
	"content-offset-race full CONTENT_OFFSET_RACE refuted bfs"
	"compaction-swap-window full COMPACTION_SWAP_WINDOW refuted bfs"
	"compaction-lost-store full COMPACTION_LOST_STORE refuted bfs"
	"unlocked-activation full UNLOCKED_ACTIVATION refuted bfs"
	"index-before-block full INDEX_BEFORE_BLOCK refuted bfs"
)

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
printf '%-24s %-6s %-9s %-10s %10s %6s %8s %8s  %s\n' variant config expected result states depth "MB" seconds note
for v in "${variants[@]}"; do
	read -r name config flag expected search <<<"$v"
	dir="$out/$name"
	rm -rf "$dir" && mkdir -p "$dir"
	cp "$here/store.pml" "$dir/"
	def=()
	[ "$flag" != - ] && def=("-D$flag")
	case $search in
	dfs) ccflags=(-DSAFETY) panflags=() ;;
	ltl) ccflags=() panflags=(-a) ;;
	bfs) ccflags=(-DSAFETY -DBFS) panflags=() ;;
	esac
	start=$(date +%s%N)
	(cd "$dir" && spin "${def[@]}" -a store.pml >spin.out 2>&1 &&
		"$cc" -O2 "${ccflags[@]}" -DCOLLAPSE -DVECTORSZ=2048 -o pan pan.c >cc.out 2>&1 &&
		./pan "${panflags[@]}" -m200000 >pan.out 2>&1)
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}')
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
	printf '%-24s %-6s %-9s %-10s %10s %6s %8s %8.1f  %s\n' "$name" "$config" "$expected" "$result" "${states:--}" "${depth:--}" "${mem:--}" "$secs" "$note"
	[ "$result" = "$expected" ] || fail=1
done
if [ -f "$out/correct/pan.out" ]; then
	echo
	echo "correct model, pan's own numbers:"
	grep -E 'State-vector|states, stored|states, matched|transitions|total actual memory|elapsed time|invalid end states|assertion violations|Partial Order' "$out/correct/pan.out" | sed 's/^/  /'
fi
if [ "$fail" = 0 ]; then
	echo "model check: PASS (correct model verified, every bug variant refuted)"
else
	echo "model check: FAIL"
fi
exit "$fail"
