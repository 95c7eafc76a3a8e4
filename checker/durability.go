package checker

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/internal/humanfmt"
)

// durabilityCheck judges every restart (a nemesis end event with Restart
// set, after a kill, a power loss or a process-mode panic) against the
// store's durability contract, using the recovered layout in the restart
// snapshot that follows it.
//
// The contract: after a kill or power loss, everything acknowledged before
// the last successful sync is present with that value or a later one,
// nothing removed before it comes back, and nothing recovered is torn.
// Precisely, for the crash that begins at position C and restarts at R:
//
//   - Y is the ok sync with the latest invoke among the ok syncs that
//     returned before C, in any crash segment (a crash does not undo a
//     sync). Y synced the store's state as it was when Y was invoked: the
//     starting state S of Y's segment (the initial snapshot, an empty store
//     when there is none, or the layout recovered at the restart that began
//     it), changed by the ok puts and removes of that segment that returned
//     before Y was invoked. Those are the synced writes; S is a pseudo-put
//     of each id it holds at the segment's start. Without a Y nothing is
//     synced.
//   - torn: every recovered record was really written: its content, and
//     its other fields bit for bit (fieldsMismatch), come from one effective
//     put of that id invoked before R, or from a recorded state before R
//     that held it;
//   - stale or resurrected: that write was still current when Y was
//     invoked: no ok put or remove of the id invoked after it returned (or
//     after the state's position) returned before Y was invoked, and, for a
//     write from before Y's segment, S holds the same content for the id
//     (a write S does not hold was superseded, removed or lost by an
//     earlier crash before Y synced);
//   - lost: an id with a synced put (or held by S) is recovered, unless an
//     effective remove invoked before R may follow the latest of them (an
//     info remove takes effect, if at all, before the restart that ends its
//     segment).
//
// When S is not recorded (a restart without its snapshot), writes from
// before Y's segment are not judged stale and S adds no synced write.
// A crash without a following restart snapshot cannot be judged and makes
// the check unknown.
type durabilityCheck struct{}

func (durabilityCheck) Name() string { return "durability" }
func (durabilityCheck) Description() string {
	return "after every kill or power loss, everything acknowledged before the last successful sync (in any earlier crash segment, the initial state included) is present with that value or a later one, nothing removed before that sync comes back, nothing recovered is torn"
}

type crashRec struct {
	fault            string
	startPos, endPos int
	snapPos          int // restart snapshot, -1 if none
	snap             *history.Snapshot
}

// recordedState is a store state the history recorded: the initial
// snapshot, or the layout recovered at a restart; pos is where it counts as
// written (the snapshot, or the restart event).
type recordedState struct {
	pos    int
	what   string
	values map[string]history.Value
}

// recordedStates lists the initial snapshot and every recovered layout, in
// position order.
func recordedStates(events []history.Event, x *opIndex) []recordedState {
	var out []recordedState
	add := func(pos, snapPos int, what string) {
		m := map[string]history.Value{}
		for _, le := range events[snapPos].Snapshot.Layout {
			m[le.ID] = le.Value
		}
		out = append(out, recordedState{pos: pos, what: what, values: m})
	}
	if x.initialSnap >= 0 {
		add(x.initialSnap, x.initialSnap, fmt.Sprintf("the initial snapshot (event %d)", events[x.initialSnap].Index))
	}
	for k, r := range x.restarts {
		if sp := x.restartSnaps[k]; sp >= 0 {
			add(r, sp, fmt.Sprintf("the layout recovered at event %d", events[sp].Index))
		}
	}
	return out
}

func findCrashes(events []history.Event, x *opIndex) []crashRec {
	var out []crashRec
	lastStart := map[string]int{}
	for pos := range events {
		e := &events[pos]
		if e.Kind != history.KindNemesis || e.Nemesis == nil {
			continue
		}
		n := e.Nemesis
		if n.Phase == history.NemesisStart {
			lastStart[n.Fault] = pos
			continue
		}
		if !n.Restart {
			continue
		}
		c := crashRec{fault: n.Fault, startPos: pos, endPos: pos, snapPos: -1}
		if s, ok := lastStart[n.Fault]; ok {
			c.startPos = s
		}
		if sp := x.restartSnaps[x.segmentOf(pos)]; sp >= 0 {
			c.snapPos, c.snap = sp, events[sp].Snapshot
		}
		out = append(out, c)
	}
	return out
}

