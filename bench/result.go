package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// ResultSchema is the version of the bench.json layout.
const ResultSchema = 1

// Direction says which way a metric improves; compare uses it to tell a
// regression from an improvement.
type Direction string

const (
	LowerIsBetter  Direction = "lower"
	HigherIsBetter Direction = "higher"
	// Informational metrics are reported and compared but never regress.
	Informational Direction = "info"
)

// Units of metrics. Times are nanoseconds, memory is bytes.
const (
	UnitNanos    = "ns"
	UnitOpsSec   = "ops/s"
	UnitItemsSec = "items/s"
	UnitBytes    = "B"
	UnitRatio    = "ratio"
	UnitCount    = "count"
	UnitBytesPer = "B/cycle"
	UnitBytesMem = "B/memory"
)

// Result is bench.json: everything one `warmcheck bench` invocation
// measured and concluded, self-describing enough to compare later.
type Result struct {
	Schema  int     `json:"schema"`
	Profile string  `json:"profile"`
	Runs    int     `json:"runs"`
	Scale   float64 `json:"scale"`
	Full    bool    `json:"full"`
	Seed    int64   `json:"seed"`
	Machine Machine `json:"machine"`
	// StartedUnixNanos and ElapsedNanos time the whole invocation.
	StartedUnixNanos int64 `json:"started_unix_ns"`
	ElapsedNanos     int64 `json:"elapsed_ns"`
	// Metrics holds one entry per metric, with its per-run samples.
	Metrics map[string]*Metric `json:"metrics"`
	// Targets are the review's and our targets applicable to this profile.
	Targets []TargetOutcome `json:"targets"`
	// Checks are correctness verdicts (verify-every-byte, recorded-history
	// checks): a bench must not trade correctness for speed.
	Checks []CheckOutcome `json:"checks"`
	// Cliffs are the cliff profile's trend breaks, one per metric.
	Cliffs []Cliff `json:"cliffs,omitempty"`
	// Leak is the leak profile's fitted RSS slopes.
	Leak *LeakFit `json:"leak,omitempty"`
	// Plots are PNG files written beside bench.json.
	Plots []string `json:"plots,omitempty"`
	// Notes are caveats a reader must see (e.g. the raw baseline is skipped).
	Notes []string `json:"notes,omitempty"`
}

// Metric is one measured quantity: its per-run samples (in run order) and
// their summary.
type Metric struct {
	Unit      string    `json:"unit"`
	Direction Direction `json:"direction"`
	Doc       string    `json:"doc"`
	Samples   []float64 `json:"samples"`
	// Signed marks a quantity that can be below zero (a difference, a
	// slope); the others (times, rates, sizes, ratios, counts) cannot, so
	// their intervals are cut at zero.
	Signed  bool     `json:"signed,omitempty"`
	Summary *Summary `json:"summary,omitempty"`
}

// CheckStatus is the typed verdict of a correctness check.
type CheckStatus string

const (
	CheckPass         CheckStatus = "pass"
	CheckFail         CheckStatus = "fail"
	CheckUnknown      CheckStatus = "unknown"
	CheckNotEvaluated CheckStatus = "not-evaluated"
)

// CheckOutcome is one correctness check of one run.
type CheckOutcome struct {
	Name   string      `json:"name"`
	Run    int         `json:"run"`
	Status CheckStatus `json:"status"`
	Detail string      `json:"detail"`
}

// LeakFit is the leak profile's least-squares RSS slope per cycle for each
// RSS figure, fitted over the cycles of all runs pooled, each run shifted to
// the grand mean (Points are the shifted samples).
type LeakFit struct {
	Cycles int          `json:"cycles"`
	VmRSS  Fit          `json:"vmrss"`
	Anon   Fit          `json:"rss_anon"`
	File   Fit          `json:"rss_file"`
	Points []LeakSample `json:"points"`
}

// LeakSample is the RSS after one cycle of one run.
type LeakSample struct {
	Run   int `json:"run"`
	Cycle int `json:"cycle"`
	RSS
}

