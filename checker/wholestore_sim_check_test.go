package checker

import (
	"context"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// TestWholeStoreChecksDoNotCryWolf: histories of a correct reference store,
// with random concurrency, info and fail outcomes, syncs, compactions,
// iterates, panics and power losses, are valid for every check.
func TestWholeStoreChecksDoNotCryWolf(t *testing.T) {
	for seed := uint64(1); seed <= 150; seed++ {
		b := simulate(seed, 1+int(seed%6), 40+int(seed%5)*30, 1+int(seed%4))
		if err := history.Validate(b.events); err != nil {
			t.Fatalf("seed %d: simulator made a malformed history: %v", seed, err)
		}
		rep := Run(context.Background(), b.input(), Options{})
		if rep.Verdict != Valid {
			t.Fatalf("seed %d: run %s: %s", seed, rep.Verdict, rep.Reason)
		}
		for _, r := range rep.Checks {
			if r.Verdict != Valid && r.Verdict != NotEvaluated {
				t.Fatalf("seed %d: %s: %s: %s\n%s", seed, r.Name, r.Verdict, r.Summary, r.Explanation)
			}
		}
	}
}

// TestWholeStoreChecksCatchMutations: a single wrong number planted in a
// valid simulated history is always caught by the check that owns it.
func TestWholeStoreChecksCatchMutations(t *testing.T) {
	mutations := []struct {
		check  string
		mutate func(events []history.Event) bool
	}{
		{"content-length", func(ev []history.Event) bool { // final live count off by one
			s := ev[len(ev)-1].Snapshot
			s.Stats.Live++
			return true
		}},
		{"offset-overlap", func(ev []history.Event) bool { // a put placed on an earlier put's bytes
			var first *history.Placement
			for i := range ev {
				e := &ev[i]
				if e.Kind != history.KindOp || e.Op != history.OpPut || e.Type != history.OK || e.Output.Placement.Length == 0 {
					continue
				}
				p := &e.Output.Placement
				if first == nil {
					first = p
				} else if p.Epoch == first.Epoch && p.Offset != first.Offset {
					p.Offset = first.Offset
					return true
				}
			}
			return false
		}},
		{"unique-slots", func(ev []history.Event) bool { // two final-layout memories in one slot
			l := ev[len(ev)-1].Snapshot.Layout
			if len(l) < 2 {
				return false
			}
			l[1].Placement.Slot = l[0].Placement.Slot
			return true
		}},
	}
	for _, m := range mutations {
		applied := 0
		for seed := uint64(1); seed <= 60; seed++ {
			b := simulate(seed, 1+int(seed%6), 60, 2+int(seed%3))
			if !m.mutate(b.events) {
				continue
			}
			applied++
			rep := Run(context.Background(), b.input(), Options{})
			if r, _ := rep.Check(m.check); r.Verdict != Invalid {
				t.Fatalf("seed %d: mutation for %s not caught: %s %s", seed, m.check, r.Verdict, r.Summary)
			}
		}
		if applied < 20 {
			t.Fatalf("%s: mutation applied to only %d histories", m.check, applied)
		}
	}
}
