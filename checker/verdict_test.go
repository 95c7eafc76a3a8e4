package checker

import (
	"context"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// TestNothingToJudgeIsNotEvaluated: on a history with no operation at all,
// every check but the gate has nothing to judge and must say not-evaluated,
// never valid; the run is then unknown.
func TestNothingToJudgeIsNotEvaluated(t *testing.T) {
	b := newWSB()
	for _, c := range Checks() {
		r := runWS(t, c, b)
		want := NotEvaluated
		if _, isGate := c.(gate); isGate {
			want = Unknown
		}
		if r.Verdict != want {
			t.Errorf("%s on an empty history: %s (%s), want %s", c.Name(), r.Verdict, r.Summary, want)
		}
		if r.Verdict == NotEvaluated && r.Summary == "" {
			t.Errorf("%s: not-evaluated without a reason", c.Name())
		}
	}
	if rep := Run(context.Background(), b.input(), Options{}); rep.Verdict != Unknown {
		t.Fatalf("empty history: run %s", rep.Verdict)
	}
}

// TestNothingToJudgeByCheck: a history that exercises puts but lacks what one
// check judges (a crash, an iterate, a quiescent snapshot) leaves that check
// not-evaluated.
func TestNothingToJudgeByCheck(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.get(2, "a", true, wval(1))
	for _, name := range []string{"durability", "iteration", "content-length", "fields"} {
		r := runWS(t, checkNamed(t, name), b)
		if r.Verdict != NotEvaluated || !strings.HasPrefix(r.Summary, "nothing to judge") {
			t.Errorf("%s: %s (%s), want not-evaluated", name, r.Verdict, r.Summary)
		}
	}
	// Failed operations only: no put placed content.
	b = newWSB()
	b.putInv(1, "a", wval(1))
	b.done(1, history.Fail, nil)
	for _, name := range []string{"offset-overlap", "offset-monotonic", "unique-slots"} {
		if r := runWS(t, checkNamed(t, name), b); r.Verdict != NotEvaluated {
			t.Errorf("%s with no ok put: %s (%s), want not-evaluated", name, r.Verdict, r.Summary)
		}
	}
}

func checkNamed(t *testing.T, name string) Check {
	t.Helper()
	for _, c := range Checks() {
		if c.Name() == name {
			return c
		}
	}
	t.Fatalf("no check %s", name)
	return nil
}

// TestRunNothingJudgedIsUnknown: anti-vacuity judges the evidence, not a
// guarantee; when it is the only valid check the run proved nothing.
func TestRunNothingJudgedIsUnknown(t *testing.T) {
	rep := Run(context.Background(), validRunNoCrash().input(), Options{Only: []string{"durability"}})
	if d, _ := rep.Check("durability"); d.Verdict != NotEvaluated {
		t.Fatalf("durability without a crash: %s", d.Verdict)
	}
	if rep.Verdict != Unknown || !strings.Contains(rep.Reason, "no guarantee was judged") {
		t.Fatalf("run %s (%s), want unknown: no guarantee judged", rep.Verdict, rep.Reason)
	}
}

// TestRunNotEvaluatedIsNeutral: a check with nothing to judge does not make
// a run whose other checks are valid unknown, and the reason names it.
func TestRunNotEvaluatedIsNeutral(t *testing.T) {
	rep := Run(context.Background(), validRunNoCrash().input(), Options{})
	if d, _ := rep.Check("durability"); d.Verdict != NotEvaluated {
		t.Fatalf("durability without a crash: %s", d.Verdict)
	}
	if rep.Verdict != Valid || !strings.Contains(rep.Reason, "not evaluated") || !strings.Contains(rep.Reason, "durability") {
		for _, r := range rep.Checks {
			t.Logf("%s %s %s", r.Name, r.Verdict, r.Summary)
		}
		t.Fatalf("run %s (%s)", rep.Verdict, rep.Reason)
	}
}

// TestRunDeadlineIsUnknown: checks cut off by the deadline may have had
// something to judge: unknown, not not-evaluated.
func TestRunDeadlineIsUnknown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep := Run(ctx, validRun().input(), Options{})
	if rep.Verdict != Unknown {
		t.Fatalf("run %s", rep.Verdict)
	}
	for _, r := range rep.Checks {
		if r.Verdict != Unknown {
			t.Errorf("%s: %s after the deadline", r.Name, r.Verdict)
		}
	}
}

// validRunNoCrash is a valid history with puts, gets, a sync, an iterate and
// a final snapshot, but no crash.
func validRunNoCrash() *wsb {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.put(2, "b", wval(2), wpl(1, 100, 100, 0))
	b.get(3, "a", true, wval(1))
	b.sync(3)
	b.iterate(3, history.Entry{ID: "a", Value: wval(1)}, history.Entry{ID: "b", Value: wval(2)})
	final := []history.Entry{wentry("a", wval(1), wpl(0, 0, 100, 0)), wentry("b", wval(2), wpl(1, 100, 100, 0))}
	b.snapshot("final", statsFor(200, 0, final...), final...)
	return b
}
