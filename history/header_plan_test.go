package history

import "testing"

// TestHeaderCarriesThePlan: preload, duration and the operation timeout
// survive both readable forms, so the checks can compare a run with its plan.
func TestHeaderCarriesThePlan(t *testing.T) {
	h := testHeader
	h.Preload, h.DurationNanos, h.OpTimeoutNanos = 150, 3_000_000_000, 2_000_000_000
	for form, got := range readBackHeaders(t, h) {
		if got.Preload != 150 || got.DurationNanos != 3_000_000_000 || got.OpTimeoutNanos != 2_000_000_000 {
			t.Fatalf("%s: read back preload %d, duration %d, op timeout %d", form, got.Preload, got.DurationNanos, got.OpTimeoutNanos)
		}
	}
}
