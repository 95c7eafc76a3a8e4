package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/warmcheck/warmcheck/bench"
	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/internal/humanfmt"
	"github.com/warmcheck/warmcheck/runner"
	"github.com/warmcheck/warmcheck/workload"
)

// runCommand drives a store with a workload under faults, records the
// history, judges it and exits with the verdict.
func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "drive the store with a workload under faults, record the history, judge it",
		Description: "With no flag: the mixed workload with panics and compaction, in process, in ./runs.\n" +
			"With --bug NAME only: the workload, faults and mode that expose that seeded bug (see `warmcheck list bugs`).\n" +
			"Exit code: 0 valid, 1 invalid, 2 unknown (also when interrupted: the history is kept, the checks do not run), 3 usage or input error.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "workload", Usage: "workload name (warmcheck list workloads); default " + workload.Default},
			&cli.Int64Flag{Name: "seed", Usage: "seed of the operations and the fault schedule (default: random, printed and recorded)"},
			&cli.IntFlag{Name: "ops", Usage: "total operations of the workers (default: the workload's)"},
			&cli.DurationFlag{Name: "duration", Usage: "run the workers for this long instead of a number of operations"},
			&cli.IntFlag{Name: "workers", Usage: "concurrent workers (default: the workload's)"},
			&cli.StringFlag{Name: "nemesis", Usage: "comma-separated faults (warmcheck list nemeses), or none (default: the workload's)"},
			&cli.StringFlag{Name: "bug", Usage: "switch on a seeded bug of the store (warmcheck list bugs)"},
			&cli.StringFlag{Name: "mode", Usage: "inprocess or process (default: the workload's)"},
			&cli.StringFlag{Name: "target", Value: runner.TargetBuiltin, Usage: "the store under test: builtin, or exec:'CMD ARGS', a store server speaking PROTOCOL.md, started by warmcheck as a child process"},
			&cli.StringFlag{Name: "out", Value: runner.DefaultOut, Usage: "directory of run directories"},
			&cli.DurationFlag{Name: "op-timeout", Value: runner.DefaultOpTimeout, Usage: "an operation taking longer ends info"},
			&cli.StringFlag{Name: "schedule", Usage: "how goroutines interleave: os (free, the Go runtime's), pct or random (controlled: one at a time, switched at the store's failpoints, locks and calls, reproduced by the seed; in process only) (default: the recipe's, else os)"},
			&cli.IntFlag{Name: "schedules", Usage: "controlled: explore this many schedules of the same operations, each with its own derived seed; stop at the first invalid one", Value: 1},
			&cli.IntFlag{Name: "schedule-from", Usage: "controlled: index of the first schedule (a rerun of schedule i of an earlier --schedules run)"},
			&cli.IntFlag{Name: "pct-depth", Usage: "pct: the bug depth sought (change points + 1)", Value: 3},
			&cli.StringFlag{Name: "metrics-addr", Usage: "serve the store's Prometheus metrics at http://HOST:PORT/metrics while the run lasts (e.g. 127.0.0.1:9464; free runs only; with --mode process only what the store's Stats holds)"},
			&cli.IntFlag{Name: "keep", Value: runner.DefaultKeep, Usage: "keep the newest N run directories of the workload, remove older ones (0: keep all)"},
			&cli.BoolFlag{Name: "keep-store", Usage: "keep the store files (RUN_DIR/store) of a valid run; an invalid or unknown run always keeps them"},
		},
		Action: runAction,
	}
}

func runAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageError{fmt.Errorf("run takes no arguments, got %q", c.Args().Slice())}
	}
	level, _ := logLevel(c) // checked before the action
	cfg := runner.Config{
		Workload:    c.String("workload"),
		Seed:        c.Int64("seed"),
		SeedSet:     c.IsSet("seed"),
		Ops:         c.Int("ops"),
		Duration:    c.Duration("duration"),
		Workers:     c.Int("workers"),
		Bug:         c.String("bug"),
		Mode:        c.String("mode"),
		Target:      c.String("target"),
		Out:         c.String("out"),
		MetricsAddr: c.String("metrics-addr"),
		OpTimeout:   c.Duration("op-timeout"),
		Schedule:    c.String("schedule"),
		Progress:    c.App.ErrWriter,
		Terminal:    isTerminal(c.App.ErrWriter) && os.Getenv("CI") == "",
		LogLevel:    level,
		Keep:        c.Int("keep"),
		KeepStore:   c.Bool("keep-store"),
		Version:     buildVersion(),
		Args:        os.Args,
		Plot:        bench.PlotLatency,
	}
	if quiet(c) {
		cfg.Progress = nil
	}
	if cfg.Keep == 0 {
		cfg.Keep = -1 // --keep 0: keep all
	} else if cfg.Keep < 0 {
		return usageError{errors.New("run: --keep must not be negative (0 keeps every run directory)")}
	}
	if c.IsSet("nemesis") {
		cfg.Nemeses = strings.Split(c.String("nemesis"), ",")
	}
	if c.IsSet("schedules") {
		cfg.Schedules = c.Int("schedules")
	}
	if c.IsSet("schedule-from") {
		cfg.ScheduleFrom = c.Int("schedule-from")
	}
	if c.IsSet("pct-depth") {
		cfg.PCTDepth = c.Int("pct-depth")
		if cfg.PCTDepth < 1 {
			return usageError{errors.New("run: --pct-depth must be at least 1")}
		}
	}
	if c.IsSet("op-timeout") && cfg.OpTimeout <= 0 {
		return usageError{errors.New("run: --op-timeout must be positive")}
	}
	r, err := runner.Resolve(cfg)
	if err != nil {
		return usageError{fmt.Errorf("run: %w", err)}
	}
	if !quiet(c) {
		fmt.Fprintf(c.App.Writer, "warmcheck run: workload=%s seed=%d mode=%s nemesis=%s bug=%s workers=%d %s schedule=%s%s\n  load: %s\n",
			r.Workload.Name, r.Seed, r.Mode, runFaultList(r.Faults), runOrNone(r.Bug), r.Plan.Params.Workers, runBound(r), runScheduleLine(r), runTargetNote(r), r.DescribeLoad())
	}

	ctx, stop := interruptible(c.Context)
	defer stop()
	out, err := runner.RunSchedules(ctx, r)
	if err != nil {
		// A corrupt history read back is an input error, as in analyze.
		if errors.Is(err, runner.ErrConfig) || errors.Is(err, runner.ErrRunDir) || errors.Is(err, history.ErrCorrupt) {
			return usageError{fmt.Errorf("run: %w", err)}
		}
		return cli.Exit(fmt.Sprintf("run: no verdict: %v", err), exitUnknown)
	}
	runPrintOutcome(c.App.Writer, out, quiet(c))
	return runVerdictExit(out.Verdict)
}

