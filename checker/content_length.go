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

// contentLengthCheck: the content byte totals the store reports equal what
// the history implies.
//
// Every snapshot: Fragmentation == (total-live)/total (0 when total is 0).
// Periodic snapshots are not atomic with the operations around them, so that
// is all that can be said of them.
//
// Quiescent snapshots (final, restart), internal consistency: Live ==
// len(Layout); ContentBytesLive == the sum of the layout's content lengths;
// each layout entry's length equals its value's content length;
// ContentBytesLive <= ContentBytesTotal.
//
// Final snapshot against the history: within the crash segment, an
// effective put or remove of an id may be the last one iff it did not return
// before some ok put or remove of that id was invoked; the segment's starting
// state (recovered layout, or absent) may be last iff no ok put or remove of
// the id happened. Each layout entry must hold a value one of the possible
// last puts wrote, and each id whose every possible last op is a put must be
// in the layout. Then the live bytes the history implies are the lengths of
// those values, and ContentBytesLive must equal them.
//
// Total: ContentBytesTotal counts bytes appended to the current epoch. From
// the reference point of that epoch (the ok compaction that produced it:
// BytesAfter bytes; or the restart snapshot that began the segment: its
// total; or, for epoch 0 of the first segment, 0 bytes) it must lie between
//
//	lower = base + lengths of ok puts placed in the epoch that were invoked
//	        after the reference point returned
//	upper = base + lengths of every ok put placed in the epoch
//	        + lengths of fail and info puts that may have run after the
//	        reference point began (a failed put may leave orphaned bytes)
//
// exact when no put ended info or fail and none overlapped the compaction.
// When the epoch's reference point is unknown (its compaction ended info,
// or was run by the compact nemesis, which records no compact op, or by the
// store itself: Header.AutoCompact), the total is only checked against the
// live bytes; the result's details say so. Every compaction makes a new
// epoch, so an epoch a background compaction made never borrows the
// reference of one a recorded compaction made.
type contentLengthCheck struct{}

func (contentLengthCheck) Name() string { return "content-length" }
func (contentLengthCheck) Description() string {
	return "the store's reported content byte totals (live and total) equal what the history implies"
}

func (contentLengthCheck) Run(ctx context.Context, in *Input) Result {
	if r, ok := unreported(in, history.ReportsPlacements, history.ReportsLayout, history.ReportsStats); ok {
		return r
	}
	x, err := in.ops()
	if err != nil {
		return Result{Verdict: Unknown, Summary: "cannot pair operations: " + err.Error()}
	}
	checked := map[string]int{}
	var notes []string
	for pos := range in.Events {
		e := &in.Events[pos]
		if e.Kind != history.KindSnapshot || e.Snapshot == nil || e.Snapshot.Stats == nil {
			continue
		}
		if ctx.Err() != nil {
			return Result{Verdict: Unknown, Summary: ErrDeadlineExceeded.Error()}
		}
		s := e.Snapshot
		st := s.Stats
		bad := func(summary, why string, extra ...int) Result {
			return violation(ErrContentLength, fmt.Sprintf("%s snapshot (event %d): %s", s.Reason, e.Index, summary),
				fmt.Sprintf("event %d: %s snapshot reports live=%d content_bytes_live=%d content_bytes_total=%d fragmentation=%g epoch=%d, layout of %d entries\n%s",
					e.Index, s.Reason, st.Live, st.ContentBytesLive, st.ContentBytesTotal, st.Fragmentation, st.Epoch, len(s.Layout), why),
				eventIdx(in.Events, append([]int{pos}, extra...)...))
		}
		checked[s.Reason]++
		if want := fragmentation(st); math.Abs(st.Fragmentation-want) > 1e-6 {
			return bad(fmt.Sprintf("fragmentation %g, but (total-live)/total is %g", st.Fragmentation, want),
				"fragmentation must be computed from the totals it is reported with")
		}
		if s.Reason != "final" && s.Reason != "restart" {
			continue
		}
		if st.Live != uint64(len(s.Layout)) {
			return bad(fmt.Sprintf("live count %d, but the layout lists %d memories", st.Live, len(s.Layout)),
				"at a quiescent moment the live count is the number of memories in the layout")
		}
		var layoutBytes uint64
		for _, le := range s.Layout {
			if !le.Placement.HasContent {
				continue
			}
			if le.Value.HasContent && le.Value.ContentLen != le.Placement.Length {
				return bad(fmt.Sprintf("%q has content length %d but occupies %d bytes", le.ID, le.Value.ContentLen, le.Placement.Length),
					"a memory's placement length is its content length")
			}
			layoutBytes += uint64(le.Placement.Length)
		}
		if st.ContentBytesLive != layoutBytes {
			return bad(fmt.Sprintf("content_bytes_live %d, but the layout's memories hold %d bytes", st.ContentBytesLive, layoutBytes),
				"live content bytes are the sum of the content lengths of the live memories")
		}
		if st.ContentBytesLive > st.ContentBytesTotal {
			return bad(fmt.Sprintf("content_bytes_live %d exceeds content_bytes_total %d", st.ContentBytesLive, st.ContentBytesTotal),
				"live bytes are part of the bytes appended to the current epoch")
		}
		if s.Reason == "final" {
			if r, isBad := impliedLive(in.Events, x, pos, s, bad); isBad {
				return r
			}
		}
		if s.Reason == "restart" {
			continue // what recovery found is the reference for the segment, not judged against one
		}
		lo, hi, ref, ok := impliedTotal(in.Events, x, pos, st.Epoch)
		if !ok {
			if in.Header.AutoCompact != "" {
				ref += "; the store also compacts by itself (auto-compaction " + in.Header.AutoCompact + ")"
			}
			notes = append(notes, fmt.Sprintf("event %d: epoch %d has no known starting size (%s); total checked only against live", e.Index, st.Epoch, ref))
			continue
		}
		if st.ContentBytesTotal < lo || st.ContentBytesTotal > hi {
			rng := fmt.Sprintf("exactly %d", lo)
			if hi != lo {
				rng = fmt.Sprintf("between %d and %d", lo, hi)
			}
			return bad(fmt.Sprintf("content_bytes_total %d, but the history implies %s", st.ContentBytesTotal, rng),
				fmt.Sprintf("epoch %d starts from %s; the bytes appended since are the content lengths of the puts placed in it (fail and info puts may or may not have appended)", st.Epoch, ref))
		}
	}
	details := map[string]any{"snapshots": checked}
	if len(notes) > 0 {
		details["notes"] = notes
	}
	if checked["final"]+checked["restart"] == 0 {
		return Result{Verdict: NotEvaluated, Details: details,
			Summary: fmt.Sprintf("nothing to judge: no quiescent snapshot with stats (%d periodic ones internally consistent)", checked["periodic"])}
	}
	return Result{Verdict: Valid, Details: details,
		Summary: fmt.Sprintf("%s and %s agree with their layouts and the history", humanfmt.Count(checked["final"], "final snapshot", "final snapshots"), humanfmt.Count(checked["restart"], "restart snapshot", "restart snapshots"))}
}

