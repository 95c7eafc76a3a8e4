package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/client"

	"github.com/warmcheck/warmcheck/workload"
)

// processOnly are the faults that act on a store process: they need
// --mode process.
var processOnly = map[string]bool{"pause": true, "kill": true, "power-loss": true}

// checkFaults rejects faults the mode cannot carry out. Unknown names are
// rejected by the nemesis registry when the schedule is built.
func checkFaults(faults []string, mode workload.Mode) error {
	for _, f := range faults {
		if processOnly[f] && mode != workload.Process {
			return fmt.Errorf("fault %q needs --mode process (the store must run in a child process to be paused, killed or powered off)", f)
		}
	}
	return nil
}

// faultSchedule fires a run's faults while the load runs.
type faultSchedule interface {
	// Run fires the seed's schedule until ctx ends.
	Run(ctx context.Context)
	// Heal ends every fault still active (restarting the store if it is
	// down) so that the final snapshot sees a serving store.
	Heal(ctx context.Context) error
}

// noFaults is the schedule of a run without faults.
type noFaults struct{}

func (noFaults) Run(context.Context)        {}
func (noFaults) Heal(context.Context) error { return nil }

// newFaultSchedule builds the schedule of r.Faults against t.
func newFaultSchedule(r *Resolved, t *target, rec *client.Recorder, log hclog.Logger) (faultSchedule, error) {
	if len(r.Faults) == 0 {
		return noFaults{}, nil
	}
	return nil, fmt.Errorf("%w: --nemesis %s: the nemesis package is not wired in yet (use --nemesis none)", ErrConfig, strings.Join(r.Faults, ","))
}
