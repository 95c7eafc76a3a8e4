package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/warmcheck/warmcheck/bench"
)

// The profiles registry joins `warmcheck list` from here, so that list.go
// need not know about bench.
func init() { registries["profiles"] = listProfiles }

// listProfiles prints bench.Profiles(): name, tab, description and default
// runs.
func listProfiles(w io.Writer) error {
	for _, p := range bench.Profiles() {
		if err := listLine(w, p.Name, fmt.Sprintf("%s [default runs %d]", p.Description, p.DefaultRuns)); err != nil {
			return err
		}
	}
	return nil
}

// benchCommand runs a scale profile. Exit 0: every target and check passed;
// 1: a target or a correctness check failed; 2: the profile could not
// finish (the store failed), so nothing is known; 3: usage error.
func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "run a scale profile; results go to OUT/<profile>/<timestamp>/ (bench.json, report.html, plots)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "profile", Usage: "profile name (warmcheck list profiles); required"},
			&cli.IntFlag{Name: "runs", Usage: "repetitions (default: the profile's, 30 for the statistical ones)"},
			&cli.Float64Flag{Name: "scale", Value: 1, Usage: "multiply every size (targets about a stated size are only judged at 1)"},
			&cli.BoolFlag{Name: "full", Usage: "cliff: add the 1M scale"},
			&cli.StringFlag{Name: "out", Value: filepath.Join("runs", "bench"), Usage: "output root"},
			&cli.Int64Flag{Name: "seed", Value: 1, Usage: "seed of the generated memories"},
			&cli.StringFlag{Name: "work-dir", Usage: "where stores are created (default: the system temp dir)"},
			&cli.StringFlag{Name: "metrics-addr", Usage: "serve Prometheus metrics of the store the profile opened last at http://HOST:PORT/metrics while the bench runs (e.g. 127.0.0.1:9464)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageError{fmt.Errorf("bench: unexpected argument %q", c.Args().First())}
			}
			if !c.IsSet("profile") {
				return usageError{fmt.Errorf("bench: --profile is required (warmcheck list profiles)")}
			}
			p, err := bench.LookupProfile(c.String("profile"))
			if err != nil {
				return usageError{err}
			}
			if c.Int("runs") < 0 {
				return usageError{fmt.Errorf("bench: --runs %d must be at least 1", c.Int("runs"))}
			}
			if !(c.Float64("scale") > 0) {
				return usageError{fmt.Errorf("bench: --scale %v must be positive", c.Float64("scale"))}
			}
			out := filepath.Join(c.String("out"), p.Name, time.Now().UTC().Format("20060102T150405Z"))
			if err := os.MkdirAll(out, 0o755); err != nil {
				return usageError{fmt.Errorf("bench: --out: %w", err)}
			}
			logger := newLogger(c, "bench")
			opened, stopMetrics, err := benchMetrics(c.String("metrics-addr"))
			if err != nil {
				return err
			}
			defer stopMetrics()
			res, err := bench.Run(c.Context, bench.Config{
				Profile: p.Name, Runs: c.Int("runs"), Scale: c.Float64("scale"), Full: c.Bool("full"),
				Seed: c.Int64("seed"), WorkDir: c.String("work-dir"), OutDir: out, Logger: logger,
				StoreOpened: opened,
			})
			if errors.Is(err, bench.ErrBadParameter) || errors.Is(err, bench.ErrUnknownProfile) {
				return usageError{err}
			}
			if err != nil {
				return cli.Exit(fmt.Sprintf("bench: %v (no result: the profile could not finish)", err), exitUnknown)
			}
			if err := res.WriteText(c.App.Writer); err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "results: %s\n", filepath.Join(out, "report.html"))
			if !res.Passed() {
				return cli.Exit("", exitInvalid)
			}
			return nil
		},
	}
}
