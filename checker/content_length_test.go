package checker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// stats builds consistent Stats for a layout and a total.
func statsFor(total uint64, epoch uint64, layout ...history.Entry) *history.Stats {
	st := &history.Stats{Live: uint64(len(layout)), SlotsInUse: uint64(len(layout)), ContentBytesTotal: total, Epoch: epoch}
	for _, le := range layout {
		if le.Placement.HasContent {
			st.ContentBytesLive += uint64(le.Placement.Length)
		}
	}
	if total > 0 {
		st.Fragmentation = float64(total-st.ContentBytesLive) / float64(total)
	}
	return st
}

// clValid is a concurrent history whose final snapshot is right: a, b put
// concurrently with a second put of a; b removed; an info put of c that may
// or may not have happened (it did not); a failed put of d (whose bytes the
// store may have appended).
func clValid() (*wsb, []history.Entry) {
	b := newWSB()
	b.putInv(1, "a", wval(1))
	b.putInv(2, "a", wval(2))
	b.putOK(2, wpl(1, 100, 100, 0))
	b.putOK(1, wpl(0, 0, 100, 0))
	b.put(3, "b", wval(3), wpl(2, 200, 100, 0))
	b.remove(3, "b", true)
	b.putInv(4, "c", wval(4))
	b.done(4, history.Info, nil)
	b.putInv(5, "d", wval(5))
	b.done(5, history.Fail, nil)
	// The store kept a's first put (either order was possible).
	layout := []history.Entry{wentry("a", wval(1), wpl(0, 0, 100, 0))}
	return b, layout
}

func TestContentLengthAcceptsConcurrentFinal(t *testing.T) {
	for _, total := range []uint64{300, 400, 500} { // info and fail puts may or may not have appended
		b, layout := clValid()
		b.snapshot("final", statsFor(total, 0, layout...), layout...)
		wantWS(t, runWS(t, contentLengthCheck{}, b), Valid)
	}
}

func TestContentLengthRejectsFailedPutCounted(t *testing.T) {
	// count-on-failed-store: the failed put of d still counts as live.
	b, layout := clValid()
	st := statsFor(400, 0, layout...)
	st.Live++
	st.ContentBytesLive += 100
	st.Fragmentation = float64(st.ContentBytesTotal-st.ContentBytesLive) / float64(st.ContentBytesTotal)
	b.snapshot("final", st, layout...)
	wantWS(t, runWS(t, contentLengthCheck{}, b), Invalid)
}

func TestContentLengthRejectsFailedPutInLayout(t *testing.T) {
	b, layout := clValid()
	layout = append(layout, wentry("d", wval(5), wpl(3, 400, 100, 0)))
	b.snapshot("final", statsFor(500, 0, layout...), layout...)
	wantWS(t, runWS(t, contentLengthCheck{}, b), Invalid)
}

func TestContentLengthRejectsMissingLiveMemory(t *testing.T) {
	b, _ := clValid()
	b.snapshot("final", statsFor(300, 0))
	wantWS(t, runWS(t, contentLengthCheck{}, b), Invalid)
}

func TestContentLengthRejectsWrongTotal(t *testing.T) {
	for _, total := range []uint64{299, 501} {
		b, layout := clValid()
		b.snapshot("final", statsFor(total, 0, layout...), layout...)
		wantWS(t, runWS(t, contentLengthCheck{}, b), Invalid)
	}
}

func TestContentLengthRejectsBadFragmentation(t *testing.T) {
	b := newWSB()
	st := &history.Stats{ContentBytesTotal: 100, ContentBytesLive: 50, Fragmentation: 0.2}
	b.snapshot("periodic", st)
	wantWS(t, runWS(t, contentLengthCheck{}, b), Invalid)
}

func TestContentLengthAfterCompactionAndRestart(t *testing.T) {
	mk := func() *wsb {
		b := newWSB()
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.put(1, "b", wval(2), wpl(1, 100, 100, 0))
		b.remove(1, "b", true)
		b.inv(2, history.OpCompact, "", nil)
		b.done(2, history.OK, &history.Output{Compaction: &history.Compaction{Epoch: 1, BytesBefore: 200, BytesAfter: 100, BytesReclaimed: 100, Moved: 1}})
		b.put(1, "c", wval(3), wpl(2, 100, 100, 1))
		return b
	}
	layout := []history.Entry{wentry("a", wval(1), wpl(0, 0, 100, 1)), wentry("c", wval(3), wpl(2, 100, 100, 1))}
	b := mk()
	b.snapshot("final", statsFor(200, 1, layout...), layout...)
	wantWS(t, runWS(t, contentLengthCheck{}, b), Valid)

	b = mk()
	b.snapshot("final", statsFor(300, 1, layout...), layout...) // counts the reclaimed bytes still
	wantWS(t, runWS(t, contentLengthCheck{}, b), Invalid)

	// After a restart the recovered total is the new reference.
	b = mk()
	b.nemesis("kill", history.NemesisStart, history.Nemesis{})
	b.nemesis("kill", history.NemesisEnd, history.Nemesis{Restart: true})
	b.snapshot("restart", statsFor(250, 1, layout...), layout...)
	d := wval(4)
	d.ContentLen = 10
	b.put(1, "d", d, wpl(3, 250, 10, 1))
	final := append(append([]history.Entry{}, layout...), wentry("d", d, wpl(3, 250, 10, 1)))
	events := len(b.events)
	b.snapshot("final", statsFor(260, 1, final...), final...)
	wantWS(t, runWS(t, contentLengthCheck{}, b), Valid)
	b.events = b.events[:events]
	b.snapshot("final", statsFor(360, 1, final...), final...)
	wantWS(t, runWS(t, contentLengthCheck{}, b), Invalid)
}

