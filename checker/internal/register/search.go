package register

import (
	"math/rand/v2"
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// searchCompact is an exhaustive linearizability search for one partition:
// depth-first over the operations that may come next (those invoked before
// the earliest return among the operations not yet placed), with a cache of
// visited (placed set, state) configurations, as in Wing & Gong / Lowe and
// porcupine. Three differences make hot keys tractable:
//
//   - The placed set is cached as a 128-bit Zobrist hash, not a bitset.
//     porcupine keeps an n-bit copy per configuration, O(n^2) bits over a
//     long partition (12.5 KB per configuration at 100K operations): that is
//     what exhausts memory on hot keys. A hash collision (probability about
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
//     when the stranded read comes due (doomTracker, register_doom.go): a
//     put or remove that leaves an identity some unplaced get returned, an
//     update that leaves a version some unplaced get returned or applies an
//     observed activation to the wrong identity, a new identity or version
//     whose unplaced gets force ops that cannot run under it to be placed
//     first (the zone condition, checked as the search goes), the end of the
//     last possible absence while reads of absence wait. Each cut removes
//     only configurations from which no linearization exists, so the search
//     stays exhaustive. Without the cuts, a wrong choice (typically which of
//     several pending writes comes first around a remove) was discovered
//     only when a stranded get returned, after the search had enumerated the
//     orders of everything in between: measured on 10K hot-spot operations
//     with removes, 4-8M steps and 20-35 s per partition; with them, 10-31K
//     steps and 30-160 ms.
//   - Info ops with no return whose effects no read tells apart are tried
//     one per class (see free below), not in every subset.
//
// guide, when not nil, is a candidate order (a construction that did not
// replay): writes are then tried in the guide's order, so the search follows
// it and backtracks only around the places where it goes wrong.
func searchCompact(initial regState, ops []regOp, budget *searchBudget, seed uint64, guide []int) (Verdict, []int) {
	return searchCompactIn(nil, initial, ops, budget, seed, guide)
}

// searchCompactIn is searchCompact building its maps in sc (nil: fresh).
func searchCompactIn(sc *searchScratch, initial regState, ops []regOp, budget *searchBudget, seed uint64, guide []int) (Verdict, []int) {
	n := len(ops)
	if n == 0 {
		return Valid, nil
	}
	byCall := scratchSlice(sc, func(s *searchScratch) *[]int { return &s.byCall }, n)
	byRet := scratchSlice(sc, func(s *searchScratch) *[]int { return &s.byRet }, n)
	for i := range byCall {
		byCall[i], byRet[i] = i, i
	}
	sort.Slice(byCall, func(a, b int) bool { return ops[byCall[a]].call < ops[byCall[b]].call })
	sort.Slice(byRet, func(a, b int) bool { return ops[byRet[a]].ret < ops[byRet[b]].ret })

	// Who writes what, and whose versions are read.
	putOf := scratchMap(sc, func(s *searchScratch) *map[valueKey]int { return &s.putOf }, n/2)
	putOfIdent := scratchMap(sc, func(s *searchScratch) *map[writeIdentity]int { return &s.putOfIdent }, n/2)
	uaOf := scratchMap(sc, func(s *searchScratch) *map[uint32]int { return &s.uaOf }, 0)
	for i, o := range ops {
		switch o.op {
		case history.OpPut:
			putOf[o.value] = i
			putOfIdent[identityOf(o.value)] = i
		case history.OpUpdateActivation:
			uaOf[o.activation] = i
		}
	}
	readIdent := scratchMap(sc, func(s *searchScratch) *map[writeIdentity]bool { return &s.readIdent }, n/2)
	readAct := scratchMap(sc, func(s *searchScratch) *map[uint32]bool { return &s.readAct }, 0)
	for _, o := range ops {
		if o.op == history.OpGet && o.status == statusOK && o.found {
			readIdent[identityOf(o.output)] = true
			readAct[o.output.activation] = true
		}
	}
	dead := scratchSlice(sc, func(s *searchScratch) *[]bool { return &s.dead }, n)
	for i, o := range ops {
		switch o.op {
		case history.OpPut:
			dead[i] = !readIdent[identityOf(o.value)]
		case history.OpUpdateActivation:
			dead[i] = (o.found || o.status == statusInfo) && !readAct[o.activation]
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
	// of a class (by call) is a candidate: without this, the search tried
	// every subset of the pending ones at every step (measured: 780K dead
	// ends around ten pending info puts on a 10K-op partition).
	free := scratchSlice(sc, func(s *searchScratch) *[]uint8 { return &s.free }, n)
	for i, o := range ops {
		if o.ret != infinity || o.status != statusInfo {
			continue
		}
		switch {
		case o.op == history.OpPut && dead[i]:
			free[i] = freePut
		case o.op == history.OpRemove:
			free[i] = freeRemove
		case o.op == history.OpUpdateActivation && dead[i]:
			free[i] = freeUpdate
		}
	}
	isRead := func(o regOp) bool {
		if o.status != statusOK {
			return false
		}
		return o.op == history.OpGet || (o.op != history.OpPut && !o.found)
	}
	matches := func(o regOp, s regState) bool {
		if o.op != history.OpGet {
			return !s.present
		}
		return o.found == s.present && (!o.found || o.output == s.value)
	}

	rng := rand.New(rand.NewPCG(seed, 0x2b))
	z1 := scratchSlice(sc, func(s *searchScratch) *[]uint64 { return &s.z1 }, n)
	z2 := scratchSlice(sc, func(s *searchScratch) *[]uint64 { return &s.z2 }, n)
	for i := range z1 {
		z1[i], z2[i] = rng.Uint64(), rng.Uint64()
	}
	placed := scratchSlice(sc, func(s *searchScratch) *[]bool { return &s.placed }, n)
	doom := newDoomTrackerIn(sc, initial, ops, byCall, byRet, placed)
	defer func() { budget.cuts.Add(doom.cuts) }()
	var guidePos []int
	if len(guide) == n {
		guidePos = make([]int, n)
		for k, i := range guide {
			guidePos[i] = k
		}
	}
	seen := scratchMap(sc, func(s *searchScratch) *map[cacheKey]struct{} { return &s.seen }, n)
	var h1, h2 uint64
	state := initial
	lo, rp := 0, 0
	stack := scratchSlice(sc, func(s *searchScratch) *[]searchFrame { return &s.stack }, n+1)[:0] // at most one frame per op
	// arena holds the frames' candidate lists, stacked as the frames are:
	// one allocation instead of one per step.
	arena := scratchSlice(sc, func(s *searchScratch) *[]int { return &s.arena }, 1024)[:0]
	if sc != nil {
		defer func() { sc.arena = arena[:0] }() // keep what it grew to
	}
	order := func() []int {
		out := make([]int, len(stack))
		for i, f := range stack {
			out[i] = f.op
		}
		return out
	}
	// candidates lists, most promising first, the ops that may come next.
	candidates := func() []int {
		for lo < n && placed[byCall[lo]] {
			lo++
		}
		for rp < n && placed[byRet[rp]] {
			rp++
		}
		if rp == n {
			return nil
		}
		due := byRet[rp]
		limit := ops[due].ret
		start := len(arena)
		var freeSeen [freeClasses]bool
		for k := lo; k < n && ops[byCall[k]].call <= limit; k++ {
			i := byCall[k]
			if placed[i] {
				continue
			}
			if isRead(ops[i]) && matches(ops[i], state) {
				arena = append(arena[:start], i)
				return arena[start:len(arena):len(arena)]
			}
			if c := free[i]; c > 0 {
				if freeSeen[c] {
					continue // an earlier one of its class stands for it
				}
				freeSeen[c] = true
			}
			arena = append(arena, i)
		}
		cands := arena[start:len(arena):len(arena)]
		if len(cands) < 2 {
			return cands
		}
		// Most needed first.
		want := -1
		d := ops[due]
		switch {
		case d.op == history.OpGet && d.found:
			if w, ok := putOf[d.output]; ok {
				want = w
			} else if u, ok := uaOf[d.output.activation]; ok {
				want = u
				if !state.present || identityOf(state.value) != identityOf(d.output) {
					if w, ok := putOfIdent[identityOf(d.output)]; ok && !placed[w] {
						want = w
					}
				}
			}
		case isRead(d):
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
			if guidePos != nil {
				return guidePos[i]
			}
			switch {
			case i == want:
				return 0
			case i == due:
				return 1
			case dead[i]:
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
		return cands
	}

	push := func() {
		start := len(arena)
		cands := candidates()
		stack = append(stack, searchFrame{start: start, cands: cands, op: -1, state: state, lo: lo, rp: rp})
	}
	push()
	for {
		if !budget.ok() {
			return Unknown, nil
		}
		top := &stack[len(stack)-1]
		if top.op >= 0 {
			// Returning to this frame: undo its placement.
			placed[top.op] = false
			doom.unplace(top.op)
			h1 ^= z1[top.op]
			h2 ^= z2[top.op]
			top.op = -1
		}
		state, lo, rp = top.state, top.lo, top.rp
		advanced := false
		for top.next < len(top.cands) {
			i := top.cands[top.next]
			top.next++
			o := ops[i]
			ok, next := registerStep(state, regInputOf(o), regOutput{found: o.found, value: o.output})
			if !ok || doom.dooms(state, next, i, lo, rp) {
				continue
			}
			k := cacheKey{h1 ^ z1[i], h2 ^ z2[i], next}
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
			top.op = i
			placed[i] = true
			doom.place(i)
			h1, h2, state = k.h1, k.h2, next
			advanced = true
			break
		}
		if !advanced {
			arena = arena[:top.start]
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return Invalid, nil
			}
			continue
		}
		if len(stack) == n {
			return Valid, order()
		}
		push := func() {
			start := len(arena)
			cands := candidates()
			stack = append(stack, searchFrame{start: start, cands: cands, op: -1, state: state, lo: lo, rp: rp})
		}
		push()
	}
}

// searchFrame is one level of searchCompact's depth-first stack.
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

// Classes of interchangeable info ops (searchCompact's free).
const (
	freePut = iota + 1
	freeRemove
	freeUpdate
	freeClasses
)
