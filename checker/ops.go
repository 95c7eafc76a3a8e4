package checker

import (
	"fmt"
	"math"

	"github.com/warmcheck/warmcheck/history"
)

// never is the return position and time of an operation that may still take
// effect: an info completion or an invoke with no completion. Such an
// operation is concurrent with everything after its invoke.
const never = math.MaxInt64

// opRec is one client operation: an invoke paired with its completion.
//
// Positions (Call, Return) are indices into Input.Events. Real-time order is
// judged by position, not by Time: the recorder appends an invoke before the
// call starts and a completion after it returns, so a completion at an
// earlier position than an invoke means the first call returned before the
// second began. Times are used only for durations (the recovery bound).
type opRec struct {
	Op      history.Op
	ID      string
	Process int64
	Worker  int32
	// unplaced: the store under test does not report placements, so a
	// put's placement is not shown (history.ReportsPlacements).
	unplaced bool
	Call     int          // position of the invoke event
	Return   int          // position of the completion; never for info/pending
	Done     int          // position of the completion event; -1 when pending
	Type     history.Type // OK, Fail or Info; Invoke when still pending at the end
	CallTime int64
	DoneTime int64 // time of the completion; never when pending
	Input    *history.Input
	Output   *history.Output
	Err      string
}

// effective reports whether the operation may have taken effect.
func (o *opRec) effective() bool { return o.Type != history.Fail }

// ok reports whether the operation definitely took effect.
func (o *opRec) ok() bool { return o.Type == history.OK }

// pending reports whether the history ended before the operation completed.
func (o *opRec) pending() bool { return o.Done < 0 }

// before reports whether o definitely happened before p: o returned before
// p was invoked.
func (o *opRec) before(p *opRec) bool { return o.Return < p.Call }

// opIndex is the paired view of a history that the whole-store checks share.
// Invariant: ops is in invoke order; byID lists, per memory id, the indices
// into ops of that id's operations in invoke order.
type opIndex struct {
	ops  []opRec
	byID map[string][]int
	// restarts are the positions of nemesis end events with Restart set: each
	// one ends a crash epoch (segment).
	restarts []int
	// restartSnaps[k] is the position of the first "restart" snapshot after
	// restarts[k] and before the next restart, or -1.
	restartSnaps []int
	// initialSnap is the position of an "initial" snapshot recorded before
	// any operation (a preloaded store's starting state), or -1.
	initialSnap int
	// faults are the history's nemesis faults, sorted by start.
	faults []faultWindow
}

