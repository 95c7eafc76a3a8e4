package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/urfave/cli/v2"
	"github.com/warmcheck/warmcheck/bench"
)

func writeBench(t *testing.T, dir, name string, p99s []float64) string {
	t.Helper()
	return writeBenchAt(t, dir, name, 1, p99s)
}

func writeBenchAt(t *testing.T, dir, name string, scale float64, p99s []float64) string {
	t.Helper()
	r := &bench.Result{Schema: bench.ResultSchema, Profile: "perf-100k", Runs: len(p99s), Scale: scale,
		Metrics: map[string]*bench.Metric{"get.p99": {Unit: bench.UnitNanos, Direction: bench.LowerIsBetter, Samples: p99s}}}
	path := filepath.Join(dir, name)
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompareExitCodes(t *testing.T) {
	dir := t.TempDir()
	base := writeBench(t, dir, "base.json", []float64{100, 102, 98, 101, 99, 103, 97, 100})
	same := writeBench(t, dir, "same.json", []float64{101, 99, 100, 102, 98, 100, 103, 97})
	slow := writeBench(t, dir, "slow.json", []float64{120, 122, 118, 121, 119, 123, 117, 120})
	halfScale := writeBenchAt(t, dir, "half.json", 0.5, []float64{100, 102, 98, 101, 99, 103, 97, 100})
	twoRuns := writeBench(t, dir, "two.json", []float64{100, 102})
	twoRunsSlow := writeBench(t, dir, "two-slow.json", []float64{200, 204})
	garbage := filepath.Join(dir, "garbage.json")
	if err := os.WriteFile(garbage, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"no regression", []string{base, same}, exitValid},
		{"20% slower", []string{base, slow}, exitInvalid},
		{"20% slower under a 25% threshold", []string{"--threshold", "25%", base, slow}, exitValid},
		{"faster is not a regression", []string{slow, base}, exitValid},
		{"2 vs 2 runs cannot show a regression", []string{twoRuns, twoRunsSlow}, exitUnknown},
		{"different --scale is refused", []string{base, halfScale}, exitUsage},
		{"one argument", []string{base}, exitUsage},
		{"missing file", []string{base, filepath.Join(dir, "nope.json")}, exitUsage},
		{"corrupt file", []string{base, garbage}, exitUsage},
		{"bad threshold", []string{"--threshold", "lots", base, slow}, exitUsage},
		{"bad alpha", []string{"--alpha", "2", base, slow}, exitUsage},
	}
	for _, c := range cases {
		args := append([]string{"warmcheck", "compare"}, c.args...)
		if got := runApp(args); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
	}
}

func TestBenchUsageErrors(t *testing.T) {
	out := t.TempDir()
	cases := [][]string{
		{"bench"}, // --profile is required
		{"bench", "--profile", "nope", "--out", out}, // unknown profile
		{"bench", "--profile", "leak", "--scale", "-1", "--out", out},
		{"bench", "--profile", "leak", "--runs", "-3", "--out", out},
		{"bench", "--profile", "leak", "--out", out, "extra"},
		{"bench", "--profile", "leak", "--format", "xml", "--out", out},
		{"bench", "--profile", "leak", "--work-dir", filepath.Join(out, "missing"), "--out", out},
	}
	for _, args := range cases {
		if got := runApp(append([]string{"warmcheck"}, args...)); got != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, got, exitUsage)
		}
	}
}

// The README's bench table: PASS 0, FAIL 1, UNKNOWN 2 (usage errors: 3,
// above).
func TestBenchVerdictExitCodes(t *testing.T) {
	for v, want := range map[bench.Verdict]int{bench.Pass: exitValid, bench.Fail: exitInvalid, bench.Unknown: exitUnknown} {
		got := exitValid
		if err := benchVerdictExit(v); err != nil {
			var coder cli.ExitCoder
			if !errors.As(err, &coder) {
				t.Fatalf("%s: %v is not an exit code", v, err)
			}
			got = coder.ExitCode()
		}
		if got != want {
			t.Errorf("%s: exit %d, want %d", v, got, want)
		}
	}
}

func TestListProfiles(t *testing.T) {
	if got := runApp([]string{"warmcheck", "list", "profiles"}); got != exitValid {
		t.Errorf("list profiles: exit %d", got)
	}
}

// A tiny bench end to end: exit 0 or 1 (targets are judged, never a usage
// or could-not-finish code), and bench.json + report.html under
// OUT/<profile>/<timestamp>/.
func TestBenchEndToEndTiny(t *testing.T) {
	out := t.TempDir()
	code := runApp([]string{"warmcheck", "bench", "-q", "--profile", "leak", "--runs", "1", "--scale", "0.01",
		"--out", out, "--work-dir", t.TempDir()})
	if code != exitValid && code != exitInvalid {
		t.Fatalf("exit %d, want 0 or 1", code)
	}
	runs, err := filepath.Glob(filepath.Join(out, "leak", "*", "bench.json"))
	if err != nil || len(runs) != 1 {
		t.Fatalf("bench.json: %v %v", runs, err)
	}
	for _, f := range []string{"report.html", bench.BenchstatFile} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(runs[0]), f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := bench.LoadResult(runs[0]); err != nil {
		t.Error(err)
	}
}
