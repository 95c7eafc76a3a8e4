package bench

import (
	"fmt"
	"math"
	"sort"

	"golang.org/x/perf/benchmath"
)

// CompareOptions configure Compare.
type CompareOptions struct {
	// Threshold is the smallest relative change (0.05 = 5%) in the bad
	// direction that counts as a regression.
	Threshold float64
	// Alpha is the significance level. As in benchstat, a difference is
	// significant when p <= Alpha and printed "~" when p > Alpha.
	Alpha float64
	// NoCorrection gates on each metric's raw p-value. By default the gate
	// uses Holm-Bonferroni adjusted p-values over the directional metrics:
	// with ~30 metrics at 0.05 each, an unchanged store would otherwise
	// "regress" in one metric in most comparisons.
	NoCorrection bool
}

// ChangeStatus is the gate's verdict on one metric.
type ChangeStatus string

const (
	NotSignificant  ChangeStatus = "~"                // p > alpha: no significant difference (not "unchanged")
	Regressed       ChangeStatus = "regressed"        // significant and worse by more than the threshold
	Improved        ChangeStatus = "improved"         // significant and better by more than the threshold
	WithinThreshold ChangeStatus = "within-threshold" // significant, but smaller than the threshold
	Changed         ChangeStatus = "changed"          // informational metric, significant change
	TooFewRuns      ChangeStatus = "too-few-runs"     // the sample sizes cannot reach alpha: nothing can be concluded
	OnlyInBase      ChangeStatus = "only-in-base"
	OnlyInNew       ChangeStatus = "only-in-new"
)

// CompareVerdict is the outcome of a whole comparison, for the exit code.
type CompareVerdict string

const (
	NoRegression CompareVerdict = "no-regression" // every directional metric could have shown one, none did
	Regression   CompareVerdict = "regression"    // at least one metric regressed
	// CompareUnknown: no regression found, but some directional metric
	// had too few runs to find one (or none was compared at all).
	CompareUnknown CompareVerdict = "unknown"
)

// SampleSummary is one side of a metric: benchstat's summary (the median
// with its order-statistic confidence interval, benchmath.AssumeNothing).
type SampleSummary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	// Lo and Hi bound the median; infinite when the run count is too
	// small for an interval (Notes says how many runs it needs).
	Lo    float64  `json:"-"`
	Hi    float64  `json:"-"`
	Range string   `json:"range"` // benchstat's "± 3%", "∞" or "?"
	Notes []string `json:"notes,omitempty"`
}

// MetricChange is one metric compared. Change is median(new)/median(base)
// - 1; Worse is Change signed so that positive means worse. P is the
// two-sided Mann-Whitney U p-value that benchstat prints; Delta is
// benchstat's delta column ("~" when P > alpha). AdjustedP is what the
// gate compares with alpha (Holm-Bonferroni over the directional metrics,
// or P itself).
type MetricChange struct {
	Metric    string        `json:"metric"`
	Unit      string        `json:"unit"`
	Direction Direction     `json:"direction"`
	Base      SampleSummary `json:"base"`
	New       SampleSummary `json:"new"`
	Change    float64       `json:"change"`
	Worse     float64       `json:"worse"`
	P         float64       `json:"p"`
	AdjustedP float64       `json:"adjusted_p"`
	Delta     string        `json:"delta"`
	// Test is benchstat's "p=0.002 n=8" (or "n=8+10").
	Test   string       `json:"test"`
	Status ChangeStatus `json:"status"`
	Notes  []string     `json:"notes,omitempty"`
}

// UnitTable is the metrics of one unit with their geomean row, as
// benchstat prints one table per unit.
type UnitTable struct {
	Unit    string         `json:"unit"`
	Changes []MetricChange `json:"changes"`
	// Geomean is nil when the table has a single row (benchstat omits it).
	Geomean *Geomean `json:"geomean,omitempty"`
}

// Comparison is the whole comparison of two results.
type Comparison struct {
	Profile   string  `json:"profile"`
	Threshold float64 `json:"threshold"`
	Alpha     float64 `json:"alpha"`
	// Correction is "holm" or "none".
	Correction string      `json:"correction"`
	Tables     []UnitTable `json:"tables"`
	Warnings   []string    `json:"warnings,omitempty"`
}