// TestContentLengthAfterCompactFault: a compact fault's recorded result is
// the new epoch's starting size, like a compact operation's; a compact fault
// without a result (failed, or an older history) leaves the size unknown,
// so a wrong total is then only noted, not judged.
func TestContentLengthAfterCompactFault(t *testing.T) {
	layout := []history.Entry{wentry("a", wval(1), wpl(0, 0, 100, 1)), wentry("c", wval(3), wpl(2, 100, 100, 1))}
	mk := func(result *history.Compaction, total uint64) *wsb {
		b := newWSB()
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.put(1, "b", wval(2), wpl(1, 100, 100, 0))
		b.remove(1, "b", true)
		b.nemesis("compact", history.NemesisStart, history.Nemesis{Target: "store"})
		b.nemesis("compact", history.NemesisEnd, history.Nemesis{Target: "store", Compaction: result})
		b.put(1, "c", wval(3), wpl(2, 100, 100, 1))
		b.snapshot("final", statsFor(total, 1, layout...), layout...)
		return b
	}
	ok := &history.Compaction{Epoch: 1, BytesBefore: 200, BytesAfter: 100, BytesReclaimed: 100, Moved: 1}
	wantWS(t, runWS(t, contentLengthCheck{}, mk(ok, 200)), Valid)
	r := runWS(t, contentLengthCheck{}, mk(ok, 300)) // counts the reclaimed bytes still
	wantWS(t, r, Invalid)
	if !strings.Contains(r.Explanation, "compact fault") {
		t.Errorf("explanation does not name the compact fault as the reference: %s", r.Explanation)
	}
	r = runWS(t, contentLengthCheck{}, mk(nil, 300))
	wantWS(t, r, Valid)
	if !strings.Contains(fmt.Sprint(r.Details["notes"]), "epoch 1 has no known starting size") {
		t.Errorf("no note about the compact fault without a result: %v", r.Details)
	}
}

func TestInitialSnapshotIsTheStartingState(t *testing.T) {
	mk := func(iterated ...history.Entry) *wsb {
		b := newWSB()
		pre := []history.Entry{wentry("a", wval(1), wpl(0, 0, 100, 0)), wentry("b", wval(2), wpl(1, 100, 100, 0))}
		b.snapshot("initial", statsFor(200, 0, pre...), pre...)
		b.put(1, "c", wval(3), wpl(2, 200, 100, 0))
		b.iterate(2, iterated...)
		final := append(pre, wentry("c", wval(3), wpl(2, 200, 100, 0)))
		return finish(b, 300, 0, final...)
	}
	all := []history.Entry{{ID: "a", Value: wval(1)}, {ID: "b", Value: wval(2)}, {ID: "c", Value: wval(3)}}
	rep := Run(t.Context(), mk(all...).input(), Options{})
	for _, r := range rep.Checks {
		if r.Verdict != Valid && r.Verdict != NotEvaluated {
			t.Fatalf("%s: %s: %s", r.Name, r.Verdict, r.Summary)
		}
	}
	wantWS(t, runWS(t, iterationCheck{}, mk(all[0], all[2])), Invalid) // b was preloaded and never removed
}

// TestContentLengthAutoCompactedEpoch: with auto-compaction the final
// snapshot may be in an epoch no compact operation or fault produced; its
// total (here larger than the puts placed in it, as a background compaction
// copied live content in) is then not judged against the puts, and the
// notes say why. The live-bytes rules still hold.
func TestContentLengthAutoCompactedEpoch(t *testing.T) {
	b, layout := clValid()
	b.h.AutoCompact = "on at fragmentation >= 0.3 with >= 4096 bytes reclaimable"
	b.snapshot("final", statsFor(100, 3, layout...), layout...)
	r := runWS(t, contentLengthCheck{}, b)
	wantWS(t, r, Valid)
	if notes := fmt.Sprint(r.Details["notes"]); !strings.Contains(notes, "epoch 3") || !strings.Contains(notes, "compacts by itself") {
		t.Fatalf("notes do not say why epoch 3's total was not judged: %s", notes)
	}
	// The live bytes are still checked in that epoch.
	b, layout = clValid()
	b.h.AutoCompact = "on"
	st := statsFor(100, 3, layout...)
	st.ContentBytesLive += 7
	st.Fragmentation = float64(st.ContentBytesTotal-st.ContentBytesLive) / float64(st.ContentBytesTotal)
	b.snapshot("final", st, layout...)
	wantWS(t, runWS(t, contentLengthCheck{}, b), Invalid)
}
