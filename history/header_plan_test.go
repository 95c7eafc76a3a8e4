package history

import (
	"bytes"
	"path/filepath"
	"testing"
)

// TestHeaderCarriesThePlan: preload, duration and the operation timeout
// survive both readable forms, so the checks can compare a run with its plan.
func TestHeaderCarriesThePlan(t *testing.T) {
	h := testHeader
	h.Preload, h.DurationNanos, h.OpTimeoutNanos = 150, 3_000_000_000, 2_000_000_000

	path := filepath.Join(t.TempDir(), "h.wch")
	w, err := Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Preload != 150 || got.DurationNanos != 3_000_000_000 || got.OpTimeoutNanos != 2_000_000_000 {
		t.Fatalf("msgpack: read back preload %d, duration %d, op timeout %d", got.Preload, got.DurationNanos, got.OpTimeoutNanos)
	}

	var buf bytes.Buffer
	jw, err := NewJSONLWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := jw.Close(); err != nil {
		t.Fatal(err)
	}
	got, _, err = ReadAll(&buf, "h.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if got.Preload != 150 || got.DurationNanos != 3_000_000_000 || got.OpTimeoutNanos != 2_000_000_000 {
		t.Fatalf("jsonl: read back preload %d, duration %d, op timeout %d", got.Preload, got.DurationNanos, got.OpTimeoutNanos)
	}
}