func (durabilityCheck) Run(ctx context.Context, in *Input) Result {
	x, err := in.ops()
	if err != nil {
		return Result{Verdict: Unknown, Summary: "cannot pair operations: " + err.Error()}
	}
	crashes := findCrashes(in.Events, x)
	if len(crashes) == 0 {
		return Result{Verdict: NotEvaluated, Details: map[string]any{"crashes": 0},
			Summary: "nothing to judge: no kill, power loss or restart in the history"}
	}
	// What a restart recovered is known only from its layout.
	if r, ok := unreported(in, history.ReportsLayout); ok {
		return r
	}
	states := recordedStates(in.Events, x)
	var unknown []string
	judged, synced := 0, 0
	for _, c := range crashes {
		if ctx.Err() != nil {
			return Result{Verdict: Unknown, Summary: ErrDeadlineExceeded.Error()}
		}
		if c.snap == nil {
			unknown = append(unknown, fmt.Sprintf("%s restart at event %d has no restart snapshot", c.fault, in.Events[c.endPos].Index))
			continue
		}
		r, bad, n := judgeCrash(in.Events, in.Header.StartedUnixNanos, x, c, states)
		if bad {
			return r
		}
		judged++
		synced += n
	}
	details := map[string]any{"crashes": len(crashes), "judged": judged, "synced_ids_checked": synced}
	if len(unknown) > 0 {
		return Result{Verdict: Unknown, Details: details,
			Summary: fmt.Sprintf("%d of %d restarts cannot be judged: %s", len(unknown), len(crashes), unknown[0])}
	}
	return Result{Verdict: Valid, Details: details,
		Summary: fmt.Sprintf("%s: every synced memory recovered current, nothing resurrected or torn", humanfmt.Count(judged, "restart", "restarts"))}
}

// lastSync is Y of the contract: the ok sync with the latest invoke among
// those that returned before position crash, or nil.
func lastSync(x *opIndex, crash int) *opRec {
	var y *opRec
	for i := range x.ops {
		o := &x.ops[i]
		if o.Op == history.OpSync && o.ok() && o.Return < crash && (y == nil || o.Call > y.Call) {
			y = o
		}
	}
	return y
}

