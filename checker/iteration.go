package checker

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// iterationCheck judges every ok iterate (Output.Entries) against the
// store's documented guarantee: every memory stored before the iteration
// began and not removed during it is visited exactly once, with its value at
// some point during the iteration; nothing torn or half-written is visited.
//
// Within the iterate's crash segment (whose starting state is the recovered
// layout of its restart snapshot, a pseudo-put at the restart), an entry
// (id X, value v) is rejected when:
//   - X appears twice;
//   - no effective put of X invoked before the iterate returned wrote v's
//     content (a failed put's value counts as never written);
//   - every put that wrote v is stale: an ok put or remove of X was invoked
//     after that put returned and returned before the iterate was invoked;
//   - any other field of v is not what its put wrote, bit for bit
//     (fieldsMismatch): confidence, embedding, decay_rate, created_at and
//     activation with last_access (both may come from an update-activation
//     of X; a time the put left 0 is the store's clock during the put).
//
// And an id X is required (its absence rejected) when an ok put of X returned
// before the iterate was invoked and no effective remove of X that may follow
// that put was invoked before the iterate returned.
type iterationCheck struct{}

func (iterationCheck) Name() string { return "iteration" }
func (iterationCheck) Description() string {
	return "an iterate has no duplicate, nothing never stored or stale, every field of every entry as written (floats bit for bit), and everything stored before it and not removed"
}

// idOps is the per-id view used by iteration and durability.
type idOps struct {
	okMutsByCall []*opRec                // ok puts and removes, by invoke position
	sufMinReturn []int                   // suffix minimum of their return positions
	okPutsByRet  []*opRec                // ok puts, by return position
	preMaxCall   []int                   // prefix maximum of their invoke positions
	removes      []*opRec                // effective removes, by invoke position
	preMaxRet    []int                   // prefix maximum of their effective returns (opIndex.effectiveReturnOf)
	activations  map[uint32]int64        // IEEE-754 bits of an effective update-activation's value -> earliest invoke time
	writers      map[contentKey][]*opRec // every put (any outcome), by content
}

type contentKey struct {
	has    bool
	digest uint64
	length uint32
}

func contentKeyOf(v history.Value) contentKey {
	if !v.HasContent {
		return contentKey{}
	}
	return contentKey{true, v.ContentDigest, v.ContentLen}
}

// buildIDOps indexes the ops of one id whose invoke lies in (from, to).
func buildIDOps(x *opIndex, id string, from, to int) *idOps {
	d := &idOps{activations: map[uint32]int64{}, writers: map[contentKey][]*opRec{}}
	for _, i := range x.byID[id] {
		o := &x.ops[i]
		if o.Call <= from || o.Call >= to {
			continue
		}
		switch o.Op {
		case history.OpPut:
			d.writers[contentKeyOf(o.Input.Value)] = append(d.writers[contentKeyOf(o.Input.Value)], o)
			if o.ok() {
				d.okMutsByCall = append(d.okMutsByCall, o)
				d.okPutsByRet = append(d.okPutsByRet, o)
			}
		case history.OpRemove:
			if o.ok() {
				d.okMutsByCall = append(d.okMutsByCall, o)
			}
			if o.effective() {
				d.removes = append(d.removes, o)
			}
		case history.OpUpdateActivation:
			if o.effective() {
				bits := math.Float32bits(o.Input.Activation)
				if t, ok := d.activations[bits]; !ok || o.CallTime < t {
					d.activations[bits] = o.CallTime
				}
			}
		}
	}
	d.sufMinReturn = make([]int, len(d.okMutsByCall))
	for k := len(d.okMutsByCall) - 1; k >= 0; k-- {
		d.sufMinReturn[k] = d.okMutsByCall[k].Return
		if k+1 < len(d.okMutsByCall) && d.sufMinReturn[k+1] < d.sufMinReturn[k] {
			d.sufMinReturn[k] = d.sufMinReturn[k+1]
		}
	}
	sort.Slice(d.okPutsByRet, func(a, b int) bool { return d.okPutsByRet[a].Return < d.okPutsByRet[b].Return })
	d.preMaxCall = make([]int, len(d.okPutsByRet))
	for k, o := range d.okPutsByRet {
		d.preMaxCall[k] = o.Call
		if k > 0 && d.preMaxCall[k-1] > o.Call {
			d.preMaxCall[k] = d.preMaxCall[k-1]
		}
	}
	d.preMaxRet = make([]int, len(d.removes))
	for k, o := range d.removes {
		d.preMaxRet[k] = x.effectiveReturnOf(o)
		if k > 0 && d.preMaxRet[k-1] > d.preMaxRet[k] {
			d.preMaxRet[k] = d.preMaxRet[k-1]
		}
	}
	return d
}

