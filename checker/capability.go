package checker

import "fmt"

// Capabilities a check may need from the store under test, as the history
// header's target declares them (PROTOCOL.md, section 5).
const (
	capPlacements = "placements"
	capStats      = "stats"
)

// unreported is the result of a check whose data the history's target
// declared it does not report: not-evaluated, since a zero placement or
// statistic there is no observation (the header's target lacks one of
// caps); ok is false when every cap was declared.
func unreported(in *Input, caps ...string) (r Result, ok bool) {
	for _, c := range caps {
		if in.Header.Lacks(c) {
			return Result{Verdict: NotEvaluated, Details: map[string]any{"capability_not_declared": c},
				Summary: fmt.Sprintf("nothing to judge: the store under test (%s) does not report %s (capability %q)", in.Header.Target.Name, c, c)}, true
		}
	}
	return Result{}, false
}
