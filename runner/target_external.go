package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/nemesis"
	"github.com/warmcheck/warmcheck/store"
	"github.com/warmcheck/warmcheck/workload"
)

// External is a store the caller brings instead of the built-in one (a
// user's Go store, package warmtest). The run drives it in process through
// Client, bounded by the recorder (client.Bounded), and records Target in
// the history header so that the checks know what it reports. The run
// closes Client when it ends.
type External struct {
	Target history.Target
	Client client.Client
}

// externalFaults are the faults an external store can take: those that act
// through its client alone. The others need the built-in store's
// failpoints or a store in a child process.
var externalFaults = []string{"compact"}

// resolveExternal checks what an external store cannot do (a seeded bug, a
// controlled schedule, a child process) and returns the faults it runs
// under: those asked for, each refused with the reason when unsupported,
// or, when none were named (asked nil), the workload's own that it supports.
func resolveExternal(c Config, wl workload.Workload, asked []string) ([]string, error) {
	name := c.External.Target.Kind + ":" + c.External.Target.Name
	switch {
	case c.External.Client == nil:
		return nil, fmt.Errorf("%w: external store %s has no client", ErrConfig, name)
	case c.Bug != "":
		return nil, fmt.Errorf("%w: --bug %s seeds a bug in the built-in store, not in %s", ErrConfig, c.Bug, name)
	case c.Schedule != "" && c.Schedule != "os":
		return nil, fmt.Errorf("%w: schedule %s needs the built-in store's scheduling points; %s runs only free (os)", ErrConfig, c.Schedule, name)
	case c.Mode != "" && c.Mode != string(workload.InProcess), wl.Mode == workload.Process:
		return nil, fmt.Errorf("%w: workload %s runs the store in a child process; %s runs in this process", ErrConfig, wl.Name, name)
	}
	if asked == nil {
		own := []string{} // not nil: nil would mean the workload's own
		for _, f := range wl.Faults {
			if slices.Contains(externalFaults, f) {
				own = append(own, f)
			}
		}
		return own, nil
	}
	for _, f := range asked {
		if !slices.Contains(externalFaults, f) {
			return nil, fmt.Errorf("%w: fault %q acts at the built-in store's failpoints or on a child process; %s takes only: %s",
				ErrConfig, f, name, strings.Join(externalFaults, ", "))
		}
	}
	return asked, nil
}

// externalTarget is what faults act on in an external store: its client,
// and no failpoints.
type externalTarget struct{ c client.Client }

var _ nemesis.Target = externalTarget{}

func (externalTarget) Mode() string            { return string(workload.InProcess) }
func (t externalTarget) Client() client.Client { return t.c }
func (externalTarget) HasFailpoints() bool     { return false }
func (externalTarget) Arm(context.Context, store.FailpointName, store.Action) error {
	return nemesis.ErrUnsupported
}
func (externalTarget) Disarm(context.Context, store.FailpointName) error {
	return nemesis.ErrUnsupported
}
func (externalTarget) Hits(context.Context) (map[string]uint64, error) { return nil, nil }

// reportsLayout says whether the store under test reports its layout and
// statistics: snapshots of one that does not would record nothing.
func (r *Resolved) reportsLayout() bool {
	return r.External == nil || slices.Contains(r.External.Target.Capabilities, history.ReportsLayout)
}

// externalRerun is how to repeat an external store's run: from Go, since
// the CLI cannot reach the store.
func (r *Resolved) externalRerun() string {
	faults := `"none"`
	if len(r.Faults) > 0 {
		faults = `"` + strings.Join(r.Faults, `", "`) + `"`
	}
	return fmt.Sprintf("warmtest.Run(ctx, store, warmtest.Config{Workload: %q, Seed: %d, Ops: %d, Workers: %d, Nemeses: []string{%s}})",
		r.Workload.Name, r.Seed, r.Plan.Params.Ops, r.Plan.Params.Workers, faults)
}

// targetHeader is the header's description of the store under test: nil
// for the built-in store.
func (r *Resolved) targetHeader() *history.Target {
	if r.External == nil {
		return nil
	}
	t := r.External.Target
	t.Capabilities = slices.Clone(t.Capabilities)
	return &t
}
