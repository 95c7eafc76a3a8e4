package checker

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/internal/humanfmt"
)

// iterationCheck judges every ok iterate (Output.Entries) against the
// store's documented guarantee: every memory stored before the iteration
// began and not removed during it is visited exactly once, with its value at
// some point during the iteration; nothing torn or half-written is visited.
//
// Within the iterate's crash segment (whose starting state is the recovered
// layout of its restart snapshot, a pseudo-put at the restart), an entry
// (id X, value v) is rejected when:
//   - X appears twice;
//   - no effective put of X invoked before the iterate returned wrote v's
//     content (a failed put's value counts as never written);
//   - every put that wrote v is stale: an ok put or remove of X was invoked
//     after that put returned and returned before the iterate was invoked;
//   - any other field of v is not what its put wrote, bit for bit
//     (fieldsMismatch): confidence, embedding, decay_rate, created_at and
//     activation with last_access (both may come from an update-activation
//     of X; a time the put left 0 is the store's clock during the put).
//
// And an id X is required (its absence rejected) when an ok put of X returned
// before the iterate was invoked and no effective remove of X that may follow
// that put was invoked before the iterate returned.
type iterationCheck struct{}

func (iterationCheck) Name() string { return "iteration" }
func (iterationCheck) Description() string {
	return "an iterate has no duplicate, nothing never stored or stale, every field of every entry as written (floats bit for bit), and everything stored before it and not removed"
}

func (iterationCheck) Run(ctx context.Context, in *Input) Result {
	x, err := in.ops()
	if err != nil {
		return Result{Verdict: Unknown, Summary: "cannot pair operations: " + err.Error()}
	}
	iterates, entries := 0, 0
	cache := map[int]map[string]*idOps{} // segment start -> id -> ops
	segCache := map[int]segmentState{}
	candCache := map[int]map[string]bool{} // segment start -> ids that may be required
	for i := range x.ops {
		it := &x.ops[i]
		if it.Op != history.OpIterate || !it.ok() || it.Output == nil {
			continue
		}
		if ctx.Err() != nil {
			return Result{Verdict: Unknown, Summary: ErrDeadlineExceeded.Error()}
		}
		iterates++
		entries += len(it.Output.Entries)
		segIdx := x.segmentOf(it.Call)
		seg, ok := segCache[segIdx]
		if !ok {
			seg = stateAt(in.Events, x, it.Call)
			segCache[segIdx] = seg
		}
		per := cache[seg.start]
		if per == nil {
			per = map[string]*idOps{}
			cache[seg.start] = per
		}
		ops := func(id string) *idOps {
			d := per[id]
			if d == nil {
				// Staleness and completeness look at this segment only:
				// what happened before the crash is summed up by the
				// recovered layout.
				d = buildIDOps(x, id, seg.start, math.MaxInt)
				if !seg.known {
					// No recovered layout: any earlier put may be the writer.
					all := buildIDOps(x, id, -1, math.MaxInt)
					d.writers, d.activations = all.writers, all.activations
				}
				per[id] = d
			}
			return d
		}
		cands := candCache[seg.start]
		if cands == nil {
			cands = map[string]bool{}
			for id := range seg.initial {
				cands[id] = true
			}
			for id, idxs := range x.byID {
				for _, i := range idxs {
					if o := &x.ops[i]; o.Op == history.OpPut && o.ok() && o.Call > seg.start && x.segmentOf(o.Call) == x.segmentOf(it.Call) {
						cands[id] = true
						break
					}
				}
			}
			candCache[seg.start] = cands
		}
		if r, bad := judgeIterate(in.Events, in.Header.StartedUnixNanos, it, seg, ops, cands); bad {
			return r
		}
	}
	details := map[string]any{"iterates": iterates, "entries": entries}
	if iterates == 0 {
		return Result{Verdict: NotEvaluated, Details: details, Summary: "nothing to judge: no ok iterate in the history"}
	}
	return Result{Verdict: Valid, Details: details,
		Summary: fmt.Sprintf("%s (%s): complete, no duplicates, every value current and really written", humanfmt.Count(iterates, "iterate", "iterates"), humanfmt.Count(entries, "entry", "entries"))}
}

