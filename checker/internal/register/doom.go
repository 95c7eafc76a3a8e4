package register

import (
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// doomTracker lets the exhaustive search (runCompactSearch) cut branches that
// cannot be completed, as soon as they are entered rather than when the op
// they strand comes due. It only removes configurations from which no
// linearization exists, so the search stays exhaustive: an Invalid verdict
// still means no order works.
//
// The invariants it relies on, each checked on the partition, never assumed:
//   - identity: when the write identities of the puts and the initial value
//     are unique, an identity, once the memory stops holding it (a put of
//     another identity or a remove takes effect), never comes back: only its
//     own put writes it, and a put takes effect once. So a step that leaves
//     identity I while an ok get that returned I is still unplaced strands
//     that get for good.
//   - version: when, in addition, every update-activation sets an activation
//     that no other update and no put (nor the initial value) sets, a version
//     (identity and activation) once left never comes back either (the only
//     way to produce it again would be the same update taking effect twice).
//     So a step that changes the version while an ok get that returned it is
//     unplaced is doomed.
//   - lifetime (the zone condition, applied as the search goes): when a step
//     makes identity I current, I stays current until every unplaced get
//     of I is placed, i.e. at least until the latest call S among them
//     (an op is placed only once it is invoked). Every unplaced op x that
//     returned before S must be placed before that get, so while I is
//     current; if x cannot be (a get of another identity or of absence, a
//     read of absence, a remove or put that ends I), the step is doomed.
//     (Every update-activation is let through as compatible, even a
//     not-found one that could not run under I: leniency only cuts less.)
//     The same at version level with "version V" for I, where only gets of
//     exactly V can be placed during V.
//   - observed update: with unique activations, the version (I, a) a get
//     returned, when a is no put's activation, is produced only by the
//     update that sets a, taking effect while identity I is current. Placing
//     that update while I is not current (absent, or another identity)
//     strands the get.
//   - absence: a step that makes the memory present while an ok read of
//     absence (get not found, remove or update-activation not found) is
//     unplaced and no remove that can take effect (ok found, or info) is
//     left unplaced strands that read: nothing can make the memory absent
//     again. More precisely, the read must then see an absence a later
//     remove R makes, so R must be placed before it; if every remove left
//     was invoked after the read returned, each must be placed after the
//     read (real time), and the read is stranded.
type doomTracker struct {
	ops        []regOp
	identityOn bool
	versionOn  bool
	// Dense ids of the identities and versions ok gets returned; per op,
	// the ids its output has (-1: not an ok get that found a value).
	identID    map[writeIdentity]int32
	versionID  map[valueKey]int32
	getIdent   []int32
	getVersion []int32
	// Per id: unplaced gets, and all gets (op indices).
	identReads   []int32
	versionReads []int32
	identGets    [][]int32
	versionGets  [][]int32
	// Absence: unplaced ok reads of absence, unplaced removes that may make
	// the memory absent (ok found, or info).
	absenceReads   int
	absenceMakers  int
	isAbsenceRead  []bool
	isAbsenceMaker []bool
	absenceByRet   []int                    // reads of absence by return
	makersByCall   []int                    // absence makers by call
	uaIdentity     map[uint32]writeIdentity // observed update activation -> identity a get saw it on
	byRet          []int                    // all ops by return
	byCall         []int                    // all ops by call
	placed         []bool                   // the search's placed set (shared)
	cuts           int64                    // steps refused (for tests and results)
}

// newDoomTrackerIn builds the tracker for one search, its maps in sc (nil:
// fresh); the tracker must not outlive sc's next use.
func newDoomTrackerIn(sc *searchScratch, initial regState, ops []regOp, byCall, byRet []int, placed []bool) *doomTracker {
	n := len(ops)
	d := &doomTracker{ops: ops, identityOn: true, versionOn: true,
		identID:        scratchMap(sc, func(s *searchScratch) *map[writeIdentity]int32 { return &s.identID }, n/4),
		versionID:      scratchMap(sc, func(s *searchScratch) *map[valueKey]int32 { return &s.versionID }, n/4),
		getIdent:       scratchSlice(sc, func(s *searchScratch) *[]int32 { return &s.getIdent }, n),
		getVersion:     scratchSlice(sc, func(s *searchScratch) *[]int32 { return &s.getVersion }, n),
		isAbsenceRead:  scratchSlice(sc, func(s *searchScratch) *[]bool { return &s.isAbsenceRead }, n),
		isAbsenceMaker: scratchSlice(sc, func(s *searchScratch) *[]bool { return &s.isAbsenceMaker }, n),
		uaIdentity:     scratchMap(sc, func(s *searchScratch) *map[uint32]writeIdentity { return &s.uaIdentity }, 0),
		byCall:         byCall, byRet: byRet, placed: placed}
	idents := scratchMap(sc, func(s *searchScratch) *map[writeIdentity]struct{} { return &s.idents }, n/2)
	putActs := scratchMap(sc, func(s *searchScratch) *map[uint32]struct{} { return &s.putActs }, n/2)
	uaActs := scratchMap(sc, func(s *searchScratch) *map[uint32]struct{} { return &s.uaActs }, 0)
	if initial.present {
		idents[identityOf(initial.value)] = struct{}{}
		putActs[initial.value.act()] = struct{}{}
	}
	for _, o := range ops {
		if o.op == history.OpPut {
			id := identityOf(o.value)
			if _, dup := idents[id]; dup {
				d.identityOn = false
			}
			idents[id] = struct{}{}
			putActs[o.value.act()] = struct{}{}
		}
	}
	for _, o := range ops {
		if o.op == history.OpUpdateActivation {
			_, dupUA := uaActs[o.activation]
			_, dupPut := putActs[o.activation]
			if dupUA || dupPut {
				d.versionOn = false
			}
			uaActs[o.activation] = struct{}{}
		}
	}
	d.versionOn = d.versionOn && d.identityOn
	for i, o := range ops {
		d.getIdent[i], d.getVersion[i] = -1, -1
		switch {
		case o.op == history.OpGet && o.status == statusOK && o.found:
			id := identityOf(o.output)
			if _, ok := uaActs[o.output.act()]; ok {
				d.uaIdentity[o.output.act()] = id
			}
			k, ok := d.identID[id]
			if !ok {
				k = int32(len(d.identReads))
				d.identID[id] = k
				d.identReads = append(d.identReads, 0)
				d.identGets = append(d.identGets, nil)
			}
			v, ok := d.versionID[o.output]
			if !ok {
				v = int32(len(d.versionReads))
				d.versionID[o.output] = v
				d.versionReads = append(d.versionReads, 0)
				d.versionGets = append(d.versionGets, nil)
			}
			d.getIdent[i], d.getVersion[i] = k, v
			d.identReads[k]++
			d.versionReads[v]++
			d.identGets[k] = append(d.identGets[k], int32(i))
			d.versionGets[v] = append(d.versionGets[v], int32(i))
		case o.status == statusOK && o.op != history.OpPut && !o.found:
			d.isAbsenceRead[i] = true
			d.absenceReads++
		case o.op == history.OpRemove && (o.found || o.status == statusInfo):
			d.isAbsenceMaker[i] = true
			d.absenceMakers++
		}
	}
	for _, i := range byRet {
		if d.isAbsenceRead[i] {
			d.absenceByRet = append(d.absenceByRet, i)
		}
	}
	for _, i := range byCall {
		if d.isAbsenceMaker[i] {
			d.makersByCall = append(d.makersByCall, i)
		}
	}
	return d
}

func (d *doomTracker) adjust(i int, by int32) {
	switch {
	case d.getIdent[i] >= 0:
		d.identReads[d.getIdent[i]] -= by
		d.versionReads[d.getVersion[i]] -= by
	case d.isAbsenceRead[i]:
		d.absenceReads -= int(by)
	case d.isAbsenceMaker[i]:
		d.absenceMakers -= int(by)
	}
}

func (d *doomTracker) place(i int)   { d.adjust(i, 1) }
func (d *doomTracker) unplace(i int) { d.adjust(i, -1) }

// unplacedIdent and unplacedVersion: how many ok gets that returned the
// identity (version) of v are still unplaced, and their ids (-1: none ever).
func (d *doomTracker) unplacedIdent(v valueKey) (int32, int32) {
	if k, ok := d.identID[identityOf(v)]; ok {
		return d.identReads[k], k
	}
	return 0, -1
}

func (d *doomTracker) unplacedVersion(v valueKey) (int32, int32) {
	if k, ok := d.versionID[v]; ok {
		return d.versionReads[k], k
	}
	return 0, -1
}

// dooms says whether placing op i, which takes the memory from state to
// next, strands a read for good (see the invariants above). It is called
// before i is placed; lo and rp are the search's cursors into byCall and
// byRet (every op before them is placed).
func (d *doomTracker) dooms(state, next regState, i, lo, rp int) bool {
	if d.doomed(state, next, i, lo, rp) {
		d.cuts++
		return true
	}
	return false
}

func (d *doomTracker) doomed(state, next regState, i, lo, rp int) bool {
	if o := d.ops[i]; d.versionOn && o.op == history.OpUpdateActivation {
		if id, seen := d.uaIdentity[o.activation]; seen && (!state.present || identityOf(state.value) != id) {
			return true
		}
	}
	if state == next {
		return false
	}
	sameIdentity := state.present && next.present && identityOf(state.value) == identityOf(next.value)
	if state.present {
		if d.identityOn && !sameIdentity {
			if n, _ := d.unplacedIdent(state.value); n > 0 {
				return true
			}
		}
		if d.versionOn {
			if n, _ := d.unplacedVersion(state.value); n > 0 {
				return true
			}
		}
	} else {
		// Absent -> present.
		makers := d.absenceMakers
		if d.isAbsenceMaker[i] {
			makers--
		}
		if d.absenceReads > 0 && (makers == 0 || d.absenceStranded(i, lo, rp)) {
			return true
		}
	}
	if !next.present {
		return false
	}
	if d.identityOn && !sameIdentity {
		if n, k := d.unplacedIdent(next.value); n > 0 && d.lifetimeConflict(i, rp, d.identGets[k], func(x int) bool {
			return d.ops[x].op == history.OpUpdateActivation || d.getIdent[x] == k
		}) {
			return true
		}
	}
	if d.versionOn {
		if n, k := d.unplacedVersion(next.value); n > 0 && d.lifetimeConflict(i, rp, d.versionGets[k], func(x int) bool {
			return d.getVersion[x] == k
		}) {
			return true
		}
	}
	return false
}

// lifetimeConflict: gets (the unplaced ones) must all be placed while the
// new identity or version is current; is there an unplaced op other than i,
// that cannot be placed then (not compatible), which returned before the
// latest call among them?
func (d *doomTracker) lifetimeConflict(i, rp int, gets []int32, compatible func(x int) bool) bool {
	var s int64 = -1
	for _, g := range gets {
		if !d.placed[g] && d.ops[g].call > s {
			s = d.ops[g].call
		}
	}
	if s < 0 {
		return false
	}
	for k := rp; k < len(d.byRet); k++ {
		x := d.byRet[k]
		if d.ops[x].ret >= s {
			return false
		}
		if x == i || d.placed[x] {
			continue
		}
		if !compatible(x) {
			return true
		}
	}
	return false
}

// absenceStranded: the earliest-returning unplaced read of absence returned
// before every unplaced absence maker other than i was invoked. lo and rp
// are the search's cursors: every op invoked before byCall[lo] and every op
// that returned before byRet[rp] is placed, so the scans start there.
func (d *doomTracker) absenceStranded(i, lo, rp int) bool {
	var readRet int64 = -1
	if rp < len(d.byRet) {
		from := d.ops[d.byRet[rp]].ret
		k := sort.Search(len(d.absenceByRet), func(k int) bool { return d.ops[d.absenceByRet[k]].ret >= from })
		for ; k < len(d.absenceByRet); k++ {
			if a := d.absenceByRet[k]; !d.placed[a] {
				readRet = d.ops[a].ret
				break
			}
		}
	}
	if readRet < 0 {
		return false
	}
	k := 0
	if lo < len(d.byCall) {
		from := d.ops[d.byCall[lo]].call
		k = sort.Search(len(d.makersByCall), func(k int) bool { return d.ops[d.makersByCall[k]].call >= from })
	}
	for ; k < len(d.makersByCall); k++ {
		if m := d.makersByCall[k]; m != i && !d.placed[m] {
			return readRet < d.ops[m].call
		}
	}
	return true
}
