package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// smokeProfiles are run in go test at scale 0.01 with 2 runs; the full
// profiles are not part of go test (see `warmcheck bench`).
func smokeRun(t *testing.T, profile string, open opener) *Result {
	t.Helper()
	out := filepath.Join(plotDir(t), profile)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := Run(context.Background(), Config{Profile: profile, Runs: 2, Scale: 0.01, Seed: 7,
		WorkDir: t.TempDir(), OutDir: out, openStore: open})
	if err != nil {
		t.Fatalf("%s: %v", profile, err)
	}
	t.Logf("%s: %v", profile, time.Since(start))
	if _, err := os.Stat(filepath.Join(out, "bench.json")); err != nil {
		t.Errorf("%s: bench.json not written: %v", profile, err)
	}
	if _, err := LoadResult(filepath.Join(out, "bench.json")); err != nil {
		t.Errorf("%s: bench.json does not load back: %v", profile, err)
	}
	for _, p := range r.Plots {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("%s: plot %s listed but missing", profile, p)
		}
	}
	for _, c := range r.Checks {
		if c.Status != CheckPass {
			t.Errorf("%s: check %s run %d: %s: %s", profile, c.Name, c.Run, c.Status, c.Detail)
		}
	}
	return r
}

// TestHarnessOnRawBaseline drives every profile with the raw baseline in
// the store's place: it tests the harness (sizes, metrics, checks, files)
// independently of the store.
func TestHarnessOnRawBaseline(t *testing.T) {
	for _, p := range Profiles() {
		if p.Name == "concurrent-at-scale" {
			continue // needs the real store's concurrency
		}
		t.Run(p.Name, func(t *testing.T) {
			r := smokeRun(t, p.Name, openRaw)
			if len(r.Metrics) == 0 {
				t.Fatal("no metrics")
			}
			for name, m := range r.Metrics {
				if len(m.Samples) != 2 {
					t.Errorf("metric %s has %d samples, want 2 (one per run)", name, len(m.Samples))
				}
			}
		})
	}
}
