package checker

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// antiVacuityCheck is the gate: a history that is malformed, or a run that
// exercised nothing, must never come out valid.
//
// Rules:
//   - well formed: indices strictly increase, times never go backwards, every
//     completion matches an outstanding invoke of its process (a malformed
//     history makes this check unknown and every other check not-evaluated:
//     it is evidence of a recording problem, not of a store bug);
//   - at least MinOK operations completed ok, and at least MinOKFraction of
//     those invoked;
//   - the run carried out its plan: with a plan by count (header ops > 0),
//     at least MinPlanFraction of ops + preload operations completed (ok,
//     fail or info; a run that carried out its plan completed all of them
//     and more); with a plan by duration (ops 0, header duration_ns > 0),
//     its operations span at least MinPlanFraction of the duration; a
//     header with neither states no plan, and nothing is compared. A
//     history cut before its end (torn, or corrupt and salvaged) lost its tail, so its
//     plan is not compared. Falling short is unknown here: the workers
//     stopped early (a stall, which the progress check judges, an
//     interruption or an exhausted time budget), and what was not done
//     was not tested;
//   - every fault named in Header.Faults fired: a nemesis start event for it,
//     and for failpoint faults (panic, sleep, grow-failure) a window whose
//     end event shows more hits of its target failpoint than its start.
//
// Every failure here is unknown, never invalid: vacuity says nothing about
// the store.
type antiVacuityCheck struct{ opts Options }

func (antiVacuityCheck) Name() string { return "anti-vacuity" }
func (antiVacuityCheck) Description() string {
	return "the history is well formed, enough operations completed ok, at least 90% of the planned operations completed (header ops + preload; for a duration-bounded run, 90% of the duration), and every requested fault fired"
}

func (c antiVacuityCheck) blocks(r Result) bool {
	wf, _ := r.Details["well_formed"].(bool)
	return !wf
}

// failpointFaults are the nemeses that act through store failpoints, whose
// firing shows in hit counts.
var failpointFaults = map[string]bool{"panic": true, "sleep": true, "grow-failure": true}

func (c antiVacuityCheck) Run(_ context.Context, in *Input) Result {
	details := map[string]any{"well_formed": false}
	if err := wellFormed(in); err != nil {
		return Result{Verdict: Unknown, Details: details,
			Summary:     "history is malformed: " + firstLine(err.Error()),
			Explanation: fmt.Sprintf("%v\n%v", ErrMalformed, err)}
	}
	details["well_formed"] = true

	var invoked, ok, completed int
	for i := range in.Events {
		e := &in.Events[i]
		if e.Kind != history.KindOp {
			continue
		}
		switch e.Type {
		case history.Invoke:
			invoked++
		case history.OK:
			ok++
			completed++
		case history.Fail, history.Info:
			completed++
		}
	}
	details["invoked"], details["ok"], details["completed"] = invoked, ok, completed

	var problems []string
	if p := c.planShortfall(in, completed, details); p != "" {
		problems = append(problems, p)
	}
	need := int(float64(invoked)*c.opts.MinOKFraction + 0.999999)
	if need < c.opts.MinOK {
		need = c.opts.MinOK
	}
	if ok < need {
		problems = append(problems, fmt.Sprintf("only %d of %d invoked operations completed ok (need at least %d: min %d, fraction %.2f)",
			ok, invoked, need, c.opts.MinOK, c.opts.MinOKFraction))
	}

	// A failpoint fault fired in a window when its target's hit count grew
	// from the start event to the end event (or, when the store restarted
	// in between and its counters began again, when the end shows a hit).
	started := map[string]int{}
	hit := map[string]uint64{}
	sawHits := map[string]bool{}
	startHits := map[string]map[string]uint64{} // fault+target -> hits at start
	for i := range in.Events {
		e := &in.Events[i]
		if e.Kind != history.KindNemesis || e.Nemesis == nil {
			continue
		}
		n := e.Nemesis
		key := n.Fault + "\x00" + n.Target
		if n.Phase == history.NemesisStart {
			started[n.Fault]++
			startHits[key] = n.Hits
			continue
		}
		if n.Hits == nil {
			continue
		}
		sawHits[n.Fault] = true
		before := startHits[key][n.Target]
		now := n.Hits[n.Target]
		switch {
		case now > before:
			hit[n.Fault] += now - before
		case n.Restart && now > 0:
			hit[n.Fault] += now
		}
		delete(startHits, key)
	}
	fired := map[string]any{}
	for _, f := range in.Header.Faults {
		if f == "" || f == "none" {
			continue
		}
		fired[f] = started[f]
		switch {
		case started[f] == 0:
			problems = append(problems, fmt.Sprintf("fault %q was asked for but never started", f))
		case failpointFaults[f] && !sawHits[f]:
			problems = append(problems, fmt.Sprintf("fault %q started %d times but no failpoint hit count was recorded", f, started[f]))
		case failpointFaults[f] && hit[f] == 0:
			problems = append(problems, fmt.Sprintf("fault %q started %d times but its failpoint was never hit", f, started[f]))
		}
	}
	details["faults_started"] = fired
	if len(problems) > 0 {
		return Result{Verdict: Unknown, Details: details,
			Summary:     "vacuous: " + problems[0],
			Explanation: ErrVacuous.Error() + "\n" + strings.Join(problems, "\n")}
	}
	faults := make([]string, 0, len(fired))
	for f := range fired {
		faults = append(faults, f)
	}
	sort.Strings(faults)
	summary := fmt.Sprintf("%d of %d operations ok", ok, invoked)
	if len(faults) > 0 {
		summary += "; every requested fault fired: " + strings.Join(faults, ", ")
	}
	return Result{Verdict: Valid, Summary: summary, Details: details}
}