// Changes returns every metric compared, table by table.
func (c *Comparison) Changes() []MetricChange {
	var out []MetricChange
	for _, t := range c.Tables {
		out = append(out, t.Changes...)
	}
	return out
}

// Regressions returns the metrics that regressed.
func (c *Comparison) Regressions() []MetricChange {
	var out []MetricChange
	for _, m := range c.Changes() {
		if m.Status == Regressed {
			out = append(out, m)
		}
	}
	return out
}

// Verdict is Regression if any metric regressed, else CompareUnknown if
// a directional metric had too few runs or none was compared, else
// NoRegression.
func (c *Comparison) Verdict() CompareVerdict {
	judged, unknown := 0, false
	for _, m := range c.Changes() {
		switch {
		case m.Status == Regressed:
			return Regression
		case m.Direction == Informational || m.Status == OnlyInBase || m.Status == OnlyInNew:
		case m.Status == TooFewRuns:
			unknown = true
		default:
			judged++
		}
	}
	if unknown || judged == 0 {
		return CompareUnknown
	}
	return NoRegression
}

// Compare tests every metric of base and new with benchstat's method
// (benchmath.AssumeNothing: medians, Mann-Whitney U). Results of
// different profiles or scales measure different things and are refused
// (ErrMismatch); a different machine or Go version is a warning.
func Compare(base, new *Result, opts CompareOptions) (*Comparison, error) {
	if !(opts.Threshold >= 0) || math.IsInf(opts.Threshold, 0) {
		return nil, fmt.Errorf("%w: threshold %v", ErrBadParameter, opts.Threshold)
	}
	if !(opts.Alpha > 0 && opts.Alpha < 1) {
		return nil, fmt.Errorf("%w: alpha %v not in (0, 1)", ErrBadParameter, opts.Alpha)
	}
	if err := comparable(base, new); err != nil {
		return nil, err
	}
	c := &Comparison{Profile: base.Profile, Threshold: opts.Threshold, Alpha: opts.Alpha, Correction: "holm"}
	if opts.NoCorrection {
		c.Correction = "none"
	}
	if base.Machine.CPUModel != new.Machine.CPUModel || base.Machine.Cores != new.Machine.Cores {
		c.Warnings = append(c.Warnings, fmt.Sprintf("machine differs: base %q x%d, new %q x%d", base.Machine.CPUModel, base.Machine.Cores, new.Machine.CPUModel, new.Machine.Cores))
	}
	if base.Machine.GoVersion != new.Machine.GoVersion {
		c.Warnings = append(c.Warnings, fmt.Sprintf("Go version differs: base %s, new %s", base.Machine.GoVersion, new.Machine.GoVersion))
	}
	thresholds := &benchmath.Thresholds{CompareAlpha: opts.Alpha}
	var changes []MetricChange
	for _, name := range unionNames(base, new) {
		mc, err := measureChange(name, base.Metrics[name], new.Metrics[name], thresholds)
		if err != nil {
			return nil, err
		}
		changes = append(changes, mc)
	}
	m := adjust(changes, opts.NoCorrection)
	for i := range changes {
		judgeChange(&changes[i], opts, m)
	}
	c.Tables = unitTables(changes)
	return c, nil
}

// comparable refuses results that do not measure the same thing.
func comparable(base, new *Result) error {
	if base.Profile != new.Profile {
		return fmt.Errorf("%w: base is profile %q, new is %q", ErrMismatch, base.Profile, new.Profile)
	}
	if base.Scale != new.Scale || base.Full != new.Full {
		return fmt.Errorf("%w: base ran at --scale %g (full %v), new at --scale %g (full %v): every size differs, so every number does",
			ErrMismatch, base.Scale, base.Full, new.Scale, new.Full)
	}
	for name, bm := range base.Metrics {
		if nm := new.Metrics[name]; nm != nil && bm.Direction != nm.Direction {
			return fmt.Errorf("%w: metric %s is %s-is-better in base, %s in new", ErrMismatch, name, bm.Direction, nm.Direction)
		}
	}
	return nil
}