func judgeCrash(events []history.Event, origin int64, x *opIndex, c crashRec, allStates []recordedState) (Result, bool, int) {
	bad := func(summary, why string, extra ...int) (Result, bool, int) {
		w := append([]int{c.startPos, c.endPos, c.snapPos}, extra...)
		return violation(ErrDurability,
			fmt.Sprintf("%s at event %d: %s", c.fault, events[c.startPos].Index, summary),
			fmt.Sprintf("crash began at event %d, restart at event %d, recovered layout at event %d\n%s",
				events[c.startPos].Index, events[c.endPos].Index, events[c.snapPos].Index, why),
			eventIdx(events, w...)), true, 0
	}
	syncOp := lastSync(x, c.startPos)
	syncCall := -1
	syncWhy := "no ok sync returned before the crash"
	if syncOp != nil {
		syncCall = syncOp.Call
		syncWhy = "last ok sync before the crash: " + describe(events, syncOp)
	}
	var states []recordedState // the recorded states before this restart
	for _, s := range allStates {
		if s.pos < c.endPos {
			states = append(states, s)
		}
	}
	// Y's segment: its start, and its starting state S (nil: not recorded).
	syncStart, syncState, syncStatePos, syncStateWhat := -1, map[string]history.Value(nil), -1, ""
	if syncOp != nil {
		if seg := x.segmentOf(syncCall); seg > 0 {
			syncStart = x.restarts[seg-1]
		} else {
			syncState, syncStateWhat = map[string]history.Value{}, "the empty store the run began with"
		}
		for _, s := range states {
			if s.pos == syncStart || syncStart < 0 && s.pos < syncCall { // the initial snapshot, or the restart's layout
				syncState, syncStatePos, syncStateWhat = s.values, s.pos, s.what
			}
		}
	}
	recovered := make(map[string]history.Value, len(c.snap.Layout))
	ids := map[string]bool{}
	for _, le := range c.snap.Layout {
		recovered[le.ID] = le.Value
		ids[le.ID] = true
	}
	for _, s := range states {
		for id := range s.values {
			ids[id] = true
		}
	}
	for id, idxs := range x.byID {
		for _, i := range idxs {
			if o := &x.ops[i]; o.Call < c.endPos && mutates(o.Op) {
				ids[id] = true
				break
			}
		}
	}
	checked := 0
	for _, id := range slices.Sorted(maps.Keys(ids)) { // sorted: the same example every run
		all := buildIDOps(x, id, -1, c.endPos)
		seg := buildIDOps(x, id, syncStart, c.endPos) // Y's segment on
		sv, inS := syncState[id]
		// stale: a write whose value, written at position after, was no
		// longer current when Y was invoked.
		stale := func(after int, v history.Value) bool {
			switch {
			case syncCall < 0:
				return false
			case after <= syncStart && syncState != nil && !(inS && sameContent(sv, v)):
				return true
			}
			return seg.supersededBetween(max(after, syncStart), syncCall)
		}
		var held []stateWrite
		for _, s := range states {
			if v, ok := s.values[id]; ok {
				held = append(held, stateWrite{v, !stale(s.pos, v)})
			}
		}
		durable, durableWhat, hasDurable := -1, "", syncCall >= 0
		if hasDurable {
			if p := seg.lastOKPutBefore(syncCall); p >= 0 {
				durable = p
				durableWhat = "the put invoked at event " + fmt.Sprint(events[p].Index) + " returned ok before the sync was invoked"
			} else if inS {
				durable, durableWhat = syncStatePos, syncStateWhat+" held it"
			} else {
				hasDurable = false
			}
		}
		r, present := recovered[id]
		if present {
			wv := whoWrote(id, r, all, c.endPos, held, func(w *opRec) bool { return !stale(x.effectiveReturnOf(w), w.Input.Value) }, origin)
			switch wv.kind {
			case wroteOK:
			case wroteMixed:
				return bad("recovered a torn record: "+wv.mismatch, "a recovered value must be one really written: all its fields come from one put", wv.positions()...)
			case wroteStale:
				why := fmt.Sprintf("%q came back with content %#x, but an ok put or remove of it that started after that value was written returned before the sync was invoked\n%s", id, r.ContentDigest, syncWhy)
				wit := []int{}
				if syncOp != nil {
					wit = append(wit, syncOp.Call, syncOp.Return)
				}
				if wv.op != nil {
					why = describe(events, wv.op) + "\n" + why
					wit = append(wit, wv.op.Call)
				}
				return bad(fmt.Sprintf("%q recovered with a value superseded before the last sync", id), why, wit...)
			default:
				return bad(fmt.Sprintf("%q recovered with content %#x that no effective put wrote (torn or invented)", id, r.ContentDigest),
					fmt.Sprintf("recovered value: has_content=%v digest %#x length %d; no put of %q that did not fail, invoked before the restart, nor a recorded state before it, wrote it", r.HasContent, r.ContentDigest, r.ContentLen, id))
			}
		}
		if !hasDurable {
			continue
		}
		checked++
		if present || all.removedBetween(durable, c.endPos) {
			continue
		}
		wit := []int{syncOp.Call, syncOp.Return, durable}
		return bad(fmt.Sprintf("%q was acknowledged and synced but did not survive", id),
			fmt.Sprintf("%s; %s; no remove of %q that may follow it was invoked before the restart", durableWhat, syncWhy, id), wit...)
	}
	return Result{}, false, checked
}
