package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/warmcheck/warmcheck/runner"
)

// replayCommand reruns a controlled run's schedule and says whether it
// reproduced the same history.
func replayCommand() *cli.Command {
	return &cli.Command{
		Name:      "replay",
		Usage:     "rerun a controlled run (--schedule pct|random) and check that it reproduces the same history",
		ArgsUsage: "RUN_DIR",
		Description: "Reruns the run in RUN_DIR with its recorded workload, seed, faults, bug and schedule into a new\n" +
			"run directory under --out, and compares the histories event by event (times aside).\n" +
			"Exit code: 0 the same events and verdict, 1 they differ (the first differing event is named),\n" +
			"3 usage or input error (a free --schedule os run cannot be replayed).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: runner.DefaultOut, Usage: "directory of run directories for the replay"},
		},
		Action: replayAction,
	}
}

func replayAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageError{fmt.Errorf("replay takes one RUN_DIR, got %q", c.Args().Slice())}
	}
	ctx, stop := interruptible(c.Context)
	defer stop()
	res, err := runner.Replay(ctx, c.Args().First(), c.String("out"))
	if err != nil {
		if errors.Is(err, runner.ErrConfig) || errors.Is(err, runner.ErrRunInput) || errors.Is(err, runner.ErrRunDir) {
			return usageError{fmt.Errorf("replay: %w", err)}
		}
		return cli.Exit(fmt.Sprintf("replay: %v", err), exitUnknown)
	}
	w := c.App.Writer
	fmt.Fprintf(w, "original: %s (%d events, verdict %s)\nreplay:   %s (%d events, verdict %s)\n",
		res.Original, res.Events, res.Verdict, res.Replay, res.ReplayEvents, res.ReplayVerdict)
	if res.Same {
		fmt.Fprintln(w, "reproduced: the same events, results and verdict")
		return nil
	}
	if res.FirstDiff >= 0 {
		fmt.Fprintf(w, "NOT reproduced: event %d differs\n  original: %s\n  replay:   %s\n", res.FirstDiff, orNone(res.Want), orNone(res.Got))
	} else {
		fmt.Fprintf(w, "NOT reproduced: the same events, but verdict %s became %s\n", res.Verdict, res.ReplayVerdict)
	}
	return cli.Exit("", exitInvalid)
}

func orNone(s string) string {
	if s == "" {
		return "(none: the history ended)"
	}
	return s
}
