package register

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/warmcheck/warmcheck/history"
)

// infinity is the return position of an operation whose outcome is unknown
// (an info completion, or no completion before the history or its crash epoch
// ended): porcupine's recipe, it may take effect at any point after its call.
const infinity = math.MaxInt64

type regStatus uint8

const (
	statusOK   regStatus = iota + 1
	statusInfo           // may or may not have taken effect; output unchecked
)

// regOp is one operation of the register model. Positions (call, ret) are
// indices into Input.Events: unique, and in the history's real-time order, so
// "a precedes b" is exactly a.ret < b.call.
type regOp struct {
	op       history.Op
	status   regStatus
	process  int64
	call     int64 // position of the invoke event
	ret      int64 // position of the completion, or infinity for info ops
	complete int   // position of the completion event, -1 if none
	// input: the value a put writes, or the activation update-activation sets.
	value      valueKey
	activation uint32
	// output of ok completions.
	found  bool
	output valueKey
	// clampedBy is the position of the completion of the first operation that
	// observed this info put's value (its ret was clamped to it), or -1.
	clampedBy int
}

type partitionKey struct {
	epoch int
	id    string
}

// regPartition is the register history of one memory in one crash epoch.
type regPartition struct {
	key          partitionKey
	initial      regState
	initialKnown bool // false: the epoch began with a restart but no "restart" snapshot followed
	initialEvent int  // position of the snapshot that gave the initial state, -1 if none
	ops          []regOp
	nops         int // how many ops registerView built (ops is nil once the check pruned it in place)
	shard        int // which of buildRegOps' workers builds ops
	// iterObserved maps a write identity to the earliest completion position
	// of an iterate or recall (same memory, same epoch) whose result held it.
	iterObserved map[writeIdentity]int64
}

// regHistory is the register view of a whole history.
type regHistory struct {
	partitions []*regPartition // sorted by epoch, then id
	faults     []Fault
	epochs     int
}

// registerView partitions put/get/remove/update-activation by (crash epoch,
// memory id), on the paired operations the whole-store checks use (x: one
// definition of pairing and of crash segments, the checker's op index).
// Crash epochs are x's segments: a nemesis end event with Restart set ends
// one. An operation belongs to the epoch it was invoked in. One that
// epoch's crash caught (its completion, if any, lies in a later epoch, from
// a store that was killed under it) or that the history ended before, may
// or may not have happened: info, with no completion and its return at
// infinity. Failed operations are dropped: they had no effect. Each epoch
// starts from its snapshot: the "initial" one before any operation (else
// empty) for the first, the first "restart" snapshot after the restart for
// the others (none: the state is unknown).
func registerView(events []history.Event, x Pairing) (*regHistory, error) {
	h := &regHistory{epochs: x.Segments()}
	if err := checkPayloads(events); err != nil {
		return nil, err
	}
	h.faults = x.Faults()

	epochInitial := make([]map[string]regState, h.epochs)
	epochInitialEvent := make([]int, h.epochs)
	epochInitialKnown := make([]bool, h.epochs)
	initialSnap := x.InitialSnapshot()
	epochInitialEvent[0], epochInitialKnown[0] = initialSnap, true
	if initialSnap >= 0 {
		epochInitial[0] = layoutState(events[initialSnap].Snapshot.Layout)
	}
	for k, snap := range x.RestartSnapshots() {
		epochInitialEvent[k+1] = snap
		if snap >= 0 {
			epochInitial[k+1] = layoutState(events[snap].Snapshot.Layout)
			epochInitialKnown[k+1] = true
		}
	}

	parts := map[partitionKey]*regPartition{}
	part := func(ep int, id string) *regPartition {
		k := partitionKey{ep, id}
		p := parts[k]
		if p == nil {
			p = &regPartition{key: k, initialEvent: -1}
			parts[k] = p
		}
		return p
	}
	// x's ops are in invoke order, so each partition's ops come out sorted by
	// call. First each op's partition and outcome; the ops are built after,
	// in one sequential pass over them (see buildRegOps).
	n := x.Len()
	partOf := make([]*regPartition, n)
	refOf := make([]opRef, n)
	for i := range n {
		r := x.Op(i)
		ep := x.SegmentOf(r.Call)
		completed := r.Done >= 0 && x.SegmentOf(r.Done) == ep
		if !isRegisterOp(r.Op) {
			if completed && r.Type == history.OK && (r.Op == history.OpIterate || r.Op == history.OpRecall) && r.Output != nil {
				for _, en := range r.Output.Entries {
					p := part(ep, en.ID)
					if p.iterObserved == nil {
						p.iterObserved = map[writeIdentity]int64{}
					}
					id := identityOf(keyOf(en.Value))
					if old, seen := p.iterObserved[id]; !seen || int64(r.Done) < old {
						p.iterObserved[id] = int64(r.Done)
					}
				}
			}
			continue
		}
		ref := opRef{inv: r.Call, comp: -1, status: statusInfo}
		if completed {
			switch r.Type {
			case history.Fail:
				continue
			case history.OK:
				ref.comp, ref.status = r.Done, statusOK
			default:
				ref.comp = r.Done
			}
		}
		ie := &events[r.Call]
		if (ie.Op == history.OpPut || ie.Op == history.OpUpdateActivation) && ie.Input == nil {
			return nil, fmt.Errorf("%w: event %d (%s invoke): Input is missing", ErrMalformed, ie.Index, ie.Op.String())
		}
		if ref.status == statusOK && ie.Op != history.OpPut && events[ref.comp].Output == nil {
			ce := &events[ref.comp]
			return nil, fmt.Errorf("%w: event %d (ok completion of %s): Output is missing", ErrMalformed, ce.Index, ce.Op.String())
		}
		p := part(ep, r.ID)
		p.nops++
		partOf[i], refOf[i] = p, ref
	}

	for _, p := range parts {
		if p.nops == 0 {
			continue // only iterate observations: nothing to check
		}
		ep := p.key.epoch
		p.initialKnown = epochInitialKnown[ep]
		p.initialEvent = epochInitialEvent[ep]
		if p.initialKnown && epochInitial[ep] != nil {
			p.initial = epochInitial[ep][p.key.id]
		}
		h.partitions = append(h.partitions, p)
	}
	buildRegOps(x, partOf, refOf, h.partitions)
	sort.Slice(h.partitions, func(a, b int) bool {
		ka, kb := h.partitions[a].key, h.partitions[b].key
		if ka.epoch != kb.epoch {
			return ka.epoch < kb.epoch
		}
		return ka.id < kb.id
	})
	return h, nil
}

