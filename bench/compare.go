package bench

import (
	"fmt"
	"math"
	"sort"
)

// CompareOptions configure Compare.
type CompareOptions struct {
	// Threshold is the smallest relative change (0.05 = 5%) in the bad
	// direction that counts as a regression.
	Threshold float64
	// Alpha is the family-wise significance level: the chance that any
	// metric of an unchanged store is called changed.
	Alpha float64
	// NoCorrection compares each metric's raw p-value with Alpha. By
	// default the p-values of the directional metrics are adjusted with
	// Holm-Bonferroni first: with ~30 metrics at 0.05 each, an unchanged
	// store would otherwise "regress" in one metric in most comparisons.
	NoCorrection bool
}

// ChangeStatus is the verdict of one metric's comparison.
type ChangeStatus string

const (
	Unchanged    ChangeStatus = "unchanged" // not significant, or smaller than the threshold
	Regressed    ChangeStatus = "regressed" // significant and worse by more than the threshold
	Improved     ChangeStatus = "improved"  // significant and better by more than the threshold
	Changed      ChangeStatus = "changed"   // informational metric, significant change
	OnlyInBase   ChangeStatus = "only-in-base"
	OnlyInNew    ChangeStatus = "only-in-new"
	Inconclusive ChangeStatus = "inconclusive" // too few runs for the test to reach Alpha
)

// MetricChange is one metric compared. Change is (median(new) -
// median(base)) / |median(base)|; Worse is Change signed so that positive
// means worse (negated for higher-is-better metrics). AdjustedP is the
// Holm-Bonferroni adjusted p-value over the directional metrics (equal to
// Test.P for informational metrics or with the correction off); it is what
// is compared with Alpha.
type MetricChange struct {
	Metric     string       `json:"metric"`
	Unit       string       `json:"unit"`
	Direction  Direction    `json:"direction"`
	BaseMedian float64      `json:"base_median"`
	NewMedian  float64      `json:"new_median"`
	Change     float64      `json:"change"`
	Worse      float64      `json:"worse"`
	Test       UTest        `json:"test"`
	AdjustedP  float64      `json:"adjusted_p"`
	Status     ChangeStatus `json:"status"`
}

// Comparison is the whole comparison of two results.
type Comparison struct {
	Profile   string  `json:"profile"`
	Threshold float64 `json:"threshold"`
	Alpha     float64 `json:"alpha"`
	// Correction is "holm" or "none".
	Correction string         `json:"correction"`
	Changes    []MetricChange `json:"changes"`
	Warnings   []string       `json:"warnings,omitempty"`
}

// Regressions returns the metrics that regressed.
func (c *Comparison) Regressions() []MetricChange {
	var out []MetricChange
	for _, m := range c.Changes {
		if m.Status == Regressed {
			out = append(out, m)
		}
	}
	return out
}

// Compare tests every metric of base and new with the Mann-Whitney U test
// over their per-run samples. Results of different profiles are not
// comparable (ErrMismatch); a different machine, scale or Go version is a
// warning, because such a change moves every number.
func Compare(base, new *Result, opts CompareOptions) (*Comparison, error) {
	if !(opts.Threshold >= 0) || math.IsInf(opts.Threshold, 0) {
		return nil, fmt.Errorf("%w: threshold %v", ErrBadParameter, opts.Threshold)
	}
	if !(opts.Alpha > 0 && opts.Alpha < 1) {
		return nil, fmt.Errorf("%w: alpha %v not in (0, 1)", ErrBadParameter, opts.Alpha)
	}
	if base.Profile != new.Profile {
		return nil, fmt.Errorf("%w: base is profile %q, new is %q", ErrMismatch, base.Profile, new.Profile)
	}
	c := &Comparison{Profile: base.Profile, Threshold: opts.Threshold, Alpha: opts.Alpha, Correction: "holm"}
	if opts.NoCorrection {
		c.Correction = "none"
	}
	if base.Scale != new.Scale || base.Full != new.Full {
		c.Warnings = append(c.Warnings, fmt.Sprintf("scale differs: base %g (full %v), new %g (full %v)", base.Scale, base.Full, new.Scale, new.Full))
	}
	if base.Machine.CPUModel != new.Machine.CPUModel || base.Machine.Cores != new.Machine.Cores {
		c.Warnings = append(c.Warnings, fmt.Sprintf("machine differs: base %q x%d, new %q x%d", base.Machine.CPUModel, base.Machine.Cores, new.Machine.CPUModel, new.Machine.Cores))
	}
	if base.Machine.GoVersion != new.Machine.GoVersion {
		c.Warnings = append(c.Warnings, fmt.Sprintf("Go version differs: base %s, new %s", base.Machine.GoVersion, new.Machine.GoVersion))
	}
	if minP := maxMinP(base, new); minP >= opts.Alpha {
		c.Warnings = append(c.Warnings, fmt.Sprintf("too few runs: the smallest p-value these sample sizes allow is %.3g >= alpha %g, so nothing can be called significant; use --runs >= 4 on both", minP, opts.Alpha))
	}

	for _, name := range unionNames(base, new) {
		bm, nm := base.Metrics[name], new.Metrics[name]
		switch {
		case nm == nil:
			c.Changes = append(c.Changes, MetricChange{Metric: name, Unit: bm.Unit, Direction: bm.Direction, BaseMedian: median(bm.Samples), Status: OnlyInBase})
			continue
		case bm == nil:
			c.Changes = append(c.Changes, MetricChange{Metric: name, Unit: nm.Unit, Direction: nm.Direction, NewMedian: median(nm.Samples), Status: OnlyInNew})
			continue
		}
		if bm.Direction != nm.Direction {
			return nil, fmt.Errorf("%w: metric %s is %s-is-better in base, %s in new", ErrMismatch, name, bm.Direction, nm.Direction)
		}
		mc, err := measureChange(name, bm, nm)
		if err != nil {
			return nil, err
		}
		c.Changes = append(c.Changes, mc)
	}
	adjust(c.Changes, opts.NoCorrection)
	for i := range c.Changes {
		judgeChange(&c.Changes[i], opts)
	}
	return c, nil
}

