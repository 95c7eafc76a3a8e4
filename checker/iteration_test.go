package checker

import (
	"math"
	"testing"
	"time"

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

// origin is the tests' started_unix_nanos: the store's wall clock at history
// time 0 is at least this.
const origin = int64(1_764_000_000_000_000_000)

// rval is wval(n) with the recorded fields: explicit times unless zero.
func rval(n int, created, last int64) history.Value {
	v := wval(n)
	v.Recorded, v.DecayRate, v.CreatedAt, v.LastAccess = true, 0.0625, created, last
	return v
}

// Every field of a memory is judged: decay_rate bit for bit, created_at and
// last_access as kept or set by the store's clock during the operation that
// set them (a put that wrote 0, or an update-activation).
func TestIterationJudgesRecordedFields(t *testing.T) {
	const old = int64(1_577_836_800_000_000_000) // explicit times of the 2020 epoch
	during := func(b *wsb) int64 { return origin + b.t }
	for _, c := range []struct {
		name    string
		created int64 // the put's; 0: the store sets it
		last    int64
		update  bool // an update-activation to 0.75 after the put
		read    func(b *wsb, v history.Value) history.Value
		want    Verdict
	}{
		{"kept", old, old + 1, false, func(b *wsb, v history.Value) history.Value { return v }, Valid},
		{"decay_rate changed", old, old + 1, false, func(b *wsb, v history.Value) history.Value { v.DecayRate = 0.125; return v }, Invalid},
		{"decay_rate -0 for +0", old, old + 1, false, func(b *wsb, v history.Value) history.Value {
			v.DecayRate = float32(math.Copysign(0, -1))
			return v
		}, Invalid}, // the put wrote +0 (below)
		{"created_at replaced", old, old + 1, false, func(b *wsb, v history.Value) history.Value { v.CreatedAt = during(b); return v }, Invalid},
		{"created_at set by the store", 0, old + 1, false, func(b *wsb, v history.Value) history.Value { v.CreatedAt = during(b); return v }, Valid},
		{"created_at left 0", 0, old + 1, false, func(b *wsb, v history.Value) history.Value { return v }, Invalid},
		{"created_at set long before the put", 0, old + 1, false, func(b *wsb, v history.Value) history.Value { v.CreatedAt = origin - int64(time.Hour); return v }, Invalid},
		{"last_access replaced", old, old + 1, false, func(b *wsb, v history.Value) history.Value { v.LastAccess = during(b); return v }, Invalid},
		{"last_access set by update-activation", old, old + 1, true, func(b *wsb, v history.Value) history.Value {
			v.Activation, v.LastAccess = 0.75, during(b)
			return v
		}, Valid},
		{"update-activation left last_access", old, old + 1, true, func(b *wsb, v history.Value) history.Value { v.Activation = 0.75; return v }, Invalid},
		{"old activation with the update's last_access", old, old + 1, true, func(b *wsb, v history.Value) history.Value { v.LastAccess = during(b); return v }, Invalid},
		{"read does not record them", old, old + 1, false, func(b *wsb, v history.Value) history.Value {
			v.Recorded, v.DecayRate, v.CreatedAt, v.LastAccess = false, 0, 0, 0
			return v
		}, Valid},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newWSB()
			b.h.StartedUnixNanos = origin
			v := rval(1, c.created, c.last)
			if c.name == "decay_rate -0 for +0" {
				v.DecayRate = 0
			}
			b.put(1, "a", v, wpl(0, 0, 100, 0))
			if c.update {
				b.inv(1, history.OpUpdateActivation, "a", &history.Input{Activation: 0.75})
				b.done(1, history.OK, &history.Output{Found: true})
			}
			b.iterate(9, history.Entry{ID: "a", Value: c.read(b, v)})
			wantWS(t, runWS(t, iterationCheck{}, b), c.want)
		})
	}
}

// Without started_unix_nanos the store's clock cannot be placed: store-set
// times are not judged, kept ones still are.
func TestIterationWithoutClockOriginJudgesKeptTimesOnly(t *testing.T) {
	b := newWSB()
	b.put(1, "a", rval(1, 0, 5), wpl(0, 0, 100, 0))
	b.put(1, "b", rval(2, 7, 0), wpl(1, 100, 100, 0))
	a, bv := rval(1, 123, 5), rval(2, 7, 456)
	b.iterate(9, history.Entry{ID: "a", Value: a}, history.Entry{ID: "b", Value: bv})
	wantWS(t, runWS(t, iterationCheck{}, b), Valid)

	b = newWSB()
	b.put(1, "a", rval(1, 0, 5), wpl(0, 0, 100, 0))
	b.iterate(9, history.Entry{ID: "a", Value: rval(1, 123, 6)})
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid)
}

// An update-activation invoked after the iterate returned cannot have set
// the activation and last_access an entry shows.
func TestIterationRejectsLastAccessOfALaterUpdate(t *testing.T) {
	const old = int64(1_577_836_800_000_000_000)
	b := newWSB()
	b.h.StartedUnixNanos = origin
	v := rval(1, old, old+1)
	b.put(1, "a", v, wpl(0, 0, 100, 0))
	got := v
	got.Activation, got.LastAccess = 0.75, origin+b.t
	b.iterate(9, history.Entry{ID: "a", Value: got})
	b.inv(1, history.OpUpdateActivation, "a", &history.Input{Activation: 0.75})
	b.done(1, history.OK, &history.Output{Found: true})
	wantWS(t, runWS(t, iterationCheck{}, b), Invalid)
}
