package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/crashpoint"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/runner"
	"github.com/warmcheck/warmcheck/store"
)

// crashesCommand explores every crash state of a bounded workload
// (crashpoint): exit 0 all consistent, 1 an inconsistent state, 2 no
// verdict, 3 bad input.
func crashesCommand() *cli.Command {
	return &cli.Command{
		Name:  "crashes",
		Usage: "power loss at every persistence step: judge every crash state of a seeded single-worker workload",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "workload", Value: "mixed", Usage: "one of " + strings.Join(crashpoint.Workloads, ", ")},
			&cli.IntFlag{Name: "ops", Value: 100, Usage: "operations in the workload"},
			&cli.Int64Flag{Name: "seed", Value: 1, Usage: "workload seed"},
			&cli.StringSliceFlag{Name: "bug", Usage: "switch on a seeded bug of the store (warmcheck list bugs)"},
			&cli.StringFlag{Name: "out", Value: runner.DefaultOut, Usage: "directory of run directories"},
			&cli.IntFlag{Name: "states-per-point", Value: 64, Usage: "cap on crash states judged at one point (the rest are counted)"},
			&cli.BoolFlag{Name: "all", Usage: "judge every state, not only up to the first inconsistent one"},
			&cli.IntFlag{Name: "point", Value: -1, Usage: "with --variant: only rebuild this crash state's image into the run directory"},
			&cli.StringFlag{Name: "variant", Usage: "with --point: which unsynced sectors reached the disk (as reported)"},
		},
		Action: crashesAction,
	}
}

func crashesAction(c *cli.Context) error {
	if c.NArg() != 0 {
		return usageError{fmt.Errorf("crashes takes no arguments, got %q", c.Args().Slice())}
	}
	cfg := crashpoint.Config{Workload: c.String("workload"), Ops: c.Int("ops"), Seed: c.Int64("seed"),
		StatesPerPoint: c.Int("states-per-point"), All: c.Bool("all")}
	if cfg.Ops < 1 || cfg.StatesPerPoint < 1 {
		return usageError{fmt.Errorf("crashes: --ops and --states-per-point must be at least 1")}
	}
	for _, b := range c.StringSlice("bug") {
		cfg.Bugs = append(cfg.Bugs, store.Bug(b))
	}
	if err := knownBugs(cfg.Bugs); err != nil {
		return usageError{err}
	}
	if _, err := crashpoint.Plan(cfg.Workload, cfg.Ops, cfg.Seed); err != nil {
		return usageError{err}
	}
	if c.IsSet("variant") {
		if _, err := crashpoint.ParseVariant(c.String("variant")); err != nil {
			return usageError{err}
		}
	}
	dir, err := crashesRunDir(c.String("out"), cfg.Workload)
	if err != nil {
		return cli.Exit(fmt.Sprintf("crashes: %v", err), exitUsage)
	}
	if c.IsSet("point") || c.IsSet("variant") {
		return rebuildAction(c, cfg, dir)
	}
	res, err := crashpoint.Explore(cfg)
	if err != nil {
		return exploreError(err)
	}
	rebuild := ""
	if res.First != nil {
		rebuild = rebuildCommand(c, cfg, res.First.Point, res.First.Variant)
	}
	if err := res.WriteRunDir(dir, rebuild); err != nil {
		return cli.Exit(fmt.Sprintf("crashes: %v", err), exitUnknown)
	}
	if err := writeCrashResults(dir, res); err != nil {
		return cli.Exit(fmt.Sprintf("crashes: %v", err), exitUnknown)
	}
	if err := res.WriteReport(c.App.Writer, rebuild); err != nil {
		return cli.Exit(fmt.Sprintf("crashes: %v", err), exitUnknown)
	}
	fmt.Fprintf(c.App.Writer, "run directory: %s\n", dir)
	if res.First != nil {
		fmt.Fprintf(c.App.Writer, "inconsistent image (a store directory): %s\n", filepath.Join(dir, crashpoint.StateDir, "store"))
		return cli.Exit("", exitInvalid)
	}
	return nil
}

