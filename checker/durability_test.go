package checker

import (
	"math"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// crash appends a power loss, its restart and the recovered layout.
func (b *wsb) crash(fault string, recovered ...history.Entry) {
	b.nemesis(fault, history.NemesisStart, history.Nemesis{})
	b.nemesis(fault, history.NemesisEnd, history.Nemesis{Restart: true})
	b.snapshot("restart", statsFor(0, 0, recovered...), recovered...)
}

// durBase: a and b synced (then b removed and synced), c put after the
// sync (unsynced), a overwritten concurrently with the last sync.
func durBase() *wsb {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.put(1, "b", wval(2), wpl(1, 100, 100, 0))
	b.sync(1)
	b.remove(1, "b", true)
	b.inv(9, history.OpSync, "", nil)
	b.putInv(2, "a", wval(3)) // concurrent with the sync: not covered by it
	b.putOK(2, wpl(2, 200, 100, 0))
	b.done(9, history.OK, &history.Output{})
	b.put(1, "c", wval(4), wpl(3, 300, 100, 0))
	return b
}

func TestDurabilityAcceptsEveryAllowedRecovery(t *testing.T) {
	for name, rec := range map[string][]history.Entry{
		"synced only":      {wentry("a", wval(1), wpl(0, 0, 100, 0))},
		"later a survives": {wentry("a", wval(3), wpl(2, 200, 100, 0))},
		"unsynced c too":   {wentry("a", wval(3), wpl(2, 200, 100, 0)), wentry("c", wval(4), wpl(3, 300, 100, 0))},
	} {
		t.Run(name, func(t *testing.T) {
			b := durBase()
			b.crash("power-loss", rec...)
			wantWS(t, runWS(t, durabilityCheck{}, b), Valid)
		})
	}
}

func TestDurabilityRejects(t *testing.T) {
	torn := wval(1)
	torn.Confidence = 0.75
	for name, rec := range map[string][]history.Entry{
		"synced a lost":       {},
		"removed b came back": {wentry("a", wval(1), wpl(0, 0, 100, 0)), wentry("b", wval(2), wpl(1, 100, 100, 0))},
		"never written":       {wentry("a", wval(1), wpl(0, 0, 100, 0)), wentry("z", wval(99), wpl(9, 900, 100, 0))},
		"torn record":         {wentry("a", torn, wpl(0, 0, 100, 0))},
		"other id's content":  {wentry("a", wval(4), wpl(3, 300, 100, 0))},
	} {
		t.Run(name, func(t *testing.T) {
			b := durBase()
			b.crash("power-loss", rec...)
			wantWS(t, runWS(t, durabilityCheck{}, b), Invalid)
		})
	}
}

func TestDurabilityRejectsStaleAfterSecondCrash(t *testing.T) {
	b := durBase()
	b.crash("kill", wentry("a", wval(1), wpl(0, 0, 100, 0)))
	b.put(1, "a", wval(5), wpl(4, 400, 100, 0))
	b.sync(1)
	b.crash("power-loss", wentry("a", wval(1), wpl(0, 0, 100, 0))) // the synced a=5 was lost
	wantWS(t, runWS(t, durabilityCheck{}, b), Invalid)

	ok := durBase()
	ok.crash("kill", wentry("a", wval(1), wpl(0, 0, 100, 0)))
	ok.put(1, "a", wval(5), wpl(4, 400, 100, 0))
	ok.crash("power-loss", wentry("a", wval(1), wpl(0, 0, 100, 0))) // a=5 never synced
	wantWS(t, runWS(t, durabilityCheck{}, ok), Valid)
}

func TestDurabilityWithoutRestartSnapshotIsUnknown(t *testing.T) {
	b := durBase()
	b.nemesis("kill", history.NemesisStart, history.Nemesis{})
	b.nemesis("kill", history.NemesisEnd, history.Nemesis{Restart: true})
	wantWS(t, runWS(t, durabilityCheck{}, b), Unknown)
}

// A recovered NaN is the NaN that was written: floats compare by their bits.
func TestDurabilityComparesFloatsBitwise(t *testing.T) {
	for _, c := range []struct {
		name        string
		wrote, read float32
		want        Verdict
	}{
		{"NaN recovered", float32(math.NaN()), float32(math.NaN()), Valid},
		{"-0 recovered as +0", float32(math.Copysign(0, -1)), 0, Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newWSB()
			v := wval(1)
			v.Activation = c.wrote
			b.put(1, "a", v, wpl(0, 0, 100, 0))
			b.sync(1)
			r := v
			r.Activation = c.read
			b.crash("power-loss", wentry("a", r, wpl(0, 0, 100, 0)))
			wantWS(t, runWS(t, durabilityCheck{}, b), c.want)
		})
	}
}

