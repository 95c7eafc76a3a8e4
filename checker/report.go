package checker

import (
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// Report is the whole verdict of one history: what results.json holds.
type Report struct {
	Verdict Verdict `json:"verdict"`
	// Reason says in one line which checks decided the verdict (see
	// runVerdict), e.g. "unknown: no guarantee was judged ...".
	Reason   string   `json:"reason"`
	Checks   []Result `json:"checks"`
	Seed     int64    `json:"seed"`
	Workload string   `json:"workload"`
	Bug      string   `json:"bug,omitempty"`
	Mode     string   `json:"mode,omitempty"`
	Faults   []string `json:"faults,omitempty"`
	// Events is how many events were judged.
	Events int `json:"events"`
	// Operations counts client operations by op name, then by outcome
	// ("invoke", "ok", "fail", "info", "pending"); the "all" entry sums them.
	Operations map[string]map[string]int `json:"operations"`
	// Completeness is "complete", "torn" (judged, open invokes cut off) or
	// "corrupt" (judged only on request, and then never valid).
	Completeness history.Completeness `json:"completeness"`
	// Damage, when set, warns that the history was cut short: the checks saw
	// only the intact events before the byte offset it names.
	Damage       string         `json:"damage,omitempty"`
	Options      Options        `json:"options"`
	Header       history.Header `json:"header"`
	ElapsedNanos int64          `json:"elapsed_ns"`
}

func newReport(in *Input, opts Options) Report {
	r := Report{
		Verdict:    Unknown,
		Seed:       in.Header.Seed,
		Workload:   in.Header.Workload,
		Bug:        in.Header.Bug,
		Mode:       in.Header.Mode,
		Faults:     in.Header.Faults,
		Events:     len(in.Events),
		Operations: countOperations(in.Events),
		Options:    opts,
		Header:     in.Header,
	}
	r.Completeness = in.completeness()
	if in.Damage != nil {
		r.Damage = in.Damage.Error()
	}
	return r
}

// Check returns the result of the named check, or false.
func (r *Report) Check(name string) (Result, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Result{}, false
}

// countOperations tallies op events by op and outcome; an invoke with no
// completion counts as pending.
func countOperations(events []history.Event) map[string]map[string]int {
	out := map[string]map[string]int{}
	bump := func(op, what string) {
		for _, k := range []string{op, "all"} {
			m := out[k]
			if m == nil {
				m = map[string]int{}
				out[k] = m
			}
			m[what]++
		}
	}
	open := map[int64]string{}
	for i := range events {
		e := &events[i]
		if e.Kind != history.KindOp {
			continue
		}
		op := e.Op.String()
		if e.Type == history.Invoke {
			bump(op, "invoke")
			open[e.Process] = op
			continue
		}
		bump(op, e.Type.String())
		delete(open, e.Process)
	}
	for _, op := range open {
		bump(op, "pending")
	}
	return out
}

// sortedUnique sorts event indices and drops duplicates.
func sortedUnique(xs []uint64) []uint64 {
	if len(xs) == 0 {
		return nil
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	out := xs[:1]
	for _, x := range xs[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// Results is the one top-level shape of every JSON verdict warmcheck writes:
// a run's results.json and `analyze --json`, for one history or many alike.
// checker/results.schema.json is its JSON Schema; tests validate every
// output against it.
type Results struct {
	// Verdict composes the histories' verdicts with Worst; a history that
	// could not be read makes it at best unknown (never valid).
	Verdict   Verdict         `json:"verdict"`
	Histories []HistoryResult `json:"histories"`
}

// HistoryResult is one history: judged (Report set) or unreadable (Error
// set), never both.
type HistoryResult struct {
	// Path is the path as given to analyze; "." in a run's results.json,
	// whose paths are relative to the run directory.
	Path string `json:"path"`
	// History is the history file read, when one was found.
	History string `json:"history,omitempty"`
	// Verdict is Report.Verdict, or unknown when the history was unreadable.
	Verdict Verdict `json:"verdict"`
	Error   string  `json:"error,omitempty"`
	// Warning says what weakens the evidence (a damaged history judged up to
	// its damage, a record that could not be written).
	Warning string  `json:"warning,omitempty"`
	Report  *Report `json:"report,omitempty"`
}

// NewResults composes the histories into the top-level shape.
func NewResults(hs ...HistoryResult) Results {
	out := Results{Verdict: Valid, Histories: make([]HistoryResult, 0, len(hs))}
	if len(hs) == 0 {
		out.Verdict = Unknown
	}
	for _, h := range hs {
		switch {
		case h.Report != nil && h.Error == "":
			h.Verdict = h.Report.Verdict
		default:
			h.Verdict = Unknown
		}
		out.Verdict = compose(out.Verdict, h.Verdict)
		out.Histories = append(out.Histories, h)
	}
	return out
}
