package warmtest

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
)

// Check runs cfg against s (Run) from a test and fails the test unless the
// verdict is valid, with the summary of each check that was not (for an
// invalid one, its counterexample). Without cfg.Dir the run directory is
// kept only when the test fails, and its path is in the message.
func Check(t testing.TB, s Store, cfg Config) *Result {
	t.Helper()
	keep := cfg.Dir == ""
	if keep {
		dir, err := os.MkdirTemp("", "warmtest-")
		if err != nil {
			t.Fatalf("warmtest: temporary run directory: %v", err)
		}
		cfg.Dir = dir
	}
	res, err := Run(t.Context(), s, cfg)
	if err != nil {
		if keep {
			os.RemoveAll(cfg.Dir)
		}
		t.Fatalf("warmtest: no verdict: %v", err)
		return nil
	}
	if res.Verdict == checker.Valid {
		if keep {
			os.RemoveAll(cfg.Dir)
			res.Dir = ""
		}
		return res
	}
	t.Fatal(res.Summary())
	return res
}

// explanationLines bounds how much of each explanation Summary shows; the
// whole of it is in the run directory's results.json and report.html.
const explanationLines = 30

// Summary is the verdict and, for every check that is not valid or not
// evaluated, its summary and explanation (the counterexample of an invalid
// one), then where the run directory is and how to repeat the run.
func (r *Result) Summary() string {
	var b strings.Builder
	rep := r.Report()
	fmt.Fprintf(&b, "warmtest: verdict %s (%s)\n", r.Verdict, rep.Reason)
	for _, c := range rep.Checks {
		if c.Verdict == checker.Valid || c.Verdict == checker.NotEvaluated {
			continue
		}
		fmt.Fprintf(&b, "%s: %s: %s\n", c.Name, c.Verdict, c.Summary)
		lines := strings.Split(strings.TrimRight(c.Explanation, "\n"), "\n")
		if len(lines) > explanationLines {
			lines = append(lines[:explanationLines], fmt.Sprintf("... (%d more lines)", len(lines)-explanationLines))
		}
		for _, l := range lines {
			if l != "" {
				fmt.Fprintf(&b, "    %s\n", l)
			}
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "problem: %s\n", p)
	}
	if r.Dir != "" {
		fmt.Fprintf(&b, "run directory: %s\n", r.Dir)
	}
	fmt.Fprintf(&b, "rerun: %s", r.Rerun)
	return b.String()
}
