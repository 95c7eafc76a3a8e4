package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/warmcheck/warmcheck/runner"
)

// shrinkCommand searches for a smaller controlled run that fails like the
// given one.
func shrinkCommand() *cli.Command {
	return &cli.Command{
		Name:      "shrink",
		Usage:     "search for a smaller controlled run that fails like RUN_DIR (fewer operations, workers, faults, PCT change points)",
		ArgsUsage: "RUN_DIR",
		Description: "RUN_DIR must hold an invalid controlled run (--schedule pct|random). Each reduction is tried over up\n" +
			"to --schedules schedules; the first that fails one of the original's failing checks is kept, until none\n" +
			"does or --budget passes. The smallest failing run is written as a new run directory under --out.\n" +
			"Exit code: 1 (the smallest run is invalid), 3 usage or input error.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: runner.DefaultOut, Usage: "directory of run directories for the smallest run"},
			&cli.IntFlag{Name: "schedules", Value: runner.DefaultShrinkSchedules, Usage: "schedules tried per candidate"},
			&cli.DurationFlag{Name: "budget", Value: runner.DefaultShrinkBudget, Usage: "time for the whole search (0: none, with --max-runs)"},
			&cli.IntFlag{Name: "max-runs", Usage: "candidate runs for the whole search (0: any); with --budget 0 the result does not depend on machine load"},
		},
		Action: shrinkAction,
	}
}

func shrinkAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageError{fmt.Errorf("shrink takes one RUN_DIR (flags first), got %q", c.Args().Slice())}
	}
	ctx, stop := interruptible(c.Context)
	defer stop()
	res, err := runner.Shrink(ctx, c.Args().First(), c.String("out"), runner.ShrinkOptions{
		Schedules: c.Int("schedules"), Budget: c.Duration("budget"), MaxRuns: c.Int("max-runs"), Progress: c.App.ErrWriter})
	if err != nil {
		if errors.Is(err, runner.ErrConfig) || errors.Is(err, runner.ErrRunInput) || errors.Is(err, runner.ErrRunDir) {
			return usageError{fmt.Errorf("shrink: %w", err)}
		}
		return cli.Exit(fmt.Sprintf("shrink: %v", err), exitUnknown)
	}
	w := c.App.Writer
	fmt.Fprintf(w, "original: %s (%s), failing %s\nsmallest: %s (%s), %d candidate runs\nrun directory: %s\nrerun: %s\n",
		res.Original, res.From, strings.Join(res.Failing, ", "), res.Outcome.Verdict, res.To, res.Tried, res.Dir, res.Rerun)
	return runVerdictExit(res.Outcome.Verdict)
}
