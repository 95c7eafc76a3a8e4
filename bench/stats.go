package bench

import (
	"fmt"
	"math"
	"sort"

	mstats "github.com/aclements/go-moremath/stats"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// DefaultConfidence is the confidence level of every interval bench reports.
const DefaultConfidence = 0.95

// Estimate is a point estimate with a confidence interval. A nil bound means
// the interval is unbounded on that side: the sample is too small to bound
// that statistic at the stated confidence (e.g. the p99.9 of 30 runs);
// NeedRuns is then the smallest run count that bounds both sides.
type Estimate struct {
	Value    float64  `json:"value"`
	Lo       *float64 `json:"lo"`
	Hi       *float64 `json:"hi"`
	NeedRuns int      `json:"need_runs,omitempty"`
}

// Bounded reports whether the interval exists on both sides.
func (e Estimate) Bounded() bool { return e.Lo != nil && e.Hi != nil }

// floorAt raises bounds below min to min: a quantity that cannot be below
// min lies in the interval's intersection with [min, +inf), at no less
// confidence.
func (e *Estimate) floorAt(min float64) {
	for _, b := range []*float64{e.Lo, e.Hi} {
		if b != nil && *b < min {
			*b = min
		}
	}
}

// floorAt applies Estimate.floorAt to every interval of s.
func (s *Summary) floorAt(min float64) {
	for _, e := range []*Estimate{&s.Mean, &s.Median, &s.P95, &s.P99, &s.P999} {
		e.floorAt(min)
	}
}

// Summary describes a sample of per-run values.
//
// Methods: Mean's interval is Student's t-interval (mean +- t * s/sqrt(n)).
// Quantiles use Hyndman and Fan's R8 definition; their intervals are
// distribution-free order-statistic intervals (binomial, exact for n <= 30,
// normal approximation above), from go-moremath's QuantileCI. Confidence is
// the requested level; an order-statistic interval's actual level is at
// least that.
type Summary struct {
	N          int      `json:"n"`
	Confidence float64  `json:"confidence"`
	Mean       Estimate `json:"mean"`
	StdDev     float64  `json:"stddev"`
	Median     Estimate `json:"median"`
	P95        Estimate `json:"p95"`
	P99        Estimate `json:"p99"`
	P999       Estimate `json:"p999"`
	Min        float64  `json:"min"`
	Max        float64  `json:"max"`
}

// Summarize returns the Summary of xs at the given confidence level.
func Summarize(xs []float64, confidence float64) (Summary, error) {
	if len(xs) == 0 {
		return Summary{}, ErrEmptySample
	}
	if !(confidence > 0 && confidence < 1) {
		return Summary{}, fmt.Errorf("%w: confidence %v not in (0, 1)", ErrBadParameter, confidence)
	}
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return Summary{}, fmt.Errorf("%w: value %d is %v", ErrBadSample, i, x)
		}
	}
	sorted := append([]float64(nil), xs...)
	sort.Float64s(sorted)
	sample := mstats.Sample{Xs: sorted, Sorted: true}

	s := Summary{N: len(xs), Confidence: confidence, Min: sorted[0], Max: sorted[len(sorted)-1]}
	mean, lo, hi := mstats.MeanCI(sorted, confidence)
	s.Mean = Estimate{Value: mean, Lo: finite(lo), Hi: finite(hi)}
	if !s.Mean.Bounded() {
		s.Mean.NeedRuns = 2 // Student's t needs a standard deviation
	}
	if len(xs) > 1 {
		s.StdDev = mstats.StdDev(sorted)
	}
	s.Median = quantileEstimate(sample, 0.5, confidence)
	s.P95 = quantileEstimate(sample, 0.95, confidence)
	s.P99 = quantileEstimate(sample, 0.99, confidence)
	s.P999 = quantileEstimate(sample, 0.999, confidence)
	return s, nil
}