// segmentOf returns the crash segment (0-based) that position pos lies in.
func (x *opIndex) segmentOf(pos int) int {
	lo, hi := 0, len(x.restarts)
	for lo < hi {
		mid := (lo + hi) / 2
		if x.restarts[mid] < pos {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// derived is the per-Input cache (see Input.derived).
type derived struct {
	idx *opIndex
	err error
}

// ops returns the paired operations of in, computing them once.
func (in *Input) ops() (*opIndex, error) {
	if in.derived == nil {
		in.derived = &derived{}
		in.derived.idx, in.derived.err = indexOps(in.Events)
		if x := in.derived.idx; x != nil && !in.Header.Reports(history.ReportsLayout) {
			forgetSnapshotStates(x)
		}
		if x := in.derived.idx; x != nil && !in.Header.Reports(history.ReportsPlacements) {
			for i := range x.ops {
				x.ops[i].unplaced = true
			}
		}
	}
	return in.derived.idx, in.derived.err
}

// forgetSnapshotStates drops what the snapshots of a store that does not
// report its layout would say about its state (an empty layout is not an
// empty store): the segments after restarts start from an unknown state, and
// the first starts empty, as the store under test must (package warmtest
// refuses one that is not).
func forgetSnapshotStates(x *opIndex) {
	x.initialSnap = -1
	for k := range x.restartSnaps {
		x.restartSnaps[k] = -1
	}
}

// indexOps pairs invokes with completions. It tolerates what history.Validate
// rejects (it must never panic on bad input) but reports the first structural
// problem it meets, naming the event index.
func indexOps(events []history.Event) (*opIndex, error) {
	// Most events are an op's invoke or completion: sizing ops for half of
	// them saves the growth copies (several hundred MB on 1M-op histories).
	x := &opIndex{ops: make([]opRec, 0, len(events)/2+1), byID: make(map[string][]int), initialSnap: -1}
	sawOp := false
	open := make(map[int64]int) // process -> index into x.ops of its outstanding op
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	for pos := range events {
		e := &events[pos]
		switch e.Kind {
		case history.KindNemesis:
			if e.Nemesis != nil && e.Nemesis.Restart && e.Nemesis.Phase == history.NemesisEnd {
				x.restarts = append(x.restarts, pos)
				x.restartSnaps = append(x.restartSnaps, -1)
			}
			continue
		case history.KindSnapshot:
			if !sawOp && x.initialSnap < 0 && len(x.restarts) == 0 && e.Snapshot != nil && e.Snapshot.Reason == "initial" {
				x.initialSnap = pos
			}
			if n := len(x.restartSnaps); n > 0 && x.restartSnaps[n-1] < 0 && e.Snapshot != nil && e.Snapshot.Reason == "restart" {
				x.restartSnaps[n-1] = pos
			}
			continue
		case history.KindOp:
			sawOp = true
		default:
			continue
		}
		switch e.Type {
		case history.Invoke:
			if prev, busy := open[e.Process]; busy {
				fail(fmt.Errorf("event %d: process %d invokes %s while its %s (event %d) is outstanding",
					e.Index, e.Process, e.Op, x.ops[prev].Op, events[x.ops[prev].Call].Index))
				continue
			}
			open[e.Process] = len(x.ops)
			x.ops = append(x.ops, opRec{
				Op: e.Op, ID: e.ID, Process: e.Process, Worker: e.Worker,
				Call: pos, Return: never, Done: -1, Type: history.Invoke,
				CallTime: e.Time, DoneTime: never, Input: e.Input,
			})
		case history.OK, history.Fail, history.Info:
			i, busy := open[e.Process]
			if !busy {
				fail(fmt.Errorf("event %d: %s completion of process %d has no outstanding invoke", e.Index, e.Type, e.Process))
				continue
			}
			delete(open, e.Process)
			o := &x.ops[i]
			if o.Op != e.Op {
				fail(fmt.Errorf("event %d: completion op %s does not match invoke %s (event %d)", e.Index, e.Op, o.Op, events[o.Call].Index))
			}
			o.Type, o.Done, o.DoneTime, o.Output, o.Err = e.Type, pos, e.Time, e.Output, e.Error
			if e.Type != history.Info {
				o.Return = pos
			}
			if e.Type == history.OK && o.Output == nil && needsOutput(o.Op) {
				fail(fmt.Errorf("event %d: ok %s has no output", e.Index, o.Op))
				o.Output = &history.Output{}
			}
		default:
			fail(fmt.Errorf("event %d: op event with unknown type %d", e.Index, e.Type))
		}
	}
	for i := range x.ops {
		if x.ops[i].Input == nil {
			x.ops[i].Input = &history.Input{}
		}
		x.byID[x.ops[i].ID] = append(x.byID[x.ops[i].ID], i)
	}
	x.faults = faultWindows(events)
	return x, firstErr
}

// needsOutput reports whether an ok completion of op must carry an Output.
func needsOutput(op history.Op) bool {
	switch op {
	case history.OpPut, history.OpGet, history.OpRemove, history.OpUpdateActivation,
		history.OpIterate, history.OpRecall, history.OpCompact:
		return true
	}
	return false
}

// mutates reports whether op can change which value an id holds.
func mutates(op history.Op) bool { return op == history.OpPut || op == history.OpRemove }

// describe is a one-line account of an operation for explanations.
func describe(events []history.Event, o *opRec) string {
	s := o.Op.String()
	if o.ID != "" {
		s += fmt.Sprintf(" %q", o.ID)
	}
	s += fmt.Sprintf(" (process %d, worker %d, invoked at event %d", o.Process, o.Worker, events[o.Call].Index)
	switch {
	case o.Done < 0:
		s += ", never completed)"
	default:
		s += fmt.Sprintf(", %s at event %d)", o.Type, events[o.Done].Index)
	}
	if o.Op == history.OpPut && o.Type == history.OK && o.Output != nil && !o.unplaced {
		p := o.Output.Placement
		s += fmt.Sprintf(" placed at slot %d, epoch %d, bytes [%d,%d)", p.Slot, p.Epoch, p.Offset, p.Offset+uint64(p.Length))
	}
	return s
}

// eventIdx returns the history indices of the given positions' events.
func eventIdx(events []history.Event, positions ...int) []uint64 {
	out := make([]uint64, 0, len(positions))
	for _, p := range positions {
		if p >= 0 && p < len(events) {
			out = append(out, events[p].Index)
		}
	}
	return out
}