// fragmentation is (total-live)/total with live clamped to total: Stats
// reads its counters one by one while operations run, so a periodic
// snapshot may see live above total, and the store clamps it.
func fragmentation(st *history.Stats) float64 {
	if st.ContentBytesTotal == 0 {
		return 0
	}
	live := min(st.ContentBytesLive, st.ContentBytesTotal)
	return float64(st.ContentBytesTotal-live) / float64(st.ContentBytesTotal)
}

// segmentStart returns the position of the restart that began the segment
// holding pos (-1 for the first segment) and the snapshot of its starting
// state: the restart snapshot after it, or for the first segment an
// "initial" snapshot recorded before any operation (nil if none was
// recorded before pos), with that snapshot's position.
func segmentStart(events []history.Event, x *opIndex, pos int) (int, *history.Snapshot, int) {
	seg := x.segmentOf(pos)
	if seg == 0 {
		if sp := x.initialSnap; sp >= 0 && sp < pos {
			return -1, events[sp].Snapshot, sp
		}
		return -1, nil, -1
	}
	r, sp := x.restarts[seg-1], x.restartSnaps[seg-1]
	if sp < 0 || sp >= pos {
		return r, nil, -1
	}
	return r, events[sp].Snapshot, sp
}

func sameContent(a, b history.Value) bool {
	if a.HasContent != b.HasContent {
		return false
	}
	return !a.HasContent || (a.ContentDigest == b.ContentDigest && a.ContentLen == b.ContentLen)
}

// impliedLive checks the final layout against the values the history allows
// to be last, per id.
func impliedLive(events []history.Event, x *opIndex, pos int, s *history.Snapshot,
	bad func(summary, why string, extra ...int) Result) (Result, bool) {
	start, initial, _ := segmentStart(events, x, pos)
	initState := map[string]history.Value{}
	if initial != nil {
		for _, le := range initial.Layout {
			initState[le.ID] = le.Value
		}
	} else if start >= 0 {
		return Result{}, false // a restart without its recovered layout: no starting state to judge from
	}
	layout := make(map[string]history.Entry, len(s.Layout))
	for _, le := range s.Layout {
		layout[le.ID] = le
	}
	ids := map[string]bool{}
	for id := range layout {
		ids[id] = true
	}
	for id := range initState {
		ids[id] = true
	}
	for id := range x.byID {
		ids[id] = true
	}
	for _, id := range slices.Sorted(maps.Keys(ids)) { // sorted: the same example every run
		var muts []*opRec
		maxOKCall := -1
		for _, i := range x.byID[id] {
			o := &x.ops[i]
			if !mutates(o.Op) || !o.effective() || o.Call <= start || o.Call >= pos {
				continue
			}
			muts = append(muts, o)
			if o.ok() && o.Call > maxOKCall {
				maxOKCall = o.Call
			}
		}
		initV, hadInit := initState[id]
		absentOK := maxOKCall < 0 && !hadInit
		var vals []history.Value
		var lastOps []*opRec
		if maxOKCall < 0 && hadInit {
			vals = append(vals, initV)
		}
		for _, o := range muts {
			if o.Return < maxOKCall {
				continue // an ok op invoked after it returned overrides it
			}
			lastOps = append(lastOps, o)
			if o.Op == history.OpRemove {
				absentOK = true
			} else {
				vals = append(vals, o.Input.Value)
			}
		}
		le, present := layout[id]
		switch {
		case !present && !absentOK:
			return bad(fmt.Sprintf("%q is missing from the layout, but the history leaves it live", id),
				explainLast(events, id, lastOps), opPositions(lastOps)...), true
		case present:
			match := false
			for _, v := range vals {
				if sameContent(v, le.Value) {
					match = true
					break
				}
			}
			if !match {
				return bad(fmt.Sprintf("%q holds content %#x (%d bytes), which no put that could be last for it wrote", id, le.Value.ContentDigest, le.Value.ContentLen),
					explainLast(events, id, lastOps), opPositions(lastOps)...), true
			}
		}
	}
	return Result{}, false
}