// planShortfall compares what the run did with what it planned (see the
// rules above) and says how it fell short, or "".
func (c antiVacuityCheck) planShortfall(in *Input, completed int, details map[string]any) string {
	h := in.Header
	switch {
	case in.cut():
		details["plan"] = fmt.Sprintf("not compared: the history is %s, cut short before its end", in.completeness())
	case h.Ops > 0:
		planned := h.Ops + h.Preload
		need := int(math.Ceil(float64(planned)*c.opts.MinPlanFraction - 1e-9))
		details["planned"] = planned
		if completed < need {
			return fmt.Sprintf("only %d of %d planned operations completed (ops %d + preload %d; need at least %d, fraction %.2f): the workers stopped early",
				completed, planned, h.Ops, h.Preload, need, c.opts.MinPlanFraction)
		}
	case h.DurationNanos > 0:
		planned := time.Duration(h.DurationNanos)
		ran := opSpan(in.Events)
		details["planned_duration_ns"], details["ran_ns"] = int64(planned), int64(ran)
		if need := time.Duration(float64(planned) * c.opts.MinPlanFraction); ran < need {
			return fmt.Sprintf("the workers ran %v of the planned %v (need at least %v, fraction %.2f): they stopped early",
				ran.Round(time.Millisecond), planned, need.Round(time.Millisecond), c.opts.MinPlanFraction)
		}
	default:
		details["plan"] = "none recorded (header ops 0, no duration)"
	}
	return ""
}

// opSpan is the time from the first operation's invoke to the last
// operation event.
func opSpan(events []history.Event) time.Duration {
	first, last := int64(-1), int64(-1)
	for i := range events {
		if events[i].Kind != history.KindOp {
			continue
		}
		if first < 0 {
			first = events[i].Time
		}
		last = events[i].Time
	}
	return time.Duration(last - first)
}

// wellFormed applies history.Validate, then the structural rules the checks
// here rely on (a second line of defence, should Validate ever loosen):
// strictly increasing indices, non-decreasing times, invokes paired with
// completions of the same process and op, and the fields each kind carries.
func wellFormed(in *Input) error {
	events := in.Events
	if err := history.Validate(events); err != nil {
		return err
	}
	for i := range events {
		e := &events[i]
		if i > 0 {
			if e.Index <= events[i-1].Index {
				return fmt.Errorf("event %d (position %d): index does not increase (previous %d)", e.Index, i, events[i-1].Index)
			}
			if e.Time < events[i-1].Time {
				return fmt.Errorf("event %d: time %d goes backwards (previous event %d at %d)", e.Index, e.Time, events[i-1].Index, events[i-1].Time)
			}
		}
		switch e.Kind {
		case history.KindOp:
			if !e.Op.Valid() {
				return fmt.Errorf("event %d: field op: unknown operation %d", e.Index, e.Op)
			}
			if !e.Type.Valid() {
				return fmt.Errorf("event %d: field type: unknown type %d", e.Index, e.Type)
			}
		case history.KindNemesis:
			if e.Nemesis == nil {
				return fmt.Errorf("event %d: field nemesis: missing on a nemesis event", e.Index)
			}
		case history.KindSnapshot:
			if e.Snapshot == nil {
				return fmt.Errorf("event %d: field snapshot: missing on a snapshot event", e.Index)
			}
		default:
			return fmt.Errorf("event %d: field kind: unknown kind %d", e.Index, e.Kind)
		}
	}
	_, err := in.ops()
	return err
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
