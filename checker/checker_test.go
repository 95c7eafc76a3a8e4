package checker

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// vrec is wval(n) recording every field of the memory, with explicit
// times (a put that leaves them 0 is judged in fields_test.go).
func vrec(n int) history.Value {
	return rval(n, old2020+int64(n)*1000, old2020+int64(n)*1000+500)
}

// validRun is a small, valid, concurrent history that exercises every
// check: puts, a get, a remove, an iterate, a sync, a compaction, a panic, a
// power loss with its restart, and a final snapshot.
func validRun() *wsb {
	b := newWSB()
	b.h.Faults = []string{"panic", "power-loss"}
	b.putInv(1, "a", vrec(1))
	b.putInv(2, "b", vrec(2))
	b.putOK(1, wpl(0, 0, 100, 0))
	b.putOK(2, wpl(1, 100, 100, 0))
	b.get(3, "a", true, vrec(1))
	b.sync(3)
	b.nemesis("panic", history.NemesisStart, history.Nemesis{Target: "after-slot-alloc"})
	b.putInv(1, "c", vrec(3))
	b.done(1, history.Info, nil)
	b.nemesis("panic", history.NemesisEnd, history.Nemesis{Target: "after-slot-alloc", Hits: map[string]uint64{"after-slot-alloc": 1}})
	b.remove(2, "b", true)
	b.iterate(3, history.Entry{ID: "a", Value: vrec(1)})
	b.put(1, "d", vrec(4), wpl(2, 200, 100, 0))
	b.crash("power-loss", wentry("a", vrec(1), wpl(0, 0, 100, 0)), wentry("b", vrec(2), wpl(1, 100, 100, 0)))
	// b's removal was not synced: it may come back. Its bytes: a 100 + b 100;
	// the recovered total is what the store found (300: d's bytes orphaned).
	b.events[len(b.events)-1].Snapshot.Stats = statsFor(300, 0, b.events[len(b.events)-1].Snapshot.Layout...)
	b.put(1, "e", vrec(5), wpl(3, 300, 100, 0))
	b.get(2, "b", true, vrec(2))
	b.inv(3, history.OpCompact, "", nil)
	b.done(3, history.OK, &history.Output{Compaction: &history.Compaction{Epoch: 1, BytesBefore: 400, BytesAfter: 300, BytesReclaimed: 100, Moved: 3}})
	final := []history.Entry{wentry("a", vrec(1), wpl(0, 0, 100, 1)), wentry("b", vrec(2), wpl(1, 100, 100, 1)), wentry("e", vrec(5), wpl(3, 200, 100, 1))}
	b.snapshot("final", statsFor(300, 1, final...), final...)
	return b
}