// supersededBetween reports whether an ok put or remove was invoked after
// position after and returned before position before.
func (d *idOps) supersededBetween(after, before int) bool {
	k := sort.Search(len(d.okMutsByCall), func(k int) bool { return d.okMutsByCall[k].Call > after })
	return k < len(d.okMutsByCall) && d.sufMinReturn[k] < before
}

// lastOKPutBefore returns the largest invoke position among ok puts that
// returned before position pos, or -1.
func (d *idOps) lastOKPutBefore(pos int) int {
	k := sort.Search(len(d.okPutsByRet), func(k int) bool { return d.okPutsByRet[k].Return >= pos })
	if k == 0 {
		return -1
	}
	return d.preMaxCall[k-1]
}

// removedBetween reports whether an effective remove invoked before position
// before may have been linearized after position after.
func (d *idOps) removedBetween(after, before int) bool {
	k := sort.Search(len(d.removes), func(k int) bool { return d.removes[k].Call >= before })
	return k > 0 && d.preMaxRet[k-1] > after
}

// segmentState is the starting state of a crash segment.
type segmentState struct {
	start   int                      // restart position, -1 for the first segment
	known   bool                     // the recovered layout was recorded
	initial map[string]history.Value // recovered layout
}

func stateAt(events []history.Event, x *opIndex, pos int) segmentState {
	start, snap, _ := segmentStart(events, x, pos)
	st := segmentState{start: start, known: start < 0 || snap != nil, initial: map[string]history.Value{}}
	if snap != nil {
		for _, le := range snap.Layout {
			st.initial[le.ID] = le.Value
		}
	}
	return st
}

func (iterationCheck) Run(ctx context.Context, in *Input) Result {
	x, err := in.ops()
	if err != nil {
		return Result{Verdict: Unknown, Summary: "cannot pair operations: " + err.Error()}
	}
	iterates, entries := 0, 0
	cache := map[int]map[string]*idOps{} // segment start -> id -> ops
	segCache := map[int]segmentState{}
	candCache := map[int]map[string]bool{} // segment start -> ids that may be required
	for i := range x.ops {
		it := &x.ops[i]
		if it.Op != history.OpIterate || !it.ok() || it.Output == nil {
			continue
		}
		if ctx.Err() != nil {
			return Result{Verdict: Unknown, Summary: ErrDeadlineExceeded.Error()}
		}
		iterates++
		entries += len(it.Output.Entries)
		segIdx := x.segmentOf(it.Call)
		seg, ok := segCache[segIdx]
		if !ok {
			seg = stateAt(in.Events, x, it.Call)
			segCache[segIdx] = seg
		}
		per := cache[seg.start]
		if per == nil {
			per = map[string]*idOps{}
			cache[seg.start] = per
		}
		ops := func(id string) *idOps {
			d := per[id]
			if d == nil {
				// Staleness and completeness look at this segment only:
				// what happened before the crash is summed up by the
				// recovered layout.
				d = buildIDOps(x, id, seg.start, math.MaxInt)
				if !seg.known {
					// No recovered layout: any earlier put may be the writer.
					all := buildIDOps(x, id, -1, math.MaxInt)
					d.writers, d.activations = all.writers, all.activations
				}
				per[id] = d
			}
			return d
		}
		cands := candCache[seg.start]
		if cands == nil {
			cands = map[string]bool{}
			for id := range seg.initial {
				cands[id] = true
			}
			for id, idxs := range x.byID {
				for _, i := range idxs {
					if o := &x.ops[i]; o.Op == history.OpPut && o.ok() && o.Call > seg.start && x.segmentOf(o.Call) == x.segmentOf(it.Call) {
						cands[id] = true
						break
					}
				}
			}
			candCache[seg.start] = cands
		}
		if r, bad := judgeIterate(in.Events, in.Header.StartedUnixNanos, it, seg, ops, cands); bad {
			return r
		}
	}
	details := map[string]any{"iterates": iterates, "entries": entries}
	if iterates == 0 {
		return Result{Verdict: NotEvaluated, Details: details, Summary: "nothing to judge: no ok iterate in the history"}
	}
	return Result{Verdict: Valid, Details: details,
		Summary: fmt.Sprintf("%d iterates (%d entries): complete, no duplicates, every value current and really written", iterates, entries)}
}

