package runner

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/sched"
	"github.com/warmcheck/warmcheck/workload"
)

// A controlled run (--schedule pct|random) runs the workers, the store's
// group commit and the fault schedule as tasks of one sched.Scheduler, in
// virtual time; see controlled.go. These are its settings.
const (
	// controlledTick is the virtual time of one scheduling step: an
	// in-process operation passes about ten points and takes tens of
	// microseconds when free, so group commit (every 5 ms) and the fault
	// gaps keep about their free-run proportions to the operations.
	controlledTick = 5 * time.Microsecond
	// stepsPerOp estimates the steps of one operation, for PCT's k (the
	// range its change points are drawn from) and the step budget.
	stepsPerOp = 12
	// stepBudgetPerOp bounds a controlled run at this many steps per
	// planned operation (a livelock ends as ErrStepBudget, not a hang).
	stepBudgetPerOp = 2000
)

// faultTiming is the fault schedule's timing in a controlled run, in
// virtual time: gaps and holds so that every requested fault fires about
// twice within the planned operations (a controlled run is not extended
// past its plan), gaps at most 10 ms.
func (r *Resolved) faultTiming() (minGap, maxGap, minHold, maxHold time.Duration) {
	planned := time.Duration(max(r.Plan.Params.Ops, 1)*stepsPerOp) * controlledTick
	maxGap = planned / time.Duration(6*max(len(r.Faults), 1))
	maxGap = min(max(maxGap, 100*time.Microsecond), 10*time.Millisecond)
	return maxGap / 5, maxGap, maxGap / 2, 2 * maxGap
}

// controlledFaults are the faults a controlled run can carry out: they act
// inside the store's process and wait only on the run's clock. "sleep" is
// what the scheduler replaces (it chooses who runs at every failpoint).
var controlledFaults = map[string]bool{"compact": true, "panic": true, "grow-failure": true}

// ScheduleFile holds a controlled run's schedule and how it ended
// (steps, a deadlock's cycle, the last steps).
const ScheduleFile = "schedule.json"

// ScheduleOutcome is the schedule part of an Outcome (controlled runs only).
type ScheduleOutcome struct {
	Mode  string `json:"mode"`
	Seed  int64  `json:"seed"`
	Index int    `json:"index"`
	Depth int    `json:"depth,omitempty"`
	// Steps taken; Clock is the virtual time they made.
	Steps int           `json:"steps"`
	Clock time.Duration `json:"clock_ns"`
	// Stuck is "" when every worker finished, else why the run stopped
	// (deadlock, step budget); Deadlock is the cycle.
	Stuck    string          `json:"stuck,omitempty"`
	Deadlock *sched.Deadlock `json:"deadlock,omitempty"`
	// Interleaving is the table of the steps around the violation (invalid
	// or stuck runs only).
	Interleaving *Interleaving `json:"interleaving,omitempty"`
	// Explored is how many schedules RunSchedules ran to get here.
	Explored int `json:"explored,omitempty"`

	trace []sched.Step // the run's steps, until finishSchedule
}

// resolveSchedule checks and fills in the schedule settings of c into r
// (after the mode, faults and plan are known).
func (r *Resolved) resolveSchedule(c Config) error {
	name := c.Schedule
	if r.recipeSchedule(c) {
		name = r.Recipe.Schedule
	}
	if name == "" {
		name = string(sched.ModeOS)
	}
	m, err := sched.ParseMode(name)
	if err != nil {
		return configErrorf("--schedule: %w", err)
	}
	r.Sched = m
	if !m.Controlled() {
		if c.Schedules > 1 || c.PCTDepth != 0 || c.ScheduleFrom != 0 {
			return configErrorf("--schedules, --schedule-from and --pct-depth need --schedule pct or random")
		}
		return nil
	}
	switch {
	case r.Mode != workload.InProcess:
		return configErrorf("--schedule %s needs --mode inprocess: the scheduler controls the store's goroutines in this process (process mode is not supported yet)", m)
	case c.Duration > 0:
		return configErrorf("--schedule %s runs in virtual time: give --ops, not --duration", m)
	case c.Schedules < 0 || c.ScheduleFrom < 0:
		return configErrorf("--schedules and --schedule-from must not be negative")
	case c.PCTDepth < 0 || (c.PCTDepth > 0 && m != sched.ModePCT):
		return configErrorf("--pct-depth must be >= 1, and only with --schedule pct")
	}
	var kept []string
	for _, f := range r.Faults {
		switch {
		case controlledFaults[f]:
			kept = append(kept, f)
		case f == "sleep" && c.Nemeses == nil:
			// a recipe's or workload's sleeps: the scheduler does their job
		default:
			return configErrorf("--nemesis %s cannot run under --schedule %s (controlled runs support: compact, panic, grow-failure; sleep is what the scheduler replaces)", f, m)
		}
	}
	r.Faults = kept
	if r.Faults == nil {
		r.Faults = []string{}
	}
	r.Schedules = max(c.Schedules, 1)
	if c.Schedules == 0 && r.recipeSchedule(c) {
		r.Schedules = max(r.Recipe.Schedules, 1)
	}
	r.SchedFrom = c.ScheduleFrom
	r.SchedIndex = c.ScheduleFrom
	r.Depth = c.PCTDepth
	if m == sched.ModePCT && r.Depth == 0 {
		r.Depth = sched.DefaultDepth
	}
	return nil
}

