package warmtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/runner"
)

// Config says what to run against a Store. Zero fields mean the defaults.
type Config struct {
	// Name is the store's name in the history and reports; "": its Go type.
	Name string
	// Workload is a named workload (`warmcheck list workloads`); "": mixed.
	// Workloads that need a store in a child process (crash-recovery) are
	// refused.
	Workload string
	// Seed fixes the operations and the fault schedule, not the
	// goroutine interleaving; 0 draws one (Result.Seed says which).
	Seed int64
	// Ops and Workers override the workload's; Duration, when > 0, runs
	// the workers that long instead of a number of operations.
	Ops      int
	Workers  int
	Duration time.Duration
	// Nemeses are the faults, by name. A Go store takes only "compact" (a
	// compaction while the load runs); nil: the workload's own that a Go
	// store can take; an empty list: none.
	Nemeses []string
	// OpTimeout bounds every operation: one that takes longer (a store that
	// ignores its context and hangs) is recorded with an unknown outcome.
	// 0: 2 s.
	OpTimeout time.Duration
	// Dir is where the run directory is written (<Dir>/<workload>/<time>/,
	// as `warmcheck run --out`, readable by `warmcheck analyze`); "": a
	// temporary directory, removed when Run returns.
	Dir string
}

// Run drives s with cfg's workload and faults from concurrent workers,
// records every operation and judges the history with warmcheck's checks.
// s must be empty; Run does not close it. The error is non-nil only when no
// verdict could be reached (a bad Config, a store that is not empty, an
// unwritable Dir); a verdict of any kind, invalid included, is in the
// Result.
func Run(ctx context.Context, s Store, cfg Config) (*Result, error) {
	if err := checkEmpty(ctx, s); err != nil {
		return nil, err
	}
	c := newStoreClient(s)
	name := cfg.Name
	if name == "" {
		name = fmt.Sprintf("%T", s)
	}
	rc := runner.Config{
		Workload: cfg.Workload, Seed: cfg.Seed, SeedSet: cfg.Seed != 0, Ops: cfg.Ops, Workers: cfg.Workers,
		Duration: cfg.Duration, Nemeses: cfg.Nemeses, OpTimeout: cfg.OpTimeout, Out: cfg.Dir,
		External: &runner.External{Target: history.Target{Kind: history.TargetGo, Name: name, Capabilities: c.reports()}, Client: c},
	}
	if cfg.Nemeses != nil && len(cfg.Nemeses) == 0 {
		rc.Nemeses = []string{"none"}
	}
	if cfg.Dir == "" {
		tmp, err := os.MkdirTemp("", "warmtest-")
		if err != nil {
			return nil, fmt.Errorf("warmtest: temporary run directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		rc.Out = tmp
	}
	r, err := runner.Resolve(rc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	out, err := runner.Run(ctx, r)
	if err != nil {
		if errors.Is(err, runner.ErrConfig) {
			err = fmt.Errorf("%w: %w", ErrConfig, err)
		}
		return nil, err
	}
	res := newResult(out)
	if cfg.Dir == "" {
		res.Dir = ""
	}
	return res, nil
}

// checkEmpty refuses a store that holds anything: every check assumes each
// id starts absent.
func checkEmpty(ctx context.Context, s Store) error {
	var first string
	n := 0
	err := s.Iterate(ctx, func(id string, _ Memory) bool {
		first, n = id, n+1
		return false
	})
	switch {
	case err != nil:
		return fmt.Errorf("warmtest: iterating the store to see that it is empty: %w", err)
	case n > 0:
		return fmt.Errorf("%w: it holds %q (Run needs an empty store)", ErrNotEmpty, first)
	}
	return nil
}

// Result is the judgement of a run.
type Result struct {
	// Verdict is valid, invalid or unknown (the history could not prove
	// either: too little exercised, a check out of budget).
	Verdict checker.Verdict
	// Results is what the run directory's results.json holds (and
	// `warmcheck analyze --json` prints): the verdict and every check's
	// result.
	Results checker.Results
	// Dir is the run directory, "" when it was temporary (Config.Dir "").
	Dir string
	// Seed is the run's seed; Rerun repeats its operations and faults.
	Seed  int64
	Rerun string
	// Problems weaken the run's evidence (a fault that never fired).
	Problems []string
}

func newResult(out *runner.Outcome) *Result {
	rep := out.Report
	return &Result{
		Verdict:  out.Verdict,
		Results:  checker.NewResults(checker.HistoryResult{Path: ".", History: runner.HistoryFile, Report: &rep}),
		Dir:      out.Dir,
		Seed:     out.Seed,
		Rerun:    out.Rerun,
		Problems: out.Problems,
	}
}

// Report is the one history's checker report: per-check results.
func (r *Result) Report() *checker.Report { return r.Results.Histories[0].Report }