func opPositions(ops []*opRec) []int {
	var out []int
	for _, o := range ops {
		out = append(out, o.Call)
		if o.Done >= 0 {
			out = append(out, o.Done)
		}
	}
	return out
}

func explainLast(events []history.Event, id string, last []*opRec) string {
	if len(last) == 0 {
		return fmt.Sprintf("no put or remove of %q may be the last one (and the segment did not start with it)", id)
	}
	s := fmt.Sprintf("the operations on %q that may be the last one:", id)
	for _, o := range last {
		s += "\n  " + describe(events, o)
	}
	return s
}

// compactResult is the compaction a compact fault reported at its end; nil
// for other faults, a compaction that failed, a fault that never ended, or
// a history written before faults reported it.
func compactResult(f faultWindow) *history.Compaction {
	if f.fault != "compact" || f.endNemesis == nil {
		return nil
	}
	return f.endNemesis.Compaction
}

// impliedTotal bounds the current epoch's total bytes at snapshot position
// pos. ok is false when the epoch's starting size is unknown. A compaction
// is a compact operation or a compact fault: either gives the epoch's
// starting size when it reports a result, and either makes it unknown when
// it ended without one.
func impliedTotal(events []history.Event, x *opIndex, pos int, epoch uint64) (lo, hi uint64, ref string, ok bool) {
	start, initial, initPos := segmentStart(events, x, pos)
	refCall, refReturn := start, start
	var base uint64
	switch {
	case initial != nil && initial.Stats != nil && initial.Stats.Epoch == epoch:
		base, refCall, refReturn = initial.Stats.ContentBytesTotal, initPos, initPos
		ref = fmt.Sprintf("the restart snapshot at event %d (%d bytes)", events[initPos].Index, base)
		ok = true
	case start < 0 && epoch == 0:
		ref, ok = "an empty store (0 bytes)", true
	}
	// A compaction that produced the epoch inside the segment supersedes the
	// restart reference; the latest one wins.
	for i := range x.ops {
		o := &x.ops[i]
		if o.Op == history.OpCompact && o.Call > start && o.Call < pos && o.ok() &&
			o.Output != nil && o.Output.Compaction != nil && o.Output.Compaction.Epoch == epoch {
			base, refCall, refReturn = o.Output.Compaction.BytesAfter, o.Call, o.Return
			ref = fmt.Sprintf("the compaction returning at event %d (%d bytes after)", events[o.Return].Index, base)
			ok = true
		}
	}
	for _, f := range x.faults {
		if r := compactResult(f); f.start > start && f.end < pos && r != nil && r.Epoch == epoch && f.start > refCall {
			base, refCall, refReturn = r.BytesAfter, f.start, f.end
			ref = fmt.Sprintf("the compact fault ending at event %d (%d bytes after)", events[f.end].Index, base)
			ok = true
		}
	}
	if !ok {
		return 0, 0, fmt.Sprintf("no compaction (operation or fault) or restart in this segment reports epoch %d", epoch), false
	}
	// A compaction that ended without a result after the reference point may
	// have moved bytes in ways the history does not show.
	for i := range x.ops {
		o := &x.ops[i]
		if o.Op == history.OpCompact && o.Call > refCall && o.Call < pos && (o.Type == history.Info || o.pending()) {
			return 0, 0, fmt.Sprintf("the compaction invoked at event %d ended without a result", events[o.Call].Index), false
		}
	}
	for _, f := range x.faults {
		if f.fault == "compact" && f.start > refCall && f.start < pos && compactResult(f) == nil {
			return 0, 0, fmt.Sprintf("the compact fault starting at event %d ended without a result", events[f.start].Index), false
		}
	}
	lo, hi = base, base
	for i := range x.ops {
		o := &x.ops[i]
		if o.Op != history.OpPut || o.Call <= start || o.Call >= pos {
			continue
		}
		if o.ok() {
			p := o.Output.Placement
			if !p.HasContent || p.Epoch != epoch {
				continue
			}
			hi += uint64(p.Length)
			if o.Call > refReturn {
				lo += uint64(p.Length)
			}
			continue
		}
		if o.Return > refCall && o.Input.Value.HasContent {
			hi += uint64(o.Input.Value.ContentLen)
		}
	}
	return lo, hi, ref, true
}
