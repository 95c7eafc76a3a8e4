package checker

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/warmcheck/warmcheck/history"
)

// durabilityCheck judges every restart (a nemesis end event with Restart
// set, after a kill, a power loss or a process-mode panic) against the
// store's durability contract, using the recovered layout in the restart
// snapshot that follows it.
//
// Let Y be the ok sync with the latest invoke that returned before the crash
// began, within the crash segment (since the previous restart). A put or
// remove is synced when it returned ok before Y was invoked; the segment's
// own starting state counts as synced when such a Y exists. Then, per id:
//   - torn: a recovered value must have been written by an effective put of
//     that id invoked before the restart, with that put's confidence and
//     embedding (activation: the put's or an update-activation's);
//   - lost: if a synced put exists, the id must be recovered, unless an
//     effective remove that may follow the latest synced put was invoked
//     before the restart;
//   - stale or resurrected: the recovered value's put must not be followed
//     by a synced put or remove (invoked after it returned, returned before
//     Y was invoked).
//
// A crash without a following restart snapshot cannot be judged and makes
// the check unknown.
type durabilityCheck struct{}

func (durabilityCheck) Name() string { return "durability" }
func (durabilityCheck) Description() string {
	return "after every kill or power loss, everything acknowledged before the last successful sync is present and current, nothing removed comes back, nothing is torn"
}

type crashRec struct {
	fault                 string
	startPos, endPos      int
	snapPos               int // restart snapshot, -1 if none
	segStart              int // previous restart, -1 for the first segment
	snap                  *history.Snapshot
	prevSnap              *history.Snapshot // the segment's recovered starting layout, if any
	prevKnown, prevIsSeg0 bool
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
		seg := x.segmentOf(pos) // the restart at pos ends segment seg
		c.segStart = -1
		if seg > 0 {
			c.segStart = x.restarts[seg-1]
		}
		next := len(events)
		if seg+1 < len(x.restarts) {
			next = x.restarts[seg+1]
		}
		for p := pos + 1; p < next; p++ {
			if s := events[p].Snapshot; events[p].Kind == history.KindSnapshot && s != nil && s.Reason == "restart" {
				c.snapPos, c.snap = p, s
				break
			}
		}
		_, c.prevSnap, _ = segmentStart(events, x, pos)
		c.prevIsSeg0 = c.segStart < 0
		c.prevKnown = c.prevIsSeg0 || c.prevSnap != nil
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
		r, bad, n := judgeCrash(in.Events, x, c)
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
		Summary: fmt.Sprintf("%d restarts: every synced memory recovered current, nothing resurrected or torn", judged)}
}

func judgeCrash(events []history.Event, x *opIndex, c crashRec) (Result, bool, int) {
	bad := func(summary, why string, extra ...int) (Result, bool, int) {
		w := append([]int{c.startPos, c.endPos, c.snapPos}, extra...)
		return violation(ErrDurability,
			fmt.Sprintf("%s at event %d: %s", c.fault, events[c.startPos].Index, summary),
			fmt.Sprintf("crash began at event %d, restart at event %d, recovered layout at event %d\n%s",
				events[c.startPos].Index, events[c.endPos].Index, events[c.snapPos].Index, why),
			eventIdx(events, w...)), true, 0
	}
	// Y: the ok sync with the latest invoke that returned before the crash.
	syncCall, syncOp := -1, (*opRec)(nil)
	for i := range x.ops {
		o := &x.ops[i]
		if o.Op == history.OpSync && o.ok() && o.Call > c.segStart && o.Return < c.startPos && o.Call > syncCall {
			syncCall, syncOp = o.Call, o
		}
	}
	initial := map[string]history.Value{}
	if c.prevSnap != nil {
		for _, le := range c.prevSnap.Layout {
			initial[le.ID] = le.Value
		}
	}
	recovered := make(map[string]history.Value, len(c.snap.Layout))
	ids := map[string]bool{}
	for _, le := range c.snap.Layout {
		recovered[le.ID] = le.Value
		ids[le.ID] = true
	}
	for id := range initial {
		ids[id] = true
	}
	for id, idxs := range x.byID {
		for _, i := range idxs {
			if o := &x.ops[i]; o.Call > c.segStart && o.Call < c.endPos && mutates(o.Op) {
				ids[id] = true
				break
			}
		}
	}
	syncWhy := "no ok sync returned before the crash in this segment"
	if syncOp != nil {
		syncWhy = "last ok sync before the crash: " + describe(events, syncOp)
	}
	checked := 0
	for _, id := range slices.Sorted(maps.Keys(ids)) { // sorted: the same example every run
		all := buildIDOps(x, id, -1, c.endPos)
		seg := buildIDOps(x, id, c.segStart, c.endPos)
		r, present := recovered[id]
		iv, inInitial := initial[id]
		if present {
			var init *history.Value
			if inInitial {
				init = &iv
			}
			wv := whoWrote(id, r, all, c.endPos, init,
				func(w *opRec) bool { return syncCall < 0 || !seg.supersededBetween(w.Return, syncCall) },
				syncCall < 0 || !seg.supersededBetween(c.segStart, syncCall))
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
					fmt.Sprintf("recovered value: has_content=%v digest %#x length %d; no put of %q that did not fail, invoked before the restart, wrote it", r.HasContent, r.ContentDigest, r.ContentLen, id))
			}
		}
		if syncCall < 0 {
			continue
		}
		// Lost: the latest synced put (or the synced starting state).
		last := seg.lastOKPutBefore(syncCall)
		if last < 0 && inInitial {
			last = c.segStart
		}
		if last < 0 {
			continue
		}
		checked++
		if present || seg.removedBetween(last, c.endPos) {
			continue
		}
		what := "the recovered starting state held it"
		wit := []int{syncOp.Call, syncOp.Return}
		if last != c.segStart {
			what = "the put invoked at event " + fmt.Sprint(events[last].Index) + " returned ok before the sync was invoked"
			wit = append(wit, last)
		}
		return bad(fmt.Sprintf("%q was acknowledged and synced but did not survive", id),
			fmt.Sprintf("%s; %s; no remove of %q that may follow it was invoked before the restart", what, syncWhy, id), wit...)
	}
	return Result{}, false, checked
}
