package checker

import (
	"math"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

func (b *wsb) iterate(w int32, entries ...history.Entry) {
	b.inv(w, history.OpIterate, "", nil)
	b.done(w, history.OK, &history.Output{Entries: entries})
}

// itBase: a and b stored, c stored then removed, d put concurrently with the
// coming iterate (w 9 invokes it first and completes it after).
func itBase() *wsb {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.put(1, "b", wval(2), wpl(1, 100, 100, 0))
	b.put(1, "c", wval(3), wpl(2, 200, 100, 0))
	b.remove(1, "c", true)
	return b
}

func TestIterationAcceptsConcurrentWrites(t *testing.T) {
	for _, withD := range []bool{false, true} {
		b := itBase()
		b.inv(9, history.OpIterate, "", nil)
		b.putInv(2, "d", wval(4))            // concurrent put: may or may not be visited
		b.putInv(3, "a", wval(5))            // concurrent overwrite: either value
		b.inv(4, history.OpRemove, "b", nil) // concurrent remove: may be missing
		b.inv(5, history.OpUpdateActivation, "a", &history.Input{Activation: 0.9})
		b.putOK(2, wpl(3, 300, 100, 0))
		b.putOK(3, wpl(4, 400, 100, 0))
		b.done(4, history.OK, &history.Output{Found: true})
		b.done(5, history.OK, &history.Output{Found: true})
		a := wval(5)
		a.Activation = 0.9
		entries := []history.Entry{{ID: "a", Value: a}}
		if withD {
			entries = append(entries, history.Entry{ID: "d", Value: wval(4)})
		}
		b.done(9, history.OK, &history.Output{Entries: entries})
		wantWS(t, runWS(t, iterationCheck{}, b), Valid)
	}
}

func TestIterationRejectsDuplicate(t *testing.T) {
	b := itBase()
	b.iterate(9, history.Entry{ID: "a", Value: wval(1)}, history.Entry{ID: "b", Value: wval(2)}, history.Entry{ID: "a", Value: wval(1)})
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid)
}

func TestIterationRejectsMissing(t *testing.T) {
	b := itBase()
	b.iterate(9, history.Entry{ID: "a", Value: wval(1)})
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid)
}

func TestIterationRejectsRemovedComingBack(t *testing.T) {
	b := itBase()
	b.iterate(9, history.Entry{ID: "a", Value: wval(1)}, history.Entry{ID: "b", Value: wval(2)}, history.Entry{ID: "c", Value: wval(3)})
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid)
}

func TestIterationRejectsNeverWritten(t *testing.T) {
	b := itBase()
	b.iterate(9, history.Entry{ID: "a", Value: wval(1)}, history.Entry{ID: "b", Value: wval(2)}, history.Entry{ID: "z", Value: wval(77)})
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid)
}

func TestIterationRejectsOtherMemorysContent(t *testing.T) {
	// compaction-swap-window shape: a's entry carries b's bytes.
	b := itBase()
	b.iterate(9, history.Entry{ID: "a", Value: wval(2)}, history.Entry{ID: "b", Value: wval(2)})
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid)
}

func TestIterationRejectsFailedPutsValue(t *testing.T) {
	b := itBase()
	b.putInv(2, "a", wval(6))
	b.done(2, history.Fail, nil)
	b.iterate(9, history.Entry{ID: "a", Value: wval(6)}, history.Entry{ID: "b", Value: wval(2)})
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid)
}

func TestIterationRejectsMixedFields(t *testing.T) {
	b := itBase()
	torn := wval(1)
	torn.EmbeddingDigest = wval(2).EmbeddingDigest
	b.iterate(9, history.Entry{ID: "a", Value: torn}, history.Entry{ID: "b", Value: wval(2)})
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid)
}

// An embedding digest is compared unless it is 0 (not returned): the digest
// of no bytes is an embedding like any other, not a wildcard.
func TestIterationComparesEveryReturnedEmbedding(t *testing.T) {
	for _, c := range []struct {
		digest uint64
		want   Verdict
	}{{0, Valid}, {history.DigestEmbedding(nil), Invalid}, {wval(1).EmbeddingDigest, Valid}} {
		b := itBase()
		v := wval(1)
		v.EmbeddingDigest = c.digest
		b.iterate(9, history.Entry{ID: "a", Value: v}, history.Entry{ID: "b", Value: wval(2)})
		wantWS(t, runWS(t, iterationCheck{}, b), c.want)
	}
}

func TestIterationRejectsStaleValue(t *testing.T) {
	b := itBase()
	b.put(1, "a", wval(8), wpl(5, 500, 100, 0))
	b.iterate(9, history.Entry{ID: "a", Value: wval(1)}, history.Entry{ID: "b", Value: wval(2)})
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid)
}

func TestIterationAfterRestartUsesRecoveredState(t *testing.T) {
	mk := func() *wsb {
		b := itBase()
		b.nemesis("power-loss", history.NemesisStart, history.Nemesis{})
		b.nemesis("power-loss", history.NemesisEnd, history.Nemesis{Restart: true})
		// b was lost (never synced): the recovered state has only a.
		b.snapshot("restart", nil, wentry("a", wval(1), wpl(0, 0, 100, 0)))
		return b
	}
	b := mk()
	b.iterate(9, history.Entry{ID: "a", Value: wval(1)})
	wantWS(t, runWS(t, iterationCheck{}, b), Valid)
	b = mk()
	b.iterate(9)
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid) // a was recovered and never removed
}

func TestIterationAfterRestartWithoutSnapshotJudgesValuesOnly(t *testing.T) {
	mk := func() *wsb {
		b := itBase() // a, b stored, c removed
		b.nemesis("kill", history.NemesisStart, history.Nemesis{})
		b.nemesis("kill", history.NemesisEnd, history.Nemesis{Restart: true})
		return b // no restart snapshot: what survived is unknown
	}
	b := mk()
	b.iterate(9, history.Entry{ID: "b", Value: wval(2)}) // a may have been lost
	wantWS(t, runWS(t, iterationCheck{}, b), Valid)
	b = mk()
	b.iterate(9, history.Entry{ID: "b", Value: wval(77)}) // never written
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid)
	b = mk()
	b.put(1, "b", wval(8), wpl(5, 500, 100, 0))
	b.iterate(9, history.Entry{ID: "b", Value: wval(2)}) // superseded after the restart
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid)
}

// A float read back bit for bit equals what was written, NaN included, and
// -0 is not +0: one comparison of values, the bits.
func TestIterationComparesFloatsBitwise(t *testing.T) {
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	for _, c := range []struct {
		name                   string
		wrote, read, activated float32
		want                   Verdict
	}{
		{"NaN confidence read back", nan, nan, 0, Valid},
		{"-0 confidence read as +0", negZero, 0, 0, Invalid},
		{"NaN activation from update-activation", 0.5, 0.5, nan, Valid},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newWSB()
			v := wval(1)
			v.Confidence = c.wrote
			b.put(1, "a", v, wpl(0, 0, 100, 0))
			if c.activated != 0 {
				b.inv(1, history.OpUpdateActivation, "a", &history.Input{Activation: c.activated})
				b.done(1, history.OK, &history.Output{Found: true})
				v.Activation = c.activated
			}
			r := v
			r.Confidence = c.read
			b.iterate(9, history.Entry{ID: "a", Value: r})
			wantWS(t, runWS(t, iterationCheck{}, b), c.want)
		})
	}
}