// summarizeSample is benchstat's summary of one side.
func summarizeSample(xs []float64, t *benchmath.Thresholds) (*benchmath.Sample, SampleSummary) {
	s := benchmath.NewSample(append([]float64(nil), xs...), t)
	sum := benchmath.AssumeNothing.Summary(s, DefaultConfidence)
	return s, SampleSummary{N: len(xs), Median: sum.Center, Lo: sum.Lo, Hi: sum.Hi,
		Range: sum.PctRangeString(), Notes: errorStrings(sum.Warnings)}
}

func measureChange(name string, bm, nm *Metric, t *benchmath.Thresholds) (MetricChange, error) {
	any := bm
	if any == nil {
		any = nm
	}
	mc := MetricChange{Metric: name, Unit: any.Unit, Direction: any.Direction}
	var bs, ns *benchmath.Sample
	if bm != nil {
		bs, mc.Base = summarizeSample(bm.Samples, t)
	}
	if nm != nil {
		ns, mc.New = summarizeSample(nm.Samples, t)
	}
	switch {
	case nm == nil:
		mc.Status = OnlyInBase
		return mc, nil
	case bm == nil:
		mc.Status = OnlyInNew
		return mc, nil
	case len(bm.Samples) == 0 || len(nm.Samples) == 0:
		return mc, fmt.Errorf("metric %s: %w", name, ErrEmptySample)
	}
	cmp := benchmath.AssumeNothing.Compare(bs, ns)
	mc.P, mc.AdjustedP = cmp.P, cmp.P
	mc.Delta = cmp.FormatDelta(mc.Base.Median, mc.New.Median)
	mc.Test = cmp.String()
	mc.Notes = errorStrings(cmp.Warnings)
	switch {
	case mc.Base.Median != 0:
		mc.Change = mc.New.Median/mc.Base.Median - 1
		if mc.Base.Median < 0 {
			mc.Change = -mc.Change // keep the sign of new - base
		}
	case mc.New.Median != 0:
		mc.Change = math.Copysign(math.Inf(1), mc.New.Median)
	}
	mc.Worse = mc.Change
	if mc.Direction == HigherIsBetter {
		mc.Worse = -mc.Change
	}
	return mc, nil
}

// adjust applies Holm-Bonferroni to the directional metrics' p-values
// (sorted ascending, p(i) becomes max over j <= i of min(1, (m-j+1) p(j)))
// and returns the factor the smallest p-value is multiplied by: m, or 1
// with the correction off.
func adjust(changes []MetricChange, off bool) int {
	var idx []int
	for i, c := range changes {
		if c.Status == "" && c.Direction != Informational {
			idx = append(idx, i)
		}
	}
	if off {
		return 1
	}
	sort.SliceStable(idx, func(a, b int) bool { return changes[idx[a]].P < changes[idx[b]].P })
	m := float64(len(idx))
	running := 0.0
	for j, i := range idx {
		p := math.Min(1, (m-float64(j))*changes[i].P)
		running = math.Max(running, p)
		changes[i].AdjustedP = running
	}
	return max(1, len(idx))
}

// judgeChange decides the gate's status. A metric is significant when its
// (adjusted) p <= alpha, benchstat's convention. When it is not, and even
// the smallest p-value its sample sizes allow, times the correction
// factor, exceeds alpha, the runs could never have shown a change: that is
// TooFewRuns, not "~".
func judgeChange(mc *MetricChange, opts CompareOptions, factor int) {
	if mc.Status != "" { // only in one of the results
		return
	}
	if mc.Direction == Informational {
		factor = 1
	}
	significant := mc.AdjustedP <= opts.Alpha
	switch {
	case !significant && minP(mc.Base.N, mc.New.N)*float64(factor) > opts.Alpha:
		mc.Status = TooFewRuns
	case !significant:
		mc.Status = NotSignificant
	case mc.Direction == Informational:
		mc.Status = Changed
	case mc.Worse > opts.Threshold:
		mc.Status = Regressed
	case -mc.Worse > opts.Threshold:
		mc.Status = Improved
	default:
		mc.Status = WithinThreshold
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

func errorStrings(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}
