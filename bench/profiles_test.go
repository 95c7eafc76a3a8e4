package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/store"
)

// smokeProfiles are run in go test at scale 0.01 with 2 runs; the full
// profiles are not part of go test (see `warmcheck bench`).
func smokeRun(t *testing.T, profile string, open opener) *Result {
	t.Helper()
	scale := 0.01
	if profile == "extreme-1m" || profile == "cliff" {
		scale = 0.002 // 2K memories; cliff: 10, 20, 100, 200, 400
	}
	out := filepath.Join(plotDir(t), profile)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := Run(context.Background(), Config{Profile: profile, Runs: 2, Scale: scale, Seed: 7,
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
		// A history check with nothing to judge (no crash for durability) is
		// not-evaluated; the overall-verdict check still fails a run that
		// judged nothing.
		if c.Status != CheckPass && c.Status != CheckNotEvaluated {
			t.Errorf("%s: check %s run %d: %s: %s", profile, c.Name, c.Run, c.Status, c.Detail)
		}
	}
	return r
}

// TestSmokeEveryProfileOnTheStore runs every profile on the real store at
// scale 0.01 with 2 runs: every correctness check must pass, every metric
// must have one sample per run, and the files must be written.
func TestSmokeEveryProfileOnTheStore(t *testing.T) {
	for _, p := range Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			r := smokeRun(t, p.Name, nil)
			if len(r.Checks) == 0 {
				t.Error("no correctness check recorded")
			}
			if _, ok := r.Metrics["raw."+firstMetric(r)]; !ok && p.Name != "concurrent-at-scale" {
				t.Errorf("no raw-baseline counterpart of %s", firstMetric(r))
			}
		})
	}
}

// firstMetric is the alphabetically first store (non-raw, non-ratio) metric.
func firstMetric(r *Result) string {
	for _, n := range r.MetricNames() {
		if !strings.HasPrefix(n, "raw.") && !strings.Contains(n, "_vs_raw") {
			return n
		}
	}
	return ""
}

func TestRunRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	if _, err := Run(ctx, Config{Profile: "nope"}); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("unknown profile: err %v", err)
	}
	if _, err := Run(ctx, Config{Profile: "leak", Runs: -1}); !errors.Is(err, ErrBadParameter) {
		t.Errorf("runs -1: err %v", err)
	}
	if _, err := Run(ctx, Config{Profile: "leak", Scale: -2}); !errors.Is(err, ErrBadParameter) {
		t.Errorf("scale -2: err %v", err)
	}
}

// A store that loses data must fail the fragmentation profile's
// verify-every-byte check: the check can fail.
func TestFragmentationCatchesCorruption(t *testing.T) {
	r, err := Run(context.Background(), Config{Profile: "fragmentation", Runs: 1, Scale: 0.01, Seed: 3,
		WorkDir: t.TempDir(), openStore: func(dir string) (subject, error) {
			s, err := openRaw(dir)
			return &flippingSubject{subject: s}, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, c := range r.Checks {
		if c.Status == CheckFail && strings.HasPrefix(c.Name, "store:") {
			failed++
		}
	}
	if failed == 0 || r.Verdict() != Fail {
		t.Errorf("a store that flips a byte after compaction passed: %+v", r.Checks)
	}
}

// flippingSubject corrupts one byte of the content of every Get after a
// compaction, like a compaction that copies the wrong range.
type flippingSubject struct {
	subject
	compacted bool
}

func (f *flippingSubject) Compact() (compaction, error) {
	f.compacted = true
	return f.subject.Compact()
}

func (f *flippingSubject) Get(id string) (store.Memory, bool, error) {
	m, ok, err := f.subject.Get(id)
	if f.compacted && len(m.Content) > 5 {
		m.Content[5] ^= 0xff
	}
	return m, ok, err
}
