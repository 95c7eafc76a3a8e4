package bench

import (
	"errors"
	"math"
	"strings"
	"testing"

	mstats "github.com/aclements/go-moremath/stats"
	"golang.org/x/perf/benchmath"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g (+-%g)", what, got, want, tol)
	}
}

// uTest runs the test compare runs (benchstat's: benchmath.AssumeNothing,
// the two-sided Mann-Whitney U test of go-moremath).
func uTest(a, b []float64) benchmath.Comparison {
	th := &benchmath.Thresholds{CompareAlpha: 0.05}
	return benchmath.AssumeNothing.Compare(benchmath.NewSample(append([]float64(nil), a...), th), benchmath.NewSample(append([]float64(nil), b...), th))
}

// R's ?wilcox.test example (Hollander & Wolfe 1973, p. 69, depression
// scale): wilcox.test(x, y, alternative = "g") prints W = 35,
// p-value = 0.1272; the two-sided p is twice the one-sided one, 0.2544.
func TestUTestRWilcoxExample(t *testing.T) {
	x := []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	y := []float64{1.15, 0.88, 0.90, 0.74, 1.21}
	r := uTest(x, y)
	near(t, "p (two-sided)", r.P, 2*0.1272, 0.0005)
	if r.N1 != 10 || r.N2 != 5 || r.String() != "p=0.254 n=10+5" {
		t.Errorf("comparison %q (n %d+%d), want benchstat's \"p=0.254 n=10+5\"", r.String(), r.N1, r.N2)
	}
}

// SciPy's scipy.stats.mannwhitneyu documentation example (Conover,
// Practical Nonparametric Statistics): males vs females, U1 = 17, exact
// two-sided p = 0.1111.
func TestUTestSciPyExample(t *testing.T) {
	males := []float64{19, 22, 16, 29, 24}
	females := []float64{20, 11, 17, 12}
	near(t, "p", uTest(males, females).P, 0.1111, 0.0001)
}

// Above the exact limit the library uses the normal approximation with
// continuity correction; check it against the textbook formula:
// z = (|U - n1 n2/2| - 1/2) / sqrt(n1 n2 (n1+n2+1)/12), p = 2(1 - Phi(z)).
func TestUTestNormalApproximation(t *testing.T) {
	var a, b []float64
	for i := 0; i < 60; i++ {
		a = append(a, float64(2*i))     // evens 0..118
		b = append(b, float64(2*i+1)+6) // odds shifted up
	}
	u := 0.0 // pairs with a > b
	for _, x := range a {
		for _, y := range b {
			if x > y {
				u++
			}
		}
	}
	n1, n2 := 60.0, 60.0
	z := (math.Abs(u-n1*n2/2) - 0.5) / math.Sqrt(n1*n2*(n1+n2+1)/12)
	r := uTest(a, b)
	near(t, "p", r.P, math.Erfc(z/math.Sqrt2), 1e-9)
	if r.P > 0.6 || r.P < 0.1 {
		t.Errorf("p = %v: a shift of 3 ranks in 120 should not be significant", r.P)
	}
}

func TestUTestDetectsShiftAndEqualSamples(t *testing.T) {
	base := []float64{10, 11, 12, 10.5, 11.5, 10.2, 11.1, 10.9}
	slow := []float64{15, 16, 15.5, 14.8, 16.2, 15.1, 15.9, 15.3}
	r := uTest(base, slow)
	near(t, "p", r.P, 2.0/12870, 1e-9) // exact: 2/C(16,8)
	near(t, "minP(8, 8)", minP(8, 8), 2.0/12870, 1e-12)
	if d := r.FormatDelta(11, 15.4); d != "+40.00%" {
		t.Errorf("delta %q, want +40.00%%", d)
	}
	same := uTest([]float64{3, 3, 3}, []float64{3, 3})
	if same.P != 1 || len(same.Warnings) != 1 || same.FormatDelta(3, 3) != "~" {
		t.Errorf("all-equal samples: p = %v, warnings %v; want p = 1, one warning, ~", same.P, same.Warnings)
	}
}

// Anscombe's quartet, set I (Anscombe 1973): y = 3.0001 + 0.5001 x,
// SE(slope) = 0.1179, R^2 = 0.6665; 95% CI of the slope with t(9) = 2.2622.
func TestFitLineAnscombe(t *testing.T) {
	x := []float64{10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5}
	y := []float64{8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68}
	f, err := FitLine(x, y, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "slope", f.Slope, 0.5001, 0.0001)
	near(t, "intercept", f.Intercept, 3.0001, 0.0001)
	near(t, "SE(slope)", f.SlopeSE, 0.1179, 0.0001)
	near(t, "R2", f.R2, 0.6665, 0.0001)
	near(t, "slope lo", f.SlopeLo, 0.5001-2.2622*0.1179, 0.0005)
	near(t, "slope hi", f.SlopeHi, 0.5001+2.2622*0.1179, 0.0005)
}

