package checker

import (
	"fmt"
	"testing"

	"github.com/warmcheck/warmcheck/checker/internal/synth"
)

// TestLinearizableHotKeyWithRemovesDecides is a small, deterministic stand-in
// for the hot-key scale target (TestLinearScaleHot1, WARMCHECK_LONG=1): one
// memory hammered by 20 workers in the hot-spot mix with removes. The check
// must decide valid, and the search must stay near linear: it counts steps,
// not time, so machine load cannot make it flaky. Without the doom cuts
// (checker/internal/register/doom.go) these histories took hundreds of steps per operation.
func TestLinearizableHotKeyWithRemovesDecides(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		events := synth.Generate(hotMix(seed, 20, 1, 3_000))
		r := runLinear(t, testCheck(), events)
		ops := r.Details["register_ops"].(int64)
		steps := r.Details["search_steps"].(int64)
		t.Logf("seed %d: %s, %d ops, %d search steps, %v refused as doomed", seed, r.Verdict, ops, steps, r.Details["search_doomed_steps"])
		if r.Verdict != Valid {
			t.Fatalf("seed %d: %s: %s", seed, r.Verdict, r.Summary)
		}
		if steps > 10*ops {
			t.Fatalf("seed %d: %d search steps for %d operations: %s", seed, steps, ops, fmt.Sprint(r.Details))
		}
	}
}
