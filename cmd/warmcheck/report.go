package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/internal/humanfmt"
)

// printReport writes the human form of a checker report, the one that run
// and analyze share: one aligned line per check, the first violation's
// explanation (the counterexample), then the operation counts.
func printReport(w io.Writer, r *checker.Report) {
	width := 0
	for _, ch := range r.Checks {
		width = max(width, len(ch.Name))
	}
	for _, ch := range r.Checks {
		fmt.Fprintf(w, "  %-*s  %-13s  %s\n", width, ch.Name, ch.Verdict, ch.Summary)
	}
	printFirstViolation(w, r.Checks)
	printOperations(w, r.Operations)
}

// printFirstViolation writes the explanation, witness events and artifacts
// of the first invalid check, if any.
func printFirstViolation(w io.Writer, checks []checker.Result) {
	for _, ch := range checks {
		if ch.Verdict != checker.Invalid || ch.Explanation == "" {
			continue
		}
		fmt.Fprintf(w, "\n  %s: first violation:\n", ch.Name)
		for _, line := range strings.Split(strings.TrimRight(ch.Explanation, "\n"), "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
		if len(ch.Witness) > 0 {
			fmt.Fprintf(w, "    witness events: %s\n", humanfmt.List(ch.Witness))
		}
		for _, art := range ch.Artifacts {
			fmt.Fprintf(w, "    artifact: %s\n", art)
		}
		return
	}
}

// printOperations writes the operation counts over all op kinds.
func printOperations(w io.Writer, ops map[string]map[string]int) {
	all := ops["all"]
	if all == nil {
		return
	}
	names := make([]string, 0, len(ops))
	for op := range ops {
		if op != "all" {
			names = append(names, op)
		}
	}
	sort.Strings(names)
	fmt.Fprintf(w, "  operations: %d invoked, %d ok, %d fail, %d info, %d pending (%s)\n",
		all["invoke"], all["ok"], all["fail"], all["info"], all["pending"], strings.Join(names, ", "))
}
