package checker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// cutRun is validRun whose file stops after worker 2 invoked a put: the
// completion was lost with the tail (torn) or the damage (corrupt), or the
// store hung (complete).
func cutRun() *wsb {
	b := validRun()
	b.putInv(2, "z", vrec(7))
	return b
}

// TestRunTornHistoryIsJudgedWithOpenInvokesCutOff: a recorder killed at a
// chunk boundary leaves invokes open; they are not hangs, and the verdict
// may be valid. In a complete history the same open invoke is a hang. (A
// torn file used to read as complete, making this invalid.)
func TestRunTornHistoryIsJudgedWithOpenInvokesCutOff(t *testing.T) {
	in := cutRun().input()
	rep := Run(context.Background(), in, Options{})
	if rec, _ := rep.Check("recovery"); rec.Verdict != Invalid || rep.Verdict != Invalid || rep.Completeness != history.Complete {
		t.Fatalf("complete history with an open invoke: recovery %s, run %s (%s)", rec.Verdict, rep.Verdict, rep.Completeness)
	}
	in = cutRun().input()
	in.Completeness = history.Torn
	in.Damage = &history.DamageError{File: "h.wch", Offset: 4096, Chunk: 3, Completeness: history.Torn, Reason: "no end record"}
	rep = Run(context.Background(), in, Options{})
	for _, r := range rep.Checks {
		if r.Verdict != Valid {
			t.Errorf("%s: %s: %s", r.Name, r.Verdict, r.Summary)
		}
	}
	rec, _ := rep.Check("recovery")
	if rep.Verdict != Valid || rep.Completeness != history.Torn || !strings.Contains(rec.Summary, "cut off") || !strings.Contains(rep.Damage, "byte 4096") {
		t.Fatalf("torn: %s (%s), recovery %q, damage %q", rep.Verdict, rep.Completeness, rec.Summary, rep.Damage)
	}
	js, _ := json.Marshal(rep)
	if !strings.Contains(string(js), `"completeness":"torn"`) {
		t.Fatalf("results lack the completeness: %s", js)
	}
}

// TestRunCorruptHistoryIsNeverValid: a salvaged corrupt history is judged on
// its intact prefix; nothing found there is unknown, not valid, while a
// violation found there stands.
func TestRunCorruptHistoryIsNeverValid(t *testing.T) {
	in := cutRun().input()
	in.Completeness = history.Corrupt
	rep := Run(context.Background(), in, Options{})
	for _, r := range rep.Checks {
		if r.Verdict != Valid {
			t.Errorf("%s: %s: %s", r.Name, r.Verdict, r.Summary)
		}
	}
	if rep.Verdict != Unknown || rep.Completeness != history.Corrupt {
		t.Fatalf("corrupt, every check valid: %s (%s), want unknown", rep.Verdict, rep.Completeness)
	}
	b := cutRun()
	b.put(1, "y", vrec(9), wpl(3, 250, 100, 1)) // overlaps e's range in epoch 1
	in = b.input()
	in.Completeness = history.Corrupt
	if rep := Run(context.Background(), in, Options{}); rep.Verdict != Invalid {
		t.Fatalf("corrupt with an overlap in the prefix: %s, want invalid", rep.Verdict)
	}
}

// TestInputCompletenessFromDamage: an Input that sets only Damage (as
// callers did before Completeness) is torn or corrupt as its DamageError
// says, and corrupt for any other error.
func TestInputCompletenessFromDamage(t *testing.T) {
	for _, c := range []struct {
		damage error
		want   history.Completeness
	}{
		{nil, history.Complete},
		{&history.DamageError{Completeness: history.Torn}, history.Torn},
		{&history.DamageError{Completeness: history.Corrupt}, history.Corrupt},
		{&history.DamageError{}, history.Corrupt},
		{errDamagedForTest{}, history.Corrupt},
	} {
		in := &Input{Damage: c.damage}
		if got := in.completeness(); got != c.want {
			t.Errorf("%v: %v, want %v", c.damage, got, c.want)
		}
	}
}
