package checker

import (
	"context"
	"fmt"

	"github.com/warmcheck/warmcheck/history"
)

// fieldsCheck judges every field of the values that gets and layouts read
// back against the write that can have produced them, by the one field rule
// (fieldrule.go). Iterate entries are judged by the same rule in iteration,
// recovered layouts in durability.
//
// The reads: the value of each ok get that found its id, and each entry of
// a final or periodic snapshot's layout. A read of id X with value v
// returns at position R: the get's completion, or the snapshot event (the
// recorder appends it after the layout was taken). Its candidate writers
// are every effective put of X invoked before R that wrote v's content, and
// every recorded state before R (the initial snapshot, a layout recovered at
// a restart) that held X with that content; under concurrency any of them
// may be the one the read saw. v is rejected when no candidate explains it
// (fieldsMismatch): confidence, embedding, decay_rate bit for bit;
// created_at the candidate's, or, when the put wrote 0, a time the store's
// clock can have given during the put; activation with last_access the
// candidate's (last_access likewise kept or set during the put), or those of
// an effective update-activation of X invoked before R, last_access a time
// the store's clock can have given during it. A recorded state's times are
// kept exactly.
//
// A read whose content no candidate wrote is not judged here: which
// contents a read may return is the linearizable, content-length and
// iteration checks' to say. Values that do not record the fields (histories
// written before they were) are not judged; with nothing judged the check is
// not evaluated.
type fieldsCheck struct{}

func (fieldsCheck) Name() string { return "fields" }
func (fieldsCheck) Description() string {
	return "every value a get or a layout reads back carries the confidence, embedding, decay_rate (bit for bit), created_at and last_access its writer gave it, or that the store's clock can have set during that write (a put that wrote 0, an update-activation)"
}

func (fieldsCheck) Run(ctx context.Context, in *Input) Result {
	x, err := in.ops()
	if err != nil {
		return Result{Verdict: Unknown, Summary: "cannot pair operations: " + err.Error()}
	}
	states := recordedStates(in.Events, x)
	origin := in.Header.StartedUnixNanos
	per := map[string]*idOps{}
	ops := func(id string) *idOps {
		d := per[id]
		if d == nil {
			// Every segment: a read after a restart without its recovered
			// layout may return what any earlier put wrote.
			d = buildIDOps(x, id, -1, len(in.Events))
			per[id] = d
		}
		return d
	}
	// judge returns what is wrong with value v of id read back at position
	// bound, and whether v was judged at all.
	judge := func(id string, v history.Value, bound int) (wrote, bool) {
		if !v.Recorded {
			return wrote{}, false
		}
		var held []stateWrite
		for _, s := range states {
			if s.pos < bound {
				if sv, ok := s.values[id]; ok {
					held = append(held, stateWrite{sv, true})
				}
			}
		}
		wv := whoWrote(id, v, ops(id), bound, held, func(*opRec) bool { return true }, origin)
		return wv, wv.kind != wroteNever
	}
	gets, entries, unmatched := 0, 0, 0
	for pos := range in.Events {
		if pos%4096 == 0 && ctx.Err() != nil {
			return Result{Verdict: Unknown, Summary: ErrDeadlineExceeded.Error()}
		}
		e := &in.Events[pos]
		switch {
		case e.Kind == history.KindOp && e.Op == history.OpGet && e.Type == history.OK && e.Output != nil && e.Output.Found:
			wv, judged := judge(e.ID, e.Output.Value, pos)
			switch {
			case !judged:
				unmatched += btoi(e.Output.Value.Recorded)
				continue
			case wv.kind == wroteMixed:
				return fieldsViolation(in.Events, fmt.Sprintf("get of %q (event %d) read a value no write gave: %s", e.ID, e.Index, wv.mismatch),
					fmt.Sprintf("event %d: get %q returned content %#x", e.Index, e.ID, e.Output.Value.ContentDigest), wv, pos)
			}
			gets++
		case e.Kind == history.KindSnapshot && e.Snapshot != nil && e.Snapshot.Reason != "initial" && e.Snapshot.Reason != "restart" &&
			in.Header.Reports(history.ReportsLayout):
			for _, le := range e.Snapshot.Layout {
				wv, judged := judge(le.ID, le.Value, pos)
				switch {
				case !judged:
					unmatched += btoi(le.Value.Recorded)
					continue
				case wv.kind == wroteMixed:
					return fieldsViolation(in.Events, fmt.Sprintf("%s snapshot (event %d) lists a value no write gave: %s", e.Snapshot.Reason, e.Index, wv.mismatch),
						fmt.Sprintf("event %d: the %s layout holds %q with content %#x", e.Index, e.Snapshot.Reason, le.ID, le.Value.ContentDigest), wv, pos)
				}
				entries++
			}
		}
	}
	details := map[string]any{"gets": gets, "layout_entries": entries, "unmatched": unmatched}
	if gets+entries == 0 {
		return Result{Verdict: NotEvaluated, Details: details,
			Summary: "nothing to judge: no get output or layout entry that records its fields and whose content a put wrote"}
	}
	return Result{Verdict: Valid, Details: details,
		Summary: fmt.Sprintf("%d get outputs and %d layout entries: every field as a write gave it or the store's clock can have set it during that write", gets, entries)}
}

func fieldsViolation(events []history.Event, summary, read string, wv wrote, pos int) Result {
	why := read
	if wv.op != nil {
		why += "\nthe write of that content that comes closest: " + describe(events, wv.op)
	}
	why += "\nno effective put of that content invoked before the read returned, nor a recorded state before it, explains its fields"
	return violation(ErrFields, summary, why, eventIdx(events, append([]int{pos}, wv.positions()...)...))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
