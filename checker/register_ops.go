package checker

import (
	"fmt"
	"math"
	"sort"

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
	refs         []opRef // extractRegister's work list, nil once ops is built
	// iterObserved maps a write identity to the earliest completion position
	// of an iterate or recall (same memory, same epoch) whose result held it.
	iterObserved map[writeIdentity]int64
}

// faultWindow is a nemesis fault from its start to its end event (positions).
type faultWindow struct {
	fault, target string
	start, end    int
}

// regHistory is the register view of a whole history.
type regHistory struct {
	partitions []*regPartition // sorted by epoch, then id
	faults     []faultWindow
	epochs     int
}

type pendingInvoke struct {
	pos   int
	epoch int
}

// extractRegister pairs invokes with completions (by process), splits the
// history into crash epochs (a nemesis event with Restart set ends one; ops
// pending then become info) and partitions put/get/remove/update-activation
// by (epoch, memory id). Failed operations are dropped: they had no effect.
func extractRegister(events []history.Event) (*regHistory, error) {
	h := &regHistory{epochs: 1}
	parts := map[partitionKey]*regPartition{}
	epochInitial := []map[string]regState{nil}
	epochInitialEvent := []int{-1}
	epochInitialKnown := []bool{true}
	pending := map[int64]pendingInvoke{}
	crashed := map[int64]bool{}
	openFaults := map[[2]string]int{}
	anyOpInvoked := false
	epoch := 0

	part := func(ep int, id string) *regPartition {
		k := partitionKey{ep, id}
		p := parts[k]
		if p == nil {
			p = &regPartition{key: k, initialEvent: -1}
			parts[k] = p
		}
		return p
	}
	// addOp validates an operation and files a reference to it under its
	// partition; the regOps are built once every partition's size is known
	// (appending 100-byte regOps one by one cost more than the rest of the
	// extraction on 1M-op histories).
	addOp := func(inv, comp int, status regStatus) error {
		ie := &events[inv]
		switch ie.Op {
		case history.OpPut:
			if ie.Input == nil {
				return fmt.Errorf("%w: event %d (put invoke): Input is missing", ErrMalformedRegister, ie.Index)
			}
		case history.OpUpdateActivation:
			if ie.Input == nil {
				return fmt.Errorf("%w: event %d (update-activation invoke): Input is missing", ErrMalformedRegister, ie.Index)
			}
		}
		if comp >= 0 && status == statusOK {
			if ce := &events[comp]; ce.Op != history.OpPut && ce.Output == nil {
				return fmt.Errorf("%w: event %d (ok completion of %s): Output is missing", ErrMalformedRegister, ce.Index, ce.Op.String())
			}
		}
		p := part(pendingEpoch(pending, ie.Process, epoch), ie.ID)
		p.refs = append(p.refs, opRef{inv: inv, comp: comp, status: status})
		return nil
	}

	for i := range events {
		e := &events[i]
		switch e.Kind {
		case history.KindSnapshot:
			if e.Snapshot == nil {
				return nil, fmt.Errorf("%w: event %d: snapshot event without Snapshot", ErrMalformedRegister, e.Index)
			}
			switch {
			case e.Snapshot.Reason == "initial" && epoch == 0 && !anyOpInvoked && epochInitialEvent[0] < 0:
				epochInitial[0] = layoutState(e.Snapshot.Layout)
				epochInitialEvent[0] = i
			case e.Snapshot.Reason == "restart" && epoch > 0 && epochInitialEvent[epoch] < 0:
				epochInitial[epoch] = layoutState(e.Snapshot.Layout)
				epochInitialEvent[epoch] = i
				epochInitialKnown[epoch] = true
			}
		case history.KindNemesis:
			if e.Nemesis == nil {
				return nil, fmt.Errorf("%w: event %d: nemesis event without Nemesis", ErrMalformedRegister, e.Index)
			}
			fk := [2]string{e.Nemesis.Fault, e.Nemesis.Target}
			switch e.Nemesis.Phase {
			case history.NemesisStart:
				openFaults[fk] = i
			case history.NemesisEnd:
				if s, ok := openFaults[fk]; ok {
					h.faults = append(h.faults, faultWindow{fault: fk[0], target: fk[1], start: s, end: i})
					delete(openFaults, fk)
				}
			}
			if e.Nemesis.Restart {
				// Everything pending at the crash may or may not have
				// happened; whatever completes later belongs to a dead store.
				for proc, inv := range pending {
					if isRegisterOp(events[inv.pos].Op) {
						if err := addOp(inv.pos, -1, statusInfo); err != nil {
							return nil, err
						}
					}
					crashed[proc] = true
				}
				clear(pending)
				epoch++
				h.epochs++
				epochInitial = append(epochInitial, nil)
				epochInitialEvent = append(epochInitialEvent, -1)
				epochInitialKnown = append(epochInitialKnown, false)
			}
		case history.KindOp:
			switch e.Type {
			case history.Invoke:
				if _, dup := pending[e.Process]; dup {
					return nil, fmt.Errorf("%w: event %d: process %d invoked while its previous operation (event %d) is still pending",
						ErrMalformedRegister, e.Index, e.Process, events[pending[e.Process].pos].Index)
				}
				pending[e.Process] = pendingInvoke{pos: i, epoch: epoch}
				anyOpInvoked = true
			case history.OK, history.Fail, history.Info:
				inv, ok := pending[e.Process]
				if !ok {
					if crashed[e.Process] {
						delete(crashed, e.Process)
						continue
					}
					return nil, fmt.Errorf("%w: event %d: completion for process %d with no pending invoke", ErrMalformedRegister, e.Index, e.Process)
				}
				if events[inv.pos].Op != e.Op {
					return nil, fmt.Errorf("%w: event %d: completion of %s for process %d whose pending invoke (event %d) is %s",
						ErrMalformedRegister, e.Index, e.Op.String(), e.Process, events[inv.pos].Index, events[inv.pos].Op.String())
				}
				if isRegisterOp(e.Op) {
					var err error
					switch e.Type {
					case history.OK:
						err = addOp(inv.pos, i, statusOK)
					case history.Info:
						err = addOp(inv.pos, i, statusInfo)
					}
					if err != nil {
						return nil, err
					}
				} else if e.Type == history.OK && (e.Op == history.OpIterate || e.Op == history.OpRecall) && e.Output != nil {
					for _, en := range e.Output.Entries {
						p := part(inv.epoch, en.ID)
						if p.iterObserved == nil {
							p.iterObserved = map[writeIdentity]int64{}
						}
						id := identityOf(keyOf(en.Value))
						if old, seen := p.iterObserved[id]; !seen || int64(i) < old {
							p.iterObserved[id] = int64(i)
						}
					}
				}
				delete(pending, e.Process)
			default:
				return nil, fmt.Errorf("%w: event %d: unknown event type %d", ErrMalformedRegister, e.Index, e.Type)
			}
		default:
			return nil, fmt.Errorf("%w: event %d: unknown event kind %d", ErrMalformedRegister, e.Index, e.Kind)
		}
	}
	for _, inv := range pending {
		if isRegisterOp(events[inv.pos].Op) {
			if err := addOp(inv.pos, -1, statusInfo); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range openFaults {
		fk := events[s].Nemesis
		h.faults = append(h.faults, faultWindow{fault: fk.Fault, target: fk.Target, start: s, end: len(events) - 1})
	}
	sort.Slice(h.faults, func(a, b int) bool { return h.faults[a].start < h.faults[b].start })

	for _, p := range parts {
		if len(p.refs) == 0 {
			continue // only iterate observations: nothing to check
		}
		ep := p.key.epoch
		p.initialKnown = epochInitialKnown[ep]
		p.initialEvent = epochInitialEvent[ep]
		if p.initialKnown && epochInitial[ep] != nil {
			p.initial = epochInitial[ep][p.key.id]
		}
		p.ops = make([]regOp, len(p.refs))
		for k, r := range p.refs {
			p.ops[k] = makeRegOp(events, r)
		}
		p.refs = nil
		sort.Slice(p.ops, func(a, b int) bool { return p.ops[a].call < p.ops[b].call })
		h.partitions = append(h.partitions, p)
	}
	sort.Slice(h.partitions, func(a, b int) bool {
		ka, kb := h.partitions[a].key, h.partitions[b].key
		if ka.epoch != kb.epoch {
			return ka.epoch < kb.epoch
		}
		return ka.id < kb.id
	})
	return h, nil
}

// opRef is an operation found by extractRegister: its invoke and completion
// positions (comp -1: none) and status. Validated when filed.
type opRef struct {
	inv, comp int
	status    regStatus
}

// makeRegOp builds the register operation r refers to.
func makeRegOp(events []history.Event, r opRef) regOp {
	ie := &events[r.inv]
	o := regOp{op: ie.Op, status: r.status, process: ie.Process, call: int64(r.inv), ret: infinity, complete: -1, clampedBy: -1}
	switch ie.Op {
	case history.OpPut:
		o.value = keyOf(ie.Input.Value)
	case history.OpUpdateActivation:
		o.activation = math.Float32bits(ie.Input.Activation)
	}
	if r.comp >= 0 {
		o.complete = r.comp
		if r.status == statusOK {
			o.ret = int64(r.comp)
			if ce := &events[r.comp]; ce.Op != history.OpPut {
				o.found = ce.Output.Found
				if ce.Op == history.OpGet && o.found {
					o.output = keyOf(ce.Output.Value)
				}
			}
		}
	}
	return o
}

// pendingEpoch is the epoch an operation was invoked in; addOp runs before
// the pending entry is deleted.
func pendingEpoch(pending map[int64]pendingInvoke, process int64, current int) int {
	if inv, ok := pending[process]; ok {
		return inv.epoch
	}
	return current
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
