package checker

import (
	"context"
	"fmt"
	"sort"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/internal/humanfmt"
)

// uniqueSlotsCheck: no two live memories share a slot.
//
// By layout: in every snapshot no id appears twice, and in quiescent
// snapshots (final, restart) no two entries share a slot. Periodic snapshots
// are read shard by shard while the load runs, so a slot freed and reused
// between two shard reads may legitimately show twice; they are only checked
// for duplicate ids.
//
// By history: an ok put is definitely live from its return until another
// put or remove of its id may have taken effect (see killers). Two ok puts
// in one crash segment that report the same slot and are both definitely
// live at the later return claim one slot for two live records.
type uniqueSlotsCheck struct{}

func (uniqueSlotsCheck) Name() string { return "unique-slots" }
func (uniqueSlotsCheck) Description() string {
	return "no two live memories share a slot, in any layout or by the history"
}

func (uniqueSlotsCheck) Run(ctx context.Context, in *Input) Result {
	if r, ok := unreported(in, history.ReportsPlacements); ok {
		return r
	}
	if r, bad := layoutSlots(in.Events); bad {
		return r
	}
	x, err := in.ops()
	if err != nil {
		return Result{Verdict: Unknown, Summary: "cannot pair operations: " + err.Error()}
	}
	kill := killers(x)
	type live struct{ op, from, until int }
	bySlot := map[[2]uint64][]live{} // (segment, slot)
	puts := 0
	for i := range x.ops {
		o := &x.ops[i]
		if o.Op != history.OpPut || !o.ok() {
			continue
		}
		puts++
		if k := kill[i].at; o.Return < k {
			key := [2]uint64{uint64(x.segmentOf(o.Call)), o.Output.Placement.Slot}
			bySlot[key] = append(bySlot[key], live{i, o.Return, k})
		}
	}
	if ctx.Err() != nil {
		return Result{Verdict: Unknown, Summary: ErrDeadlineExceeded.Error()}
	}
	for key, ls := range bySlot {
		if len(ls) < 2 {
			continue
		}
		sort.Slice(ls, func(i, j int) bool { return ls[i].from < ls[j].from })
		reach := 0
		for k := 1; k < len(ls); k++ {
			if ls[k].from < ls[reach].until {
				a, b := &x.ops[ls[reach].op], &x.ops[ls[k].op]
				return violation(ErrUniqueSlots,
					fmt.Sprintf("slot %d holds two live memories: %q and %q", key[1], a.ID, b.ID),
					fmt.Sprintf("%s\n%s\nboth returned ok with slot %d, and no put or remove of either id could have taken effect before the later returned (event %d)",
						describe(in.Events, a), describe(in.Events, b), key[1], in.Events[b.Return].Index),
					eventIdx(in.Events, a.Call, a.Return, b.Call, b.Return))
			}
			if ls[k].until > ls[reach].until {
				reach = k
			}
		}
	}
	if puts == 0 && !anyLayoutEntry(in.Events) {
		return Result{Verdict: NotEvaluated, Details: map[string]any{"ok_puts": 0},
			Summary: "nothing to judge: no ok put and no layout entry in the history"}
	}
	return Result{Verdict: Valid, Details: map[string]any{"ok_puts": puts},
		Summary: fmt.Sprintf("%s and every layout: no slot held by two live memories", humanfmt.Count(puts, "ok put", "ok puts"))}
}

// anyLayoutEntry reports whether some snapshot lists a memory.
func anyLayoutEntry(events []history.Event) bool {
	for i := range events {
		if s := events[i].Snapshot; events[i].Kind == history.KindSnapshot && s != nil && len(s.Layout) > 0 {
			return true
		}
	}
	return false
}

// layoutSlots checks each snapshot's layout.
func layoutSlots(events []history.Event) (Result, bool) {
	for pos := range events {
		e := &events[pos]
		if e.Kind != history.KindSnapshot || e.Snapshot == nil {
			continue
		}
		s := e.Snapshot
		quiescent := s.Reason == "final" || s.Reason == "restart"
		ids := make(map[string]int, len(s.Layout))
		slots := make(map[uint64]int, len(s.Layout))
		for k, le := range s.Layout {
			if j, dup := ids[le.ID]; dup {
				return violation(ErrUniqueSlots,
					fmt.Sprintf("%s snapshot lists %q twice (slots %d and %d)", s.Reason, le.ID, s.Layout[j].Placement.Slot, le.Placement.Slot),
					fmt.Sprintf("event %d: layout entries %d and %d are both %q: one id has two live records", e.Index, j, k, le.ID),
					eventIdx(events, pos)), true
			}
			ids[le.ID] = k
			if !quiescent {
				continue
			}
			if j, dup := slots[le.Placement.Slot]; dup {
				return violation(ErrUniqueSlots,
					fmt.Sprintf("%s snapshot: %q and %q share slot %d", s.Reason, s.Layout[j].ID, le.ID, le.Placement.Slot),
					fmt.Sprintf("event %d: layout entries %d (%q) and %d (%q) both live in slot %d", e.Index, j, s.Layout[j].ID, k, le.ID, le.Placement.Slot),
					eventIdx(events, pos)), true
			}
			slots[le.Placement.Slot] = k
		}
	}
	return Result{}, false
}
