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
// 1: a target or a correctness check failed; 2: unknown (a check could
// not decide, or the profile could not finish: the store failed, or it was
// interrupted); 3: usage error (bad flag, unknown profile, unwritable --out).
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
			&cli.StringFlag{Name: "format", Value: "text", Usage: "stdout: text (tables, targets, checks, verdict) or benchstat (Go benchmark format lines for benchstat; the rest goes to stderr)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageError{fmt.Errorf("bench: unexpected argument %q", c.Args().First())}
			}
			if !c.IsSet("profile") {
				return usageError{fmt.Errorf("bench: --profile is required (warmcheck list profiles)")}
			}
			format := c.String("format")
			if format != "text" && format != "benchstat" {
				return usageError{fmt.Errorf("bench: --format %q: want text or benchstat", format)}
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
			if wd := c.String("work-dir"); wd != "" {
				if st, err := os.Stat(wd); err != nil || !st.IsDir() {
					return usageError{fmt.Errorf("bench: --work-dir %s: not a directory", wd)}
				}
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
			human := c.App.Writer
			if format == "benchstat" {
				human = c.App.ErrWriter
				if err := res.WriteBenchstat(c.App.Writer); err != nil {
					return err
				}
			}
			if err := res.WriteText(human); err != nil {
				return err
			}
			fmt.Fprintf(human, "results: %s\n", filepath.Join(out, "report.html"))
			return benchVerdictExit(res.Verdict())
		},
	}
}

// benchVerdictExit maps a bench verdict to its exit code: PASS 0, FAIL 1,
// UNKNOWN 2.
func benchVerdictExit(v bench.Verdict) error {
	switch v {
	case bench.Pass:
		return nil
	case bench.Fail:
		return cli.Exit("", exitInvalid)
	}
	return cli.Exit("", exitUnknown)
}
