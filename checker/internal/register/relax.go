package register

import "github.com/warmcheck/warmcheck/history"

// Relaxations for partitions with removes and update-activations. Each maps
// the partition to a register history with unique writes and known
// read-mapping, which the zone check decides, such that every linearization
// of the partition is one of the relaxation (ops only dropped or weakened).
// So a zone violation of a relaxation proves the partition not linearizable;
// the converse does not hold, and absence of a violation proves nothing.
//
//   - version level: puts, found update-activations and found removes are
//     blind writes of unique versions (a put's value; the activation an
//     update-activation sets, unique per update; a fresh "absent" per
//     remove); gets that found a value read the version they returned.
//   - identity level: puts and found removes write identities (and fresh
//     absences); gets that found a value, and update-activations whose new
//     version a get returned, read the identity.
//
// Dropped as reads: gets of absent and not-found removes/updates (which of
// several absences they saw is unknown), unless the partition has no remove
// at all. Dropped as writes: info removes and unobserved info updates (take
// a linearization; removing such an op changes only versions nobody in the
// relaxation reads). Found flags of removes and updates are not checked.
// Preconditions, verified: unique write identities, unique activations
// among kept updates, none equal to a put's or the initial activation.

type relaxLevel uint8

const (
	levelPutGet relaxLevel = iota
	levelVersion
	levelIdentity
)

// relaxedZones checks both relaxations; it returns the violations of the
// first one that has any, or nil.
func relaxedZones(p *regPartition, ops []regOp, st pruneStats) []zoneViolation {
	if !st.uniqueWrites || !p.initialKnown {
		return nil
	}
	putActs := map[uint32]bool{}
	putOf := map[valueKey]int{}
	putOfIdent := map[writeIdentity]int{}
	removes := false
	for i, o := range ops {
		switch o.op {
		case history.OpPut:
			putActs[o.value.act()] = true
			putOf[o.value] = i
			putOfIdent[identityOf(o.value)] = i
		case history.OpRemove:
			removes = true
		}
	}
	if p.initial.present {
		putActs[p.initial.value.act()] = true
	}
	keptUA := map[uint32]int{}
	for i, o := range ops {
		if o.op != history.OpUpdateActivation || !o.found || o.ret == infinity {
			continue
		}
		if _, dup := keptUA[o.activation]; dup || putActs[o.activation] {
			return nil
		}
		keptUA[o.activation] = i
	}

	uaIdent := map[uint32]writeIdentity{} // activation -> identity a get saw it on
	for _, o := range ops {
		if o.op == history.OpGet && o.status == statusOK && o.found {
			if _, isPut := putOf[o.output]; !isPut {
				uaIdent[o.output.act()] = identityOf(o.output)
			}
		}
	}

	for _, level := range []relaxLevel{levelVersion, levelIdentity} {
		m := newMapping(p, ops)
		for i, o := range ops {
			switch {
			case o.op == history.OpPut && level == levelVersion:
				m.addWriter(i, versionKey{value: o.value})
			case o.op == history.OpPut:
				m.addWriter(i, versionKey{value: valueKey(identityOf(o.value))})
			case o.op == history.OpRemove && o.found && o.status == statusOK:
				m.addWriter(i, versionKey{absentBy: i + 1})
			case o.op == history.OpUpdateActivation && level == levelVersion && o.found && o.ret != infinity:
				m.addWriter(i, versionKey{ua: i + 1})
			}
		}
		viols := m.viols
		for i, o := range ops {
			if o.status != statusOK && !(o.op == history.OpUpdateActivation && o.ret != infinity) {
				continue
			}
			var key versionKey
			switch {
			case o.op == history.OpGet && o.found:
				if level == levelIdentity {
					key = versionKey{value: valueKey(identityOf(o.output))}
				} else if _, isPut := putOf[o.output]; isPut || (p.initial.present && p.initial.value == o.output) {
					key = versionKey{value: o.output}
				} else if u, ok := keptUA[o.output.act()]; ok {
					key = versionKey{ua: u + 1}
				} else {
					viols = append(viols, zoneViolation{kind: violReadNeverWritten, level: level, read: i, ops: []int{i}})
					continue
				}
			case o.op == history.OpGet || (o.op != history.OpPut && !o.found):
				if removes {
					continue
				}
				key = versionKey{}
			case o.op == history.OpUpdateActivation && level == levelIdentity:
				id, seen := uaIdent[o.activation]
				if !seen {
					continue
				}
				key = versionKey{value: valueKey(id)}
			default:
				continue
			}
			if v, bad := m.addRead(i, key); bad {
				viols = append(viols, v)
			}
		}
		for k := range m.clusters {
			m.clusters[k].level = level
		}
		viols = append(viols, zoneConflicts(m.clusters)...)
		for k := range viols {
			viols[k].level = level
		}
		if len(viols) > 0 {
			return viols
		}
	}
	return nil
}

// versionKey names a version in a relaxation: a value (or identity), the
// version an update-activation wrote, or the absence a remove made. The zero
// versionKey is the initial absence.
type versionKey struct {
	value    valueKey
	ua       int // op index + 1
	absentBy int // op index + 1
}

type mapping struct {
	ops      []regOp
	clusters []cluster
	byKey    map[versionKey]int
	viols    []zoneViolation
}

func newMapping(p *regPartition, ops []regOp) *mapping {
	m := &mapping{ops: ops, byKey: map[versionKey]int{}}
	m.clusters = append(m.clusters, cluster{write: -1, f: zoneEnd{-1, -1}, s: zoneEnd{-1, -1}})
	if p.initial.present {
		m.byKey[versionKey{value: p.initial.value}] = 0
		m.byKey[versionKey{value: valueKey(identityOf(p.initial.value))}] = 0
	} else {
		m.byKey[versionKey{}] = 0
	}
	return m
}

func (m *mapping) addWriter(i int, k versionKey) {
	o := m.ops[i]
	m.byKey[k] = len(m.clusters)
	m.clusters = append(m.clusters, cluster{write: i, f: zoneEnd{i, o.ret}, s: zoneEnd{i, o.call}})
}

// addRead adds op i as a read of version k; it reports a read that
// returned before its write was invoked, or a version no write made.
func (m *mapping) addRead(i int, k versionKey) (zoneViolation, bool) {
	o := m.ops[i]
	ci, ok := m.byKey[k]
	if !ok {
		if k == (versionKey{}) {
			return zoneViolation{kind: violReadAbsent, read: i, a: m.clusters[0], ops: []int{-1, i}}, true
		}
		return zoneViolation{kind: violReadNeverWritten, read: i, ops: []int{i}}, true
	}
	c := &m.clusters[ci]
	if c.write >= 0 && o.ret < m.ops[c.write].call {
		return zoneViolation{kind: violReadBeforeWrite, read: i, a: *c, ops: []int{c.write, i}}, true
	}
	if o.ret < c.f.pos {
		c.f = zoneEnd{i, o.ret}
	}
	if o.call > c.s.pos {
		c.s = zoneEnd{i, o.call}
	}
	return zoneViolation{}, false
}