// judgeIterate judges one iterate. candidates are the ids that may be
// required: those in the segment's recovered state or with an ok put in
// the segment.
func judgeIterate(events []history.Event, origin int64, it *opRec, seg segmentState, ops func(string) *idOps, candidates map[string]bool) (Result, bool) {
	bad := func(summary, why string, extra ...int) (Result, bool) {
		w := append([]int{it.Call, it.Return}, extra...)
		return violation(ErrIteration, fmt.Sprintf("iterate at event %d: %s", events[it.Call].Index, summary),
			describe(events, it)+"\n"+why, eventIdx(events, w...)), true
	}
	seen := make(map[string]bool, len(it.Output.Entries))
	for _, en := range it.Output.Entries {
		if seen[en.ID] {
			return bad(fmt.Sprintf("visits %q twice", en.ID), "an iteration visits each memory exactly once")
		}
		seen[en.ID] = true
		d := ops(en.ID)
		var states []stateWrite
		if iv, ok := seg.initial[en.ID]; ok {
			states = []stateWrite{{iv, !d.supersededBetween(seg.start, it.Call)}}
		}
		wv := whoWrote(en.ID, en.Value, d, it.Return, states,
			func(w *opRec) bool { return !d.supersededBetween(w.Return, it.Call) }, origin)
		switch wv.kind {
		case wroteOK:
		case wroteMixed:
			return bad("visits a mixed value: "+wv.mismatch, "a visited value must be one really written: all its fields come from one write", wv.positions()...)
		case wroteStale:
			why := fmt.Sprintf("%q held content %#x before the iterate began, but an ok put or remove of it that started later had already returned", en.ID, en.Value.ContentDigest)
			if wv.op != nil {
				return bad(fmt.Sprintf("visits %q with a stale value", en.ID), describe(events, wv.op)+"\n"+why, wv.op.Call)
			}
			return bad(fmt.Sprintf("visits %q with a stale recovered value", en.ID), why)
		default:
			why := fmt.Sprintf("no effective put of %q invoked before the iterate returned wrote content %#x (%d bytes, has_content=%v)",
				en.ID, en.Value.ContentDigest, en.Value.ContentLen, en.Value.HasContent)
			for _, w := range d.writers[contentKeyOf(en.Value)] {
				if !w.effective() {
					why += "\nonly a failed put wrote it: " + describe(events, w)
				}
			}
			return bad(fmt.Sprintf("visits %q with a value never written", en.ID), why)
		}
	}
	// Completeness: every id stored before the iterate began and not removed
	// before it ended.
	if !seg.known {
		return Result{}, false // what survived the crash is unknown: completeness cannot be judged
	}
	for _, id := range slices.Sorted(maps.Keys(candidates)) { // sorted: the same example every run
		if seen[id] {
			continue
		}
		d := ops(id)
		stored := d.lastOKPutBefore(it.Call)
		if stored < 0 {
			if _, ok := seg.initial[id]; !ok {
				continue
			}
			stored = seg.start // recovered: a pseudo-put at the restart
		}
		if d.removedBetween(stored, it.Return) {
			continue
		}
		return bad(fmt.Sprintf("misses %q", id),
			fmt.Sprintf("%q was stored (the put invoked at event %d returned ok before the iterate began) and no remove of it that may follow that put was invoked before the iterate returned",
				id, eventIndexOr(events, stored)), stored)
	}
	return Result{}, false
}

func eventIndexOr(events []history.Event, pos int) any {
	if pos >= 0 && pos < len(events) {
		return events[pos].Index
	}
	return "restart"
}

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
		m := fieldsMismatch(id, v, w.Input.Value, w, d, origin)
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
		} else if m := fieldsMismatch(id, v, s.value, nil, d, origin); m == "" {
			return wrote{kind: wroteOK}
		} else {
			consider(wrote{kind: wroteMixed, mismatch: m})
		}
	}
	return best
}