// recipeSchedule reports whether r runs its recipe's controlled schedule:
// the recipe has one, and the user named no schedule, workload or mode.
func (r *Resolved) recipeSchedule(c Config) bool {
	return r.Recipe != nil && r.Recipe.Schedule != "" && c.Schedule == "" && c.Workload == "" && c.Mode == ""
}

// schedConfig is the scheduler configuration of r's current schedule.
func (r *Resolved) schedConfig() sched.Config {
	ops := max(r.Plan.Params.Ops, 1)
	return sched.Config{Mode: r.Sched, Seed: sched.DeriveSeed(r.Seed, r.SchedIndex), Depth: r.Depth,
		Steps: ops * stepsPerOp, MaxSteps: ops * stepBudgetPerOp, Tick: controlledTick, TraceLimit: min(ops*stepsPerOp*4, traceCap)}
}

// scheduleHeader is the history header's record of the schedule; nil for a
// free run.
func (r *Resolved) scheduleHeader() *history.Schedule {
	if !r.Sched.Controlled() {
		return nil
	}
	c := r.schedConfig()
	h := &history.Schedule{Mode: string(c.Mode), Seed: c.Seed, Index: r.SchedIndex, Tick: int64(c.Tick)}
	if c.Mode == sched.ModePCT {
		h.Depth, h.Steps = c.Depth, c.Steps
	}
	return h
}

// RunSchedules is what `warmcheck run` does: runSchedules, then the
// retention rules (retain: a valid run's store files removed, old run
// directories pruned, latest links).
func RunSchedules(ctx context.Context, r *Resolved) (*Outcome, error) {
	out, err := runSchedules(ctx, r)
	if err != nil {
		return nil, err
	}
	out.Problems = append(out.Problems, retain(r, out)...)
	return out, nil
}

// runSchedules is Run for --schedules N: under a controlled schedule it
// runs schedules SchedFrom, SchedFrom+1, ... of the same operations, each
// with its own derived seed, and returns the first one (by index) judged
// invalid, or the last. Schedules run exploreParallel at a time (a
// controlled run uses about one core); which one is returned does not
// depend on their timing. Run directories of schedules judged valid are
// removed, except the one returned (a valid one is reproduced by its
// index); every one judged unknown is kept. Without a controlled schedule,
// or with one schedule, it is Run.
func runSchedules(ctx context.Context, r *Resolved) (*Outcome, error) {
	if !r.Sched.Controlled() || r.Schedules <= 1 {
		return Run(ctx, r)
	}
	prog := newScheduleProgress(r.Progress, r.Terminal, r.Schedules)
	defer prog.finish()
	var last *Outcome
	progress := r.Progress // the runs side by side log to it: one line at a time
	if progress != nil {
		progress = &lockedWriter{w: progress}
	}
	for i := 0; i < r.Schedules && ctx.Err() == nil; i += exploreParallel {
		batch := make([]*Outcome, min(exploreParallel, r.Schedules-i))
		errs := make([]error, len(batch))
		var wg sync.WaitGroup
		for j := range batch {
			one := *r
			one.SchedIndex = r.SchedFrom + i + j
			one.Progress = progress
			wg.Add(1)
			go func() {
				defer wg.Done()
				batch[j], errs[j] = Run(ctx, &one)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		for j, out := range batch {
			prog.done(i+j+1, out)
			if last != nil && last.Verdict == checker.Valid {
				_ = os.RemoveAll(last.Dir)
			}
			out.Schedule.Explored = i + j + 1
			last = out
			if out.Verdict == checker.Invalid {
				for _, later := range batch[j+1:] { // run alongside, past the first invalid
					if later.Verdict == checker.Valid {
						_ = os.RemoveAll(later.Dir)
					}
				}
				break
			}
		}
		if last.Verdict == checker.Invalid {
			break
		}
	}
	return last, nil // retain points latest at it: the runs ran side by side
}

// exploreParallel is how many schedules RunSchedules runs at once.
const exploreParallel = 2

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