func TestFitLineExactAndBadInput(t *testing.T) {
	f, err := FitLine([]float64{1, 2, 3, 4, 5}, []float64{3, 5, 7, 9, 11}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "slope", f.Slope, 2, 1e-12)
	near(t, "intercept", f.Intercept, 1, 1e-12)
	near(t, "CI width", f.SlopeHi-f.SlopeLo, 0, 1e-9)
	if _, err := FitLine([]float64{1, 2}, []float64{1, 2}, 0.95); !errors.Is(err, ErrEmptySample) {
		t.Errorf("2 points: err %v, want ErrEmptySample", err)
	}
	if _, err := FitLine([]float64{1, 1, 1}, []float64{1, 2, 3}, 0.95); !errors.Is(err, ErrBadSample) {
		t.Errorf("equal x: err %v, want ErrBadSample", err)
	}
}

// Mean t-interval by hand: {1..5}: mean 3, s = 1.5811, t(4, .975) =
// 2.776445, half-width 1.96321. Median 95% order-statistic interval for
// n = 30 is (x(10), x(21)) by the binomial table (actual level 95.7%).
func TestSummarize(t *testing.T) {
	s, err := Summarize([]float64{5, 1, 4, 2, 3}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "mean", s.Mean.Value, 3, 1e-12)
	near(t, "mean lo", *s.Mean.Lo, 3-1.96321, 1e-4)
	near(t, "mean hi", *s.Mean.Hi, 3+1.96321, 1e-4)
	near(t, "stddev", s.StdDev, 1.58114, 1e-4)
	near(t, "median", s.Median.Value, 3, 1e-12)
	near(t, "max", s.Max, 5, 0)
	if s.P999.Hi != nil {
		t.Errorf("p99.9 of 5 values has upper bound %v, want unbounded", *s.P999.Hi)
	}

	var xs []float64
	for i := 30; i >= 1; i-- {
		xs = append(xs, float64(i))
	}
	s, err = Summarize(xs, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "median", s.Median.Value, 15.5, 1e-12)
	if s.Median.Lo == nil || s.Median.Hi == nil {
		t.Fatal("median CI of 30 values unbounded")
	}
	near(t, "median lo", *s.Median.Lo, 10, 0)
	near(t, "median hi", *s.Median.Hi, 21, 0)

	if _, err := Summarize(nil, 0.95); !errors.Is(err, ErrEmptySample) {
		t.Errorf("empty: err %v", err)
	}
	if _, err := Summarize([]float64{1, math.NaN()}, 0.95); !errors.Is(err, ErrBadSample) {
		t.Errorf("NaN: err %v", err)
	}
}

