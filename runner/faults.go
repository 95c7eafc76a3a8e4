package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/nemesis"
	"github.com/warmcheck/warmcheck/store"
	"github.com/warmcheck/warmcheck/workload"
)

// processOnly are the faults that act on a store process: they need
// --mode process.
var processOnly = map[string]bool{"pause": true, "kill": true, "power-loss": true}

// checkFaults rejects unknown fault names and faults the mode cannot carry
// out, before anything is started.
func checkFaults(faults []string, mode workload.Mode) error {
	for _, f := range faults {
		if _, err := nemesis.ByName(f); err != nil {
			return err
		}
		if processOnly[f] && mode != workload.Process {
			return fmt.Errorf("fault %q needs --mode process (the store must run in a child process to be paused, killed or powered off)", f)
		}
	}
	return nil
}

// Schedule timing of a run: the first faults come soon after the workers
// start, so that even a short run sees every requested fault.
const (
	faultMinGap = 10 * time.Millisecond
	faultMaxGap = 150 * time.Millisecond
)

// faultSchedule fires a run's faults while the load runs.
type faultSchedule interface {
	// Run fires the seed's schedule until ctx ends, then undoes the fault
	// in progress (restarting the store if it is down).
	Run(ctx context.Context)
}

// noFaults is the schedule of a run without faults.
type noFaults struct{}

func (noFaults) Run(context.Context) {}

// nemesisSchedule runs the nemesis package's seeded schedule.
type nemesisSchedule struct {
	opts nemesis.RunOptions
	log  hclog.Logger
}

// newFaultSchedule builds the schedule of r.Faults against t; the seed of
// the run fixes which fault fires when.
func newFaultSchedule(r *Resolved, t *target, rec *client.Recorder, log hclog.Logger) (faultSchedule, error) {
	if len(r.Faults) == 0 {
		return noFaults{}, nil
	}
	nt, err := t.nemesisTarget()
	if err != nil {
		return nil, err
	}
	if err := nemesis.CheckSupported(r.Faults, nt); err != nil {
		hint := ""
		if r.Nemeses == nil {
			hint = fmt.Sprintf(" (these are workload %s's own faults: name the ones to run with --nemesis)", r.Workload.Name)
		}
		return nil, configErrorf("--nemesis: %w%s", err, hint)
	}
	s, err := nemesis.NewScheduler(r.scheduleOptions())
	if err != nil {
		return nil, configErrorf("--nemesis: %w", err)
	}
	return &nemesisSchedule{
		opts: nemesis.RunOptions{Target: nt, Recorder: rec, Scheduler: s, Logger: log.Named("nemesis")},
		log:  log,
	}, nil
}

// scheduleOptions are the options of r's fault schedule: its faults, aimed
// where its load goes.
func (r *Resolved) scheduleOptions() nemesis.ScheduleOptions {
	return nemesis.ScheduleOptions{Seed: r.Seed, Nemeses: r.Faults, MinGap: faultMinGap, MaxGap: faultMaxGap,
		Reach: loadReach(r.Plan.Params).Only(r.aim()...)}
}

// canFire is the one rule of whether a fault can fire under a load: the
// nemesis scheduler accepts it for the load's reach, narrowed to aim (every
// fault that acts at a failpoint needs one the load passes).
func canFire(fault string, p workload.Params, aim []store.FailpointName) bool {
	_, err := nemesis.NewScheduler(nemesis.ScheduleOptions{Nemeses: []string{fault}, Reach: loadReach(p).Only(aim...)})
	return err == nil
}

func (s *nemesisSchedule) Run(ctx context.Context) {
	sum, err := nemesis.Run(ctx, s.opts)
	s.log.Info("faults done", "fired", sum.Faults, "by_nemesis", firedCounts(sum.ByNemesis), "restarts", sum.Restarts, "problems", len(sum.Problems))
	for _, p := range sum.Problems {
		s.log.Warn("fault problem", "problem", p)
	}
	if err != nil {
		s.log.Error("the store could not be brought back after a fault", "error", err)
	}
}

// firedCounts is "compact=1 panic=2": each nemesis and how often it fired,
// by name.
func firedCounts(by map[string]int) string {
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, by[n])
	}
	return strings.Join(parts, " ")
}

// aim is the recipe's narrowing of the failpoint faults, if any.
func (r *Resolved) aim() []store.FailpointName {
	if r.External != nil {
		return r.External.Points // where the store placed failpoints
	}
	if r.Recipe == nil || r.Config.Workload != "" || r.Config.Nemeses != nil {
		return nil // no recipe, or the user chose the workload or the faults
	}
	return r.Recipe.Aim
}

// loadReach is where the workers' load passes while a fault is on: the
// operations they issue, and the store's sync (group commit, or a sync per
// call) whenever they mutate. Faults fire one at a time (nemesis.Run), so
// the compact fault's own compaction never overlaps another fault's window:
// only the workers' compactions count. A compaction grows its new content
// file only to move content, so a load that writes none never passes grow.
func loadReach(p workload.Params) nemesis.Reach {
	var ops []string
	mutates := false
	for _, op := range p.Issued() {
		ops = append(ops, op.String())
		switch op {
		case history.OpPut, history.OpRemove, history.OpUpdateActivation:
			mutates = true
		}
	}
	if mutates {
		ops = append(ops, history.OpSync.String())
	}
	reach := nemesis.ReachOf(ops)
	if !p.WritesContent() {
		reach = reach.Without(store.FailGrow)
	}
	return reach
}