// judgeIterate judges one iterate. candidates are the ids that may be
// required: those in the segment's recovered state or with an ok put in
// the segment.
func judgeIterate(events []history.Event, origin int64, it *opRec, seg segmentState, ops func(string) *idOps, candidates map[string]bool) (Result, bool) {
	bad := func(summary, why string, extra ...int) (Result, bool) {
		w := append([]int{it.Call, it.Return}, extra...)
		return violation(ErrIteration, fmt.Sprintf("iterate at event %d: %s", events[it.Call].Index, summary),
			describe(events, it)+"\n"+why, eventIdx(events, w...)), true
	}
	seen := make(map[string]bool, len(it.Output.Entries))
	for _, en := range it.Output.Entries {
		if seen[en.ID] {
			return bad(fmt.Sprintf("visits %q twice", en.ID), "an iteration visits each memory exactly once")
		}
		seen[en.ID] = true
		d := ops(en.ID)
		var states []stateWrite
		if iv, ok := seg.initial[en.ID]; ok {
			states = []stateWrite{{iv, !d.supersededBetween(seg.start, it.Call)}}
		}
		wv := whoWrote(en.ID, en.Value, d, it.Return, states,
			func(w *opRec) bool { return !d.supersededBetween(w.Return, it.Call) }, origin)
		switch wv.kind {
		case wroteOK:
		case wroteMixed:
			return bad("visits a mixed value: "+wv.mismatch, "a visited value must be one really written: all its fields come from one write", wv.positions()...)
		case wroteStale:
			why := fmt.Sprintf("%q held content %#x before the iterate began, but an ok put or remove of it that started later had already returned", en.ID, en.Value.ContentDigest)
			if wv.op != nil {
				return bad(fmt.Sprintf("visits %q with a stale value", en.ID), describe(events, wv.op)+"\n"+why, wv.op.Call)
			}
			return bad(fmt.Sprintf("visits %q with a stale recovered value", en.ID), why)
		default:
			why := fmt.Sprintf("no effective put of %q invoked before the iterate returned wrote content %#x (%d bytes, has_content=%v)",
				en.ID, en.Value.ContentDigest, en.Value.ContentLen, en.Value.HasContent)
			for _, w := range d.writers[contentKeyOf(en.Value)] {
				if !w.effective() {
					why += "\nonly a failed put wrote it: " + describe(events, w)
				}
			}
			return bad(fmt.Sprintf("visits %q with a value never written", en.ID), why)
		}
	}
	// Completeness: every id stored before the iterate began and not removed
	// before it ended.
	if !seg.known {
		return Result{}, false // what survived the crash is unknown: completeness cannot be judged
	}
	for _, id := range slices.Sorted(maps.Keys(candidates)) { // sorted: the same example every run
		if seen[id] {
			continue
		}
		d := ops(id)
		stored := d.lastOKPutBefore(it.Call)
		if stored < 0 {
			if _, ok := seg.initial[id]; !ok {
				continue
			}
			stored = seg.start // recovered: a pseudo-put at the restart
		}
		if d.removedBetween(stored, it.Return) {
			continue
		}
		return bad(fmt.Sprintf("misses %q", id),
			fmt.Sprintf("%q was stored (the put invoked at event %d returned ok before the iterate began) and no remove of it that may follow that put was invoked before the iterate returned",
				id, eventIndexOr(events, stored)), stored)
	}
	return Result{}, false
}

func eventIndexOr(events []history.Event, pos int) any {
	if pos >= 0 && pos < len(events) {
		return events[pos].Index
	}
	return "restart"
}
