package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/warmcheck/warmcheck/bench"
)

// compareCommand compares two bench.json files metric by metric with the
// Mann-Whitney U test. Exit 0: no significant regression beyond the
// threshold; 1: at least one; 3: bad input.
func compareCommand() *cli.Command {
	return &cli.Command{
		Name:      "compare",
		Usage:     "compare two bench results (Mann-Whitney U per metric); exit 1 on a significant regression",
		ArgsUsage: "BASE.json NEW.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "threshold", Value: "5%", Usage: "smallest relative change in the bad direction that counts as a regression (e.g. 5% or 0.05)"},
			&cli.Float64Flag{Name: "alpha", Value: 0.05, Usage: "family-wise significance level"},
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
			if len(cmp.Regressions()) > 0 {
				return cli.Exit("", exitInvalid)
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
