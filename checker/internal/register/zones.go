package register

import (
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// The zone check decides linearizability of a register history in which
// every write has a distinct value and every read names the write it saw
// (Gibbons & Korach, "Testing Shared Memories", SIAM J. Comput. 1997; the
// zone formulation is Golab, Li & Shah, "Analyzing Consistency Properties for
// Fun and Profit", PODC 2011). In any linearization of such a history each
// write is followed by exactly its own reads before the next write: writes
// with their reads ("clusters") form contiguous, non-interleaved blocks.
//
// For a cluster C let f = the earliest return among its ops and s = the
// latest call. If f < s, C's value must be current throughout [f, s] (its
// write is linearized by f, its last op at or after s): a forward zone.
// Otherwise [s, f] is a backward zone. The history is linearizable iff
//  1. every read returns a value some write (or the initial state) holds,
//     and does not return before that write was invoked;
//  2. no two forward zones overlap;
//  3. no backward zone lies inside a forward zone.
// With the zones sorted this is O(n log n).
//
// The initial state is a virtual write at position -1, before everything.

type violationKind uint8

const (
	violReadNeverWritten violationKind = iota + 1 // value no write produced
	violReadCorrupted                             // identity of a write, other fields differ
	violReadAbsent                                // absent read, but the memory was never absent
	violReadBeforeWrite                           // read returned before its write was invoked
	violForwardOverlap                            // two forward zones overlap
	violBackwardInside                            // a backward zone inside a forward zone
	violSearch                                    // porcupine found no order
)

// zoneEnd names the op (index in ops, -1 for the virtual initial write) that
// sets a zone's bound, and the bound.
type zoneEnd struct {
	op  int
	pos int64
}

type cluster struct {
	write int // index in ops, -1 for the initial value
	f, s  zoneEnd
	level relaxLevel
}

func (c cluster) forward() bool { return c.f.pos < c.s.pos }

// zoneViolation is one reason the partition is not linearizable. ops are the
// operations (indices into the checked slice, -1 = initial value) whose
// sub-history alone is already not linearizable.
type zoneViolation struct {
	kind  violationKind
	level relaxLevel // which view of the partition the zones were computed in
	a, b  cluster    // a: the forward zone (or the read's cluster); b: the other
	read  int        // the offending read, for read violations
	ops   []int
}

// checkZones returns the violations of the zone conditions (nil: the
// partition is linearizable). Every read violation is reported; of the zone
// conflicts, those between neighbours in zone order, which is enough to
// decide and to pick the earliest.
func checkZones(p *regPartition, ops []regOp) []zoneViolation {
	var viols []zoneViolation
	clusters := make([]cluster, 0, 16)
	byIdentity := map[writeIdentity]int{}
	absentCluster := -1
	initial := cluster{write: -1, f: zoneEnd{-1, -1}, s: zoneEnd{-1, -1}}
	clusters = append(clusters, initial)
	if p.initial.present {
		byIdentity[identityOf(p.initial.value)] = 0
	} else {
		absentCluster = 0
	}
	for i, o := range ops {
		if o.op == history.OpPut {
			byIdentity[identityOf(o.value)] = len(clusters)
			clusters = append(clusters, cluster{write: i, f: zoneEnd{i, o.ret}, s: zoneEnd{i, o.call}})
		}
	}
	valueOf := func(c cluster) valueKey {
		if c.write < 0 {
			return p.initial.value
		}
		return ops[c.write].value
	}
	for i, o := range ops {
		if o.op != history.OpGet {
			continue
		}
		ci := -1
		switch {
		case !o.found:
			if absentCluster < 0 {
				viols = append(viols, zoneViolation{kind: violReadAbsent, read: i, a: clusters[0], ops: []int{-1, i}})
				continue
			}
			ci = absentCluster
		default:
			c, ok := byIdentity[identityOf(o.output)]
			if !ok {
				viols = append(viols, zoneViolation{kind: violReadNeverWritten, read: i, ops: []int{i}})
				continue
			}
			if valueOf(clusters[c]) != o.output {
				viols = append(viols, zoneViolation{kind: violReadCorrupted, read: i, a: clusters[c], ops: []int{clusters[c].write, i}})
				continue
			}
			ci = c
		}
		c := &clusters[ci]
		if c.write >= 0 && o.ret < ops[c.write].call {
			viols = append(viols, zoneViolation{kind: violReadBeforeWrite, read: i, a: *c, ops: []int{c.write, i}})
			continue
		}
		if o.ret < c.f.pos {
			c.f = zoneEnd{i, o.ret}
		}
		if o.call > c.s.pos {
			c.s = zoneEnd{i, o.call}
		}
	}

	return append(viols, zoneConflicts(clusters)...)
}

// zoneConflicts returns the conflicts among clusters' zones (conditions 2
// and 3): between neighbours in zone order, which is enough to decide and to
// pick the earliest.
func zoneConflicts(clusters []cluster) []zoneViolation {
	var viols []zoneViolation
	var fwd, bwd []cluster
	for _, c := range clusters {
		if c.forward() {
			fwd = append(fwd, c)
		} else {
			bwd = append(bwd, c)
		}
	}
	sort.Slice(fwd, func(i, j int) bool { return fwd[i].f.pos < fwd[j].f.pos })
	for i := 0; i+1 < len(fwd); i++ {
		if fwd[i+1].f.pos < fwd[i].s.pos {
			viols = append(viols, zoneViolation{kind: violForwardOverlap, a: fwd[i], b: fwd[i+1], ops: clusterWitness(fwd[i], fwd[i+1])})
		}
	}
	for _, c := range bwd {
		// Forward zones that do not overlap are ordered by f and by s alike;
		// only the last one starting before c.s can contain c.
		k := sort.Search(len(fwd), func(j int) bool { return fwd[j].f.pos >= c.s.pos }) - 1
		if k >= 0 && c.f.pos < fwd[k].s.pos && fwd[k].f.pos < c.s.pos {
			viols = append(viols, zoneViolation{kind: violBackwardInside, a: fwd[k], b: c, ops: clusterWitness(fwd[k], c)})
		}
	}
	return viols
}

// clusterWitness is the ops that fix two clusters' zones: each write and the
// ops that set f and s. Restricted to them, both zones are unchanged (f and s
// are extremes over a cluster, and the extreme ops are kept), so the conflict
// and hence the violation remain.
func clusterWitness(a, b cluster) []int {
	seen := map[int]bool{}
	var out []int
	for _, i := range []int{a.write, a.f.op, a.s.op, b.write, b.f.op, b.s.op} {
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out
}
