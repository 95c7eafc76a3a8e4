package checker

import (
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// killers computes, for every put, the earliest position at which its record
// may stop being the live one for its id: the smallest invoke position of
// another effective put or remove of the same id that may be linearized
// after it (one that did not return before the put was invoked). Until that
// position the put, once returned ok, is definitely live; from it on it may
// be superseded or removed. never when no such operation exists.
//
// An info or pending op stops being a possible killer at the restart that
// ends its segment.
//
// Per id, ops are in invoke order, so the killers of the put at i are the
// op at i+1 (the next invoke) and any earlier op still running when the put
// was invoked; the earliest of those is found by binary search over the
// prefix maximum of return positions, which is non-decreasing.
func killers(x *opIndex) map[int]killInfo {
	out := make(map[int]killInfo)
	for _, idxs := range x.byID {
		muts := make([]int, 0, len(idxs))
		for _, i := range idxs {
			o := &x.ops[i]
			if mutates(o.Op) && o.effective() {
				muts = append(muts, i)
			}
		}
		prefMax := make([]int, len(muts))
		for k, i := range muts {
			prefMax[k] = x.effectiveReturn(i)
			if k > 0 && prefMax[k-1] > prefMax[k] {
				prefMax[k] = prefMax[k-1]
			}
		}
		for k, i := range muts {
			o := &x.ops[i]
			if o.Op != history.OpPut {
				continue
			}
			ki := killInfo{at: never, by: -1, next: never}
			if k+1 < len(muts) {
				ki = killInfo{at: x.ops[muts[k+1]].Call, by: muts[k+1], next: never}
				if k+2 < len(muts) {
					ki.next = x.ops[muts[k+2]].Call
				}
			}
			if j := sort.Search(k, func(j int) bool { return prefMax[j] > o.Call }); j < k {
				ki = killInfo{at: x.ops[muts[j]].Call, by: muts[j], next: ki.at}
			}
			out[i] = ki
		}
	}
	return out
}

// effectiveReturn is the last position at which op i may take effect: its
// return, or for an info or pending op the restart that ends its crash
// segment (the store process it was sent to is gone), else never.
func (x *opIndex) effectiveReturn(i int) int { return x.effectiveReturnOf(&x.ops[i]) }

// effectiveReturnOf is effectiveReturn of op o.
func (x *opIndex) effectiveReturnOf(o *opRec) int {
	if o.Return != never {
		return o.Return
	}
	if seg := x.segmentOf(o.Call); seg < len(x.restarts) {
		return x.restarts[seg]
	}
	return never
}

// killInfo: at is the invoke position of the earliest op that may supersede
// or remove a put (never if none), by its op index; next is the invoke
// position of the earliest such op other than by.
type killInfo struct{ at, by, next int }

// except returns the earliest kill position among killers other than op.
func (k killInfo) except(op int) int {
	if k.by == op {
		return k.next
	}
	return k.at
}

// syncIndex answers "is there an effective sync op that may have run after
// position from and before position to": its invoke before to and its
// return after from.
type syncIndex struct {
	calls   []int // invoke positions, ascending
	prefMax []int // prefix max of return positions
}

func newSyncIndex(x *opIndex) *syncIndex {
	s := &syncIndex{}
	for i := range x.ops {
		o := &x.ops[i]
		if o.Op != history.OpSync || !o.effective() {
			continue
		}
		ret := o.Return
		s.calls = append(s.calls, o.Call)
		if n := len(s.prefMax); n > 0 && s.prefMax[n-1] > ret {
			ret = s.prefMax[n-1]
		}
		s.prefMax = append(s.prefMax, ret)
	}
	return s
}

func (s *syncIndex) between(from, to int) bool {
	n := sort.SearchInts(s.calls, to) // syncs invoked before to
	return n > 0 && s.prefMax[n-1] > from
}
