package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/warmcheck/warmcheck/bench"
)

// compareCommand compares two bench.json files metric by metric as
// benchstat does. Exit 0: no regression, and every directional metric had
// runs enough to show one; 1: at least one regression; 2: unknown (too
// few runs to detect a regression in some metric); 3: bad input, or
// results of different profiles or --scale.
func compareCommand() *cli.Command {
	return &cli.Command{
		Name:      "compare",
		Usage:     "compare two bench results as benchstat does (medians, Mann-Whitney U, ~ where not significant, geomean); exit 1 on a regression, 2 when runs are too few to tell",
		ArgsUsage: "BASE.json NEW.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "threshold", Value: "5%", Usage: "smallest relative change in the bad direction that counts as a regression (e.g. 5% or 0.05)"},
			&cli.Float64Flag{Name: "alpha", Value: 0.05, Usage: "significance level: p > alpha prints ~ (benchstat's -alpha)"},
			&cli.BoolFlag{Name: "no-correction", Usage: "compare each metric's own p-value with alpha (default: Holm-Bonferroni over the metrics)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return usageError{fmt.Errorf("compare: want BASE.json NEW.json, got %d argument(s)", c.NArg())}
			}
			threshold, err := parseFraction(c.String("threshold"))
			if err != nil {
				return usageError{fmt.Errorf("compare: --threshold: %w", err)}
			}
			base, err := bench.LoadResult(c.Args().Get(0))
			if err != nil {
				return usageError{err}
			}
			newer, err := bench.LoadResult(c.Args().Get(1))
			if err != nil {
				return usageError{err}
			}
			cmp, err := bench.Compare(base, newer, bench.CompareOptions{Threshold: threshold, Alpha: c.Float64("alpha"), NoCorrection: c.Bool("no-correction")})
			if err != nil {
				return usageError{err}
			}
			if err := cmp.WriteText(c.App.Writer); err != nil {
				return err
			}
			switch cmp.Verdict() {
			case bench.Regression:
				return cli.Exit("", exitInvalid)
			case bench.CompareUnknown:
				return cli.Exit("", exitUnknown)
			}
			return nil
		},
	}
}

// parseFraction reads "5%" as 0.05 and "0.05" as 0.05.
func parseFraction(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number or percentage", s)
	}
	if pct {
		v /= 100
	}
	if v < 0 {
		return 0, errors.New("must not be negative")
	}
	return v, nil
}
