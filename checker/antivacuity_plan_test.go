package checker

import (
	"strings"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

func antiVacuity() antiVacuityCheck { return antiVacuityCheck{opts: Options{}.withDefaults()} }

// plannedRun is a history whose header plans ops + preload operations and
// which completed n of them: one ok get each, the last few ending fail and
// info (they count: the worker carried them out).
func plannedRun(ops, preload, n int) *wsb {
	b := newWSB()
	b.h.Ops, b.h.Preload = ops, preload
	for i := 0; i < n; i++ {
		switch i {
		case 0:
			b.inv(1, history.OpGet, "x", nil)
			b.done(1, history.Fail, nil)
		case 1:
			b.inv(1, history.OpGet, "x", nil)
			b.done(1, history.Info, nil)
		default:
			b.get(1, "x", false, history.Value{})
		}
	}
	return b
}

// TestAntiVacuityComparesCompletedWithPlanned: the edge is at
// ceil(0.9 × (ops + preload)) completed operations.
func TestAntiVacuityComparesCompletedWithPlanned(t *testing.T) {
	wantWS(t, runWS(t, antiVacuity(), plannedRun(90, 10, 90)), Valid)
	r := runWS(t, antiVacuity(), plannedRun(90, 10, 89))
	wantWS(t, r, Unknown)
	if !strings.Contains(r.Summary, "only 89 of 100 planned operations completed") {
		t.Fatalf("summary: %s", r.Summary)
	}
	// "189 of 221 operations ok" on a plan of 2000 is a run that stopped.
	wantWS(t, runWS(t, antiVacuity(), plannedRun(1950, 50, 221)), Unknown)
	// A rounding edge: 0.9 × 11 = 9.9, so 10 are needed.
	wantWS(t, runWS(t, antiVacuity(), plannedRun(11, 0, 10)), Valid)
	wantWS(t, runWS(t, antiVacuity(), plannedRun(11, 0, 9)), Unknown)

	// A damaged history was cut short: its plan is not compared.
	in := plannedRun(1000, 0, 50).input()
	in.Damage = errDamagedForTest{}
	if r := antiVacuity().Run(t.Context(), in); r.Verdict != Valid {
		t.Fatalf("damaged: %s %s", r.Verdict, r.Summary)
	}
	// No plan recorded (ops 0, no duration): nothing to compare.
	wantWS(t, runWS(t, antiVacuity(), plannedRun(0, 0, 5)), Valid)
}

// TestAntiVacuityComparesDurationWithPlanned: a duration-bounded run (ops
// 0) must span 90% of its planned duration.
func TestAntiVacuityComparesDurationWithPlanned(t *testing.T) {
	run := func(span time.Duration) *wsb {
		b := newWSB()
		b.h.DurationNanos = int64(10 * time.Second)
		b.inv(1, history.OpGet, "x", nil) // first invoke at t0
		b.sleep(int64(span) - 1000)
		b.done(1, history.OK, &history.Output{}) // last op event at t0 + span
		return b
	}
	wantWS(t, runWS(t, antiVacuity(), run(9*time.Second)), Valid)
	r := runWS(t, antiVacuity(), run(9*time.Second-1))
	wantWS(t, r, Unknown)
	if !strings.Contains(r.Summary, "of the planned 10s") {
		t.Fatalf("summary: %s", r.Summary)
	}
}
