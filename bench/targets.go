package bench

import "fmt"

// Target is one asserted bound on a metric of one profile.
type Target struct {
	Name      string
	Source    string // "review" (the warm-tier review, Task 018) or "ours"
	Profile   string
	Metric    string
	Op        string // "<", "<=", ">", ">="
	Threshold float64
	// ScaleFree targets hold at any --scale (rates, latencies, per-memory
	// figures); the others are about a stated size and are only evaluated
	// at --scale 1.
	ScaleFree bool
}

// TargetStatus is the typed outcome of a target.
type TargetStatus string

const (
	TargetPass         TargetStatus = "pass"
	TargetFail         TargetStatus = "fail"
	TargetNotEvaluated TargetStatus = "not-evaluated"
)

// TargetOutcome is a target judged on a result. The judged statistic is the
// median of the per-run values; Confident says whether the whole confidence
// interval of that median lies on the same side of the threshold (with one
// run, or too few to bound the median, it is false).
type TargetOutcome struct {
	Name      string       `json:"name"`
	Source    string       `json:"source"`
	Metric    string       `json:"metric"`
	Op        string       `json:"op"`
	Threshold float64      `json:"threshold"`
	Unit      string       `json:"unit"`
	Observed  float64      `json:"observed"`
	Status    TargetStatus `json:"status"`
	Confident bool         `json:"confident"`
	Reason    string       `json:"reason,omitempty"`
}

const (
	mib = 1 << 20
	// usec and msec are in nanoseconds, the unit of every time metric.
	usec = 1e3
	msec = 1e6
)

// Targets lists every target; adding one is one line.
func Targets() []Target {
	return []Target{
		{"store rate > 5,000/s", "review", "baseline-10k", "put.rate", ">", 5000, true},
		{"10K stores in under 2 s", "review", "baseline-10k", "put.total_time", "<", 2e9, false},
		{"RSS growth < 2 x (10K x 150 B) + 100 MB", "review", "baseline-10k", "rss.growth", "<", 2*10_000*150 + 100*mib, false},
		{"get p99 < 1 ms", "review", "baseline-10k", "get.p99", "<", 1 * msec, true},
		{"store rate > 5,000/s", "review", "perf-100k", "put.rate", ">", 5000, true},
		{"get p99 < 1 ms", "review", "perf-100k", "get.p99", "<", 1 * msec, true},
		{"100K iteration < 2 s", "review", "perf-100k", "iterate.time", "<", 2e9, false},
		{"RSS growth < 500 MB at 100K", "review", "perf-100k", "rss.growth", "<", 500 * mib, false},
		{"degradation (late p99 / early p99, time order) < 2", "review", "perf-100k", "put.degradation", "<", 2, true},
		{"put p99.9 / p50 < 10 (the review's \"cliff ratio\")", "review", "perf-100k", "put.tail_ratio", "<", 10, true},
		{"1M cold iteration < 5 s", "review", "extreme-1m", "cold_iterate.time", "<", 5e9, false},
		{"1M cold iteration > 100K items/s", "review", "extreme-1m", "cold_iterate.rate", ">", 1e5, true},
		{"leak slope < 1 MB/cycle", "review", "leak", "leak.vmrss_slope", "<", 1 * mib, true},
		{"leak total growth < 50 MB", "review", "leak", "leak.vmrss_growth", "<", 50 * mib, false},
		{"fragmentation after compaction <= 30%", "review", "fragmentation", "frag.after", "<=", 0.30, true},

		{"store >= 50% of raw baseline, one goroutine", "ours", "baseline-10k", "put.rate_vs_raw", ">=", 0.5, true},
		{"get p99 <= 10 us", "ours", "baseline-10k", "get.p99", "<=", 10 * usec, true},
		{"store >= 50% of raw baseline, one goroutine", "ours", "perf-100k", "put.rate_vs_raw", ">=", 0.5, true},
		{"get p99 <= 10 us", "ours", "perf-100k", "get.p99", "<=", 10 * usec, true},
		{"RSS beyond mapped data <= 150 B/memory", "ours", "perf-100k", "rss.anon_per_memory", "<=", 150, true},
		{"1M cold iteration >= 3M items/s (copying Iterate)", "ours", "extreme-1m", "cold_iterate.rate", ">=", 3e6, true},
		{"1M cold iteration >= 3M items/s (zero-copy IterateView)", "ours", "extreme-1m", "cold_iterate_view.rate", ">=", 3e6, true},
		{"RSS beyond mapped data <= 150 B/memory", "ours", "extreme-1m", "rss.anon_per_memory", "<=", 150, true},
		{"compaction of 1M memories < 1 s", "ours", "extreme-1m", "compact.time", "<", 1e9, false},
	}
}

// judgeTargets evaluates the targets of r.Profile against r's summaries.
func judgeTargets(r *Result) []TargetOutcome {
	var out []TargetOutcome
	for _, t := range Targets() {
		if t.Profile != r.Profile {
			continue
		}
		o := TargetOutcome{Name: t.Name, Source: t.Source, Metric: t.Metric, Op: t.Op, Threshold: t.Threshold}
		m := r.Metrics[t.Metric]
		switch {
		case m == nil || m.Summary == nil:
			o.Status, o.Reason = TargetNotEvaluated, "metric not measured"
		case !t.ScaleFree && r.Scale != 1:
			o.Unit, o.Observed = m.Unit, m.Summary.Median.Value
			o.Status, o.Reason = TargetNotEvaluated, fmt.Sprintf("size-bound target, run at --scale %g", r.Scale)
		default:
			o.Unit = m.Unit
			med := m.Summary.Median
			o.Observed = med.Value
			o.Status = TargetFail
			if holds(med.Value, t.Op, t.Threshold) {
				o.Status = TargetPass
			}
			switch {
			case med.Lo == nil || med.Hi == nil:
				o.Reason = fmt.Sprintf("%d run(s): too few to bound the median at %g%%", m.Summary.N, 100*m.Summary.Confidence)
			case holds(*med.Lo, t.Op, t.Threshold) == holds(*med.Hi, t.Op, t.Threshold):
				o.Confident = true
			default:
				o.Reason = "the median's confidence interval straddles the bound"
			}
		}
		out = append(out, o)
	}
	return out
}

func holds(v float64, op string, threshold float64) bool {
	switch op {
	case "<":
		return v < threshold
	case "<=":
		return v <= threshold
	case ">":
		return v > threshold
	case ">=":
		return v >= threshold
	}
	return false
}
