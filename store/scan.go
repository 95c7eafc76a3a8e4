package store

import (
	"errors"
	"math/bits"
	"slices"
	"strings"
	"unsafe"
)

// scanBatch is how many slots one lock acquisition covers during a scan.
const scanBatch = 128

// visit is what a scan hands to its consumer for one memory, read under the
// read lock of its shard (index sh): b is the bytes of its slot (valid only
// during the call, under the lock; not read by the scan itself), h its
// header fields from the slot's meta entry (slotmeta.go: checksums and id
// length are zero; read them from b if needed; the content reference is
// the current one, which b's header may not hold), content the record's
// content bytes in the mapping (nil without content).
type visit func(id string, sh uint8, slot uint32, b []byte, h *recordHeader, content []byte) error

// scan calls v for every id present when the scan began and still present
// when its batch is read, each exactly once, under its shard's read lock.
// Ids added during the scan may or may not be visited.
func (s *Store) scan(v visit) error {
	return s.scanBatches(v, func() bool { return true })
}

// scanHeld is scanBatches for a caller that already holds the close lock (Compact):
// it never takes it again, since a read lock taken twice deadlocks against a
// Close waiting between the two.
func (s *Store) scanHeld(v visit, flush func() bool) error {
	return s.scanSnapshot(s.idx.snapshotBySlot(s.alloc.nextSlot.Load()), true, v, flush)
}

