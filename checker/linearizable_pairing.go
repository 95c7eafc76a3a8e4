package checker

import "github.com/warmcheck/warmcheck/checker/internal/register"

// registerPairing is the op index seen as the register engine's Pairing, so
// that the engine reads the one pairing and crash segmentation every check
// shares (Input.ops) rather than pairing the history again.
type registerPairing struct{ x *opIndex }

func (r registerPairing) Len() int { return len(r.x.ops) }

func (r registerPairing) Op(i int) register.Call {
	o := &r.x.ops[i]
	return register.Call{Op: o.Op, ID: o.ID, Process: o.Process, Call: o.Call, Done: o.Done,
		Type: o.Type, Input: o.Input, Output: o.Output}
}

func (r registerPairing) Segments() int           { return len(r.x.restarts) + 1 }
func (r registerPairing) SegmentOf(pos int) int   { return r.x.segmentOf(pos) }
func (r registerPairing) InitialSnapshot() int    { return r.x.initialSnap }
func (r registerPairing) RestartSnapshots() []int { return r.x.restartSnaps }

func (r registerPairing) Faults() []register.Fault {
	out := make([]register.Fault, len(r.x.faults))
	for i, f := range r.x.faults {
		out[i] = register.Fault{Name: f.fault, Target: f.target, Start: f.start, End: f.end}
	}
	return out
}
