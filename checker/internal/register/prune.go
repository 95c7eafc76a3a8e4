package register

import "github.com/warmcheck/warmcheck/history"

// pruneStats counts what pruning did, for results.json.
type pruneStats struct {
	infoReadsDropped  int
	infoWritesDropped int
	infoWritesClamped int
	uniqueWrites      bool
}

// prune removes operations that cannot matter and bounds the ones that
// can, without changing whether the partition is linearizable. It returns a
// new slice; p.ops is left untouched (but see pruneIn).
//
// Soundness, rule by rule:
//   - info gets: their output is unchecked and a get changes no state, so
//     any linearization with them stays one without them and vice versa.
//   - Write identities (value minus activation) must be unique among the
//     partition's puts and its initial value; this is verified here, never
//     assumed. When they are not, nothing below is applied.
//   - An info put P observed by an operation O (an ok get returned P's
//     identity, or an iterate/recall result held it; O completed after P was
//     invoked): only P produces that identity, so P is linearized before O's
//     linearization point, hence before O returned. Clamping P's return to
//     O's return removes no valid linearization, and makes P definite.
//   - An info update-activation whose new version a get returned: see
//     clampUpdates.
//   - An info put P that nothing observed is dropped when no ok remove or
//     update-activation reporting Found=true returned after P was invoked.
//     Take any linearization L including P. Until the next put or effective
//     remove after P, the ops in L see P's identity; no get saw it, no found
//     remove/update-activation can come after P (it would return after P's
//     call), a not-found one cannot (the memory is present). What remains
//     there are info removes/update-activations; removing P and those info
//     update-activations (info ops may always be placed last, with no
//     visible effect) leaves every later state unchanged. So L minus those
//     is a linearization without P; and any linearization without P extends
//     to one with P placed last. Dropping P keeps the verdict.
func prune(p *regPartition) ([]regOp, pruneStats) { return pruneIn(nil, p, false) }

// pruneIn is prune building its working maps in sc (nil: fresh). With
// consume, it prunes p.ops in place and sets p.ops to nil (p.nops still
// counts them): the linearizability check's way, which needs the raw ops of
// a partition no more once it is pruned and, on 1M-op histories, saves a
// copy of every op (fresh memory is costly to touch).
func pruneIn(sc *searchScratch, p *regPartition, consume bool) ([]regOp, pruneStats) {
	var st pruneStats
	var ops []regOp
	if consume {
		ops = p.ops[:0]
	} else {
		ops = make([]regOp, 0, len(p.ops))
	}
	for _, o := range p.ops {
		if o.op == history.OpGet && o.status == statusInfo {
			st.infoReadsDropped++
			continue
		}
		ops = append(ops, o)
	}
	if consume {
		p.ops = nil
	}

	// identity -> index in ops, or -1 for the initial value
	writer := scratchMap(sc, func(s *searchScratch) *map[writeIdentity]int { return &s.pruneWriter }, len(ops)/2+1)
	if p.initialKnown && p.initial.present {
		writer[identityOf(p.initial.value)] = -1
	}
	st.uniqueWrites = true
	for i, o := range ops {
		if o.op != history.OpPut {
			continue
		}
		id := identityOf(o.value)
		if _, dup := writer[id]; dup {
			st.uniqueWrites = false
			return ops, st
		}
		writer[id] = i
	}

	// firstObserver[i]: earliest observing completion after ops[i]'s call.
	firstObserver := scratchMap(sc, func(s *searchScratch) *map[int]int64 { return &s.firstObserver }, 0)
	observe := func(id writeIdentity, at int64) {
		w, ok := writer[id]
		if !ok || w < 0 || ops[w].status != statusInfo || at <= ops[w].call {
			return
		}
		if old, seen := firstObserver[w]; !seen || at < old {
			firstObserver[w] = at
		}
	}
	for _, o := range ops {
		if o.op == history.OpGet && o.status == statusOK && o.found {
			observe(identityOf(o.output), o.ret)
		}
	}
	for id, at := range p.iterObserved {
		observe(id, at)
	}

	uaClamp := clampUpdates(sc, p, ops)
	var lastFoundRMW int64 = -1
	for i, o := range ops {
		if at, ok := uaClamp[i]; ok {
			o.ret, o.found, o.clampedBy = at, true, int(at)
			ops[i] = o
			st.infoWritesClamped++
		}
		if (o.op == history.OpRemove || o.op == history.OpUpdateActivation) && o.found && o.ret != infinity {
			lastFoundRMW = max(lastFoundRMW, o.ret)
		}
	}

	out := ops[:0]
	for i, o := range ops {
		if o.op == history.OpPut && o.status == statusInfo {
			if at, seen := firstObserver[i]; seen {
				o.ret = at
				o.clampedBy = int(at)
				st.infoWritesClamped++
			} else if lastFoundRMW < o.call {
				st.infoWritesDropped++
				continue
			}
		}
		out = append(out, o)
	}
	return out, st
}

// clampUpdates bounds info update-activations whose new version a get
// returned: when update activations are unique and differ from every put's
// (and the initial) activation, a get returning activation a on an identity
// saw the version only that update wrote, so the update took effect, on a
// present memory (found), before that get returned. Returns op index ->
// clamped return position.
//
// Its maps live in sc (nil: fresh): the result is valid until sc's next use.
func clampUpdates(sc *searchScratch, p *regPartition, ops []regOp) map[int]int64 {
	acts := scratchMap(sc, func(s *searchScratch) *map[uint32]int { return &s.clampActs }, 0)
	putActs := scratchMap(sc, func(s *searchScratch) *map[uint32]bool { return &s.clampPutActs }, len(ops)/2+1)
	if p.initial.present {
		putActs[p.initial.value.act()] = true
	}
	for i, o := range ops {
		switch o.op {
		case history.OpPut:
			putActs[o.value.act()] = true
		case history.OpUpdateActivation:
			if _, dup := acts[o.activation]; dup {
				return nil
			}
			acts[o.activation] = i
		}
	}
	out := scratchMap(sc, func(s *searchScratch) *map[int]int64 { return &s.clampOut }, 0)
	for _, o := range ops {
		if o.op != history.OpGet || o.status != statusOK || !o.found || putActs[o.output.act()] {
			continue
		}
		u, ok := acts[o.output.act()]
		if !ok || ops[u].status != statusInfo || ops[u].ret != infinity || o.ret <= ops[u].call {
			continue
		}
		if old, seen := out[u]; !seen || o.ret < old {
			out[u] = o.ret
		}
	}
	return out
}

// fastPathApplies says whether the zone check can decide the partition:
// unique write identities, a known initial state, and only definite puts and
// ok gets left after pruning.
func fastPathApplies(p *regPartition, ops []regOp, st pruneStats) bool {
	if !st.uniqueWrites || !p.initialKnown {
		return false
	}
	for _, o := range ops {
		switch {
		case o.op == history.OpGet && o.status == statusOK:
		case o.op == history.OpPut && o.ret != infinity:
		default:
			return false
		}
	}
	return true
}
