package bench

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
)

// cliffMetric is one metric the cliff profile follows over scales, with
// the review's absolute threshold (0: none).
type cliffMetric struct {
	Name     string
	Unit     string
	Dir      Direction
	Exponent float64 // healthy power law in the scale: 0 flat, 1 linear
	Absolute float64
}

var cliffMetrics = []cliffMetric{
	{"put.rate", UnitOpsSec, HigherIsBetter, 0, 1000},   // review: store rate < 1000 ops/s
	{"get.p99", UnitNanos, LowerIsBetter, 0, 10 * msec}, // review: recall p99 > 10 ms
	{"iterate.time", UnitNanos, LowerIsBetter, 1, 5e9},  // review: iteration > 5 s
	{"rss.growth", UnitBytes, LowerIsBetter, 1, 0},
}

// cliffScales are the review's scales; --full adds 1M.
func cliffScales(e *env) []int {
	base := []int{1_000, 10_000, 50_000, 100_000, 200_000}
	if e.cfg.Full {
		base = append(base, 1_000_000)
	}
	out := make([]int, 0, len(base))
	for _, b := range base {
		n := e.scaled(b, 10)
		if len(out) > 0 && n <= out[len(out)-1] {
			n = out[len(out)-1] + 1
		}
		out = append(out, n)
	}
	return out
}

func atScale(metric string, n int) string { return fmt.Sprintf("%s@%d", metric, n) }

// runCliff measures, at each scale with a fresh store (and a fresh raw
// baseline), the put rate, the p99 of random gets, the full iteration time
// and the RSS growth.
func runCliff(ctx context.Context, e *env) error {
	scales := cliffScales(e)
	e.last.cliffScales = scales
	for si, n := range scales {
		gen := memoryGen{seed: e.cfg.Seed + int64(e.run), mix: reviewMix}
		specs := gen.specs("s-", n, int64(20+si))
		rate := map[string]float64{}
		for _, sub := range e.subjects() {
			name := func(m string) string { return metricName(sub.name, atScale(m, n)) }
			fresh, err := e.openFresh(ctx, fmt.Sprintf("%s-%d", sub.name, n), sub.open)
			if err != nil {
				return err
			}
			s, dir, before := fresh.s, fresh.dir, fresh.before
			_, total, err := putAllOrClose(s, specs)
			if err != nil {
				return err
			}
			gets, err := getRandom(s, specs, getsPerRun(e), rand.New(rand.NewSource(e.cfg.Seed+int64(n))))
			if err != nil {
				e.check(fmt.Sprintf("%s @%d: every get returns every byte that was put", sub.name, n), err)
				s.Close()
				return nil
			}
			count, iterTime, err := iterateAll(s)
			if err == nil && count != n {
				err = fmt.Errorf("%w: %s: iterate visited %d memories, want %d", ErrCorruptData, sub.name, count, n)
			}
			e.check(fmt.Sprintf("%s @%d: gets return every byte; iterate visits every memory once", sub.name, n), err)
			after, err := settledRSS() // after the timed calls: see runThroughput
			if err != nil {
				s.Close()
				return err
			}
			if err := s.Close(); err != nil {
				return fmt.Errorf("%s: close: %w", sub.name, err)
			}
			if err := removeAll(dir); err != nil {
				return err
			}
			e.res.record(name("put.rate"), UnitOpsSec, HigherIsBetter, "puts per second on one goroutine", float64(n)/total.Seconds())
			rate[sub.name] = float64(n) / total.Seconds()
			e.res.record(name("get.p99"), UnitNanos, LowerIsBetter, "p99 of random gets", Quantile(sortedCopy(gets), 0.99))
			e.res.record(name("iterate.time"), UnitNanos, LowerIsBetter, "full iteration", float64(iterTime))
			e.res.recordSigned(name("rss.growth"), UnitBytes, LowerIsBetter, "VmRSS with n memories stored (settled) minus before open", float64(after.VmRSS)-float64(before.VmRSS))
		}
		if rate["raw"] > 0 && rate["store"] > 0 {
			e.res.record(atScale("put.rate_vs_raw", n), UnitRatio, HigherIsBetter, "store put rate / raw put rate at this scale", rate["store"]/rate["raw"])
		}
	}
	return nil
}

// finishCliff looks for a break in each metric's trend over the scales,
// using the median of the runs at each scale, and plots each curve.
func finishCliff(e *env) error {
	scales := e.last.cliffScales
	xs := make([]float64, len(scales))
	for i, n := range scales {
		xs[i] = float64(n)
	}
	for _, cm := range cliffMetrics {
		values := make([]float64, len(scales))
		usable := true
		for i, n := range scales {
			m := e.res.Metrics[atScale(cm.Name, n)]
			if m == nil || m.Summary == nil || !(m.Summary.Median.Value > 0) {
				usable = false
				break
			}
			values[i] = m.Summary.Median.Value
		}
		if !usable {
			e.note(fmt.Sprintf("cliff: %s not analysed: not measured or not positive at every scale (RSS growth at small scales is within noise)", cm.Name))
			continue
		}
		absolute := cm.Absolute
		if e.cfg.Scale != 1 && strings.HasPrefix(cm.Name, "iterate") {
			absolute = 0 // a size-bound threshold
		}
		c, err := DetectCliff(cm.Name, xs, values, cm.Dir, cm.Exponent, DefaultCliffFactor, absolute)
		if err != nil {
			return err
		}
		e.res.Cliffs = append(e.res.Cliffs, c)
		o := TargetOutcome{Name: fmt.Sprintf("%s follows the trend of the smaller scales (within %gx) and the review's absolute limit", cm.Name, c.Factor),
			Source: "ours", Metric: cm.Name, Op: "trend", Threshold: c.Factor, Unit: UnitRatio, Status: TargetPass, Confident: true}
		switch {
		case e.cfg.Scale != 1:
			o.Status, o.Confident, o.Reason = TargetNotEvaluated, false, fmt.Sprintf("run at --scale %g: small sizes time too little to show a trend", e.cfg.Scale)
		case c.Found:
			o.Status, o.Observed = TargetFail, c.Badness
			o.Reason = fmt.Sprintf("breaks its trend at %g memories: %.2fx worse than the smaller scales predict", c.Scale, c.Badness)
		case c.AbsoluteFound:
			o.Status = TargetFail
			o.Reason = fmt.Sprintf("misses the review's absolute limit %s at %g memories", FormatValue(c.AbsoluteLimit, cm.Unit), c.AbsoluteScale)
		}
		if o.Status != TargetNotEvaluated && !c.Found {
			o.Observed = maxBadness(c)
		}
		e.res.Targets = append(e.res.Targets, o)
		if p := e.plotPath("cliff-" + cm.Name + ".png"); p != "" {
			if err := PlotCliff(c, cm.Unit, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxBadness is the worst trend miss over the scales (1 when none was
// predicted).
func maxBadness(c Cliff) float64 {
	worst := 1.0
	for _, p := range c.Points {
		if p.Badness > worst {
			worst = p.Badness
		}
	}
	return worst
}