func TestRunValidHistoryIsValidAndCounts(t *testing.T) {
	b := validRun()
	if err := history.Validate(b.events); err != nil {
		t.Fatalf("test history is malformed: %v", err)
	}
	rep := Run(context.Background(), b.input(), Options{})
	for _, r := range rep.Checks {
		t.Logf("%-16s %-13s %s", r.Name, r.Verdict, r.Summary)
		if r.Verdict != Valid {
			t.Errorf("%s: %s: %s\n%s", r.Name, r.Verdict, r.Summary, r.Explanation)
		}
	}
	if rep.Verdict != Valid {
		t.Fatalf("run verdict %s", rep.Verdict)
	}
	if len(rep.Checks) != len(Checks()) {
		t.Fatalf("%d results for %d checks", len(rep.Checks), len(Checks()))
	}
	if got := rep.Operations["put"]; got["invoke"] != 5 || got["ok"] != 4 || got["info"] != 1 {
		t.Fatalf("put counts %v", got)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"verdict":"valid"`, `"checks":[`, `"name":"anti-vacuity"`, `"operations":`, `"seed":1`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("results.json lacks %s", want)
		}
	}
}

func TestRunComposesInvalidOverUnknown(t *testing.T) {
	b := validRun()
	b.h.Faults = append(b.h.Faults, "grow-failure") // never fired: unknown
	b.put(1, "z", vrec(9), wpl(3, 250, 100, 1))     // overlaps e's range in epoch 1: invalid
	rep := Run(context.Background(), b.input(), Options{})
	av, _ := rep.Check("anti-vacuity")
	ov, _ := rep.Check("offset-overlap")
	if av.Verdict != Unknown || ov.Verdict != Invalid || rep.Verdict != Invalid {
		t.Fatalf("anti-vacuity %s, offset-overlap %s, run %s", av.Verdict, ov.Verdict, rep.Verdict)
	}
}

func TestRunMalformedGatesEverything(t *testing.T) {
	b := validRun()
	b.events[3].Time = 0 // time goes backwards
	rep := Run(context.Background(), b.input(), Options{})
	if rep.Verdict != Unknown {
		t.Fatalf("verdict %s", rep.Verdict)
	}
	for _, r := range rep.Checks[1:] {
		if r.Verdict != NotEvaluated {
			t.Fatalf("%s: %s, want not-evaluated after a malformed history", r.Name, r.Verdict)
		}
	}
}

func TestRunNeverPanicsOnGarbage(t *testing.T) {
	events := []history.Event{
		{Index: 0, Kind: history.KindOp, Type: history.OK, Op: history.OpPut},
		{Index: 1, Kind: 9},
		{Index: 1, Kind: history.KindSnapshot},
	}
	rep := Run(context.Background(), &Input{Events: events}, Options{})
	if rep.Verdict == Valid {
		t.Fatal("garbage judged valid")
	}
}

func TestRunDeadlineIsNeverValid(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep := Run(ctx, validRun().input(), Options{})
	if rep.Verdict == Valid {
		t.Fatal("a cancelled run judged valid")
	}
}

func TestRunOnly(t *testing.T) {
	rep := Run(context.Background(), validRun().input(), Options{Only: []string{"durability"}})
	if len(rep.Checks) != 2 || rep.Checks[0].Name != "anti-vacuity" || rep.Checks[1].Name != "durability" {
		t.Fatalf("checks %v", rep.Checks)
	}
}

func TestAntiVacuity(t *testing.T) {
	c := antiVacuityCheck{opts: Options{}.withDefaults()}
	// Nothing at all.
	wantWS(t, runWS(t, c, newWSB()), Unknown)
	// Mostly failures.
	b := newWSB()
	for i := 0; i < 10; i++ {
		b.putInv(1, "a", wval(i))
		b.done(1, history.Fail, nil)
	}
	b.put(1, "a", wval(99), wpl(0, 0, 100, 0))
	wantWS(t, runWS(t, c, b), Unknown)
	// A fault asked for but never started.
	b = validRun()
	b.h.Faults = append(b.h.Faults, "kill")
	wantWS(t, runWS(t, c, b), Unknown)
	// A failpoint fault that started but never hit.
	b = newWSB()
	b.h.Faults = []string{"sleep"}
	b.nemesis("sleep", history.NemesisStart, history.Nemesis{Target: "sync-mid"})
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.nemesis("sleep", history.NemesisEnd, history.Nemesis{Target: "sync-mid", Hits: map[string]uint64{"sync-mid": 0}})
	wantWS(t, runWS(t, c, b), Unknown)
	// Valid.
	wantWS(t, runWS(t, c, validRun()), Valid)
}

func TestChecksRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Checks() {
		if c.Name() == "" || c.Description() == "" || seen[c.Name()] {
			t.Fatalf("bad registry entry %q", c.Name())
		}
		seen[c.Name()] = true
	}
	for _, n := range []string{"anti-vacuity", "linearizable", "offset-overlap", "content-length", "offset-monotonic", "unique-slots", "iteration", "fields", "durability", "recovery", "progress", "integrity"} {
		if !seen[n] {
			t.Errorf("registry lacks %s", n)
		}
	}
	for _, c := range Checks() {
		if sentinels[c.Name()] == nil {
			t.Errorf("%s has no sentinel error", c.Name())
		}
	}
	if Worst(Valid, NotEvaluated) != Unknown || Worst(Unknown, Invalid, Valid) != Invalid || Worst() != Valid {
		t.Fatal("Worst composes wrongly")
	}
}
