package checker

import (
	"fmt"

	"github.com/warmcheck/warmcheck/history"
)

// unreported is the result of a check that needs data (history.ReportsPlacements,
// history.ReportsLayout) the store under test does not report: not
// evaluated, never valid by vacuity (zero placements would look like
// collisions, an absent layout like an empty store). ok is false when the
// store reports all of it.
func unreported(in *Input, needs ...string) (r Result, ok bool) {
	for _, what := range needs {
		if in.Header.Reports(what) {
			continue
		}
		return Result{Verdict: NotEvaluated, Details: map[string]any{"unreported": what},
			Summary: fmt.Sprintf("not evaluated: the store under test (%s) does not report %s", targetName(in.Header.Target), what)}, true
	}
	return Result{}, false
}

func targetName(t *history.Target) string {
	if t == nil {
		return "built-in"
	}
	return t.Kind + ":" + t.Name
}