// record adds one run's value of a metric that cannot be negative,
// creating the metric on first use. Raw-baseline metrics are
// informational whatever dir says: they measure the machine, not the
// store, so compare never calls them regressions.
func (r *Result) record(name, unit string, dir Direction, doc string, v float64) {
	r.add(name, unit, dir, doc, false, v)
}

// recordSigned adds one run's value of a metric that can be negative (a
// growth that may shrink, a slope).
func (r *Result) recordSigned(name, unit string, dir Direction, doc string, v float64) {
	r.add(name, unit, dir, doc, true, v)
}

func (r *Result) add(name, unit string, dir Direction, doc string, signed bool, v float64) {
	if strings.HasPrefix(name, "raw.") {
		dir = Informational
	}
	if r.Metrics == nil {
		r.Metrics = map[string]*Metric{}
	}
	m, ok := r.Metrics[name]
	if !ok {
		m = &Metric{Unit: unit, Direction: dir, Doc: doc, Signed: signed}
		r.Metrics[name] = m
	}
	m.Samples = append(m.Samples, v)
}

// summarize fills every metric's Summary.
func (r *Result) summarize() error {
	for name, m := range r.Metrics {
		s, err := Summarize(m.Samples, DefaultConfidence)
		if err != nil {
			return fmt.Errorf("metric %s: %w", name, err)
		}
		if !m.Signed && s.Min >= 0 { // a negative sample would disprove the claim: then no cut
			s.floorAt(0)
		}
		m.Summary = &s
	}
	return nil
}

// MetricNames returns the metric names in sorted order.
func (r *Result) MetricNames() []string {
	names := make([]string, 0, len(r.Metrics))
	for n := range r.Metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Verdict is the typed outcome of a bench, for its exit code.
type Verdict string

const (
	Pass Verdict = "PASS" // every evaluated target and every check passed
	Fail Verdict = "FAIL" // a target or a check failed
	// Unknown: nothing failed, but a check could not decide.
	Unknown Verdict = "UNKNOWN"
)

// Verdict is Fail if any target or check failed, else Unknown if a check
// was unknown, else Pass. Not-evaluated targets and checks are neutral.
func (r *Result) Verdict() Verdict {
	v := Pass
	for _, t := range r.Targets {
		if t.Status == TargetFail {
			return Fail
		}
	}
	for _, c := range r.Checks {
		switch c.Status {
		case CheckFail:
			return Fail
		case CheckUnknown:
			v = Unknown
		}
	}
	return v
}

// Save writes r as indented JSON to path.
func (r *Result) Save(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encode %s: %w", path, err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// LoadResult reads and validates a bench.json. Every problem names the file
// and the field.
func LoadResult(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResult, err)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("%w: %s: invalid JSON at byte offset %d: %v", ErrBadResult, path, se.Offset, err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("%w: %s: field %q at byte offset %d: %v", ErrBadResult, path, te.Field, te.Offset, err)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrBadResult, path, err)
	}
	if r.Schema != ResultSchema {
		return nil, fmt.Errorf("%w: %s: field \"schema\" is %d, want %d", ErrBadResult, path, r.Schema, ResultSchema)
	}
	if r.Profile == "" {
		return nil, fmt.Errorf("%w: %s: field \"profile\" is empty", ErrBadResult, path)
	}
	if len(r.Metrics) == 0 {
		return nil, fmt.Errorf("%w: %s: field \"metrics\" is empty", ErrBadResult, path)
	}
	for _, name := range r.MetricNames() {
		m := r.Metrics[name]
		if m == nil {
			return nil, fmt.Errorf("%w: %s: metrics.%s is null", ErrBadResult, path, name)
		}
		if len(m.Samples) == 0 {
			return nil, fmt.Errorf("%w: %s: metrics.%s.samples is empty", ErrBadResult, path, name)
		}
		switch m.Direction {
		case LowerIsBetter, HigherIsBetter, Informational:
		default:
			return nil, fmt.Errorf("%w: %s: metrics.%s.direction is %q, want lower, higher or info", ErrBadResult, path, name, m.Direction)
		}
	}
	return &r, nil
}
