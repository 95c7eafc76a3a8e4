package checker

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// TestChecksNeverPanicOnCorruptedHistories: every check, run directly (not
// behind the well-formedness gate), must survive histories with fields
// scrambled, events dropped and completions detached: a panic here would
// be a checker bug that Run reports as unknown.
func TestChecksNeverPanicOnCorruptedHistories(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for seed := uint64(1); seed <= 60; seed++ {
		events := simulate(seed, 4, 80, 3).events
		for k := 0; k < 1+rng.IntN(8); k++ {
			i := rng.IntN(len(events))
			e := &events[i]
			switch rng.IntN(9) {
			case 0:
				e.Output = nil
			case 1:
				e.Type = history.Type(rng.IntN(6))
			case 2:
				e.Op = history.Op(rng.IntN(12))
			case 3:
				e.Process = int64(rng.IntN(5))
			case 4:
				events = append(events[:i], events[i+1:]...)
			case 5:
				e.Input = nil
			case 6:
				if e.Snapshot != nil {
					e.Snapshot.Stats = nil
					e.Snapshot.Layout = append(e.Snapshot.Layout, history.Entry{ID: "z", Placement: history.Placement{Offset: ^uint64(0) - 3, Length: 100, HasContent: true}})
				}
			case 7:
				e.Kind = history.Kind(rng.IntN(5))
			case 8:
				if e.Output != nil {
					e.Output.Entries = append(e.Output.Entries, history.Entry{ID: e.ID}, history.Entry{ID: e.ID})
				}
			}
		}
		in := &Input{Events: events}
		for _, c := range Checks() {
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("seed %d: %s panicked: %v", seed, c.Name(), p)
					}
				}()
				r := c.Run(context.Background(), in)
				if strings.Contains(r.Summary, "panicked") {
					t.Fatalf("seed %d: %s: %s", seed, c.Name(), r.Summary)
				}
			}()
		}
	}
}
