package register

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// testResult is the engine's verdict on a whole history, composed as the
// checker's linearizable check composes it: invalid if any partition is
// (the witness of the one whose witness ends first), else unknown if any
// is, else valid.
type testResult struct {
	Verdict      Verdict
	Summary      string
	Explanation  string
	Witness      []uint64
	Details      map[string]any
	ElapsedNanos int64
}

func testConfig() Config {
	return Config{PartitionTimeout: 10 * time.Second, HeapLimitBytes: 2 << 30, MinimizeBudget: 5 * time.Second}
}

// viewForTest pairs events (pairForTest) and builds their register view.
func viewForTest(t testing.TB, events []history.Event) *View {
	t.Helper()
	x, err := pairForTest(events)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewView(events, x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// runCheck builds events' register view (viewForTest) and checks it under
// cfg.
func runCheck(t testing.TB, ctx context.Context, events []history.Event, cfg Config) testResult {
	t.Helper()
	start := time.Now()
	v := viewForTest(t, events)
	outcomes := Check(ctx, events, v, cfg)
	r := testResult{Verdict: Valid, Details: map[string]any{}}
	counts := map[Decision]int{}
	var steps, cuts int64
	var invalid []*Outcome
	for _, o := range outcomes {
		counts[o.Decision()]++
		steps += o.Steps()
		cuts += o.DoomedSteps()
		switch o.Verdict() {
		case Invalid:
			invalid = append(invalid, o)
		case Unknown:
			if r.Verdict == Valid {
				r.Verdict, r.Summary = Unknown, o.Name()+": "+o.Reason()
			}
		}
	}
	r.Details["decided_by_zones"] = counts[ByZones]
	r.Details["decided_by_order"] = counts[ByOrder]
	r.Details["decided_by_search"] = counts[BySearch]
	r.Details["search_steps"] = steps
	r.Details["search_doomed_steps"] = cuts
	if len(invalid) > 0 {
		sort.SliceStable(invalid, func(a, b int) bool { return invalid[a].Last() < invalid[b].Last() })
		r.Verdict, r.Summary = Invalid, invalid[0].Name()+" not linearizable"
		r.Witness, r.Explanation = invalid[0].Witness(), invalid[0].Explanation()
	}
	if len(outcomes) == 0 {
		r.Verdict, r.Summary = Unknown, "nothing to judge"
	}
	if r.Summary == "" {
		r.Summary = fmt.Sprintf("%d partitions linearizable", len(outcomes))
	}
	r.ElapsedNanos = time.Since(start).Nanoseconds()
	return r
}

// plainPorcupine is the baseline the issue compares against: porcupine on
// every partition (per crash epoch), no pruning, info ops at infinity.
func plainPorcupine(ctx context.Context, events []history.Event, timeout time.Duration, heapLimit uint64) (Verdict, string) {
	h, err := extractRegister(events)
	if err != nil {
		return Unknown, err.Error()
	}
	verdict := Valid
	reason := ""
	for _, p := range h.partitions {
		if !p.initialKnown {
			return Unknown, "initial state unknown"
		}
		sv := porcupineSearch(ctx, p.initial, p.ops, timeout, heapLimit, 0, false)
		switch sv.verdict {
		case Invalid:
			return Invalid, ""
		case Unknown:
			verdict, reason = Unknown, sv.reason
		}
	}
	return verdict, reason
}