// runBound is the header's bound of the workers: ops=N or duration=D.
func runBound(r *runner.Resolved) string {
	if r.Duration > 0 {
		return "duration=" + r.Duration.String()
	}
	return fmt.Sprintf("ops=%d", r.Plan.Params.Ops)
}

// runPrintOutcome writes what a run found: the checks and the first
// violation as analyze prints them (printReport), what weakens the
// evidence, the schedule, then the verdict and where the run directory is.
// quiet: the verdict lines only.
func runPrintOutcome(w io.Writer, out *runner.Outcome, quiet bool) {
	if !quiet {
		runPrintEvidence(w, out)
	}
	if out.Interrupted {
		fmt.Fprintf(w, "verdict: unknown (seed %d, %s): interrupted: the checks did not run\n"+
			"run directory: %s\nthe history is closed and readable: `warmcheck analyze %s` judges it (a violation in it is found; a run cut short is at best unknown)\n",
			out.Seed, out.Elapsed.Round(time.Millisecond), out.Dir, out.Dir)
		return
	}
	fmt.Fprintf(w, "verdict: %s (seed %d, %s): %s\nrun directory: %s\nreport: %s\n",
		out.Verdict, out.Seed, out.Elapsed.Round(time.Millisecond), out.Report.Reason, out.Dir, filepath.Join(out.Dir, runner.ReportFile))
}

func runPrintEvidence(w io.Writer, out *runner.Outcome) {
	if !out.Interrupted {
		printReport(w, &out.Report)
	}
	if out.ExtraOps > 0 {
		fmt.Fprintf(w, "  %s beyond the plan, so that every requested fault could fire\n", humanfmt.Count(out.ExtraOps, "extra operation", "extra operations"))
	}
	for _, f := range out.Findings {
		if f.Samples > 0 && !f.Met {
			fmt.Fprintf(w, "  finding: %s missed: measured %s\n", f.Target, f.Measured)
		}
	}
	for _, p := range out.Problems {
		fmt.Fprintf(w, "  warning: %s\n", p)
	}
	if out.Stopped != "" && !out.Interrupted {
		fmt.Fprintf(w, "  workers stopped early: %s\n", out.Stopped)
	}
	if s := out.Schedule; s != nil {
		fmt.Fprintf(w, "  schedule: %s seed %d (schedule %d, %d explored), %d steps, %v virtual\n", s.Mode, s.Seed, s.Index, max(s.Explored, 1), s.Steps, s.Clock)
		if s.Deadlock != nil {
			fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(s.Deadlock.String(), "\n", "\n  "))
		}
		if s.Interleaving != nil {
			fmt.Fprint(w, s.Interleaving.Text())
		}
	}
}

// runVerdictExit maps a verdict to the CI exit code.
func runVerdictExit(v checker.Verdict) error {
	switch v {
	case checker.Valid:
		return nil
	case checker.Invalid:
		return cli.Exit("", exitInvalid)
	}
	return cli.Exit("", exitUnknown)
}

// runScheduleLine is the schedule part of the run's first line.
func runScheduleLine(r *runner.Resolved) string {
	if !r.Sched.Controlled() {
		return string(r.Sched)
	}
	s := fmt.Sprintf("%s schedules=%d", r.Sched, r.Schedules)
	if r.SchedFrom > 0 {
		s += fmt.Sprintf(" from=%d", r.SchedFrom)
	}
	if r.Depth > 0 {
		s += fmt.Sprintf(" depth=%d", r.Depth)
	}
	return s
}

func runTargetNote(r *runner.Resolved) string {
	if r.Exec == "" {
		return ""
	}
	return " target=exec:" + r.Exec
}

func runFaultList(f []string) string {
	if len(f) == 0 {
		return "none"
	}
	return strings.Join(f, ",")
}

func runOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
