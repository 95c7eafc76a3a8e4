package checker

import (
	"errors"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

func TestOffsetOverlapRejectsOverlappingPuts(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.put(2, "b", wval(2), wpl(1, 50, 100, 0)) // [50,150) overlaps [0,100)
	r := runWS(t, offsetOverlapCheck{}, b)
	wantWS(t, r, Invalid)
	if !errors.Is(ResultErr(r), ErrOffsetOverlap) || len(r.Witness) != 2 {
		t.Fatalf("want a two-event witness, got %v", r.Witness)
	}
}

func TestOffsetOverlapRejectsRangeReusedAfterRemove(t *testing.T) {
	// Within one epoch the region is append-only: a removed memory's bytes
	// are not free until compaction moves to a new epoch.
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.remove(1, "a", true)
	b.put(1, "b", wval(2), wpl(1, 0, 100, 0))
	wantWS(t, runWS(t, offsetOverlapCheck{}, b), Invalid)
}

func TestOffsetOverlapRejectsOverlapInLayout(t *testing.T) {
	b := newWSB()
	b.snapshot("final", nil, wentry("a", wval(1), wpl(0, 0, 100, 3)), wentry("b", wval(2), wpl(1, 99, 10, 3)))
	wantWS(t, runWS(t, offsetOverlapCheck{}, b), Invalid)
}

func TestOffsetOverlapRejectsLayoutOverlappingEarlierPut(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.remove(1, "a", true)
	b.snapshot("periodic", nil, wentry("b", wval(2), wpl(1, 10, 10, 0)))
	wantWS(t, runWS(t, offsetOverlapCheck{}, b), Invalid)
}

func TestOffsetOverlapAcceptsConcurrentAdjacentAndNewEpoch(t *testing.T) {
	b := newWSB()
	// Concurrent puts, adjacent ranges, completion order differs from offsets.
	b.putInv(1, "a", wval(1))
	b.putInv(2, "b", wval(2))
	b.putInv(3, "a", wval(3))
	b.putOK(3, wpl(2, 200, 100, 0))
	b.putOK(1, wpl(0, 0, 100, 0))
	b.putOK(2, wpl(1, 100, 100, 0))
	// nil and empty content occupy nothing
	b.put(4, "c", history.Value{}, history.Placement{Slot: 3})
	b.put(4, "d", history.Value{HasContent: true}, history.Placement{Slot: 4, Offset: 300, HasContent: true})
	// The same write seen again in a snapshot is not an overlap.
	b.snapshot("periodic", nil, wentry("a", wval(3), wpl(2, 200, 100, 0)), wentry("b", wval(2), wpl(1, 100, 100, 0)))
	// After compaction (epoch 1), offsets start over.
	b.inv(5, history.OpCompact, "", nil)
	b.done(5, history.OK, &history.Output{Compaction: &history.Compaction{Epoch: 1, BytesAfter: 200}})
	b.put(1, "e", wval(5), wpl(5, 200, 100, 1))
	b.snapshot("final", nil, wentry("a", wval(3), wpl(2, 0, 100, 1)), wentry("b", wval(2), wpl(1, 100, 100, 1)), wentry("e", wval(5), wpl(5, 200, 100, 1)))
	wantWS(t, runWS(t, offsetOverlapCheck{}, b), Valid)
}

func TestOffsetOverlapRestartForgetsLostRanges(t *testing.T) {
	// An unsynced put lost in a power cut frees its range: after the restart
	// the store may hand it out again.
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.nemesis("power-loss", history.NemesisStart, history.Nemesis{})
	b.nemesis("power-loss", history.NemesisEnd, history.Nemesis{Restart: true})
	b.snapshot("restart", &history.Stats{})
	b.put(1, "b", wval(2), wpl(0, 0, 100, 0))
	wantWS(t, runWS(t, offsetOverlapCheck{}, b), Valid)
}
