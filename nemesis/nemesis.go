package nemesis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// Nemesis is one kind of fault. Start begins it, Stop ends it; Run records
// both around them. Implementations are stateless values: everything a fault
// needs is in its Fault, drawn by the Scheduler.
type Nemesis interface {
	Name() string
	Description() string
	// Supports says, at configuration time, whether this fault can act on
	// target; the error names why not.
	Supports(t Target) error
	// Plan fills the fault-specific fields of f (failpoint, delay, seed)
	// from r, aiming at failpoints in reach. It must consume r
	// deterministically.
	Plan(r *rand.Rand, f *Fault, reach Reach)
	// Start begins the fault. The returned detail goes in the start event.
	Start(ctx context.Context, t Target, f Fault) (detail string, err error)
	// Wait holds the fault for f.Hold, or less when the fault has run its
	// course (a panicked child). Most faults use holdFor.
	Wait(ctx context.Context, t Target, f Fault)
	// Stop ends the fault and says what is left to do.
	Stop(ctx context.Context, t Target, f Fault) (Outcome, error)
}

// Fault is one scheduled fault.
type Fault struct {
	Seq       int    // position in the schedule, from 0
	Nemesis   string // registry name
	Failpoint store.FailpointName
	Gap       time.Duration // wait before starting (after the previous fault ended)
	Hold      time.Duration // how long the fault stays on
	Delay     time.Duration // sleep: the delay injected at the failpoint
	Seed      int64         // power-loss: which unsynced pages are lost or torn
}

// Outcome is what Stop reports.
type Outcome struct {
	Detail string
	// Hits, when non-nil, replace the hit counts Run would read from the
	// target (a child that died of a panic cannot report its own).
	Hits map[string]uint64
	// Restart, when non-nil, brings the store back (restart, after power
	// loss simulation if any). Run calls it with no operation in flight and
	// records the end event with Restart=true and the recovered snapshot.
	Restart func(ctx context.Context) (detail string, err error)
	// Compaction is the result of a compaction the fault ran, for the end
	// event.
	Compaction *history.Compaction
}

// holdFor waits d or until ctx is done.
func holdFor(ctx context.Context, d time.Duration) {
	if s := sleeperOf(ctx); s != nil {
		s(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// allNemeses is the registry: adding a fault is one line here.
var allNemeses = []Nemesis{
	panicNemesis{},
	sleepNemesis{},
	pauseNemesis{},
	killNemesis{},
	powerLossNemesis{},
	growFailureNemesis{},
	compactNemesis{},
}

// All lists every nemesis, in registry order.
func All() []Nemesis { return append([]Nemesis(nil), allNemeses...) }

// ByName finds a nemesis.
func ByName(name string) (Nemesis, error) {
	for _, n := range allNemeses {
		if n.Name() == name {
			return n, nil
		}
	}
	names := make([]string, len(allNemeses))
	for i, n := range allNemeses {
		names[i] = n.Name()
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownNemesis, name, strings.Join(names, ", "))
}

// Parse turns a comma-separated list ("panic,compact", "none" or "") into
// nemesis names, checking each. Duplicates are dropped.
func Parse(list string) ([]string, error) {
	list = strings.TrimSpace(list)
	if list == "" || list == "none" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if _, err := ByName(name); err != nil {
			return nil, err
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out, nil
}

// CheckSupported returns an error naming every requested nemesis t cannot run.
func CheckSupported(names []string, t Target) error {
	var errs []string
	for _, name := range names {
		n, err := ByName(name)
		if err != nil {
			return err
		}
		if err := n.Supports(t); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrUnsupported, strings.Join(errs, "; "))
	}
	return nil
}