// scanSlots visits the snapshot's entries for slots [from, to), in slot
// order, each under its shard's read lock. The fast path takes the locks of
// every shard in the range at once (without waiting); if one is held by a
// writer it falls back to one shard at a time, so a scan never waits for a
// lock while holding another.
func (s *Store) scanSlots(sn *slotSnap, from, to int, held bool, v visit) error {
	var mask uint64
	for k := from; k < to; k++ {
		if sn.ids[k] != "" {
			mask |= uint64(1) << sn.shards[k]
		}
	}
	if mask == 0 {
		return nil
	}
	if !held {
		if err := s.begin(); err != nil {
			return err
		}
		defer s.end()
	}
	if s.idx.rlockAll(mask) {
		defer s.idx.runlockAll(mask)
		// Loaded under the locks, as in scanShardSlots: a set loaded before
		// them may predate an epoch that a record published meanwhile
		// already points into (a compaction started and a Put landed).
		es := s.epochs.Load()
		for k := from; k < to; k++ {
			if id := sn.ids[k]; id != "" {
				if err := s.visitEntry(es, sn, id, uint32(k), sn.shards[k], v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for m := mask; m != 0; m &= m - 1 {
		i := uint8(bits.TrailingZeros64(m))
		if err := s.scanShardSlots(sn, from, to, i, v); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) scanShardSlots(sn *slotSnap, from, to int, i uint8, v visit) error {
	sh := &s.idx.shards[i]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	es := s.epochs.Load()
	for k := from; k < to; k++ {
		if id := sn.ids[k]; id != "" && sn.shards[k] == i {
			if err := s.visitEntry(es, sn, id, uint32(k), i, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// scanExtra visits the snapshot entries kept outside the slot layout.
func (s *Store) scanExtra(e []snapEntry, sn *slotSnap, held bool, v visit) error {
	if !held {
		if err := s.begin(); err != nil {
			return err
		}
		defer s.end()
	}
	for _, x := range e {
		err := func() error {
			sh := &s.idx.shards[x.shard]
			sh.mu.RLock()
			defer sh.mu.RUnlock()
			return s.visitEntry(s.epochs.Load(), sn, x.id, x.slot, x.shard, v)
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

// visitEntry visits id, which the snapshot found in slot of shard i, with its
// current record. Caller holds shard i's read lock. If the shard changed
// since the snapshot, the slot is looked up again (id removed: skipped).
func (s *Store) visitEntry(es *epochSet, sn *slotSnap, id string, slot uint32, i uint8, v visit) error {
	sh := &s.idx.shards[i]
	if sh.version != sn.versions[i] {
		var ok bool
		if slot, ok = sh.m[id]; !ok {
			return nil
		}
	}
	h := &sn.hdr // reused: v must not keep it
	*h = s.meta.header(uint64(slot))
	var c []byte
	if h.hasContent() {
		var err error
		if c, err = contentBytes(es, h); err != nil {
			return err
		}
	}
	return v(id, i, slot, s.slotBytes(uint64(slot)), h, c)
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

// errStopScan ends a scan early from inside its visitor; never returned.
var errStopScan = errors.New("store: scan stopped")

// IterateView is Iterate without copies: m.Embedding and m.Content are
// read-only views into the store's mapping, valid only until fn returns.
// fn must not modify them, keep them (or slices of them) after it returns,
// or call any method of the store: it runs under the read locks of the
// memories' index shards (those of a batch of scanBatch slots at a time),
// so a call that needs one of those locks could wait forever, and writers
// to those shards wait while fn runs. The scalar fields are copies. Everything else is as
// Iterate: every memory stored before IterateView began and not removed
// during it is visited exactly once, with its value at some moment during
// the iteration; memories added during it may or may not be visited;
// nothing torn or half-written is ever visited. nil content stays nil and
// empty content stays empty (non-nil).
func (s *Store) IterateView(fn func(id string, m Memory) bool) error {
	err := s.scan(func(id string, _ uint8, _ uint32, b []byte, h *recordHeader, c []byte) error {
		m := memoryOf(h)
		m.Embedding = embeddingView(b)
		if h.hasContent() {
			m.Content = c[:len(c):len(c)]
		}
		if !fn(id, m) {
			return errStopScan
		}
		return nil
	})
	if err == errStopScan {
		return nil
	}
	return err
}

// embeddingView is the embedding of slot bytes b as float32 values in place
// (sectors 1..6; 4-byte aligned since slots and sectors are).
func embeddingView(b []byte) []float32 {
	e := b[sectorSize : sectorSize+embeddingBytes]
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(e))), EmbeddingDim)
}

func (s *Store) iterate(withEmbedding bool, fn func(id string, m Memory) bool) error {
	var batch []pending
	var ar arena
	var embs []float32
	stop := false
	err := s.scanBatches(func(id string, _ uint8, _ uint32, b []byte, h *recordHeader, c []byte) error {
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
// every lock; returning false from flush ends the scan. Entries are visited
// in slot order (the blocks file is read front to back), each exactly once:
// an entry whose shard changed since the snapshot is looked up again, so an
// id that moved to another slot is visited once, at its current slot.
func (s *Store) scanBatches(v visit, flush func() bool) error {
	if err := s.begin(); err != nil {
		return err
	}
	sn := s.idx.snapshotBySlot(s.alloc.nextSlot.Load())
	s.end()
	return s.scanSnapshot(sn, false, v, flush)
}

// scanSnapshot is the body of scanBatches; held says the caller holds the
// close lock for the whole scan.
func (s *Store) scanSnapshot(sn *slotSnap, held bool, v visit, flush func() bool) error {
	for from := 0; from < len(sn.ids); from += scanBatch {
		if err := s.scanSlots(sn, from, min(from+scanBatch, len(sn.ids)), held, v); err != nil {
			return err
		}
		if !flush() {
			return nil
		}
	}
	for from := 0; from < len(sn.extra); from += scanBatch {
		if err := s.scanExtra(sn.extra[from:min(from+scanBatch, len(sn.extra))], sn, held, v); err != nil {
			return err
		}
		if !flush() {
			return nil
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
	err := s.scan(func(id string, _ uint8, _ uint32, _ []byte, h *recordHeader, c []byte) error {
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
				h := s.record(uint64(slot))
				e := LayoutEntry{
					ID:              id,
					Placement:       Placement{Slot: uint64(slot), Epoch: h.contentEpoch},
					EmbeddingDigest: Digest(b[sectorSize : sectorSize+embeddingBytes]),
					Confidence:      h.confidence,
					Activation:      h.activation,
					DecayRate:       h.decayRate,
					CreatedAt:       h.createdAt,
					LastAccess:      h.lastAccess,
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
	if s.sch != nil { // map order differs from run to run; a schedule must not
		slices.SortFunc(out, func(a, b LayoutEntry) int { return strings.Compare(a.ID, b.ID) })
	}
	return out, nil
}
