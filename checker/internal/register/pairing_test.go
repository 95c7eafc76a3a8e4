package register

import (
	"fmt"
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// testPairing pairs a history the way the checker's op index does (invokes
// with completions per process, crash segments cut at nemesis ends with
// Restart set, the initial and restart snapshots), for the engine's tests,
// which cannot import the checker. Faults are not paired: nothing here draws.
type testPairing struct {
	ops          []Call
	restarts     []int
	restartSnaps []int
	initialSnap  int
}

func (t *testPairing) Len() int                { return len(t.ops) }
func (t *testPairing) Op(i int) Call           { return t.ops[i] }
func (t *testPairing) Segments() int           { return len(t.restarts) + 1 }
func (t *testPairing) InitialSnapshot() int    { return t.initialSnap }
func (t *testPairing) RestartSnapshots() []int { return t.restartSnaps }
func (t *testPairing) Faults() []Fault         { return nil }

func (t *testPairing) SegmentOf(pos int) int {
	return sort.Search(len(t.restarts), func(k int) bool { return t.restarts[k] >= pos })
}

func pairForTest(events []history.Event) (*testPairing, error) {
	t := &testPairing{initialSnap: -1}
	open := map[int64]int{}
	sawOp := false
	for pos := range events {
		e := &events[pos]
		switch e.Kind {
		case history.KindNemesis:
			if e.Nemesis != nil && e.Nemesis.Restart && e.Nemesis.Phase == history.NemesisEnd {
				t.restarts = append(t.restarts, pos)
				t.restartSnaps = append(t.restartSnaps, -1)
			}
			continue
		case history.KindSnapshot:
			if !sawOp && t.initialSnap < 0 && len(t.restarts) == 0 && e.Snapshot != nil && e.Snapshot.Reason == "initial" {
				t.initialSnap = pos
			}
			if n := len(t.restartSnaps); n > 0 && t.restartSnaps[n-1] < 0 && e.Snapshot != nil && e.Snapshot.Reason == "restart" {
				t.restartSnaps[n-1] = pos
			}
			continue
		case history.KindOp:
			sawOp = true
		default:
			continue
		}
		if e.Type == history.Invoke {
			if _, busy := open[e.Process]; busy {
				return nil, fmt.Errorf("event %d: process %d invokes while busy", e.Index, e.Process)
			}
			in := e.Input
			if in == nil {
				in = &history.Input{}
			}
			open[e.Process] = len(t.ops)
			t.ops = append(t.ops, Call{Op: e.Op, ID: e.ID, Process: e.Process, Call: pos, Done: -1, Type: history.Invoke, Input: in})
			continue
		}
		i, busy := open[e.Process]
		if !busy {
			return nil, fmt.Errorf("event %d: completion without invoke", e.Index)
		}
		delete(open, e.Process)
		t.ops[i].Type, t.ops[i].Done, t.ops[i].Output = e.Type, pos, e.Output
	}
	return t, nil
}

// extractRegister is the register view of a history on its own (tests,
// benchmarks).
func extractRegister(events []history.Event) (*regHistory, error) {
	x, err := pairForTest(events)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return registerView(events, x)
}
