package workload

import (
	"fmt"
	"time"

	"github.com/warmcheck/warmcheck/store"
)

// Mode says where the store runs during a workload.
type Mode string

const (
	InProcess Mode = "inprocess" // the store lives in the warmcheck process
	Process   Mode = "process"   // the store lives in a child process that faults may pause, kill or power off
)

// ParseMode accepts "inprocess" or "process".
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case InProcess, Process:
		return Mode(s), nil
	}
	return "", fmt.Errorf("%w: mode %q (want inprocess or process)", ErrBadParameter, s)
}

// Workload is one named scenario. It is a plain value: the registry holds
// them, and a run copies one and overrides fields from its flags.
type Workload struct {
	Name        string
	Description string
	Params      Params
	// Targets are the review's goals for this scenario; a run reports each
	// next to what it measured. Missing one is a finding, never a failure.
	Targets []Target
	// Faults are the nemesis names the workload runs under when the user names none.
	Faults []string
	// Mode is where the store runs when the user names none.
	Mode Mode
	// Random draws Params from the seed (the property workload); Params then
	// only bounds the draw (see drawParams).
	Random bool
	// FaultPool, for a Random workload, is what its default faults are drawn
	// from: each is in or out with even odds, and kept only if it can fire
	// under the drawn parameters (Overrides.CanFire).
	FaultPool []string
}

// Params are the knobs of a workload. Ops counts the workers' operations
// only: the preload and the read-back come on top.
type Params struct {
	Workers int
	Ops     int // total over all workers; 0 means unbounded (the run stops on --duration)
	IDSpace int // distinct memory ids m00000.. the workers touch (ignored with FreshIDs)
	Mix     Mix
	Sizes   SizeMix
	// Barrier makes every worker wait until all are ready, then start at
	// once: the widest race window (the review's barrier synchronisation).
	Barrier bool
	// Preload memories are put before the workers start (ids m00000..).
	Preload int
	// FreshIDs makes every put write an id nobody wrote before
	// ("w<worker>-<n>"); reads and removes then pick among the worker's own.
	FreshIDs bool
	// ReadBack makes each worker, after its operations, get every id it put.
	ReadBack bool
	// SnapshotEvery is the period of the runner's Layout+Stats snapshots
	// during the run; 0 means only the final one.
	SnapshotEvery time.Duration
	// AutoCompact is the store's background compaction during the run
	// (off unless the workload turns it on): compactions may then happen
	// with no compact operation or fault in the history.
	AutoCompact store.AutoCompact
}

// Validate names the first parameter that makes no sense.
func (p Params) Validate() error {
	switch {
	case p.Workers < 1:
		return fmt.Errorf("%w: workers %d (want >= 1)", ErrBadParameter, p.Workers)
	case p.Workers > 1024:
		return fmt.Errorf("%w: workers %d (want <= 1024)", ErrBadParameter, p.Workers)
	case p.Ops < 0:
		return fmt.Errorf("%w: ops %d (want >= 0)", ErrBadParameter, p.Ops)
	case !p.FreshIDs && p.IDSpace < 1:
		return fmt.Errorf("%w: id space %d (want >= 1)", ErrBadParameter, p.IDSpace)
	case p.Preload < 0:
		return fmt.Errorf("%w: preload %d (want >= 0)", ErrBadParameter, p.Preload)
	case p.Mix.total() <= 0:
		return fmt.Errorf("%w: operation mix has no weight", ErrBadParameter)
	case p.Sizes.total() <= 0:
		return fmt.Errorf("%w: size mix has no weight", ErrBadParameter)
	}
	return nil
}
