package checker

import (
	"math/rand/v2"
	"sort"
)

// searchCompact is an exhaustive linearizability search for one partition:
// the Wing & Gong / Lowe algorithm that porcupine implements (depth-first
// over the pending calls, in real-time order, with a cache of visited
// (linearized set, state) pairs), but with the linearized set cached as a
// 128-bit Zobrist hash instead of a bitset. porcupine keeps a copy of an
// n-bit set per visited configuration, O(n^2) bits over a long partition:
// that is what exhausts memory on hot keys (100K operations on one memory,
// 12.5 KB per configuration). Here a configuration costs 16 bytes plus the
// state.
//
// Soundness of the hash: two different sets collide with probability 2^-128
// per pair; a collision can only make the search skip a configuration it
// thinks it has seen, i.e. miss a linearization (a false "invalid"), never
// invent one. A valid verdict is additionally backed by the linearization
// found, replayed by verifyOrder.
type searchNode struct {
	op         int // -1 for the head sentinel
	ret        bool
	match      *searchNode // call -> its return
	prev, next *searchNode
}

type cacheKey struct {
	h1, h2 uint64
	state  regState
}

// searchCompact returns Valid with the linearization, Invalid, or Unknown
// when the budget ran out.
func searchCompact(initial regState, ops []regOp, budget *searchBudget, seed uint64) (Verdict, []int) {
	n := len(ops)
	type ev struct {
		pos int64
		op  int
		ret bool
	}
	evs := make([]ev, 0, 2*n)
	for i, o := range ops {
		evs = append(evs, ev{o.call, i, false})
		evs = append(evs, ev{o.ret, i, true})
	}
	// A call at the same position as a return comes first: intervals are
	// closed (only clamped returns share a position, with other returns).
	sort.Slice(evs, func(a, b int) bool {
		if evs[a].pos != evs[b].pos {
			return evs[a].pos < evs[b].pos
		}
		return !evs[a].ret && evs[b].ret
	})
	nodes := make([]searchNode, 2*n+1)
	head := &nodes[2*n]
	head.op = -1
	calls := make([]*searchNode, n)
	prev := head
	for i, e := range evs {
		nd := &nodes[i]
		nd.op, nd.ret = e.op, e.ret
		nd.prev = prev
		prev.next = nd
		prev = nd
		if !e.ret {
			calls[e.op] = nd
		} else {
			calls[e.op].match = nd
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x2b))
	z1 := make([]uint64, n)
	z2 := make([]uint64, n)
	for i := range z1 {
		z1[i], z2[i] = rng.Uint64(), rng.Uint64()
	}
	lift := func(c *searchNode) {
		c.prev.next = c.next
		if c.next != nil {
			c.next.prev = c.prev
		}
		r := c.match
		r.prev.next = r.next
		if r.next != nil {
			r.next.prev = r.prev
		}
	}
	unlift := func(c *searchNode) {
		r := c.match
		r.prev.next = r
		if r.next != nil {
			r.next.prev = r
		}
		c.prev.next = c
		if c.next != nil {
			c.next.prev = c
		}
	}
	type frame struct {
		call  *searchNode
		state regState
	}
	var stack []frame
	seen := map[cacheKey]struct{}{}
	var h1, h2 uint64
	state := initial
	entry := head.next
	for head.next != nil {
		if !budget.ok() {
			return Unknown, nil
		}
		if !entry.ret {
			o := ops[entry.op]
			ok, next := registerStep(state, regInputOf(o), regOutput{found: o.found, value: o.output})
			if ok {
				k := cacheKey{h1 ^ z1[entry.op], h2 ^ z2[entry.op], next}
				if _, dup := seen[k]; !dup {
					seen[k] = struct{}{}
					stack = append(stack, frame{entry, state})
					h1, h2, state = k.h1, k.h2, next
					lift(entry)
					entry = head.next
					continue
				}
			}
			entry = entry.next
			continue
		}
		// A return whose call is not linearized: backtrack.
		if len(stack) == 0 {
			return Invalid, nil
		}
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		state = top.state
		h1 ^= z1[top.call.op]
		h2 ^= z2[top.call.op]
		unlift(top.call)
		entry = top.call.next
	}
	order := make([]int, len(stack))
	for i, f := range stack {
		order[i] = f.call.op
	}
	return Valid, order
}