func TestDetectCliff(t *testing.T) {
	scales := []float64{1e3, 1e4, 5e4, 1e5, 2e5}
	// Iteration time linear in N: a steep but healthy trend.
	linear := []float64{1e6, 1e7, 5e7, 1e8, 2e8}
	c, err := DetectCliff("iterate.time", scales, linear, LowerIsBetter, 1, 2, 5e9)
	if err != nil {
		t.Fatal(err)
	}
	if c.Found || c.AbsoluteFound {
		t.Errorf("linear trend flagged as cliff at %v (badness %v)", c.Scale, c.Badness)
	}
	// The same curve with 100K falling off a cliff (x4).
	broken := []float64{1e6, 1e7, 5e7, 4e8, 8e8}
	c, err = DetectCliff("iterate.time", scales, broken, LowerIsBetter, 1, 2, 5e9)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Found || c.Scale != 1e5 {
		t.Errorf("cliff = %+v, want found at 100000", c)
	}
	near(t, "badness", c.Badness, 4, 0.01)

	// A rate (higher is better) that is flat, then halves at 200K and is
	// below the review's absolute 1000/s floor.
	rates := []float64{9000, 9100, 8900, 9050, 900}
	c, err = DetectCliff("store.rate", scales, rates, HigherIsBetter, 0, 2, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Found || c.Scale != 2e5 || !c.AbsoluteFound || c.AbsoluteScale != 2e5 {
		t.Errorf("rate cliff = %+v, want trend and absolute at 200000", c)
	}
	if _, err := DetectCliff("x", []float64{1, 2}, []float64{1, 0}, LowerIsBetter, 0, 2, 0); !errors.Is(err, ErrBadSample) {
		t.Errorf("zero value: err %v", err)
	}
	if _, err := DetectCliff("x", []float64{2, 1}, []float64{1, 1}, LowerIsBetter, 0, 2, 0); !errors.Is(err, ErrBadSample) {
		t.Errorf("decreasing scales: err %v", err)
	}
}

func TestParseStatus(t *testing.T) {
	in := "Name:\twarmcheck\nVmRSS:\t  2048 kB\nRssAnon:\t  1024 kB\nRssFile:\t  1000 kB\nRssShmem:\t 24 kB\n"
	r, err := parseStatus(strings.NewReader(in), "status")
	if err != nil {
		t.Fatal(err)
	}
	if r.VmRSS != 2048*1024 || r.RssAnon != 1024*1024 || r.RssFile != 1000*1024 {
		t.Errorf("parsed %+v", r)
	}
	_, err = parseStatus(strings.NewReader("VmRSS:\t12 MB\n"), "status")
	if !errors.Is(err, ErrBadSample) || !strings.Contains(err.Error(), "line 1") || !strings.Contains(err.Error(), "VmRSS") {
		t.Errorf("bad unit: err %v, want ErrBadSample naming line 1 and VmRSS", err)
	}
	if _, err := ReadRSS(); err != nil {
		t.Errorf("ReadRSS on this machine: %v", err)
	}
}

// Two runs at different RSS levels, both growing 1 MiB per cycle: pooled
// naively the level difference swamps the slope; centered per run the
// slope is exactly 1 MiB with a zero-width interval.
func TestCenterRunsRecoversWithinRunSlope(t *testing.T) {
	var pts []LeakSample
	for run, level := range []uint64{100 * mib, 300 * mib} {
		for c := 1; c <= 10; c++ {
			v := level + uint64(c)*mib
			pts = append(pts, LeakSample{Run: run, Cycle: c, RSS: RSS{VmRSS: v, RssAnon: v, RssFile: v}})
		}
	}
	var xs, ys []float64
	for _, p := range centerRuns(pts) {
		xs, ys = append(xs, float64(p.Cycle)), append(ys, float64(p.VmRSS))
	}
	f, err := FitLine(xs, ys, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "slope", f.Slope, mib, 1)
	near(t, "CI width", f.SlopeHi-f.SlopeLo, 0, 1)
}

// An interval is printed only where it exists: the median of 5 runs has
// none (benchstat: "need >= 6 samples"), the p99 of 30 runs none either,
// and the text names the run count that gives one instead of +-inf.
func TestEstimateNeedRunsAndFormat(t *testing.T) {
	s, err := Summarize([]float64{5, 1, 4, 2, 3}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if s.Median.Bounded() || s.Median.NeedRuns != 6 {
		t.Errorf("median of 5: bounded %v, need %d runs; want unbounded, 6", s.Median.Bounded(), s.Median.NeedRuns)
	}
	if got := formatEstimate(s.Median, UnitNanos); got != "3 ns (no CI below 6 runs)" {
		t.Errorf("median of 5 prints %q", got)
	}
	xs := make([]float64, 30)
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	s, err = Summarize(xs, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Median.Bounded() || s.Median.NeedRuns != 0 || strings.Contains(formatEstimate(s.Median, UnitNanos), "no CI") {
		t.Errorf("median of 30: %+v", s.Median)
	}
	n := s.P99.NeedRuns
	bounded := func(n int) bool {
		ci := mstats.QuantileCI(n, 0.99, 0.95)
		return ci.LoOrder >= 1 && ci.HiOrder <= n
	}
	if s.P99.Bounded() || n <= 30 || !bounded(n) || bounded(n-1) {
		t.Errorf("p99 of 30: need %d runs (bounded there %v, at n-1 %v)", n, bounded(n), bounded(n-1))
	}
	one, err := Summarize([]float64{7}, 0.95)
	if err != nil || one.Mean.NeedRuns != 2 || strings.Contains(formatEstimate(one.Mean, UnitNanos), "inf") {
		t.Errorf("mean of 1 run: %+v, %v", one.Mean, err)
	}
}

// The mean's t-interval of a skewed non-negative sample reaches below
// zero; a latency cannot, so bench cuts the interval at 0. A difference
// (Signed) keeps its negative bound, and so does a metric that claims to
// be non-negative but has a negative sample.
func TestNonNegativeIntervalsCutAtZero(t *testing.T) {
	skewed := []float64{1, 1, 1, 200}
	r := resultWith("x", map[string]*Metric{
		"lat":    {Unit: UnitNanos, Direction: LowerIsBetter, Samples: skewed},
		"growth": {Unit: UnitBytes, Direction: LowerIsBetter, Samples: skewed, Signed: true},
		"liar":   {Unit: UnitBytes, Direction: LowerIsBetter, Samples: []float64{-5, 1, 1, 200}},
	})
	raw, err := Summarize(skewed, DefaultConfidence)
	if err != nil || *raw.Mean.Lo >= 0 {
		t.Fatalf("test premise: the raw mean interval %+v should reach below 0", raw.Mean)
	}
	if lo := *r.Metrics["lat"].Summary.Mean.Lo; lo != 0 {
		t.Errorf("latency mean lower bound %v, want 0", lo)
	}
	if lo := *r.Metrics["growth"].Summary.Mean.Lo; lo >= 0 {
		t.Errorf("signed growth mean lower bound %v, want it negative", lo)
	}
	if lo := *r.Metrics["liar"].Summary.Mean.Lo; lo >= 0 {
		t.Errorf("a metric with a negative sample was cut at 0 (%v)", lo)
	}
	var out strings.Builder
	if err := r.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "inf") || !strings.Contains(out.String(), "[0 ns,") {
		t.Errorf("text:\n%s", out.String())
	}
}
