package checker

import (
	"math/rand/v2"
	"sort"
	"strconv"

	"github.com/warmcheck/warmcheck/history"
)

// simStore is a correct reference store for the whole-store checks' "no
// crying wolf" tests: operations take effect atomically at a random moment
// between their invoke and completion, slots are freed only by a sync after
// their record was superseded or removed, content is append-only per epoch,
// compaction copies the live content into a new epoch, and a power loss
// reverts to the state of the last sync.
type simStore struct {
	recs     map[string]simRec
	slots    int      // slots ever allocated
	free     []uint64 // reusable slots
	pending  []uint64 // superseded or removed, freed by the next sync
	epoch    uint64
	appended uint64 // bytes appended to the current epoch
}

type simRec struct {
	v history.Value
	p history.Placement
}

func (s *simStore) clone() *simStore {
	c := *s
	c.recs = make(map[string]simRec, len(s.recs))
	for k, v := range s.recs {
		c.recs[k] = v
	}
	c.free = append([]uint64(nil), s.free...)
	c.pending = append([]uint64(nil), s.pending...)
	return &c
}

func (s *simStore) slot() uint64 {
	if n := len(s.free); n > 0 {
		sl := s.free[n-1]
		s.free = s.free[:n-1]
		return sl
	}
	s.slots++
	return uint64(s.slots - 1)
}

func (s *simStore) put(id string, v history.Value) history.Placement {
	p := history.Placement{Slot: s.slot(), Epoch: s.epoch, HasContent: v.HasContent}
	if v.HasContent {
		p.Offset, p.Length = s.appended, v.ContentLen
		s.appended += uint64(v.ContentLen)
	}
	if old, ok := s.recs[id]; ok {
		s.pending = append(s.pending, old.p.Slot)
	}
	s.recs[id] = simRec{v, p}
	return p
}

func (s *simStore) remove(id string) bool {
	old, ok := s.recs[id]
	if ok {
		s.pending = append(s.pending, old.p.Slot)
		delete(s.recs, id)
	}
	return ok
}

func (s *simStore) sync() {
	s.free = append(s.free, s.pending...)
	s.pending = nil
}

func (s *simStore) compact() *history.Compaction {
	c := &history.Compaction{BytesBefore: s.appended}
	s.epoch++
	s.appended = 0
	for _, id := range s.ids() {
		r := s.recs[id]
		r.p.Epoch = s.epoch
		if r.v.HasContent {
			r.p.Offset = s.appended
			s.appended += uint64(r.p.Length)
			c.Moved++
		}
		s.recs[id] = r
	}
	c.Epoch, c.BytesAfter = s.epoch, s.appended
	c.BytesReclaimed = c.BytesBefore - c.BytesAfter
	return c
}

