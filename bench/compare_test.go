package bench

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func resultWith(profile string, metrics map[string]*Metric) *Result {
	r := &Result{Schema: ResultSchema, Profile: profile, Runs: 8, Scale: 1, Metrics: metrics}
	if err := r.summarize(); err != nil {
		panic(err)
	}
	return r
}

func scaled(xs []float64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * f
	}
	return out
}

var runsOf8 = []float64{100, 102, 98, 101, 99, 103, 97, 100.5}

func TestCompareDirectionAware(t *testing.T) {
	base := resultWith("perf-100k", map[string]*Metric{
		"get.p99":  {Unit: UnitNanos, Direction: LowerIsBetter, Samples: runsOf8},
		"put.rate": {Unit: UnitOpsSec, Direction: HigherIsBetter, Samples: runsOf8},
		"rss.anon": {Unit: UnitBytes, Direction: Informational, Samples: runsOf8},
		"iterate":  {Unit: UnitNanos, Direction: LowerIsBetter, Samples: runsOf8},
	})
	newer := resultWith("perf-100k", map[string]*Metric{
		"get.p99":  {Unit: UnitNanos, Direction: LowerIsBetter, Samples: scaled(runsOf8, 1.20)},   // slower: regression
		"put.rate": {Unit: UnitOpsSec, Direction: HigherIsBetter, Samples: scaled(runsOf8, 1.20)}, // faster: improvement
		"rss.anon": {Unit: UnitBytes, Direction: Informational, Samples: scaled(runsOf8, 1.20)},
		"iterate":  {Unit: UnitNanos, Direction: LowerIsBetter, Samples: scaled(runsOf8, 1.001)}, // noise
	})
	c, err := Compare(base, newer, CompareOptions{Threshold: 0.05, Alpha: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ChangeStatus{"get.p99": Regressed, "put.rate": Improved, "rss.anon": Changed, "iterate": NotSignificant}
	for _, ch := range c.Changes() {
		if ch.Status != want[ch.Metric] {
			t.Errorf("%s: status %s (change %.3f, p %.4f), want %s", ch.Metric, ch.Status, ch.Change, ch.P, want[ch.Metric])
		}
	}
	if r := c.Regressions(); len(r) != 1 || r[0].Metric != "get.p99" {
		t.Errorf("regressions = %+v, want only get.p99", r)
	}

	// The same 20% slowdown in a higher-is-better metric is a regression.
	slower := resultWith("perf-100k", map[string]*Metric{
		"put.rate": {Unit: UnitOpsSec, Direction: HigherIsBetter, Samples: scaled(runsOf8, 0.8)},
	})
	c, err = Compare(base, slower, CompareOptions{Threshold: 0.05, Alpha: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Regressions(); len(r) != 1 || r[0].Metric != "put.rate" {
		t.Errorf("regressions = %+v, want store.rate", r)
	}
	// Significant but below the threshold: not a regression.
	c, err = Compare(base, slower, CompareOptions{Threshold: 0.25, Alpha: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Regressions(); len(r) != 0 {
		t.Errorf("threshold 25%%: regressions = %+v, want none", r)
	}
}

func TestCompareTooFewRunsIsUnknown(t *testing.T) {
	base := resultWith("leak", map[string]*Metric{"x": {Unit: UnitNanos, Direction: LowerIsBetter, Samples: []float64{1, 2}}})
	newer := resultWith("leak", map[string]*Metric{"x": {Unit: UnitNanos, Direction: LowerIsBetter, Samples: []float64{10, 20}}})
	c, err := Compare(base, newer, CompareOptions{Threshold: 0.05, Alpha: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if ch := c.Changes()[0]; ch.Status != TooFewRuns || ch.Delta != "~" || len(ch.Notes) == 0 || c.Verdict() != CompareUnknown {
		t.Errorf("2 vs 2 runs: status %s, delta %q, notes %v, verdict %s; want too-few-runs, ~, benchstat's note, unknown", ch.Status, ch.Delta, ch.Notes, c.Verdict())
	}
	// 5 runs each can reach p = 0.0079 alone, but not after Holm over 10
	// metrics (0.079 > 0.05): a lone regression could not be found.
	bm, nm := map[string]*Metric{}, map[string]*Metric{}
	for i := 0; i < 10; i++ {
		name := fmt.Sprintf("m%d", i)
		bm[name] = &Metric{Unit: UnitNanos, Direction: LowerIsBetter, Samples: runsOf8[:5]}
		nm[name] = &Metric{Unit: UnitNanos, Direction: LowerIsBetter, Samples: scaled(runsOf8[:5], 1.001)}
	}
	for _, off := range []bool{false, true} {
		c, err = Compare(resultWith("leak", bm), resultWith("leak", nm), CompareOptions{Threshold: 0.05, Alpha: 0.05, NoCorrection: off})
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]CompareVerdict{false: CompareUnknown, true: NoRegression}[off]
		if c.Verdict() != want {
			t.Errorf("10 metrics of 5 runs, correction off %v: verdict %s, want %s", off, c.Verdict(), want)
		}
	}
}

// benchstat prints "~" whenever p > alpha, however large the change: a
// +100% median change at p = 0.1 is not significant, and the gate must
// not call it unchanged, regressed or improved. At p == alpha the
// difference is significant (benchstat's FormatDelta: "~" iff p > alpha;
// floating point makes p == alpha itself untestable).
func TestCompareTildeAtBenchstatsAlpha(t *testing.T) {
	base := resultWith("x", map[string]*Metric{"lat": {Unit: UnitNanos, Direction: LowerIsBetter, Samples: []float64{100, 101, 300}}})
	newer := resultWith("x", map[string]*Metric{"lat": {Unit: UnitNanos, Direction: LowerIsBetter, Samples: []float64{199, 202, 400}}})
	c, err := Compare(base, newer, CompareOptions{Threshold: 0.05, Alpha: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	ch := c.Changes()[0]
	if ch.P <= 0.05 || ch.Change < 0.9 || ch.Delta != "~" || ch.Test != fmt.Sprintf("p=%.3f n=3", ch.P) {
		t.Fatalf("p %.3f change %+.2f delta %q test %q: want p > 0.05, change ~ +100%%, delta ~, benchstat's test string", ch.P, ch.Change, ch.Delta, ch.Test)
	}
	// 4 vs 4 disjoint runs give exactly p = 2/C(8,4) = 1/35.
	base = resultWith("x", map[string]*Metric{"lat": {Unit: UnitNanos, Direction: LowerIsBetter, Samples: []float64{10, 11, 12, 13}}})
	newer = resultWith("x", map[string]*Metric{"lat": {Unit: UnitNanos, Direction: LowerIsBetter, Samples: []float64{20, 21, 22, 23}}})
	for _, tc := range []struct {
		alpha  float64
		delta  string
		status ChangeStatus
	}{{1.0/35 + 1e-12, "+86.96%", Regressed}, {1.0/35 - 1e-9, "~", TooFewRuns}} {
		c, err = Compare(base, newer, CompareOptions{Threshold: 0.05, Alpha: tc.alpha})
		if err != nil {
			t.Fatal(err)
		}
		if ch := c.Changes()[0]; ch.Delta != tc.delta || ch.Status != tc.status {
			t.Errorf("alpha %.6f, p %.6f: delta %q status %s, want %q %s", tc.alpha, ch.P, ch.Delta, ch.Status, tc.delta, tc.status)
		}
	}
}

// One table per unit; the geomean row is the geomean of the medians per
// column and of the per-metric ratios, as benchstat computes it.
func TestCompareGeomeanPerUnit(t *testing.T) {
	base := resultWith("x", map[string]*Metric{
		"a":    {Unit: UnitNanos, Direction: LowerIsBetter, Samples: runsOf8},
		"b":    {Unit: UnitNanos, Direction: LowerIsBetter, Samples: scaled(runsOf8, 4)},
		"rate": {Unit: UnitOpsSec, Direction: HigherIsBetter, Samples: runsOf8},
		"z":    {Unit: UnitCount, Direction: Informational, Samples: []float64{0, 0, 0, 0, 0, 0, 0, 0}},
		"z2":   {Unit: UnitCount, Direction: Informational, Samples: runsOf8},
	})
	newer := resultWith("x", map[string]*Metric{
		"a":    {Unit: UnitNanos, Direction: LowerIsBetter, Samples: scaled(runsOf8, 1.2)},
		"b":    {Unit: UnitNanos, Direction: LowerIsBetter, Samples: scaled(runsOf8, 4*0.9)},
		"rate": {Unit: UnitOpsSec, Direction: HigherIsBetter, Samples: runsOf8},
		"z":    {Unit: UnitCount, Direction: Informational, Samples: []float64{0, 0, 0, 0, 0, 0, 0, 0}},
		"z2":   {Unit: UnitCount, Direction: Informational, Samples: runsOf8},
	})
	c, err := Compare(base, newer, CompareOptions{Threshold: 0.05, Alpha: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	units := map[string]UnitTable{}
	for _, tb := range c.Tables {
		units[tb.Unit] = tb
	}
	if len(units) != 3 || units[UnitOpsSec].Geomean != nil {
		t.Fatalf("tables %+v: want ns, ops/s (one row: no geomean), count", c.Tables)
	}
	g := units[UnitNanos].Geomean
	med := median(runsOf8)
	near(t, "geomean ratio", g.Ratio, math.Sqrt(1.2*0.9), 1e-9)
	near(t, "geomean base", g.Base, med*2, 1e-9)
	if !g.HasRatio || !g.HasBase || !g.HasNew || len(g.Notes) != 0 {
		t.Errorf("ns geomean %+v", g)
	}
	// A zero median: 0/0 is ratio 1, but the column geomean is undefined.
	gc := units[UnitCount].Geomean
	if gc.HasBase || gc.HasNew || !gc.HasRatio || gc.Ratio != 1 || len(gc.Notes) != 1 {
		t.Errorf("count geomean with a zero median: %+v", gc)
	}
	var out strings.Builder
	if err := c.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"geomean", "+20.00%  (p=0.000 n=8)", "+3.92%", "summaries must be >0 to compute geomean", "REGRESSION: 1 metric(s) regressed: a"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "unchanged") {
		t.Errorf("text says unchanged:\n%s", out.String())
	}
}

func TestCompareRejectsMismatch(t *testing.T) {
	a := resultWith("leak", map[string]*Metric{"x": {Unit: UnitNanos, Direction: LowerIsBetter, Samples: runsOf8}})
	b := resultWith("cliff", map[string]*Metric{"x": {Unit: UnitNanos, Direction: LowerIsBetter, Samples: runsOf8}})
	if _, err := Compare(a, b, CompareOptions{Threshold: 0.05, Alpha: 0.05}); !errors.Is(err, ErrMismatch) {
		t.Errorf("different profiles: err %v, want ErrMismatch", err)
	}
	scaledUp := resultWith("leak", map[string]*Metric{"x": {Unit: UnitNanos, Direction: LowerIsBetter, Samples: runsOf8}})
	scaledUp.Scale = 2
	if _, err := Compare(a, scaledUp, CompareOptions{Threshold: 0.05, Alpha: 0.05}); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "--scale") {
		t.Errorf("different scales: err %v, want ErrMismatch naming --scale", err)
	}
	c := resultWith("leak", map[string]*Metric{"x": {Unit: UnitNanos, Direction: HigherIsBetter, Samples: runsOf8}})
	if _, err := Compare(a, c, CompareOptions{Threshold: 0.05, Alpha: 0.05}); !errors.Is(err, ErrMismatch) {
		t.Errorf("different directions: err %v, want ErrMismatch", err)
	}
	if _, err := Compare(a, a, CompareOptions{Threshold: 0.05, Alpha: 1.5}); !errors.Is(err, ErrBadParameter) {
		t.Errorf("alpha 1.5: err %v, want ErrBadParameter", err)
	}
}

func TestResultRoundTripAndBadFiles(t *testing.T) {
	dir := t.TempDir()
	r := resultWith("perf-100k", map[string]*Metric{"get.p99": {Unit: UnitNanos, Direction: LowerIsBetter, Samples: []float64{1, 2, 3}}})
	path := filepath.Join(dir, "bench.json")
	if err := r.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadResult(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Metrics["get.p99"].Summary.Median.Value != 2 {
		t.Errorf("round trip lost the summary: %+v", got.Metrics["get.p99"].Summary)
	}
	// p99.9 of 3 runs is unbounded: saved as null, not as an invalid Inf.
	if got.Metrics["get.p99"].Summary.P999.Hi != nil {
		t.Errorf("unbounded CI came back bounded")
	}

	cases := map[string]string{
		`{"schema": 1, "profile": "x", "metrics": {"m": {"direction": "lower", "samples": "oops"}}}`: `field "metrics.samples" at byte offset 87`,
		`{"schema": 1, "profile": "x", "metrics": {"m": {"direction": "sideways", "samples": [1]}}}`: "metrics.m.direction",
		`{"schema": 1, "profile": "x", "metrics": {"m": {"direction": "lower", "samples": []}}}`:     "metrics.m.samples is empty",
		`{"schema": 2, "profile": "x"}`:  `"schema" is 2`,
		`{"schema": 1, "profile": "x", `: "invalid JSON at byte offset",
		`{"schema": 1, "profile": ""}`:   `"profile" is empty`,
	}
	for body, want := range cases {
		p := filepath.Join(dir, "bad.json")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadResult(p)
		if !errors.Is(err, ErrBadResult) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err %v, want ErrBadResult naming %s and %q", body, err, p, want)
		}
	}
}

func TestJudgeTargets(t *testing.T) {
	r := resultWith("perf-100k", map[string]*Metric{
		"get.p99":      {Unit: UnitNanos, Direction: LowerIsBetter, Samples: []float64{5e3, 6e3, 5.5e3}},
		"put.rate":     {Unit: UnitOpsSec, Direction: HigherIsBetter, Samples: []float64{4000, 4100, 3900}},
		"iterate.time": {Unit: UnitNanos, Direction: LowerIsBetter, Samples: []float64{1e8, 1e8, 1e8}},
	})
	r.Scale = 0.5
	status := map[string]TargetStatus{}
	for _, o := range judgeTargets(r) {
		status[o.Source+":"+o.Name] = o.Status
	}
	want := map[string]TargetStatus{
		"review:get p99 < 1 ms":              TargetPass,
		"ours:get p99 <= 10 us":              TargetPass,
		"review:store rate > 5,000/s":        TargetFail,
		"review:100K iteration < 2 s":        TargetNotEvaluated, // size-bound, scale 0.5
		"review:RSS growth < 500 MB at 100K": TargetNotEvaluated, // not measured
	}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("%s: %s, want %s", k, status[k], v)
		}
	}
	r.Targets = judgeTargets(r)
	if r.Verdict() != Fail {
		t.Errorf("verdict %s with a failing target", r.Verdict())
	}
	// Nothing failed but a check could not decide: unknown, not pass.
	r.Targets = nil
	r.Checks = []CheckOutcome{{Name: "a", Status: CheckPass}, {Name: "b", Status: CheckUnknown}, {Name: "c", Status: CheckNotEvaluated}}
	if r.Verdict() != Unknown {
		t.Errorf("verdict %s with an unknown check, want UNKNOWN", r.Verdict())
	}
	r.Checks = r.Checks[:1]
	if r.Verdict() != Pass {
		t.Errorf("verdict %s with one passing check, want PASS", r.Verdict())
	}
}

// Thirty metrics of an unchanged store, each with its own noise, compared
// with no threshold so that only significance decides: uncorrected, about
// 30 * 0.025 metrics per comparison "regress" by chance; Holm-Bonferroni
// keeps the family-wise error at alpha, and a real 20% regression still
// shows.
func TestCompareHolmKeepsFamilyWiseError(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	noisy := func(n int, scale float64) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = scale * (100 + 8*rng.NormFloat64())
		}
		return xs
	}
	const trials = 20
	alarms := map[bool]int{}
	for trial := 0; trial < trials; trial++ {
		base, newer := map[string]*Metric{}, map[string]*Metric{}
		for m := 0; m < 30; m++ {
			name := fmt.Sprintf("m%02d", m)
			base[name] = &Metric{Unit: UnitNanos, Direction: LowerIsBetter, Samples: noisy(30, 1)}
			newer[name] = &Metric{Unit: UnitNanos, Direction: LowerIsBetter, Samples: noisy(30, 1)}
		}
		base["slow"] = &Metric{Unit: UnitNanos, Direction: LowerIsBetter, Samples: noisy(30, 1)}
		newer["slow"] = &Metric{Unit: UnitNanos, Direction: LowerIsBetter, Samples: noisy(30, 1.2)}
		b, n := resultWith("perf-100k", base), resultWith("perf-100k", newer)
		for _, off := range []bool{false, true} {
			c, err := Compare(b, n, CompareOptions{Threshold: 0, Alpha: 0.05, NoCorrection: off})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, r := range c.Regressions() {
				if r.Metric == "slow" {
					found = true
				} else {
					alarms[off]++
				}
			}
			if !found {
				t.Errorf("trial %d (correction off: %v): the 20%% regression was missed", trial, off)
			}
		}
	}
	t.Logf("false regressions in %d comparisons: %d with Holm, %d uncorrected", trials, alarms[false], alarms[true])
	if alarms[false] > 2 {
		t.Errorf("%d false regressions with Holm in %d comparisons; want <= 2 (alpha 0.05 family-wise)", alarms[false], trials)
	}
	if alarms[true] < 5 {
		t.Errorf("only %d uncorrected false regressions: the null samples are not noisy enough to test the correction", alarms[true])
	}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return Quantile(s, 0.5)
}
