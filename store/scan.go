package store

// scanBatch is how many ids one lock acquisition covers during a scan.
const scanBatch = 128

// visit is what a scan hands to its consumer for one memory, read under the
// shard read lock: b is the slot (valid only during the call, under the lock),
// content the record's content bytes in the mapping (nil without content).
type visit func(id string, b []byte, h *recordHeader, content []byte) error

// scan calls v for every id present when the scan began and still present
// when its batch is read, each exactly once, under its shard's read lock.
// Ids added during the scan may or may not be visited.
func (s *Store) scan(v visit) error {
	return s.scanBatches(v, func() bool { return true })
}

func (s *Store) scanBatch(sh *shard, sn *shardSnap, from, to int, v visit) error {
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	es := s.epochs.Load()
	unchanged := sh.version == sn.version
	for k := from; k < to; k++ {
		id := sn.ids[k]
		slot := sn.slots[k]
		if !unchanged {
			var ok bool
			if slot, ok = sh.m[id]; !ok {
				continue
			}
		}
		b := s.slotBytes(uint64(slot))
		h := decodeHeader(b)
		var c []byte
		if h.hasContent() {
			var err error
			if c, err = contentBytes(es, &h); err != nil {
				return err
			}
		}
		if err := v(id, b, &h, c); err != nil {
			return err
		}
	}
	return nil
}

// arena hands out sub-slices of larger allocations, so that a scan copies
// many small values with few allocations. Each returned slice is capped, so
// appending to it never clobbers a neighbour.
type arena struct{ buf []byte }

func (a *arena) clone(b []byte) []byte {
	if len(b) == 0 {
		return []byte{}
	}
	if len(b) > 4096 {
		return append(make([]byte, 0, len(b)), b...)
	}
	if len(a.buf) < len(b) {
		a.buf = make([]byte, 64<<10)
	}
	out := a.buf[:len(b):len(b)]
	copy(out, b)
	a.buf = a.buf[len(b):]
	return out
}

type pending struct {
	id string
	m  Memory
}

// Iterate calls fn for every memory, with a copy of it, until fn returns
// false. Guarantee: every memory stored before Iterate began and not removed
// during it is visited exactly once, with its value at some moment during
// the iteration; memories added during it may or may not be visited; nothing
// torn or half-written is ever visited. fn runs with no lock held and may
// call the store.
func (s *Store) Iterate(fn func(id string, m Memory) bool) error {
	return s.iterate(true, fn)
}

// IterateMeta is Iterate without the embeddings (Memory.Embedding is nil):
// the fast path for scans that need ids, scalars and content only.
func (s *Store) IterateMeta(fn func(id string, m Memory) bool) error {
	return s.iterate(false, fn)
}

func (s *Store) iterate(withEmbedding bool, fn func(id string, m Memory) bool) error {
	var batch []pending
	var ar arena
	var embs []float32
	stop := false
	err := s.scanBatches(func(id string, b []byte, h *recordHeader, c []byte) error {
		m := memoryOf(h)
		if withEmbedding {
			if len(embs) < EmbeddingDim {
				embs = make([]float32, EmbeddingDim*32)
			}
			m.Embedding = embs[:EmbeddingDim:EmbeddingDim]
			embs = embs[EmbeddingDim:]
			copy(embeddingBytesOf(m.Embedding), b[sectorSize:sectorSize+embeddingBytes])
		}
		if h.hasContent() {
			m.Content = ar.clone(c)
		}
		batch = append(batch, pending{id, m})
		return nil
	}, func() bool {
		for i := range batch {
			if !fn(batch[i].id, batch[i].m) {
				stop = true
				break
			}
		}
		clear(batch)
		batch = batch[:0]
		return !stop
	})
	return err
}

// scanBatches is scan with a flush callback run after each batch, outside
// every lock; returning false from flush ends the scan.
func (s *Store) scanBatches(v visit, flush func() bool) error {
	if err := s.begin(); err != nil {
		return err
	}
	snap := s.idx.snapshot()
	s.end()
	for i := range snap {
		sh, sn := &s.idx.shards[i], &snap[i]
		for from := 0; from < len(sn.ids); from += scanBatch {
			if err := s.scanBatch(sh, sn, from, min(from+scanBatch, len(sn.ids)), v); err != nil {
				return err
			}
			if !flush() {
				return nil
			}
		}
	}
	return nil
}

// Recall returns every memory whose confidence is at least threshold (the
// original's confidence scan: no ranking, no cap), with the same visiting
// guarantee as Iterate.
func (s *Store) Recall(threshold float32) ([]RecallHit, error) {
	var hits []RecallHit
	var ar arena
	err := s.scan(func(id string, _ []byte, h *recordHeader, c []byte) error {
		if h.confidence >= threshold {
			hit := RecallHit{ID: id, Confidence: h.confidence}
			if h.hasContent() {
				hit.Content = ar.clone(c)
			}
			hits = append(hits, hit)
		}
		return nil
	})
	return hits, err
}

// Layout returns the placement and digests of every live memory, read shard
// by shard: each shard's entries are consistent with each other at one
// moment; different shards may be read at different moments.
func (s *Store) Layout() ([]LayoutEntry, error) {
	var out []LayoutEntry
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	for i := range s.idx.shards {
		sh := &s.idx.shards[i]
		err := func() error {
			sh.mu.RLock()
			defer sh.mu.RUnlock()
			es := s.epochs.Load()
			for id, slot := range sh.m {
				b := s.slotBytes(uint64(slot))
				h := decodeHeader(b)
				e := LayoutEntry{
					ID:              id,
					Placement:       Placement{Slot: uint64(slot), Epoch: h.contentEpoch},
					EmbeddingDigest: fnv1a(fnvOffset, b[sectorSize:sectorSize+embeddingBytes]),
					Confidence:      h.confidence,
					Activation:      h.activation,
				}
				if h.hasContent() {
					c, err := contentBytes(es, &h)
					if err != nil {
						return err
					}
					e.Placement.Offset, e.Placement.Length, e.Placement.HasContent = h.contentOff, h.contentLen, true
					e.ContentDigest = Digest(c)
				}
				out = append(out, e)
			}
			return nil
		}()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