// The last successful sync may lie in an earlier crash segment: what it
// covered must survive every later crash too.
func TestDurabilityAcrossCrashSegments(t *testing.T) {
	t.Run("synced put lost after a second crash", func(t *testing.T) {
		b := newWSB()
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.sync(1)
		b.crash("kill", wentry("a", wval(1), wpl(0, 0, 100, 0)))
		b.put(1, "b", wval(2), wpl(1, 100, 100, 0)) // segment 2: no sync
		b.crash("power-loss")
		wantWS(t, runWS(t, durabilityCheck{}, b), Invalid)
	})
	t.Run("value acknowledged before a later segment's sync", func(t *testing.T) {
		b := newWSB()
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.sync(1)
		b.put(1, "a", wval(2), wpl(1, 100, 100, 0)) // unsynced, survives the kill
		b.crash("kill", wentry("a", wval(2), wpl(1, 100, 100, 0)))
		b.sync(1) // covers a=2, acknowledged before it
		b.crash("power-loss", wentry("a", wval(1), wpl(0, 0, 100, 0)))
		wantWS(t, runWS(t, durabilityCheck{}, b), Invalid)
	})
	t.Run("synced value survives two crashes", func(t *testing.T) {
		b := newWSB()
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.sync(1)
		b.put(1, "a", wval(2), wpl(1, 100, 100, 0))
		b.crash("kill", wentry("a", wval(2), wpl(1, 100, 100, 0)))
		b.crash("power-loss", wentry("a", wval(1), wpl(0, 0, 100, 0))) // a=2 was never synced
		wantWS(t, runWS(t, durabilityCheck{}, b), Valid)
	})
	t.Run("removed after the sync, in a later segment", func(t *testing.T) {
		b := newWSB()
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.sync(1)
		b.crash("kill", wentry("a", wval(1), wpl(0, 0, 100, 0)))
		b.remove(1, "a", true)
		b.crash("power-loss")
		wantWS(t, runWS(t, durabilityCheck{}, b), Valid)
	})
	t.Run("removed before the sync comes back after a second crash", func(t *testing.T) {
		b := newWSB()
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.remove(1, "a", true)
		b.sync(1)
		b.crash("kill")
		b.crash("power-loss", wentry("a", wval(1), wpl(0, 0, 100, 0)))
		wantWS(t, runWS(t, durabilityCheck{}, b), Invalid)
	})
	t.Run("info remove resolved by the first crash excuses nothing later", func(t *testing.T) {
		b := newWSB()
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.inv(2, history.OpRemove, "a", nil) // never completes: the kill ends it
		b.sync(1)
		b.crash("kill", wentry("a", wval(1), wpl(0, 0, 100, 0))) // it did not take effect
		b.sync(1)                                                // covers the recovered a
		b.crash("power-loss")
		wantWS(t, runWS(t, durabilityCheck{}, b), Invalid)
	})
}

