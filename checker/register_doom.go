package checker

import "github.com/warmcheck/warmcheck/history"

// doomTracker lets the exhaustive search (searchCompact) cut branches that
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
//     again.
type doomTracker struct {
	ops            []regOp
	identityOn     bool
	versionOn      bool
	identReads     map[writeIdentity]int // unplaced ok gets per identity returned
	versionReads   map[valueKey]int      // unplaced ok gets per version returned
	absenceReads   int                   // unplaced ok reads of absence
	absenceMakers  int                   // unplaced removes that may make the memory absent
	isAbsenceRead  []bool
	isAbsenceMaker []bool
	identGets      map[writeIdentity][]int  // ok gets returning the identity
	versionGets    map[valueKey][]int       // ok gets returning the version
	uaIdentity     map[uint32]writeIdentity // update activation -> identity a get saw it on
	cuts           int64                    // steps refused (for tests and results)
	byRet          []int                    // all ops by return
	placed         []bool                   // the search's placed set (shared)
}

func newDoomTracker(initial regState, ops []regOp, byRet []int, placed []bool) *doomTracker {
	d := &doomTracker{ops: ops, identReads: map[writeIdentity]int{}, versionReads: map[valueKey]int{},
		isAbsenceRead: make([]bool, len(ops)), isAbsenceMaker: make([]bool, len(ops)),
		identGets: map[writeIdentity][]int{}, versionGets: map[valueKey][]int{}, uaIdentity: map[uint32]writeIdentity{}, byRet: byRet, placed: placed}
	idents := map[writeIdentity]bool{}
	putActs := map[uint32]bool{}
	uaActs := map[uint32]bool{}
	d.identityOn, d.versionOn = true, true
	if initial.present {
		idents[identityOf(initial.value)] = true
		putActs[initial.value.activation] = true
	}
	for _, o := range ops {
		if o.op == history.OpPut {
			id := identityOf(o.value)
			if idents[id] {
				d.identityOn = false
			}
			idents[id] = true
			putActs[o.value.activation] = true
		}
	}
	for _, o := range ops {
		if o.op == history.OpUpdateActivation {
			if uaActs[o.activation] || putActs[o.activation] {
				d.versionOn = false
			}
			uaActs[o.activation] = true
		}
	}
	d.versionOn = d.versionOn && d.identityOn
	for _, o := range ops {
		if o.op == history.OpGet && o.status == statusOK && o.found && uaActs[o.output.activation] {
			d.uaIdentity[o.output.activation] = identityOf(o.output)
		}
	}
	for i, o := range ops {
		switch {
		case o.op == history.OpGet && o.status == statusOK && o.found:
			d.identReads[identityOf(o.output)]++
			d.versionReads[o.output]++
			d.identGets[identityOf(o.output)] = append(d.identGets[identityOf(o.output)], i)
			d.versionGets[o.output] = append(d.versionGets[o.output], i)
		case o.status == statusOK && o.op != history.OpPut && !o.found:
			d.isAbsenceRead[i] = true
			d.absenceReads++
		case o.op == history.OpRemove && (o.found || o.status == statusInfo):
			d.isAbsenceMaker[i] = true
			d.absenceMakers++
		}
	}
	return d
}

func (d *doomTracker) adjust(i, by int) {
	o := d.ops[i]
	switch {
	case o.op == history.OpGet && o.status == statusOK && o.found:
		d.identReads[identityOf(o.output)] -= by
		d.versionReads[o.output] -= by
	case d.isAbsenceRead[i]:
		d.absenceReads -= by
	case d.isAbsenceMaker[i]:
		d.absenceMakers -= by
	}
}

func (d *doomTracker) place(i int)   { d.adjust(i, 1) }
func (d *doomTracker) unplace(i int) { d.adjust(i, -1) }

// dooms says whether placing op i, which takes the memory from state to
// next, strands a read for good (see the invariants above). It is called
// before i is placed; rp is the search's cursor into byRet (every op before
// it is placed).
func (d *doomTracker) dooms(state, next regState, i, rp int) bool {
	if d.doomed(state, next, i, rp) {
		d.cuts++
		return true
	}
	return false
}

func (d *doomTracker) doomed(state, next regState, i, rp int) bool {
	if o := d.ops[i]; d.versionOn && o.op == history.OpUpdateActivation {
		if id, seen := d.uaIdentity[o.activation]; seen && (!state.present || identityOf(state.value) != id) {
			return true
		}
	}
	if state == next {
		return false
	}
	if state.present {
		id := identityOf(state.value)
		if d.identityOn && (!next.present || identityOf(next.value) != id) && d.identReads[id] > 0 {
			return true
		}
		if d.versionOn && d.versionReads[state.value] > 0 {
			return true
		}
	} else {
		// Absent -> present.
		makers := d.absenceMakers
		if d.isAbsenceMaker[i] {
			makers--
		}
		if d.absenceReads > 0 && makers == 0 {
			return true
		}
	}
	if !next.present {
		return false
	}
	if d.identityOn && (!state.present || identityOf(state.value) != identityOf(next.value)) {
		id := identityOf(next.value)
		if d.lifetimeConflict(i, rp, d.identGets[id], func(x regOp) bool {
			return x.op == history.OpUpdateActivation || (x.op == history.OpGet && x.found && identityOf(x.output) == id)
		}) {
			return true
		}
	}
	if d.versionOn {
		v := next.value
		if d.lifetimeConflict(i, rp, d.versionGets[v], func(x regOp) bool {
			return x.op == history.OpGet && x.found && x.output == v
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
func (d *doomTracker) lifetimeConflict(i, rp int, gets []int, compatible func(regOp) bool) bool {
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
		if x == i || d.placed[x] || d.ops[x].status != statusOK && d.ops[x].ret == infinity {
			continue
		}
		if !compatible(d.ops[x]) {
			return true
		}
	}
	return false
}
