package checker

import (
	"math"
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// idOps is the per-id view used by iteration, durability and fields.
type idOps struct {
	okMutsByCall []*opRec                // ok puts and removes, by invoke position
	sufMinReturn []int                   // suffix minimum of their return positions
	okPutsByRet  []*opRec                // ok puts, by return position
	preMaxCall   []int                   // prefix maximum of their invoke positions
	removes      []*opRec                // effective removes, by invoke position
	preMaxRet    []int                   // prefix maximum of their effective returns (opIndex.effectiveReturnOf)
	activations  map[uint32][]*opRec     // IEEE-754 bits of an update-activation's value -> the effective ones, by invoke position
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
	d := &idOps{activations: map[uint32][]*opRec{}, writers: map[contentKey][]*opRec{}}
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
				d.activations[bits] = append(d.activations[bits], o)
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
