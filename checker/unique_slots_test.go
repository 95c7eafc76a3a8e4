package checker

import (
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

func TestUniqueSlotsRejectsTwoLivePutsInOneSlot(t *testing.T) {
	// The slot-race shape: two concurrent puts of different ids get slot 7.
	b := newWSB()
	b.putInv(1, "a", wval(1))
	b.putInv(2, "b", wval(2))
	b.putOK(1, wpl(7, 0, 100, 0))
	b.putOK(2, wpl(7, 100, 100, 0))
	r := runWS(t, uniqueSlotsCheck{}, b)
	wantWS(t, r, Invalid)
	if len(r.Witness) != 4 {
		t.Fatalf("witness %v, want the four events of both puts", r.Witness)
	}
}

func TestUniqueSlotsRejectsSharedSlotInFinalLayout(t *testing.T) {
	b := newWSB()
	b.snapshot("final", nil, wentry("a", wval(1), wpl(3, 0, 100, 0)), wentry("b", wval(2), wpl(3, 100, 100, 0)))
	wantWS(t, runWS(t, uniqueSlotsCheck{}, b), Invalid)
}

func TestUniqueSlotsRejectsDuplicateIDInPeriodicLayout(t *testing.T) {
	b := newWSB()
	b.snapshot("periodic", nil, wentry("a", wval(1), wpl(3, 0, 100, 0)), wentry("a", wval(2), wpl(4, 100, 100, 0)))
	wantWS(t, runWS(t, uniqueSlotsCheck{}, b), Invalid)
}

func TestUniqueSlotsAcceptsReuseAfterSupersede(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.put(1, "a", wval(2), wpl(1, 100, 100, 0)) // supersedes slot 0
	b.sync(1)
	b.put(2, "b", wval(3), wpl(0, 200, 100, 0)) // reuses slot 0: fine
	// Concurrent: a put of "c" whose slot is shared with a concurrent
	// remove's victim.
	b.put(3, "c", wval(4), wpl(2, 300, 100, 0))
	b.inv(3, history.OpRemove, "c", nil)
	b.putInv(4, "d", wval(5))
	b.done(3, history.OK, &history.Output{Found: true})
	b.putOK(4, wpl(2, 400, 100, 0))
	// Periodic layouts may show a slot twice (read shard by shard).
	b.snapshot("periodic", nil, wentry("a", wval(2), wpl(1, 100, 100, 0)), wentry("x", wval(9), wpl(1, 900, 1, 0)))
	b.snapshot("final", nil, wentry("a", wval(2), wpl(1, 100, 100, 0)), wentry("b", wval(3), wpl(0, 200, 100, 0)), wentry("d", wval(5), wpl(2, 400, 100, 0)))
	wantWS(t, runWS(t, uniqueSlotsCheck{}, b), Valid)
}

func TestUniqueSlotsAcceptsSlotReusedAfterRestart(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.nemesis("kill", history.NemesisStart, history.Nemesis{})
	b.nemesis("kill", history.NemesisEnd, history.Nemesis{Restart: true})
	b.snapshot("restart", &history.Stats{})
	b.put(1, "b", wval(2), wpl(0, 0, 100, 0))
	wantWS(t, runWS(t, uniqueSlotsCheck{}, b), Valid)
}

func TestUniqueSlotsInfoBeforeCrashDoesNotHideLaterRace(t *testing.T) {
	b := newWSB()
	b.putInv(1, "a", wval(1))
	b.done(1, history.Info, nil) // in flight at the kill
	b.nemesis("kill", history.NemesisStart, history.Nemesis{})
	b.nemesis("kill", history.NemesisEnd, history.Nemesis{Restart: true})
	b.snapshot("restart", &history.Stats{})
	b.putInv(1, "a", wval(2))
	b.putInv(2, "b", wval(3))
	b.putOK(1, wpl(4, 0, 100, 0))
	b.putOK(2, wpl(4, 100, 100, 0))
	wantWS(t, runWS(t, uniqueSlotsCheck{}, b), Invalid)
}
