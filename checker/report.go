package checker

import (
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// Report is the whole verdict of one history: what results.json holds.
type Report struct {
	Verdict  Verdict  `json:"verdict"`
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
		Verdict:    Valid,
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

func (r *Report) add(res Result) {
	r.Checks = append(r.Checks, res)
	r.Verdict = compose(r.Verdict, res.Verdict)
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