// fieldsMismatch compares the non-content fields of a value v with the
// value w its writer wrote, bit for bit (history.ValueKey: a NaN written and
// read back is equal, -0 is not +0): confidence, embedding (when returned),
// decay_rate, and activation (the put's or an update-activation's). When
// both record them (history.Value.Recorded), created_at must be the one the
// put wrote, or, if it wrote 0, one the store's clock can have given during
// the put; last_access likewise, except that with an update-activation's
// activation it must be one the store's clock can have given during that
// update-activation (storeClockSet). op is the put, nil when w is a
// recorded state's value (then both times are kept exactly). origin is the
// header's started_unix_nanos. It returns what differs, or "".
func fieldsMismatch(id string, v, w history.Value, op *opRec, d *idOps, origin int64) string {
	vk, wk := v.Key(), w.Key()
	both := v.Recorded && w.Recorded
	switch {
	case vk.Confidence != wk.Confidence:
		return fmt.Sprintf("%q has confidence %g, but the put that wrote its content wrote %g", id, v.Confidence, w.Confidence)
	case vk.EmbeddingDigest != 0 && vk.EmbeddingDigest != wk.EmbeddingDigest: // 0: not returned (a recall entry)
		return fmt.Sprintf("%q has embedding %#x, but the put that wrote its content wrote %#x", id, v.EmbeddingDigest, w.EmbeddingDigest)
	case both && vk.DecayRate != wk.DecayRate:
		return fmt.Sprintf("%q has decay_rate %g, but the put that wrote its content wrote %g", id, v.DecayRate, w.DecayRate)
	case both && !keptOrSet(v.CreatedAt, w.CreatedAt, op, origin):
		return fmt.Sprintf("%q has created_at %d, but its put wrote %d%s", id, v.CreatedAt, w.CreatedAt, setHint(w.CreatedAt, op, origin))
	}
	if vk.Activation == wk.Activation && (!both || keptOrSet(v.LastAccess, w.LastAccess, op, origin)) {
		return ""
	}
	call, ok := d.activations[vk.Activation]
	switch {
	case !ok && vk.Activation == wk.Activation:
		return fmt.Sprintf("%q has last_access %d, but its put wrote %d%s, and no update-activation wrote its activation %g", id, v.LastAccess, w.LastAccess, setHint(w.LastAccess, op, origin), v.Activation)
	case !ok:
		return fmt.Sprintf("%q has activation %g, which neither its put nor any update-activation wrote", id, v.Activation)
	case both && !storeClockSet(v.LastAccess, call, origin):
		return fmt.Sprintf("%q has the activation %g of an update-activation invoked at time %d, but last_access %d, before the store's clock can have read then (%d less %v): the update-activation did not set it",
			id, v.Activation, call, v.LastAccess, origin+call, clockSlack)
	}
	return ""
}

// clockSlack is how far the store's wall clock may seem to run behind the
// history's clock (a wall clock stepped back during the run).
const clockSlack = time.Minute

// storeClockSet reports whether t (ns since the Unix epoch) can have been
// read from the store's wall clock at or after history time call. The
// header's started_unix_nanos (origin) is read before the history's time 0,
// so the wall clock at time call is at least origin+call; a machine that
// sleeps only moves it further ahead, so there is no upper bound. origin 0:
// not recorded, nothing can be judged.
func storeClockSet(t, call, origin int64) bool {
	return origin == 0 || t >= origin+call-int64(clockSlack)
}

// keptOrSet reports whether a time field read back as read is the one a put
// wrote (written), or, when the put wrote 0, one the store set during it.
func keptOrSet(read, written int64, op *opRec, origin int64) bool {
	if written != 0 || op == nil {
		return read == written
	}
	return read != 0 && storeClockSet(read, op.CallTime, origin)
}

func setHint(written int64, op *opRec, origin int64) string {
	if written != 0 || op == nil || origin == 0 {
		return ""
	}
	return fmt.Sprintf(" (0: the store sets it during the put, invoked at time %d, so not before %d less %v)", op.CallTime, origin+op.CallTime, clockSlack)
}
