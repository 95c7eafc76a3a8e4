package checker

import (
	"context"
	"fmt"
	"sort"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/internal/humanfmt"
)

// offsetMonotonicCheck: within one crash segment, if put A returned ok before
// put B was invoked then
//   - offsets: when both wrote content (length > 0) into the same epoch, A's
//     content offset is lower than B's (the content region is append-only);
//   - slots: B's slot differs from A's, unless reusing A's slot was
//     legitimate by the time B returned.
//
// The exact slot-reuse rule: the store frees a superseded or removed slot
// only after a Sync that follows the superseding put or the remove (the
// pending-free list), so B may reuse A's slot iff some effective put or
// remove of A's id that may follow A (the killers of A) was invoked before B
// returned, and a sync may have completed after that op began and before B
// returned: an effective sync op invoked before B returned and returning
// after the killer was invoked. The store's background group commit syncs
// without a trace in the history; unless the history is known to come from
// a store without background syncing (strictSync), any sync is assumed
// possible, and the rule reduces to "A may have been superseded or removed
// before B returned".
type offsetMonotonicCheck struct {
	// strictSync: only recorded sync ops free slots (the store ran without
	// group commit). Off by default, as the header does not record it.
	strictSync bool
}

func (offsetMonotonicCheck) Name() string { return "offset-monotonic" }
func (offsetMonotonicCheck) Description() string {
	return "within an epoch, a put that completed before another was invoked got a lower content offset and a different slot"
}

// maxLookback bounds how many earlier same-slot puts are compared with each
// put; the nearest earlier ones are the ones that matter (see slotReuse).
const maxLookback = 8

func (c offsetMonotonicCheck) Run(ctx context.Context, in *Input) Result {
	if r, ok := unreported(in, history.ReportsPlacements); ok {
		return r
	}
	x, err := in.ops()
	if err != nil {
		return Result{Verdict: Unknown, Summary: "cannot pair operations: " + err.Error()}
	}
	var puts []int // ok puts in return order
	for i := range x.ops {
		if o := &x.ops[i]; o.Op == history.OpPut && o.ok() {
			puts = append(puts, i)
		}
	}
	sort.Slice(puts, func(a, b int) bool { return x.ops[puts[a]].Return < x.ops[puts[b]].Return })

	if len(puts) == 0 {
		return Result{Verdict: NotEvaluated, Details: map[string]any{"ok_puts": 0}, Summary: "nothing to judge: no ok put in the history"}
	}
	if r, bad := c.offsets(in.Events, x, puts); bad {
		return r
	}
	if ctx.Err() != nil {
		return Result{Verdict: Unknown, Summary: ErrDeadlineExceeded.Error()}
	}
	if r, bad := c.slotReuse(in.Events, x, puts); bad {
		return r
	}
	rule := "slots reused only after their record may have been superseded or removed"
	if c.strictSync {
		rule = "slots reused only after a supersede or remove and a recorded sync"
	}
	return Result{Verdict: Valid, Details: map[string]any{"ok_puts": len(puts), "strict_sync": c.strictSync},
		Summary: fmt.Sprintf("%s: offsets grow within each epoch; %s", humanfmt.Count(len(puts), "ok put", "ok puts"), rule)}
}

// offsets: per (segment, epoch), the ok puts with content in return order
// with a running maximum of offsets; each put is compared with the maximum
// over those that returned before it was invoked.
func (offsetMonotonicCheck) offsets(events []history.Event, x *opIndex, puts []int) (Result, bool) {
	type key struct {
		seg   int
		epoch uint64
	}
	type run struct {
		returns []int
		maxOp   []int // op index holding the maximum offset so far
	}
	runs := map[key]*run{}
	for _, i := range puts {
		o := &x.ops[i]
		p := o.Output.Placement
		if !p.HasContent || p.Length == 0 {
			continue
		}
		k := key{x.segmentOf(o.Call), p.Epoch}
		r := runs[k]
		if r == nil {
			r = &run{}
			runs[k] = r
		}
		// Compare before adding: the earlier puts that returned before o
		// was invoked are a prefix of r, in return order.
		if n := sort.SearchInts(r.returns, o.Call); n > 0 {
			a := &x.ops[r.maxOp[n-1]]
			if ap := a.Output.Placement; ap.Offset >= p.Offset {
				return violation(ErrOffsetMonotonic,
					fmt.Sprintf("epoch %d: put %q at offset %d was invoked after put %q at offset %d returned", p.Epoch, o.ID, p.Offset, a.ID, ap.Offset),
					fmt.Sprintf("%s\n%s\nthe first returned before the second was invoked, so the second's content must lie at a higher offset of the append-only region",
						describe(events, a), describe(events, o)),
					eventIdx(events, a.Call, a.Return, o.Call, o.Return)), true
			}
		}
		best := i
		if n := len(r.maxOp); n > 0 && x.ops[r.maxOp[n-1]].Output.Placement.Offset >= p.Offset {
			best = r.maxOp[n-1]
		}
		r.returns = append(r.returns, o.Return)
		r.maxOp = append(r.maxOp, best)
	}
	return Result{}, false
}

// slotReuse: per (segment, slot), each put against the nearest earlier puts
// of that slot that returned before it was invoked. If reuse of A's slot was
// legitimate by an earlier put's return, it stays legitimate for every later
// one (a killer invoked before an earlier return was invoked before a later
// one), so the nearest earlier puts carry the verdict.
func (c offsetMonotonicCheck) slotReuse(events []history.Event, x *opIndex, puts []int) (Result, bool) {
	kill := killers(x)
	syncs := newSyncIndex(x)
	bySlot := map[[2]uint64][]int{}
	for _, i := range puts {
		o := &x.ops[i]
		key := [2]uint64{uint64(x.segmentOf(o.Call)), o.Output.Placement.Slot}
		prev := bySlot[key]
		looked := 0
		for k := len(prev) - 1; k >= 0 && looked < maxLookback; k-- {
			a := &x.ops[prev[k]]
			if a.Return >= o.Call {
				continue // concurrent: unique-slots judges it
			}
			looked++
			// o itself cannot be what freed the slot it took.
			kAt := kill[prev[k]].except(i)
			freed := kAt < o.Return && (!c.strictSync || syncs.between(kAt, o.Return))
			if freed {
				continue
			}
			why := "no put or remove of " + fmt.Sprintf("%q", a.ID) + " that could supersede it was invoked before the second returned"
			if kAt < o.Return {
				why = fmt.Sprintf("%q may have been superseded (event %d) but no sync ran after that and before the second returned, so its slot was not yet free", a.ID, events[kAt].Index)
			}
			return violation(ErrOffsetMonotonic,
				fmt.Sprintf("slot %d reused: put %q got it after put %q, whose record was still live", o.Output.Placement.Slot, o.ID, a.ID),
				fmt.Sprintf("%s\n%s\nthe first returned before the second was invoked; %s", describe(events, a), describe(events, o), why),
				eventIdx(events, a.Call, a.Return, o.Call, o.Return)), true
		}
		bySlot[key] = append(prev, i)
	}
	return Result{}, false
}
