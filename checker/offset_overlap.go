package checker

import (
	"context"
	"fmt"
	"sort"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/internal/humanfmt"
)

// offsetOverlapCheck: within one compaction epoch the content region is
// append-only, so every content range ever observed in that epoch (an ok
// put's placement, or a Layout entry in any snapshot) belongs to exactly one
// write, and two ranges of different writes never overlap, whether or not
// the memories are still live. A range is free again only in a later epoch.
//
// A write is identified by (epoch, offset, length, id, content digest): the
// same write seen twice (its put, then snapshots) is one range. A kill or
// power loss ends this reasoning: unsynced ranges may be lost and the space
// reused, so each crash segment starts afresh from its recovered layout.
// Empty and nil content occupy no bytes and are ignored.
type offsetOverlapCheck struct{}

func (offsetOverlapCheck) Name() string { return "offset-overlap" }
func (offsetOverlapCheck) Description() string {
	return "content ranges handed out in one compaction epoch never overlap; no two live memories in a layout overlap"
}

type contentRange struct {
	epoch, off, end uint64
	id              string
	digest          uint64
	pos             int    // position of the first event that showed it
	what            string // "put" or "<reason> snapshot"
}

func (offsetOverlapCheck) Run(ctx context.Context, in *Input) Result {
	if r, ok := unreported(in, history.ReportsPlacements); ok {
		return r
	}
	seg := 0
	seen := map[contentRange]bool{}
	var pool []contentRange
	checked := 0
	var firstBad *Result

	flush := func() {
		if firstBad != nil {
			return
		}
		if r, bad := overlapIn(in.Events, pool); bad {
			firstBad = &r
		}
		checked += len(pool)
		pool = pool[:0]
		clear(seen)
	}
	add := func(r contentRange) {
		if r.end <= r.off {
			return
		}
		key := r
		key.pos, key.what = 0, ""
		if seen[key] {
			return
		}
		seen[key] = true
		pool = append(pool, r)
	}
	open := map[int64]history.Value{} // process -> value its put is writing
	for pos := range in.Events {
		if pos%65536 == 0 && ctx.Err() != nil {
			return Result{Verdict: Unknown, Summary: ErrDeadlineExceeded.Error()}
		}
		e := &in.Events[pos]
		switch e.Kind {
		case history.KindNemesis:
			if e.Nemesis != nil && e.Nemesis.Restart && e.Nemesis.Phase == history.NemesisEnd {
				flush()
				seg++
			}
		case history.KindSnapshot:
			if e.Snapshot == nil {
				continue
			}
			for _, le := range e.Snapshot.Layout {
				p := le.Placement
				if !p.HasContent {
					continue
				}
				add(contentRange{epoch: p.Epoch, off: p.Offset, end: p.Offset + uint64(p.Length),
					id: le.ID, digest: le.Value.ContentDigest, pos: pos, what: e.Snapshot.Reason + " snapshot"})
			}
		case history.KindOp:
			if e.Op != history.OpPut {
				continue
			}
			switch e.Type {
			case history.Invoke:
				if e.Input != nil {
					open[e.Process] = e.Input.Value
				}
			case history.OK:
				v := open[e.Process]
				delete(open, e.Process)
				if e.Output == nil || !e.Output.Placement.HasContent {
					continue
				}
				p := e.Output.Placement
				add(contentRange{epoch: p.Epoch, off: p.Offset, end: p.Offset + uint64(p.Length),
					id: e.ID, digest: v.ContentDigest, pos: pos, what: "put"})
			default:
				delete(open, e.Process)
			}
		}
	}
	flush()
	details := map[string]any{"ranges": checked, "crash_segments": seg + 1}
	if firstBad != nil {
		firstBad.Details = details
		return *firstBad
	}
	if checked == 0 {
		return Result{Verdict: NotEvaluated, Details: details, Summary: "nothing to judge: no content range in the history"}
	}
	return Result{Verdict: Valid, Details: details,
		Summary: fmt.Sprintf("%s in %s, none overlapping within an epoch", humanfmt.Count(checked, "distinct content range", "distinct content ranges"), humanfmt.Count(seg+1, "crash segment", "crash segments"))}
}

// overlapIn sorts one segment's ranges by (epoch, offset) and reports the
// first pair of different writes that overlap.
func overlapIn(events []history.Event, pool []contentRange) (Result, bool) {
	sort.Slice(pool, func(i, j int) bool {
		a, b := &pool[i], &pool[j]
		if a.epoch != b.epoch {
			return a.epoch < b.epoch
		}
		if a.off != b.off {
			return a.off < b.off
		}
		return a.pos < b.pos
	})
	// reach is the range with the furthest end seen so far in this epoch: a
	// later range that starts before that end overlaps it.
	reach := -1
	for i := range pool {
		r := &pool[i]
		if reach >= 0 && pool[reach].epoch == r.epoch && r.off < pool[reach].end {
			a := &pool[reach]
			first, second := a, r
			if second.pos < first.pos {
				first, second = second, first
			}
			return violation(ErrOffsetOverlap,
				fmt.Sprintf("epoch %d: %s of %q at bytes [%d,%d) overlaps %s of %q at [%d,%d)",
					r.epoch, first.what, first.id, first.off, first.end, second.what, second.id, second.off, second.end),
				fmt.Sprintf("event %d: %s of %q (content digest %#x) holds bytes [%d,%d) of epoch %d\nevent %d: %s of %q (content digest %#x) holds bytes [%d,%d) of epoch %d\nthe content region of an epoch is append-only, so two different writes can never share a byte",
					events[first.pos].Index, first.what, first.id, first.digest, first.off, first.end, first.epoch,
					events[second.pos].Index, second.what, second.id, second.digest, second.off, second.end, second.epoch),
				eventIdx(events, first.pos, second.pos)), true
		}
		if reach < 0 || pool[reach].epoch != r.epoch || r.end > pool[reach].end {
			reach = i
		}
	}
	return Result{}, false
}