func (s *simStore) ids() []string {
	ids := make([]string, 0, len(s.recs))
	for id := range s.recs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (s *simStore) layout() []history.Entry {
	var out []history.Entry
	for _, id := range s.ids() {
		r := s.recs[id]
		out = append(out, history.Entry{ID: id, Value: r.v, Placement: r.p})
	}
	return out
}

func (s *simStore) stats() *history.Stats {
	st := &history.Stats{Live: uint64(len(s.recs)), SlotsInUse: uint64(len(s.recs) + len(s.pending)),
		SlotsTotal: uint64(s.slots), ContentBytesTotal: s.appended, Epoch: s.epoch}
	for _, r := range s.recs {
		st.ContentBytesLive += uint64(r.p.Length)
	}
	if st.ContentBytesTotal > 0 {
		st.Fragmentation = float64(st.ContentBytesTotal-st.ContentBytesLive) / float64(st.ContentBytesTotal)
	}
	return st
}

// simulate builds a valid concurrent history: workers on nIDs memories,
// with info and fail outcomes, syncs, compactions, iterates, panics and
// power losses.
func simulate(seed uint64, workers, ops, nIDs int) *wsb {
	rng := rand.New(rand.NewPCG(seed, seed^0xdecafbad))
	b := newWSB()
	b.h.Seed = int64(seed)
	b.h.Faults = []string{"panic", "power-loss"}
	st := &simStore{recs: map[string]simRec{}}
	durable := st.clone()
	type inflight struct {
		op      history.Op
		id      string
		v       history.Value
		act     float32
		applied bool
		out     *history.Output
		outcome history.Type
	}
	busy := map[int32]*inflight{}
	n, panics := 0, 0
	for n < ops || len(busy) > 0 {
		w := int32(rng.IntN(workers))
		f := busy[w]
		switch {
		case f == nil && n < ops:
			n++
			id := "m" + strconv.Itoa(rng.IntN(nIDs))
			f = &inflight{id: id, outcome: history.OK}
			switch r := rng.IntN(100); {
			case r < 40:
				f.op = history.OpPut
				f.v = history.Value{HasContent: rng.IntN(20) > 0, ContentDigest: rng.Uint64(), EmbeddingDigest: rng.Uint64(),
					Confidence: float32(rng.IntN(100)) / 100, Activation: float32(n)}
				if f.v.HasContent {
					f.v.ContentLen = uint32(rng.IntN(3)) * 50
				} else {
					f.v.ContentDigest = 0
				}
				b.putInv(w, id, f.v)
			case r < 60:
				f.op = history.OpGet
				b.inv(w, f.op, id, nil)
			case r < 70:
				f.op = history.OpRemove
				b.inv(w, f.op, id, nil)
			case r < 80:
				f.op, f.act = history.OpUpdateActivation, float32(n)+0.5
				b.inv(w, f.op, id, &history.Input{Activation: f.act})
			case r < 88:
				f.op = history.OpSync
				b.inv(w, f.op, "", nil)
			case r < 93:
				f.op = history.OpIterate
				b.inv(w, f.op, "", nil)
			default:
				f.op = history.OpCompact
				b.inv(w, f.op, "", nil)
			}
			switch r := rng.IntN(100); {
			case r < 3:
				f.outcome = history.Fail
			case r < 6 && f.op != history.OpIterate && f.op != history.OpCompact:
				f.outcome = history.Info
			}
			busy[w] = f
		case f == nil:
		case !f.applied:
			f.applied = true
			if f.outcome == history.Fail || (f.outcome == history.Info && rng.IntN(2) == 0) {
				continue // no effect
			}
			out := &history.Output{}
			switch f.op {
			case history.OpPut:
				out.Placement = st.put(f.id, f.v)
			case history.OpGet:
				if r, ok := st.recs[f.id]; ok {
					out.Found, out.Value = true, r.v
				}
			case history.OpRemove:
				out.Found = st.remove(f.id)
			case history.OpUpdateActivation:
				if r, ok := st.recs[f.id]; ok {
					r.v.Activation = f.act
					st.recs[f.id] = r
					out.Found = true
				}
			case history.OpSync:
				st.sync()
				durable = st.clone()
			case history.OpIterate:
				for _, le := range st.layout() {
					out.Entries = append(out.Entries, history.Entry{ID: le.ID, Value: le.Value})
				}
			case history.OpCompact:
				out.Compaction = st.compact()
			}
			f.out = out
		default:
			delete(busy, w)
			if f.outcome == history.Info && f.op != history.OpSync && panics < 3 && rng.IntN(2) == 0 {
				panics++
				b.nemesis("panic", history.NemesisStart, history.Nemesis{Target: "before-index-publish"})
				b.done(w, history.Info, nil)
				b.nemesis("panic", history.NemesisEnd, history.Nemesis{Target: "before-index-publish", Hits: map[string]uint64{"before-index-publish": uint64(panics)}})
				continue
			}
			b.done(w, f.outcome, f.out)
			if len(busy) == 0 && rng.IntN(ops/4+1) == 0 {
				// A power loss: everything since the last sync is lost.
				st = durable.clone()
				b.nemesis("power-loss", history.NemesisStart, history.Nemesis{})
				b.nemesis("power-loss", history.NemesisEnd, history.Nemesis{Restart: true})
				b.snapshot("restart", st.stats(), st.layout()...)
				durable = st.clone()
			}
		}
		if rng.IntN(200+ops/20) == 0 {
			b.snapshot("periodic", st.stats(), st.layout()...)
		}
	}
	// Make sure every requested fault fired at least once.
	if panics == 0 {
		b.nemesis("panic", history.NemesisStart, history.Nemesis{Target: "before-index-publish"})
		b.nemesis("panic", history.NemesisEnd, history.Nemesis{Target: "before-index-publish", Hits: map[string]uint64{"before-index-publish": 1}})
	}
	st = durable.clone()
	b.nemesis("power-loss", history.NemesisStart, history.Nemesis{})
	b.nemesis("power-loss", history.NemesisEnd, history.Nemesis{Restart: true})
	b.snapshot("restart", st.stats(), st.layout()...)
	b.snapshot("final", st.stats(), st.layout()...)
	return b
}
