package checker

import "github.com/warmcheck/warmcheck/history"

type wroteKind uint8

const (
	wroteNever wroteKind = iota // no effective put wrote this content
	wroteOK                     // a current write wrote exactly this value
	wroteMixed                  // a current write wrote the content, other fields differ
	wroteStale                  // only superseded writes wrote it
)

// wrote is who wrote a value that a read (iterate entry, recovered record)
// returned. op is nil when the writer is the segment's recovered state.
type wrote struct {
	kind     wroteKind
	op       *opRec
	mismatch string
}

func (w wrote) positions() []int {
	if w.op == nil {
		return nil
	}
	return []int{w.op.Call}
}

// stateWrite is a value a recorded state held (the initial snapshot, or the
// layout recovered at a restart): a pseudo-put at that state's position.
// fresh says whether it was still current where the read is judged.
type stateWrite struct {
	value history.Value
	fresh bool
}

// whoWrote finds the write behind value v of id: an effective put invoked
// before position callBound that wrote v's content (several puts may share
// nil or empty content, so all are tried), or one of the recorded states
// that held id. fresh says whether a put was still current. A current write
// with all fields equal wins; otherwise a current one with other fields
// (mixed), then a superseded one (stale), then none.
func whoWrote(id string, v history.Value, d *idOps, callBound int, states []stateWrite,
	fresh func(*opRec) bool, origin int64) wrote {
	best := wrote{kind: wroteNever}
	consider := func(c wrote) {
		if c.kind == wroteMixed && best.kind != wroteMixed || c.kind == wroteStale && best.kind == wroteNever {
			best = c
		}
	}
	for _, w := range d.writers[contentKeyOf(v)] {
		if !w.effective() || w.Call >= callBound {
			continue
		}
		if !fresh(w) {
			consider(wrote{kind: wroteStale, op: w})
			continue
		}
		m := fieldsMismatch(id, v, w.Input.Value, w, d, callBound, origin)
		if m == "" {
			return wrote{kind: wroteOK, op: w}
		}
		consider(wrote{kind: wroteMixed, op: w, mismatch: m})
	}
	for _, s := range states {
		if !sameContent(s.value, v) {
			continue
		}
		if !s.fresh {
			consider(wrote{kind: wroteStale})
		} else if m := fieldsMismatch(id, v, s.value, nil, d, callBound, origin); m == "" {
			return wrote{kind: wroteOK}
		} else {
			consider(wrote{kind: wroteMixed, mismatch: m})
		}
	}
	return best
}