func quantileEstimate(sorted mstats.Sample, q, confidence float64) Estimate {
	ci := mstats.QuantileCI(len(sorted.Xs), q, confidence)
	v, lo, hi := ci.SampleCI(sorted)
	e := Estimate{Value: v, Lo: finite(lo), Hi: finite(hi)}
	if !e.Bounded() {
		e.NeedRuns = runsToBoundQuantile(len(sorted.Xs), q, confidence)
	}
	return e
}

// maxRunsSearched caps runsToBoundQuantile's search.
const maxRunsSearched = 1 << 24

// runsToBoundQuantile is the smallest n > have whose order-statistic
// interval of the q-quantile is bounded on both sides (0 past
// maxRunsSearched). Boundedness only grows with n, so an exponential
// bracket and a binary search find it.
func runsToBoundQuantile(have int, q, confidence float64) int {
	bounded := func(n int) bool {
		ci := mstats.QuantileCI(n, q, confidence)
		return ci.LoOrder >= 1 && ci.HiOrder <= n
	}
	lo, hi := have, max(2*have, 2)
	for !bounded(hi) {
		if hi >= maxRunsSearched {
			return 0
		}
		lo, hi = hi, 2*hi
	}
	for hi-lo > 1 { // bounded(hi), !bounded(lo)
		mid := lo + (hi-lo)/2
		if bounded(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

func finite(x float64) *float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return nil
	}
	return &x
}

// Quantile returns the q-quantile (R8) of xs, which must be sorted
// ascending; NaN for an empty slice.
func Quantile(sorted []float64, q float64) float64 {
	return mstats.Sample{Xs: sorted, Sorted: true}.Quantile(q)
}

// Fit is a least-squares line y = Intercept + Slope*x with the confidence
// interval of the slope: Slope +- t(n-2, 1-(1-Confidence)/2) * SE(Slope),
// where SE(Slope) = sqrt(SSE/(n-2) / Sxx).
type Fit struct {
	N          int     `json:"n"`
	Confidence float64 `json:"confidence"`
	Slope      float64 `json:"slope"`
	Intercept  float64 `json:"intercept"`
	SlopeSE    float64 `json:"slope_se"`
	SlopeLo    float64 `json:"slope_lo"`
	SlopeHi    float64 `json:"slope_hi"`
	R2         float64 `json:"r2"`
}

// FitLine fits y against x by ordinary least squares (gonum's
// stat.LinearRegression) and bounds the slope with Student's t (gonum's
// distuv.StudentsT). It needs at least three points with two distinct x.
func FitLine(x, y []float64, confidence float64) (Fit, error) {
	n := len(x)
	if n != len(y) {
		return Fit{}, fmt.Errorf("%w: %d x values, %d y values", ErrBadSample, n, len(y))
	}
	if n < 3 {
		return Fit{}, fmt.Errorf("%w: a slope interval needs 3 points, have %d", ErrEmptySample, n)
	}
	if !(confidence > 0 && confidence < 1) {
		return Fit{}, fmt.Errorf("%w: confidence %v not in (0, 1)", ErrBadParameter, confidence)
	}
	meanX := stat.Mean(x, nil)
	sxx := 0.0
	for _, v := range x {
		sxx += (v - meanX) * (v - meanX)
	}
	if sxx == 0 {
		return Fit{}, fmt.Errorf("%w: all x values are equal", ErrBadSample)
	}
	intercept, slope := stat.LinearRegression(x, y, nil, false)
	sse := 0.0
	for i := range x {
		r := y[i] - (intercept + slope*x[i])
		sse += r * r
	}
	se := math.Sqrt(sse / float64(n-2) / sxx)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}.Quantile(1 - (1-confidence)/2)
	return Fit{
		N: n, Confidence: confidence,
		Slope: slope, Intercept: intercept,
		SlopeSE: se, SlopeLo: slope - t*se, SlopeHi: slope + t*se,
		R2: stat.RSquared(x, y, nil, intercept, slope),
	}, nil
}
