package runner

import (
	"bytes"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
)

// With --schedules N the bar counts schedules, not operations; without a
// terminal each schedule gets a line.
func TestScheduleProgressCountsSchedules(t *testing.T) {
	outcome := func(v checker.Verdict) *Outcome {
		return &Outcome{Verdict: v, Schedule: &ScheduleOutcome{Mode: "random", Seed: 7}}
	}
	var bar bytes.Buffer
	p := newScheduleProgress(&bar, true, 5)
	p.done(1, outcome(checker.Valid))
	p.done(2, outcome(checker.Valid))
	p.done(3, outcome(checker.Invalid))
	got := bar.String()
	if !strings.Contains(got, "3/5") || !strings.Contains(got, "schedules (2 valid, last invalid)") {
		t.Fatalf("bar after 3 of 5 schedules: %q", got)
	}
	p.finish()

	var lines bytes.Buffer
	p = newScheduleProgress(&lines, false, 5)
	p.done(1, outcome(checker.Valid))
	p.done(2, outcome(checker.Invalid))
	p.finish()
	if got := lines.String(); !strings.Contains(got, "schedule 1/5 (random seed 7): valid") || !strings.Contains(got, "schedule 2/5 (random seed 7): invalid") {
		t.Fatalf("lines: %q", got)
	}
}