// checkPayloads rejects nemesis and snapshot events without their payload
// and events of unknown kinds: the register view reads them all.
func checkPayloads(events []history.Event) error {
	for i := range events {
		e := &events[i]
		switch e.Kind {
		case history.KindSnapshot:
			if e.Snapshot == nil {
				return fmt.Errorf("%w: event %d: snapshot event without Snapshot", ErrMalformed, e.Index)
			}
		case history.KindNemesis:
			if e.Nemesis == nil {
				return fmt.Errorf("%w: event %d: nemesis event without Nemesis", ErrMalformed, e.Index)
			}
		case history.KindOp:
		default:
			return fmt.Errorf("%w: event %d: unknown event kind %d", ErrMalformed, e.Index, e.Kind)
		}
	}
	return nil
}

// opRef is an operation found by extractRegister: its invoke and completion
// positions (comp -1: none) and status. Validated when filed.
type opRef struct {
	inv, comp int
	status    regStatus
}

// buildRegOps fills each partition's ops from the paired operations, in
// x's invoke order (partOf[i] is op i's partition, nil if it has none; refOf[i]
// its outcome). Reading x's ops sequentially, rather than each partition's
// invoke and completion events wherever they lie in the history, was the
// register view's main cost on 1M-op histories (cache misses on 2M events).
// Two workers split the partitions between them, each scanning x's ops.
func buildRegOps(x Pairing, partOf []*regPartition, refOf []opRef, parts []*regPartition) {
	workers := 1
	if runtime.GOMAXPROCS(0) > 1 && len(partOf) >= 1<<16 {
		workers = 2
	}
	for k, p := range parts {
		p.ops = make([]regOp, 0, p.nops)
		p.shard = k % workers
	}
	fill := func(worker, workers int) {
		for i, p := range partOf {
			if p == nil || p.shard != worker {
				continue
			}
			rec := x.Op(i)
			p.ops = append(p.ops, makeRegOp(&rec, refOf[i]))
		}
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fill(w, workers)
		}()
	}
	wg.Wait()
}

// makeRegOp builds the register operation of the paired op rec, whose
// outcome in its partition is r. The pairing gave rec the invoke's Op, Process
// and Input (never nil) and the completion's Output; registerView has
// checked that a put or update-activation has an Input and an ok non-put an
// Output.
func makeRegOp(rec *Call, r opRef) regOp {
	o := regOp{op: rec.Op, status: r.status, process: rec.Process, call: int64(r.inv), ret: infinity, complete: -1, clampedBy: -1}
	switch rec.Op {
	case history.OpPut:
		o.value = keyOf(rec.Input.Value)
	case history.OpUpdateActivation:
		o.activation = math.Float32bits(rec.Input.Activation)
	}
	if r.comp >= 0 {
		o.complete = r.comp
		if r.status == statusOK {
			o.ret = int64(r.comp)
			if rec.Op != history.OpPut {
				o.found = rec.Output.Found
				if rec.Op == history.OpGet && o.found {
					o.output = keyOf(rec.Output.Value)
				}
			}
		}
	}
	return o
}

func layoutState(layout []history.Entry) map[string]regState {
	m := make(map[string]regState, len(layout))
	for _, en := range layout {
		m[en.ID] = regState{present: true, value: keyOf(en.Value)}
	}
	return m
}

func isRegisterOp(op history.Op) bool {
	switch op {
	case history.OpPut, history.OpGet, history.OpRemove, history.OpUpdateActivation:
		return true
	}
	return false
}