func measureChange(name string, bm, nm *Metric) (MetricChange, error) {
	mc := MetricChange{Metric: name, Unit: bm.Unit, Direction: bm.Direction,
		BaseMedian: median(bm.Samples), NewMedian: median(nm.Samples)}
	t, err := MannWhitney(bm.Samples, nm.Samples)
	if err != nil {
		return mc, fmt.Errorf("metric %s: %w", name, err)
	}
	mc.Test, mc.AdjustedP = t, t.P
	switch {
	case mc.BaseMedian != 0:
		mc.Change = (mc.NewMedian - mc.BaseMedian) / math.Abs(mc.BaseMedian)
	case mc.NewMedian != 0:
		mc.Change = math.Copysign(math.Inf(1), mc.NewMedian)
	}
	mc.Worse = mc.Change
	if bm.Direction == HigherIsBetter {
		mc.Worse = -mc.Change
	}
	return mc, nil
}

// adjust applies Holm-Bonferroni to the directional metrics' p-values:
// sorted ascending, p(i) becomes max over j <= i of min(1, (m-j+1) p(j)).
func adjust(changes []MetricChange, off bool) {
	if off {
		return
	}
	var idx []int
	for i, c := range changes {
		if c.Status == "" && c.Direction != Informational {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return changes[idx[a]].Test.P < changes[idx[b]].Test.P })
	m := float64(len(idx))
	running := 0.0
	for j, i := range idx {
		p := math.Min(1, (m-float64(j))*changes[i].Test.P)
		running = math.Max(running, p)
		changes[i].AdjustedP = running
	}
}

func judgeChange(mc *MetricChange, opts CompareOptions) {
	if mc.Status != "" { // only in one of the results
		return
	}
	significant := mc.AdjustedP < opts.Alpha
	switch {
	case !significant && minP(mc.Test.N1, mc.Test.N2) >= opts.Alpha:
		mc.Status = Inconclusive
	case !significant:
		mc.Status = Unchanged
	case mc.Direction == Informational:
		mc.Status = Changed
	case mc.Worse > opts.Threshold:
		mc.Status = Regressed
	case -mc.Worse > opts.Threshold:
		mc.Status = Improved
	default:
		mc.Status = Unchanged
	}
}

// minP is the smallest two-sided exact Mann-Whitney p-value possible with
// samples of n1 and n2 distinct values: 2 / C(n1+n2, n1).
func minP(n1, n2 int) float64 {
	lc, _ := math.Lgamma(float64(n1 + n2 + 1))
	l1, _ := math.Lgamma(float64(n1 + 1))
	l2, _ := math.Lgamma(float64(n2 + 1))
	return math.Min(1, 2*math.Exp(-(lc-l1-l2)))
}

// maxMinP is the largest, over shared metrics, of the smallest p-value the
// sample sizes allow.
func maxMinP(base, new *Result) float64 {
	p := 0.0
	for name, bm := range base.Metrics {
		if nm := new.Metrics[name]; nm != nil {
			p = math.Max(p, minP(len(bm.Samples), len(nm.Samples)))
		}
	}
	return p
}

func unionNames(a, b *Result) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range []*Result{a, b} {
		for _, n := range r.MetricNames() {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return Quantile(s, 0.5)
}