// The first segment starts from the initial snapshot (a preloaded store):
// once a sync succeeded, what it held is acknowledged before that sync.
func TestDurabilityFromTheInitialState(t *testing.T) {
	mk := func() *wsb {
		b := newWSB()
		b.snapshot("initial", nil, wentry("a", wval(1), wpl(0, 0, 100, 0)), wentry("b", wval(2), wpl(1, 100, 100, 0)))
		b.put(1, "c", wval(3), wpl(2, 200, 100, 0))
		b.sync(1)
		return b
	}
	t.Run("initial memory lost", func(t *testing.T) {
		b := mk()
		b.crash("power-loss", wentry("b", wval(2), wpl(1, 100, 100, 0)), wentry("c", wval(3), wpl(2, 200, 100, 0)))
		wantWS(t, runWS(t, durabilityCheck{}, b), Invalid)
	})
	t.Run("initial memory torn", func(t *testing.T) {
		b := mk()
		torn := wval(1)
		torn.Confidence = 0.125
		b.crash("power-loss", wentry("a", torn, wpl(0, 0, 100, 0)), wentry("b", wval(2), wpl(1, 100, 100, 0)), wentry("c", wval(3), wpl(2, 200, 100, 0)))
		wantWS(t, runWS(t, durabilityCheck{}, b), Invalid)
	})
	t.Run("all present", func(t *testing.T) {
		b := mk()
		b.crash("power-loss", wentry("a", wval(1), wpl(0, 0, 100, 0)), wentry("b", wval(2), wpl(1, 100, 100, 0)), wentry("c", wval(3), wpl(2, 200, 100, 0)))
		wantWS(t, runWS(t, durabilityCheck{}, b), Valid)
	})
	t.Run("initial value back after an unsynced overwrite survived a kill", func(t *testing.T) {
		b := mk()
		b.put(1, "a", wval(4), wpl(3, 300, 100, 0)) // not synced
		all := []history.Entry{wentry("b", wval(2), wpl(1, 100, 100, 0)), wentry("c", wval(3), wpl(2, 200, 100, 0))}
		b.crash("kill", append([]history.Entry{wentry("a", wval(4), wpl(3, 300, 100, 0))}, all...)...)
		b.crash("power-loss", append([]history.Entry{wentry("a", wval(1), wpl(0, 0, 100, 0))}, all...)...)
		wantWS(t, runWS(t, durabilityCheck{}, b), Valid)
	})
}

// An info put from before the sync's crash segment took effect, if at all,
// before the restart that began it: the recovered layout says which.
func TestDurabilityInfoPutResolvedByAnEarlierRestart(t *testing.T) {
	mk := func(resolved ...history.Entry) *wsb {
		b := newWSB()
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.sync(1)
		b.putInv(2, "a", wval(2)) // never completes: the kill ends it
		b.crash("kill", resolved...)
		b.sync(1)
		return b
	}
	b := mk(wentry("a", wval(1), wpl(0, 0, 100, 0))) // the info put did not take effect
	b.crash("power-loss", wentry("a", wval(2), wpl(1, 100, 100, 0)))
	wantWS(t, runWS(t, durabilityCheck{}, b), Invalid)

	b = mk(wentry("a", wval(2), wpl(1, 100, 100, 0))) // it did
	b.crash("power-loss", wentry("a", wval(2), wpl(1, 100, 100, 0)))
	wantWS(t, runWS(t, durabilityCheck{}, b), Valid)
}

// A recovered record is torn if any recorded field is not the one written.
func TestDurabilityJudgesRecordedFields(t *testing.T) {
	const old = int64(1_577_836_800_000_000_000)
	for _, c := range []struct {
		name string
		mut  func(v *history.Value)
		want Verdict
	}{
		{"as written", func(v *history.Value) {}, Valid},
		{"decay_rate lost", func(v *history.Value) { v.DecayRate = 0 }, Invalid},
		{"created_at lost", func(v *history.Value) { v.CreatedAt = 0 }, Invalid},
		{"last_access of another write", func(v *history.Value) { v.LastAccess = old + 99 }, Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newWSB()
			b.h.StartedUnixNanos = origin
			v := rval(1, old, old+1)
			b.put(1, "a", v, wpl(0, 0, 100, 0))
			b.sync(1)
			c.mut(&v)
			b.crash("power-loss", wentry("a", v, wpl(0, 0, 100, 0)))
			wantWS(t, runWS(t, durabilityCheck{}, b), c.want)
		})
	}
}
