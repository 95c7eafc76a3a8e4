package register

import (
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// The constructive path: for partitions the zone check cannot take (removes,
// update-activations, info ops left after pruning), build one candidate
// linearization greedily and verify it by replaying the register model. A
// verified order proves the partition linearizable; a failed attempt proves
// nothing (the partition goes on to the relaxation check and the search).
//
// The greedy rules, all driven by unique values (a read names the write whose
// version it saw):
//   - reads are linearized as soon as they are invoked and the memory holds
//     what they returned (a read changes nothing, so early is never worse);
//   - writes whose versions someone reads are linearized as late as
//     possible: when they return, or when a read being forced needs them;
//   - writes no one observes ("dead") are linearized as early as possible,
//     right before the next write, so they are overwritten unseen.

// linearizer holds the greedy construction's state.
type linearizer struct {
	ops     []regOp
	state   regState
	done    []bool
	pending []int // invoked, not yet linearized (lazily compacted)
	order   []int
	failed  bool

	putOf      map[valueKey]int       // a put's full value -> op
	putOfIdent map[writeIdentity]int  // a put's identity -> op
	uaOf       map[uint32]int         // an update-activation's activation -> op
	uaIdentity map[int]writeIdentity  // update-activation -> identity a read saw it on
	dead       []bool                 // nobody reads this write's version (puts: identity)
	observed   map[writeIdentity]bool // identities some get returned
}

func newLinearizer(p *regPartition, ops []regOp) *linearizer {
	l := &linearizer{ops: ops, state: p.initial, done: make([]bool, len(ops)), dead: make([]bool, len(ops)),
		putOf: map[valueKey]int{}, putOfIdent: map[writeIdentity]int{}, uaOf: map[uint32]int{},
		uaIdentity: map[int]writeIdentity{}, observed: map[writeIdentity]bool{}}
	for i, o := range ops {
		switch o.op {
		case history.OpPut:
			l.putOf[o.value] = i
			l.putOfIdent[identityOf(o.value)] = i
		case history.OpUpdateActivation:
			l.uaOf[o.activation] = i
		}
	}
	readVersion := map[valueKey]bool{}
	for _, o := range ops {
		if o.op == history.OpGet && o.status == statusOK && o.found {
			readVersion[o.output] = true
			l.observed[identityOf(o.output)] = true
			if _, isPut := l.putOf[o.output]; !isPut {
				if u, ok := l.uaOf[o.output.act()]; ok {
					l.uaIdentity[u] = identityOf(o.output)
				}
			}
		}
	}
	for i, o := range ops {
		switch o.op {
		case history.OpPut:
			l.dead[i] = !l.observed[identityOf(o.value)]
		case history.OpUpdateActivation:
			// A not-found update is a read of absence, never a write.
			_, seen := l.uaIdentity[i]
			l.dead[i] = !seen && (o.found || o.status == statusInfo)
		}
	}
	return l
}

// linearizeGreedy returns a candidate order (indices into ops) or false.
func linearizeGreedy(p *regPartition, ops []regOp) ([]int, bool) {
	l := newLinearizer(p, ops)
	type ev struct {
		pos int64
		op  int
		ret bool
	}
	evs := make([]ev, 0, 2*len(ops))
	for i, o := range ops {
		evs = append(evs, ev{o.call, i, false})
		if o.ret != infinity {
			evs = append(evs, ev{o.ret, i, true})
		}
	}
	sort.Slice(evs, func(a, b int) bool {
		if evs[a].pos != evs[b].pos {
			return evs[a].pos < evs[b].pos
		}
		return !evs[a].ret && evs[b].ret // a clamped return shares its observer's position: calls first
	})
	for _, e := range evs {
		if l.failed {
			return nil, false
		}
		if !e.ret {
			l.pending = append(l.pending, e.op)
			if l.isRead(e.op) && l.readMatches(e.op) {
				l.linearize(e.op)
			}
			continue
		}
		if !l.done[e.op] {
			l.force(e.op)
		}
	}
	// Info ops nobody needed go last, where their effect is invisible.
	for _, i := range append([]int(nil), l.pending...) {
		if !l.done[i] && !l.failed {
			l.linearize(i)
		}
	}
	if l.failed {
		return nil, false
	}
	return l.order, true
}

func (l *linearizer) isRead(i int) bool {
	o := l.ops[i]
	if o.status != statusOK {
		return false
	}
	switch o.op {
	case history.OpGet:
		return true
	case history.OpRemove, history.OpUpdateActivation:
		return !o.found
	}
	return false
}

func (l *linearizer) readMatches(i int) bool {
	o := l.ops[i]
	if o.op != history.OpGet {
		return !l.state.present
	}
	if o.found != l.state.present {
		return false
	}
	return !o.found || o.output == l.state.value
}

func (l *linearizer) linearize(i int) {
	o := l.ops[i]
	ok, next := registerStep(l.state, regInputOf(o), regOutput{found: o.found, value: o.output})
	if !ok {
		l.failed = true
		return
	}
	l.done[i] = true
	l.order = append(l.order, i)
	changed := next != l.state
	l.state = next
	if changed {
		l.eagerReads()
	}
}

func (l *linearizer) eagerReads() {
	live := l.pending[:0]
	for _, i := range l.pending {
		if l.done[i] {
			continue
		}
		if l.isRead(i) && l.readMatches(i) {
			l.done[i] = true
			l.order = append(l.order, i)
			continue
		}
		live = append(live, i)
	}
	l.pending = live
}

// pendingMinRet is the not-yet-linearized, invoked op accepted by want with
// the earliest return, or -1.
func (l *linearizer) pendingMinRet(want func(o regOp) bool) int {
	best := -1
	for _, i := range l.pending {
		if !l.done[i] && want(l.ops[i]) && (best < 0 || l.ops[i].ret < l.ops[best].ret) {
			best = i
		}
	}
	return best
}

func (l *linearizer) isPending(i int) bool {
	if l.done[i] {
		return false
	}
	for _, j := range l.pending {
		if j == i {
			return true
		}
	}
	return false
}

// flushDead linearizes pending writes nobody observes, before a write that
// will overwrite them. beforePut: the coming write is a put, so dead puts
// may go first too (before a remove they may not: a later found remove or
// update may need the memory present).
func (l *linearizer) flushDead(except int, beforePut bool) {
	for _, i := range append([]int(nil), l.pending...) {
		if i == except || l.done[i] || !l.dead[i] {
			continue
		}
		o := l.ops[i]
		switch {
		case o.op == history.OpPut && beforePut:
			l.linearize(i)
		case o.op == history.OpUpdateActivation && (l.state.present || o.status == statusInfo):
			l.linearize(i)
		}
		if l.failed {
			return
		}
	}
}

func (l *linearizer) writeNow(i int) {
	l.flushDead(i, l.ops[i].op == history.OpPut)
	if !l.failed {
		l.linearize(i)
	}
}

// ensurePresent makes the memory hold some value: with a pending put nobody
// reads if there is one, else the pending put that returns first.
func (l *linearizer) ensurePresent() {
	if l.state.present {
		return
	}
	w := -1
	for _, i := range l.pending {
		if !l.done[i] && l.dead[i] && l.ops[i].op == history.OpPut {
			w = i
			break
		}
	}
	if w < 0 {
		w = l.pendingMinRet(func(o regOp) bool { return o.op == history.OpPut })
	}
	if w < 0 {
		l.failed = true
		return
	}
	l.writeNow(w)
}

// ensureIdentity makes the memory hold a version of identity id.
func (l *linearizer) ensureIdentity(id writeIdentity) {
	if l.state.present && identityOf(l.state.value) == id {
		return
	}
	w, ok := l.putOfIdent[id]
	if !ok || !l.isPending(w) {
		l.failed = true
		return
	}
	l.writeNow(w)
}

// ensureVersion makes the memory hold exactly target.
func (l *linearizer) ensureVersion(target regState) {
	if l.state == target {
		return
	}
	if !target.present {
		w := l.pendingMinRet(func(o regOp) bool {
			return o.op == history.OpRemove && (o.status == statusInfo || o.found)
		})
		if w < 0 || !l.state.present {
			l.failed = true
			return
		}
		l.writeNow(w)
		return
	}
	if w, ok := l.putOf[target.value]; ok {
		if !l.isPending(w) {
			l.failed = true
			return
		}
		l.writeNow(w)
		return
	}
	u, ok := l.uaOf[target.value.act()]
	if !ok || !l.isPending(u) {
		l.failed = true
		return
	}
	l.ensureIdentity(identityOf(target.value))
	if !l.failed {
		l.writeNow(u)
	}
}

// force linearizes op i, which is returning now.
func (l *linearizer) force(i int) {
	o := l.ops[i]
	switch {
	case o.op == history.OpGet:
		l.ensureVersion(regState{present: o.found, value: o.output})
	case l.isRead(i): // not-found remove or update-activation
		l.ensureVersion(regState{})
	case o.op == history.OpRemove:
		l.ensurePresent()
		if !l.failed {
			l.flushDead(i, false)
		}
	case o.op == history.OpUpdateActivation:
		if id, seen := l.uaIdentity[i]; seen {
			l.ensureIdentity(id)
		} else {
			l.ensurePresent()
		}
		if !l.failed {
			l.flushDead(i, false)
		}
	case o.op == history.OpPut:
		l.flushDead(i, true)
	}
	if !l.failed && !l.done[i] {
		l.linearize(i)
	}
}

// verifyOrder replays order against the register model and real time: it is
// a linearization iff every op's step is legal and no op placed later
// returned before an op placed earlier was invoked. This, not the greedy
// construction, is what a valid verdict rests on.
func verifyOrder(initial regState, ops []regOp, order []int) bool {
	if len(order) != len(ops) {
		return false
	}
	seen := make([]bool, len(ops))
	state := initial
	var maxCall int64 = -1
	for _, i := range order {
		if i < 0 || i >= len(ops) || seen[i] {
			return false
		}
		seen[i] = true
		o := ops[i]
		if o.ret < maxCall {
			return false
		}
		maxCall = max(maxCall, o.call)
		ok, next := registerStep(state, regInputOf(o), regOutput{found: o.found, value: o.output})
		if !ok {
			return false
		}
		state = next
	}
	return true
}
