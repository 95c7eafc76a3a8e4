package register

import (
	"math/rand/v2"
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// runCompactSearch is an exhaustive linearizability search for one partition:
// depth-first over the operations that may come next (those invoked before
// the earliest return among the operations not yet placed), with a cache of
// visited (placed set, state) configurations, as in Wing & Gong / Lowe and
// porcupine. Four differences make hot keys tractable (DESIGN.md has what
// each was measured to save):
//
//   - The placed set is cached as a 128-bit Zobrist hash, not a bitset.
//     porcupine keeps an n-bit copy per configuration, O(n^2) bits over a
//     long partition, which exhausts memory on hot keys. A hash collision (probability about
//     2^-128 per pair) can only make the search skip a configuration, i.e.
//     miss a linearization (a false "invalid"), never invent one; a valid
//     verdict is also backed by the order found, replayed by verifyOrder.
//   - Reads that match the current state are placed at once, without
//     branching: a read changes nothing, and if any order works from here,
//     one that starts with that read works (every op that must precede it in
//     real time is already placed). Writes are tried most-needed first: the
//     write whose version the earliest-returning pending read needs, then
//     that op itself, then writes nobody reads, then by return. This is only
//     an order of exploration; the search stays exhaustive.
//   - A step that strands a read for good is refused when it is taken, not
//     when the stranded read comes due (doomTracker, doom.go): a
//     put or remove that leaves an identity some unplaced get returned, an
//     update that leaves a version some unplaced get returned or applies an
//     observed activation to the wrong identity, a new identity or version
//     whose unplaced gets force ops that cannot run under it to be placed
//     first (the zone condition, checked as the search goes), the end of the
//     last possible absence while reads of absence wait. Each cut removes
//     only configurations from which no linearization exists, so the search
//     stays exhaustive.
//   - Info ops with no return whose effects no read tells apart are tried
//     one per class (see free below), not in every subset.
//
// guide, when not nil, is a candidate order (a construction that did not
// replay): writes are then tried in the guide's order, so the search follows
// it and backtracks only around the places where it goes wrong. Its maps
// are built in sc (nil: fresh).
func runCompactSearch(sc *searchScratch, initial regState, ops []regOp, budget *searchBudget, seed uint64, guide []int) (Verdict, []int) {
	if len(ops) == 0 {
		return Valid, nil
	}
	s := newCompactSearch(sc, initial, ops, seed, guide)
	defer func() { budget.cuts.Add(s.doom.cuts) }()
	if sc != nil {
		defer func() { sc.arena = s.arena[:0] }() // keep what it grew to
	}
	return s.run(budget)
}

// compactSearch is one run of runCompactSearch: the partition's indexes, built
// once, and the depth-first search's state. Invariants: placed[i] exactly
// for the ops of stack's frames (their op field); (h1, h2) is the Zobrist
// hash of placed; state is the register state after the placed ops, in
// stack order; lo and rp are the first unplaced positions of byCall and
// byRet, or past them.
type compactSearch struct {
	ops           []regOp
	n             int
	byCall, byRet []int
	putOf         map[valueKey]int
	putOfIdent    map[writeIdentity]int
	uaOf          map[uint32]int
	dead          []bool  // a write no read can see (a put of an unread identity, an update of an unread activation)
	free          []uint8 // the op's class of interchangeable info ops, 0 if none
	guidePos      []int   // position of each op in the guide, nil without one
	z1, z2        []uint64
	placed        []bool
	doom          *doomTracker
	seen          map[cacheKey]struct{}
	h1, h2        uint64
	state         regState
	lo, rp        int
	stack         []searchFrame
	arena         []int // the frames' candidate lists, stacked as the frames are: one allocation instead of one per step
}

// newCompactSearch indexes ops for the search: by call and by return, who
// writes which value, which writes are dead, which info ops are
// interchangeable, the Zobrist keys, the doom tracker.
func newCompactSearch(sc *searchScratch, initial regState, ops []regOp, seed uint64, guide []int) *compactSearch {
	n := len(ops)
	s := &compactSearch{ops: ops, n: n, state: initial}
	s.byCall = scratchSlice(sc, func(s *searchScratch) *[]int { return &s.byCall }, n)
	s.byRet = scratchSlice(sc, func(s *searchScratch) *[]int { return &s.byRet }, n)
	byCall, byRet := s.byCall, s.byRet
	for i := range byCall {
		byCall[i], byRet[i] = i, i
	}
	sort.Slice(byCall, func(a, b int) bool { return ops[byCall[a]].call < ops[byCall[b]].call })
	sort.Slice(byRet, func(a, b int) bool { return ops[byRet[a]].ret < ops[byRet[b]].ret })

	// Who writes what, and whose versions are read.
	s.putOf = scratchMap(sc, func(s *searchScratch) *map[valueKey]int { return &s.putOf }, n/2)
	s.putOfIdent = scratchMap(sc, func(s *searchScratch) *map[writeIdentity]int { return &s.putOfIdent }, n/2)
	s.uaOf = scratchMap(sc, func(s *searchScratch) *map[uint32]int { return &s.uaOf }, 0)
	for i, o := range ops {
		switch o.op {
		case history.OpPut:
			s.putOf[o.value] = i
			s.putOfIdent[identityOf(o.value)] = i
		case history.OpUpdateActivation:
			s.uaOf[o.activation] = i
		}
	}
	readIdent := scratchMap(sc, func(s *searchScratch) *map[writeIdentity]bool { return &s.readIdent }, n/2)
	readAct := scratchMap(sc, func(s *searchScratch) *map[uint32]bool { return &s.readAct }, 0)
	for _, o := range ops {
		if o.op == history.OpGet && o.status == statusOK && o.found {
			readIdent[identityOf(o.output)] = true
			readAct[o.output.act()] = true
		}
	}
	s.dead = scratchSlice(sc, func(s *searchScratch) *[]bool { return &s.dead }, n)
	for i, o := range ops {
		switch o.op {
		case history.OpPut:
			s.dead[i] = !readIdent[identityOf(o.value)]
		case history.OpUpdateActivation:
			s.dead[i] = (o.found || o.status == statusInfo) && !readAct[o.activation]
		}
	}
	// Interchangeable ops: info ops with no return (they may take effect at
	// any point after their call, output unchecked) whose effect no read can
	// tell apart: puts of an identity no get returned, removes, and
	// update-activations whose activation no get returned. Two of a class,
	// both invoked, can swap places in any linearization and it stays one
	// (neither return constrains anything; the states between differ only in
	// a value nobody reads, and presence, which is all a remove's or
	// update's found flag sees, is the same). So only the first unplaced one
	// of a class (by call) is a candidate, not every subset of the pending
	// ones.
	s.free = scratchSlice(sc, func(s *searchScratch) *[]uint8 { return &s.free }, n)
	for i, o := range ops {
		if o.ret != infinity || o.status != statusInfo {
			continue
		}
		switch {
		case o.op == history.OpPut && s.dead[i]:
			s.free[i] = freePut
		case o.op == history.OpRemove:
			s.free[i] = freeRemove
		case o.op == history.OpUpdateActivation && s.dead[i]:
			s.free[i] = freeUpdate
		}
	}

	rng := rand.New(rand.NewPCG(seed, 0x2b))
	s.z1 = scratchSlice(sc, func(s *searchScratch) *[]uint64 { return &s.z1 }, n)
	s.z2 = scratchSlice(sc, func(s *searchScratch) *[]uint64 { return &s.z2 }, n)
	for i := range s.z1 {
		s.z1[i], s.z2[i] = rng.Uint64(), rng.Uint64()
	}
	s.placed = scratchSlice(sc, func(s *searchScratch) *[]bool { return &s.placed }, n)
	s.doom = newDoomTrackerIn(sc, initial, ops, byCall, byRet, s.placed)
	if len(guide) == n {
		s.guidePos = make([]int, n)
		for k, i := range guide {
			s.guidePos[i] = k
		}
	}
	s.seen = scratchMap(sc, func(s *searchScratch) *map[cacheKey]struct{} { return &s.seen }, n)
	s.stack = scratchSlice(sc, func(s *searchScratch) *[]searchFrame { return &s.stack }, n+1)[:0] // at most one frame per op
	s.arena = scratchSlice(sc, func(s *searchScratch) *[]int { return &s.arena }, 1024)[:0]
	return s
}

// run is the depth-first search: place the next candidate of the top frame
// that the model, the doom tracker and the cache allow, or pop the frame.
func (s *compactSearch) run(budget *searchBudget) (Verdict, []int) {
	s.push()
	for {
		if !budget.ok() {
			return Unknown, nil
		}
		top := &s.stack[len(s.stack)-1]
		if top.op >= 0 {
			// Returning to this frame: undo its placement.
			s.placed[top.op] = false
			s.doom.unplace(top.op)
			s.h1 ^= s.z1[top.op]
			s.h2 ^= s.z2[top.op]
			top.op = -1
		}
		s.state, s.lo, s.rp = top.state, top.lo, top.rp
		if !s.advance(top) {
			s.arena = s.arena[:top.start]
			s.stack = s.stack[:len(s.stack)-1]
			if len(s.stack) == 0 {
				return Invalid, nil
			}
			continue
		}
		if len(s.stack) == s.n {
			return Valid, s.order()
		}
		s.push()
	}
}

// advance places top's next allowed candidate and reports whether there
// was one.
func (s *compactSearch) advance(top *searchFrame) bool {
	for top.next < len(top.cands) {
		i := top.cands[top.next]
		top.next++
		o := s.ops[i]
		ok, next := registerStep(s.state, regInputOf(o), regOutput{found: o.found, value: o.output})
		if !ok || s.doom.dooms(s.state, next, i, s.lo, s.rp) {
			continue
		}
		k := cacheKey{s.h1 ^ s.z1[i], s.h2 ^ s.z2[i], next}
		if _, dup := s.seen[k]; dup {
			continue
		}
		s.seen[k] = struct{}{}
		top.op = i
		s.placed[i] = true
		s.doom.place(i)
		s.h1, s.h2, s.state = k.h1, k.h2, next
		return true
	}
	return false
}

// push opens a frame for the current state with its candidates.
func (s *compactSearch) push() {
	start := len(s.arena)
	cands := s.candidates()
	s.stack = append(s.stack, searchFrame{start: start, cands: cands, op: -1, state: s.state, lo: s.lo, rp: s.rp})
}

// order is the linearization the stack holds.
func (s *compactSearch) order() []int {
	out := make([]int, len(s.stack))
	for i, f := range s.stack {
		out[i] = f.op
	}
	return out
}

// candidates lists, most promising first, the ops that may come next: the
// unplaced ones invoked before the earliest unplaced return. A read that
// matches the state is the only candidate; of a class of interchangeable
// info ops only the first stands.
func (s *compactSearch) candidates() []int {
	ops, n, placed := s.ops, s.n, s.placed
	for s.lo < n && placed[s.byCall[s.lo]] {
		s.lo++
	}
	for s.rp < n && placed[s.byRet[s.rp]] {
		s.rp++
	}
	if s.rp == n {
		return nil
	}
	due := s.byRet[s.rp]
	limit := ops[due].ret
	start := len(s.arena)
	var freeSeen [freeClasses]bool
	for k := s.lo; k < n && ops[s.byCall[k]].call <= limit; k++ {
		i := s.byCall[k]
		if placed[i] {
			continue
		}
		if isSearchRead(ops[i]) && readMatches(ops[i], s.state) {
			s.arena = append(s.arena[:start], i)
			return s.arena[start:len(s.arena):len(s.arena)]
		}
		if c := s.free[i]; c > 0 {
			if freeSeen[c] {
				continue // an earlier one of its class stands for it
			}
			freeSeen[c] = true
		}
		s.arena = append(s.arena, i)
	}
	cands := s.arena[start:len(s.arena):len(s.arena)]
	if len(cands) >= 2 {
		s.rank(cands, due)
	}
	return cands
}

// rank sorts cands most needed first: the guide's order when there is one;
// else the write whose version the due op (the earliest-returning unplaced
// one) needs, then the due op, then dead writes, then by return.
func (s *compactSearch) rank(cands []int, due int) {
	ops := s.ops
	want := -1
	d := ops[due]
	switch {
	case d.op == history.OpGet && d.found:
		if w, ok := s.putOf[d.output]; ok {
			want = w
		} else if u, ok := s.uaOf[d.output.act()]; ok {
			want = u
			if !s.state.present || identityOf(s.state.value) != identityOf(d.output) {
				if w, ok := s.putOfIdent[identityOf(d.output)]; ok && !s.placed[w] {
					want = w
				}
			}
		}
	case isSearchRead(d):
		for _, i := range cands {
			if ops[i].op == history.OpRemove {
				want = i
				break
			}
		}
	default:
		want = due
	}
	rank := func(i int) int {
		if s.guidePos != nil {
			return s.guidePos[i]
		}
		switch {
		case i == want:
			return 0
		case i == due:
			return 1
		case s.dead[i]:
			return 2
		}
		return 3
	}
	sort.SliceStable(cands, func(a, b int) bool {
		ra, rb := rank(cands[a]), rank(cands[b])
		if ra != rb {
			return ra < rb
		}
		return ops[cands[a]].ret < ops[cands[b]].ret
	})
}

// isSearchRead reports whether o, once placed, leaves the state as it was:
// an ok get, or an ok remove or update-activation that found nothing.
func isSearchRead(o regOp) bool {
	if o.status != statusOK {
		return false
	}
	return o.op == history.OpGet || (o.op != history.OpPut && !o.found)
}

// readMatches reports whether the read o (isSearchRead) is what state s
// gives.
func readMatches(o regOp, s regState) bool {
	if o.op != history.OpGet {
		return !s.present
	}
	return o.found == s.present && (!o.found || o.output == s.value)
}

// searchFrame is one level of runCompactSearch's depth-first stack.
type searchFrame struct {
	cands  []int // a window of arena
	start  int   // where cands begins in arena
	next   int   // index into cands of the next alternative
	op     int   // the op placed by this frame, -1 before the first try
	state  regState
	lo, rp int // cursors into byCall / byRet before placing
}

type cacheKey struct {
	h1, h2 uint64
	state  regState
}

// Classes of interchangeable info ops (runCompactSearch's free).
const (
	freePut = iota + 1
	freeRemove
	freeUpdate
	freeClasses
)
