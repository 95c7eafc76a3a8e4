package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/internal/humanfmt"
)

// ShrinkOptions configure Shrink. Zero values take the defaults.
type ShrinkOptions struct {
	// Schedules is how many schedules each smaller candidate may take to
	// fail (the interleaving of a smaller run is a different one); a
	// candidate smaller than the original gets more, see candidateSchedules.
	Schedules int
	// Budget bounds the whole search in wall-clock time; the smallest
	// failing run found by then is kept. Zero means DefaultShrinkBudget,
	// unless MaxRuns is set: then there is no time bound.
	Budget time.Duration
	// MaxRuns, when positive, bounds the whole search at that many candidate
	// runs. A shrink bounded by runs alone ends in the same place on a
	// loaded machine as on an idle one.
	MaxRuns int
	// Progress, when set, gets one line per candidate tried.
	Progress io.Writer
}

// Shrink defaults.
const (
	DefaultShrinkSchedules = 20
	DefaultShrinkBudget    = 3 * time.Minute
)

// ShrinkResult is the smallest failing run Shrink found.
type ShrinkResult struct {
	Original string
	// Failing are the checks that failed in the original; a candidate
	// counts as failing when its verdict is invalid and one of them fails.
	Failing []string
	// From and To: operations, workers, faults and PCT depth before and
	// after.
	From, To ShrinkSize
	Tried    int    // candidate runs made
	Dir      string // the smallest failing run, written under out
	Rerun    string // its command line
	Outcome  *Outcome
	Steps    []string // the reductions accepted, in order
}

// ShrinkSize is what Shrink makes smaller.
type ShrinkSize struct {
	Ops, Workers int
	Faults       []string
	Depth        int
}

func (s ShrinkSize) String() string {
	f := "none"
	if len(s.Faults) > 0 {
		f = strings.Join(s.Faults, ",")
	}
	d := ""
	if s.Depth > 0 {
		d = fmt.Sprintf(", depth %d", s.Depth)
	}
	return fmt.Sprintf("%s, %s, faults %s%s", humanfmt.Count(s.Ops, "op", "ops"), humanfmt.Count(s.Workers, "worker", "workers"), f, d)
}

// Shrink searches for a smaller controlled run that fails the way the one
// in runDir did: fewer operations, fewer workers, fewer faults, fewer PCT
// change points. Greedily, it tries each reduction of the current smallest
// run (halving and trimming the operations, halving and decrementing the
// workers, dropping one fault, lowering the depth), each over up to
// Schedules schedules, keeps the first that fails, and starts again, until
// none fails or the budget is spent. The smallest failing run is written as
// a new run directory under out; its rerun line reproduces it.
func Shrink(ctx context.Context, runDir, out string, o ShrinkOptions) (*ShrinkResult, error) {
	if o.Schedules <= 0 {
		o.Schedules = DefaultShrinkSchedules
	}
	if o.Budget <= 0 && o.MaxRuns <= 0 {
		o.Budget = DefaultShrinkBudget
	}
	best, err := replayConfig(runDir)
	if err != nil {
		return nil, err
	}
	failing, verdict := originalFailing(runDir)
	if verdict != checker.Invalid || len(failing) == 0 {
		return nil, fmt.Errorf("%w: %s: verdict %q: only an invalid run can be shrunk", ErrRunInput, runDir, verdict)
	}
	scratch, err := os.MkdirTemp("", "warmcheck-shrink-")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRunDir, err)
	}
	defer os.RemoveAll(scratch)
	res := &ShrinkResult{Original: runDir, Failing: failing, From: sizeOf(best)}
	origEffort := effort(best)
	b := newShrinkBudget(o)
	for !b.spent(ctx, res.Tried) {
		accepted := false
		for _, cand := range reductions(best) {
			if b.spent(ctx, res.Tried) {
				break
			}
			schedules := b.runsLeft(res.Tried, candidateSchedules(o.Schedules, origEffort, effort(cand.c)))
			idx, ok, tried, err := failsWithin(ctx, cand.c, scratch, failing, schedules, b)
			res.Tried += tried
			if err != nil {
				return nil, err
			}
			if o.Progress != nil {
				fmt.Fprintf(o.Progress, "shrink: %s (%s): %s\n", cand.what, sizeOf(cand.c), map[bool]string{true: fmt.Sprintf("fails (schedule %d)", idx), false: "passes"}[ok])
			}
			if ok {
				best = cand.c
				best.ScheduleFrom = idx
				res.Steps = append(res.Steps, cand.what)
				accepted = true
				break
			}
		}
		if !accepted {
			break
		}
	}
	best.Out = out
	r, err := Resolve(best)
	if err != nil {
		return nil, err
	}
	final, err := Run(ctx, r)
	if err != nil {
		return nil, err
	}
	res.To, res.Dir, res.Rerun, res.Outcome = sizeOf(best), final.Dir, final.Rerun, final
	return res, nil
}

// shrinkBudget is what bounds a shrink: a deadline (zero: none) and a
// number of candidate runs (zero: any).
type shrinkBudget struct {
	deadline time.Time
	maxRuns  int
}

func newShrinkBudget(o ShrinkOptions) shrinkBudget {
	b := shrinkBudget{maxRuns: o.MaxRuns}
	if o.Budget > 0 {
		b.deadline = time.Now().Add(o.Budget)
	}
	return b
}

