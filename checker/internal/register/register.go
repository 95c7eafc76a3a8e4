package register

import (
	"context"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// Verdict is what the engine concluded about a partition.
type Verdict uint8

const (
	undecided Verdict = iota // not decided yet: only while Check runs
	Valid                    // linearizable: an order that replays was found
	Invalid                  // not linearizable: no order exists
	Unknown                  // a budget ran out, or the initial state is unknown
)

func (v Verdict) String() string {
	switch v {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	case Unknown:
		return "unknown"
	}
	return "undecided"
}

// Decision is the path that decided a partition.
type Decision uint8

const (
	// ByNothing: no path was needed or none could run: nothing left to judge
	// after pruning (valid), or the epoch's initial state is unknown.
	ByNothing Decision = iota
	// ByZones: the zone check, on a partition with unique writes and only
	// puts and gets after pruning.
	ByZones
	// ByOrder: a constructed order (from the zones, or greedy) that replays.
	ByOrder
	// ByRelaxation: a zone violation of a weaker history, confirmed by
	// porcupine.
	ByRelaxation
	// BySearch: the compact search (porcupine where it cannot conclude).
	BySearch
)

func (d Decision) String() string {
	switch d {
	case ByZones:
		return "zones"
	case ByOrder:
		return "order"
	case ByRelaxation:
		return "relaxation"
	case BySearch:
		return "search"
	}
	return "none"
}

// Call is one client operation of a history, its invoke paired with its
// completion, as the caller's pairing reports it. Positions are indices into
// the history's events.
type Call struct {
	Op      history.Op
	ID      string
	Process int64
	Call    int             // position of the invoke event
	Done    int             // position of the completion event; -1 when pending
	Type    history.Type    // OK, Fail or Info; Invoke when still pending at the end
	Input   *history.Input  // the invoke's input; never nil
	Output  *history.Output // the completion's output; nil when none
}

// Fault is one nemesis fault, from its start event to its end event
// (positions in the history); Visualize draws it.
type Fault struct {
	Name, Target string
	Start, End   int
}

// Pairing is a history's operations paired and cut into crash segments, as
// the caller defines them (the checker's op index). Invariant: Op(0) ..
// Op(Len()-1) are in invoke order.
type Pairing interface {
	Len() int
	Op(i int) Call
	// Segments is how many crash segments the history has (restarts + 1);
	// SegmentOf(pos) is the segment, 0-based, that event position pos lies in.
	Segments() int
	SegmentOf(pos int) int
	// InitialSnapshot is the position of an "initial" snapshot recorded
	// before any operation, or -1.
	InitialSnapshot() int
	// RestartSnapshots[k] is the position of the first "restart" snapshot of
	// segment k+1, or -1.
	RestartSnapshots() []int
	Faults() []Fault
}

// View is the register view of a history: one partition per memory per
// crash epoch.
type View struct {
	h *regHistory
}

// NewView builds the register view of events over their pairing x. An error
// wraps ErrMalformed and names the event that could not be read.
func NewView(events []history.Event, x Pairing) (*View, error) {
	h, err := registerView(events, x)
	if err != nil {
		return nil, err
	}
	return &View{h: h}, nil
}

// Partitions is how many partitions the view has.
func (v *View) Partitions() int { return len(v.h.partitions) }

// Epochs is how many crash epochs the history has.
func (v *View) Epochs() int { return v.h.epochs }

// Config bounds Check.
type Config struct {
	// PartitionTimeout bounds one search.
	PartitionTimeout time.Duration
	// HeapLimitBytes: a search stops (unknown) once live heap exceeds it.
	HeapLimitBytes uint64
	// MaxSteps bounds model steps per search (0: none).
	MaxSteps int64
	// Workers is how many partitions are decided at once (0: GOMAXPROCS).
	Workers int
	// MinimizeBudget bounds the witness minimization of search violations.
	MinimizeBudget time.Duration
}

// Check decides every partition of v, one Outcome each, in the view's order
// (by epoch, then memory id). Check consumes v: the partitions' operations
// are pruned in place, so a View is checked once.
func Check(ctx context.Context, events []history.Event, v *View, cfg Config) []*Outcome {
	return cfg.decideAll(ctx, events, v.h)
}

// Visualize writes porcupine's HTML drawing of an invalid outcome's witness
// into outDir, with the operations on the same memory around it and the
// faults of v that overlap it, and returns the file's name relative to
// outDir; "" when the witness has more than maxOps operations.
func Visualize(ctx context.Context, outDir string, seq int, events []history.Event, v *View, o *Outcome, maxOps int) (string, error) {
	return visualizeWitness(ctx, outDir, seq, events, o.p, o.ops, o.wops, v.h.faults, maxOps)
}
