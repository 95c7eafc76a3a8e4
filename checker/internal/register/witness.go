package register

import (
	"context"
	"sort"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// witnessBudget bounds the search for a minimal witness of a violation that
// only porcupine could find.
type witnessBudget struct {
	deadline  time.Time
	perSearch time.Duration
	maxSteps  int64
	heapLimit uint64
	maxTries  int // read-dropping attempts
}

// prefixOps is the history cut just before position cut: ops invoked before
// it, those still pending at it turned info (a prefix of a linearizable
// history, pending ops as info, is linearizable, so an invalid prefix proves
// the whole invalid). Info gets are dropped as in prune.
func prefixOps(ops []regOp, cut int64) []regOp {
	out := make([]regOp, 0, len(ops))
	for _, o := range ops {
		if o.call >= cut {
			continue
		}
		if o.ret >= cut {
			if o.op == history.OpGet {
				continue
			}
			o.ret = infinity
			o.status = statusInfo
			if o.complete >= int(cut) {
				o.complete = -1
			}
		}
		out = append(out, o)
	}
	return out
}

// minimizeSearchWitness shrinks an invalid partition to a small sub-history
// that porcupine still proves invalid: first the shortest invalid prefix
// (binary search: invalidity is monotone in the cut), then it drops gets one
// by one while the rest stays invalid (dropping a get can only remove
// constraints, so an invalid remainder proves the original invalid). Writes
// are never dropped: a write a read observed explains that read, and
// deleting it would manufacture a violation. A clamped put keeps the get that
// observed it. Searches that run out of budget count as "not shown invalid".
func minimizeSearchWitness(ctx context.Context, p *regPartition, ops []regOp, wb witnessBudget) []regOp {
	illegal := func(sub []regOp) bool {
		if time.Now().After(wb.deadline) {
			return false
		}
		return porcupineSearch(ctx, p.initial, sub, wb.perSearch, wb.heapLimit, wb.maxSteps, false).verdict == Invalid
	}
	var cuts []int64
	for _, o := range ops {
		if o.ret != infinity {
			cuts = append(cuts, o.ret+1)
		}
	}
	sort.Slice(cuts, func(a, b int) bool { return cuts[a] < cuts[b] })
	best := ops
	lo, hi := 0, len(cuts) // invariant: cut at cuts[hi] (or the whole) is invalid
	for lo < hi {
		mid := (lo + hi) / 2
		if sub := prefixOps(ops, cuts[mid]); illegal(sub) {
			hi, best = mid, sub
		} else {
			lo = mid + 1
		}
	}

	observers := map[int]bool{}
	for _, o := range best {
		if o.op == history.OpPut && o.clampedBy >= 0 && o.ret != infinity {
			observers[o.clampedBy] = true
		}
	}
	tries := 0
	for i := len(best) - 1; i >= 0 && tries < wb.maxTries; i-- {
		if i >= len(best) {
			continue
		}
		o := best[i]
		if o.op != history.OpGet || observers[o.complete] {
			continue
		}
		tries++
		cand := make([]regOp, 0, len(best)-1)
		cand = append(cand, best[:i]...)
		cand = append(cand, best[i+1:]...)
		if illegal(cand) {
			best = cand
		}
	}
	return best
}
