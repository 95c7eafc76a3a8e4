package checker

import (
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

func TestOffsetMonotonicRejectsLowerOffsetLater(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 500, 100, 0))
	b.put(2, "b", wval(2), wpl(1, 100, 100, 0)) // invoked after a returned, lower offset
	wantWS(t, runWS(t, offsetMonotonicCheck{}, b), Invalid)
}

func TestOffsetMonotonicRejectsSlotReuseOfLiveRecord(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(4, 0, 100, 0))
	b.put(2, "b", wval(2), wpl(4, 100, 100, 0))
	wantWS(t, runWS(t, offsetMonotonicCheck{}, b), Invalid)
}

func TestOffsetMonotonicRejectsOverwriteInPlace(t *testing.T) {
	// Replacing "a" must write a new slot: the put that supersedes a record
	// cannot be what freed that record's slot.
	b := newWSB()
	b.put(1, "a", wval(1), wpl(4, 0, 100, 0))
	b.put(1, "a", wval(2), wpl(4, 100, 100, 0))
	wantWS(t, runWS(t, offsetMonotonicCheck{}, b), Invalid)
}

func TestOffsetMonotonicStrictSyncNeedsASync(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(4, 0, 100, 0))
	b.remove(1, "a", true)
	b.put(2, "b", wval(2), wpl(4, 100, 100, 0))
	// With background group commit possible, the remove may have been synced.
	wantWS(t, runWS(t, offsetMonotonicCheck{}, b), Valid)
	// Without it, only a recorded sync frees the slot.
	wantWS(t, runWS(t, offsetMonotonicCheck{strictSync: true}, b), Invalid)

	ok := newWSB()
	ok.put(1, "a", wval(1), wpl(4, 0, 100, 0))
	ok.remove(1, "a", true)
	ok.sync(3)
	ok.put(2, "b", wval(2), wpl(4, 100, 100, 0))
	wantWS(t, runWS(t, offsetMonotonicCheck{strictSync: true}, ok), Valid)
}

func TestOffsetMonotonicAcceptsConcurrentAndEpochs(t *testing.T) {
	b := newWSB()
	// Concurrent puts may land in any order.
	b.putInv(1, "a", wval(1))
	b.putInv(2, "b", wval(2))
	b.putOK(2, wpl(1, 100, 100, 0))
	b.putOK(1, wpl(0, 0, 100, 0))
	// Empty and nil content carry no offset to compare.
	b.put(1, "e", history.Value{HasContent: true}, history.Placement{Slot: 2, HasContent: true})
	b.put(1, "n", history.Value{}, history.Placement{Slot: 3})
	// A later epoch starts from offset 0 again.
	b.inv(3, history.OpCompact, "", nil)
	b.done(3, history.OK, &history.Output{Compaction: &history.Compaction{Epoch: 1}})
	b.put(1, "c", wval(3), wpl(5, 0, 100, 1))
	b.put(1, "d", wval(4), wpl(6, 100, 100, 1))
	wantWS(t, runWS(t, offsetMonotonicCheck{}, b), Valid)
}