// spent reports whether no further candidate run may start.
func (b shrinkBudget) spent(ctx context.Context, tried int) bool {
	return ctx.Err() != nil || b.past() || (b.maxRuns > 0 && tried >= b.maxRuns)
}

func (b shrinkBudget) past() bool { return !b.deadline.IsZero() && time.Now().After(b.deadline) }

// runsLeft caps a candidate's schedules by the runs left.
func (b shrinkBudget) runsLeft(tried, schedules int) int {
	if b.maxRuns <= 0 {
		return schedules
	}
	return min(schedules, b.maxRuns-tried)
}

// maxScheduleScale bounds how many times Schedules a small candidate may
// try.
const maxScheduleScale = 10

// candidateSchedules is how many schedules a candidate of the given effort
// may try: Schedules, times how many times smaller it is than the original
// (at most maxScheduleScale times). A narrow window is hit by fewer
// schedules of a small run than of a large one (fewer operations pass
// through it), while each of its schedules costs less: a compaction-swap-
// window run shrunk to 1 op fails at 4 workers on schedule 96, 3 workers on
// 23, 2 on 21, all past a flat 20. It depends on the configurations only,
// so a shrink is reproducible.
func candidateSchedules(schedules, origEffort, candEffort int) int {
	scale := origEffort / max(candEffort, 1)
	return schedules * min(max(scale, 1), maxScheduleScale)
}

// effort is the planned work of c: operations times workers (each at least
// one).
func effort(c Config) int { return max(c.Ops, 1) * max(c.Workers, 1) }

type candidate struct {
	what string
	c    Config
}

// reductions are the one-step smaller versions of c, most shrinking first.
func reductions(c Config) []candidate {
	var out []candidate
	add := func(what string, f func(*Config)) {
		n := c
		n.Nemeses = slices.Clone(c.Nemeses)
		n.ScheduleFrom = 0
		f(&n)
		out = append(out, candidate{what, n})
	}
	if c.Ops > 1 {
		add(fmt.Sprintf("ops %d -> %d", c.Ops, c.Ops/2), func(n *Config) { n.Ops = c.Ops / 2 })
	}
	if c.Workers > 1 {
		add(fmt.Sprintf("workers %d -> %d", c.Workers, c.Workers/2), func(n *Config) { n.Workers = c.Workers / 2 })
	}
	for _, f := range c.Nemeses {
		if f == "none" {
			continue
		}
		add("drop fault "+f, func(n *Config) {
			n.Nemeses = slices.DeleteFunc(n.Nemeses, func(g string) bool { return g == f })
			if len(n.Nemeses) == 0 {
				n.Nemeses = []string{"none"}
			}
		})
	}
	if c.Ops > 3 && c.Ops*3/4 != c.Ops/2 {
		add(fmt.Sprintf("ops %d -> %d", c.Ops, c.Ops*3/4), func(n *Config) { n.Ops = c.Ops * 3 / 4 })
	}
	if c.Ops > 7 && c.Ops*7/8 != c.Ops*3/4 {
		add(fmt.Sprintf("ops %d -> %d", c.Ops, c.Ops*7/8), func(n *Config) { n.Ops = c.Ops * 7 / 8 })
	}
	if c.Workers > 2 && c.Workers-1 != c.Workers/2 {
		add(fmt.Sprintf("workers %d -> %d", c.Workers, c.Workers-1), func(n *Config) { n.Workers = c.Workers - 1 })
	}
	if c.PCTDepth > 1 {
		add(fmt.Sprintf("pct depth %d -> %d", c.PCTDepth, c.PCTDepth-1), func(n *Config) { n.PCTDepth = c.PCTDepth - 1 })
	}
	return out
}

// failsWithin runs schedules 0.. of c (under scratch) until one fails one
// of the failing checks or b's deadline passes; it returns that schedule's
// index.
func failsWithin(ctx context.Context, c Config, scratch string, failing []string, schedules int, b shrinkBudget) (int, bool, int, error) {
	c.Out = scratch
	c.Schedules = 1
	tried := 0
	for i := 0; i < schedules && !b.past() && ctx.Err() == nil; i++ {
		c.ScheduleFrom = i
		r, err := Resolve(c)
		if err != nil {
			return 0, false, tried, nil // not a valid configuration (too few ops for the workload): not smaller
		}
		o, err := Run(ctx, r)
		tried++
		if err != nil {
			return 0, false, tried, err
		}
		_ = os.RemoveAll(o.Dir)
		if o.Verdict == checker.Invalid && slices.ContainsFunc(invalidChecks(o.Report), func(n string) bool { return slices.Contains(failing, n) }) {
			return i, true, tried, nil
		}
	}
	return 0, false, tried, nil
}

func sizeOf(c Config) ShrinkSize {
	var f []string
	for _, n := range c.Nemeses {
		if n != "none" {
			f = append(f, n)
		}
	}
	return ShrinkSize{Ops: c.Ops, Workers: c.Workers, Faults: f, Depth: c.PCTDepth}
}

// originalFailing reads runDir's results.json: the checks that failed and
// the verdict.
func originalFailing(runDir string) ([]string, checker.Verdict) {
	rep := readRunReport(runDir)
	if rep == nil {
		return nil, ""
	}
	return invalidChecks(*rep), rep.Verdict
}

// invalidChecks names the checks whose verdict is invalid.
func invalidChecks(rep checker.Report) []string {
	var out []string
	for _, c := range rep.Checks {
		if c.Verdict == checker.Invalid {
			out = append(out, c.Name)
		}
	}
	return out
}
