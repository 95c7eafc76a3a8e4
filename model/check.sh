#!/usr/bin/env bash
# check.sh: model-check store.pml with spin: the correct model must verify
# (no assertion violation, no invalid end state, exhaustively), and every
# seeded-bug variant must be refuted with a counterexample trail.
# Installs nothing. Exit 0 only if all of that holds; 1 otherwise; 2 if spin
# or a C compiler is missing.
# Usage: model/check.sh [outdir]   (trails and pan outputs land in outdir)
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

# variant  -D flag  expected  (correct-ltl: the LTL invariants as a never
# claim, pan -a, instead of the safety run with its monitor assertions)
variants=(
	"correct - verified"
	"correct-ltl WITH_LTL verified"
	"slot-race SLOT_RACE refuted"
	"content-offset-race CONTENT_OFFSET_RACE refuted"
	"compaction-swap-window COMPACTION_SWAP_WINDOW refuted"
	"compaction-lost-store COMPACTION_LOST_STORE refuted"
	"unlocked-activation UNLOCKED_ACTIVATION refuted"
	"index-before-block INDEX_BEFORE_BLOCK refuted"
)

fail=0
printf '%-24s %-9s %-9s %12s %6s %8s %s\n' variant expected result states depth seconds note
for v in "${variants[@]}"; do
	read -r name flag expected <<<"$v"
	dir="$out/$name"
	rm -rf "$dir" && mkdir -p "$dir"
	cp "$here/store.pml" "$dir/"
	def=()
	[ "$flag" != - ] && def=("-D$flag")
	start=$(date +%s%N)
	ccflags=(-DSAFETY) panflags=()
	if [ "$flag" = WITH_LTL ]; then ccflags=() panflags=(-a); fi
	(cd "$dir" && spin "${def[@]}" -a store.pml >spin.out 2>&1 &&
		"$cc" -O2 "${ccflags[@]}" -DCOLLAPSE -DVECTORSZ=2048 -o pan pan.c >cc.out 2>&1 &&
		./pan "${panflags[@]}" -m200000 >pan.out 2>&1)
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN{printf "%.1f", (b-a)/1e9}')
	states=$(awk '/states, stored/{print $1; exit}' "$dir/pan.out" 2>/dev/null)
	depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' "$dir/pan.out" 2>/dev/null | head -1)
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.out" 2>/dev/null | head -1)
	note=""
	if [ -z "$errors" ]; then
		result=broken
		note="spin/pan did not run: see $dir"
	elif [ "$errors" = 0 ]; then
		result=verified
		if grep -q 'search not completed\|max search depth too small' "$dir/pan.out"; then
			result=incomplete
			note="search not exhaustive"
		fi
	else
		result=refuted
		note=$(grep -m1 -o 'pan:1: .*' "$dir/pan.out" | cut -c1-60)
		note="$note; trail $dir/store.pml.trail"
	fi
	printf '%-24s %-9s %-9s %12s %6s %8.1f %s\n' "$name" "$expected" "$result" "${states:--}" "${depth:--}" "$secs" "$note"
	[ "$result" = "$expected" ] || fail=1
done
if [ -f "$out/correct/pan.out" ]; then
	echo
	echo "correct model, pan's own numbers:"
	grep -E 'State-vector|states, stored|states, matched|transitions|total actual memory|elapsed time|invalid end states|assertion violations' "$out/correct/pan.out" | sed 's/^/  /'
fi
if [ "$fail" = 0 ]; then
	echo "model check: PASS (correct model verified, every bug variant refuted)"
else
	echo "model check: FAIL"
fi
exit "$fail"