func rebuildAction(c *cli.Context, cfg crashpoint.Config, dir string) error {
	if !c.IsSet("point") || !c.IsSet("variant") {
		return usageError{fmt.Errorf("crashes: --point and --variant go together")}
	}
	v, err := crashpoint.ParseVariant(c.String("variant"))
	if err != nil {
		return usageError{err}
	}
	state := filepath.Join(dir, crashpoint.StateDir)
	if _, err := crashpoint.Rebuild(cfg, c.Int("point"), v, state); err != nil {
		return exploreError(err)
	}
	f, err := crashpoint.JudgeStateDir(state, cfg.Bugs)
	if err != nil {
		return exploreError(err)
	}
	fmt.Fprintf(c.App.Writer, "crash state %s at point %d rebuilt: %s\n", v, c.Int("point"), filepath.Join(state, "store"))
	if f != nil {
		fmt.Fprintf(c.App.Writer, "inconsistent: %s\n", f)
		return cli.Exit("", exitInvalid)
	}
	fmt.Fprintln(c.App.Writer, "consistent")
	return nil
}

func exploreError(err error) error {
	switch {
	case errors.Is(err, crashpoint.ErrBadInput), errors.Is(err, crashpoint.ErrUnknownWorkload), errors.Is(err, store.ErrUnknownBug):
		return usageError{err}
	case errors.Is(err, crashpoint.ErrIncompleteLog):
		return cli.Exit(fmt.Sprintf("crashes: no verdict: %v", err), exitUnknown)
	}
	return cli.Exit(fmt.Sprintf("crashes: no verdict: %v", err), exitUnknown)
}

func knownBugs(bugs []store.Bug) error {
	for _, b := range bugs {
		ok := false
		for _, info := range store.Bugs() {
			ok = ok || info.Name == b
		}
		if !ok {
			return fmt.Errorf("crashes: %w: %q (warmcheck list bugs)", store.ErrUnknownBug, b)
		}
	}
	return nil
}

func rebuildCommand(c *cli.Context, cfg crashpoint.Config, point int, variant string) string {
	s := fmt.Sprintf("warmcheck crashes --workload %s --ops %d --seed %d", cfg.Workload, cfg.Ops, cfg.Seed)
	for _, b := range cfg.Bugs {
		s += " --bug " + string(b)
	}
	return s + fmt.Sprintf(" --out %s --point %d --variant %s", c.String("out"), point, variant)
}

// writeCrashResults writes results.json in checker's one shape: one
// "history" (the run directory) judged by one check, crash-states.
func writeCrashResults(dir string, res *crashpoint.Result) error {
	check := checker.Result{Name: "crash-states", Verdict: checker.Valid, Summary: res.Summary(),
		ElapsedNanos: res.Elapsed.Nanoseconds(),
		Details: map[string]any{"points": res.Points, "states": res.States, "skipped": res.Skipped,
			"persistence_steps": res.Steps, "states_per_second": res.StatesPerSec}}
	if res.First != nil {
		check.Verdict = checker.Invalid
		var b strings.Builder
		if err := res.WriteReport(&b, ""); err != nil {
			return err
		}
		check.Explanation = b.String()
		check.Artifacts = []string{filepath.Join(crashpoint.StateDir, "store")}
	}
	bug := ""
	for i, b := range res.Bugs {
		if i > 0 {
			bug += ","
		}
		bug += string(b)
	}
	rep := &checker.Report{Verdict: check.Verdict, Reason: string(check.Verdict) + ": crash-states " + string(check.Verdict),
		Checks: []checker.Result{check}, Seed: res.Seed, Workload: "crashes-" + res.Workload, Bug: bug,
		Operations: map[string]map[string]int{}, Completeness: history.Complete, ElapsedNanos: res.Elapsed.Nanoseconds()}
	doc, err := json.MarshalIndent(checker.NewResults(checker.HistoryResult{Path: ".", Report: rep}), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, runner.ResultsFile), append(doc, '\n'), 0o644)
}

// crashesRunDir creates <out>/crashes-<workload>/<UTC timestamp>[-n]/.
func crashesRunDir(out, workload string) (string, error) {
	parent := filepath.Join(out, "crashes-"+workload)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	stamp := time.Now().UTC().Format("20060102T150405.000Z")
	for i := 0; i < 1000; i++ {
		dir := filepath.Join(parent, stamp)
		if i > 0 {
			dir = fmt.Sprintf("%s-%d", dir, i)
		}
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !os.IsExist(err) {
			return "", err
		}
	}
	return "", fmt.Errorf("%s: 1000 runs in one millisecond", parent)
}
