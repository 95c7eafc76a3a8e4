package store

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// placementGuard is the online invariant check (Options.CheckPlacements):
// before a Put writes anything it claims its slot and its content range
// here, and a claim that collides refuses the Put (ErrPlacementCollision),
// counted and logged, so that the memory already there keeps its bytes.
//
// Invariants it checks:
//   - slots: a slot is handed out to at most one Put until it is back on
//     the free list (owned holds the slots handed out or holding a record,
//     seeded at Open from the recovered free list; the allocator clears a
//     slot's bit when it frees it);
//   - content: within one epoch the region is append-only, so a range
//     reserved by a Put never overlaps any range reserved earlier in that
//     epoch, live or not (ranges holds them, per epoch, sorted by offset;
//     the live ranges of the recovered store are seeded at Open).
//
// Compaction's copier claims each batch's range too (compact.go), so a Put
// colliding with a moved memory's copy is refused, before and after the
// relocation.
type placementGuard struct {
	owned slotBits // slots handed out or holding a record

	mu     sync.Mutex            // guards ranges
	ranges map[uint64][]reserved // epoch -> reservations sorted by off

	slotCollisions    atomic.Uint64
	contentCollisions atomic.Uint64
}

// slotBits is a bit per slot, set and cleared with atomic Or/And (no lock
// on the Put path), in chunks of slotChunk slots allocated on first use.
type slotBits struct {
	chunks [maxSlots / slotChunk]atomic.Pointer[[slotChunk / 64]atomic.Uint64]
}

const slotChunk = 1 << 16

// word returns the word holding slot's bit, allocating its chunk if needed.
func (b *slotBits) word(slot uint64) *atomic.Uint64 {
	p := &b.chunks[slot/slotChunk]
	c := p.Load()
	if c == nil {
		p.CompareAndSwap(nil, new([slotChunk / 64]atomic.Uint64))
		c = p.Load()
	}
	return &c[slot%slotChunk/64]
}

// set sets slot's bit and reports whether it was already set.
func (b *slotBits) set(slot uint64) (wasSet bool) {
	bit := uint64(1) << (slot % 64)
	return b.word(slot).Or(bit)&bit != 0
}

func (b *slotBits) clear(slot uint64) { b.word(slot).And(^(uint64(1) << (slot % 64))) }

// reserved is one content range [off, end) of an epoch.
type reserved struct{ off, end uint64 }

func newPlacementGuard() *placementGuard {
	return &placementGuard{ranges: map[uint64][]reserved{}}
}

// seed records the recovered store: every slot below the allocator's
// high-water mark that is not on its free list, and every live record's
// content range. Called by Open before the store is shared.
func (g *placementGuard) seed(s *Store) {
	for slot := range s.alloc.nextSlot.Load() {
		g.owned.set(slot)
	}
	for _, slot := range s.alloc.free {
		g.owned.clear(uint64(slot))
	}
	for i := range s.idx.shards {
		for _, slot := range s.idx.shards[i].m {
			h := s.meta.header(uint64(slot))
			if h.hasContent() && h.contentLen > 0 {
				g.ranges[h.contentEpoch] = append(g.ranges[h.contentEpoch], reserved{h.contentOff, h.contentOff + uint64(h.contentLen)})
			}
		}
	}
	for ep, rs := range g.ranges {
		slices.SortFunc(rs, func(a, b reserved) int { return cmp.Compare(a.off, b.off) })
		g.ranges[ep] = rs
	}
}

// claimSlot marks slot handed out; a slot already marked is a collision.
func (g *placementGuard) claimSlot(slot uint64) error {
	if g.owned.set(slot) {
		g.slotCollisions.Add(1)
		return fmt.Errorf("%w: slot %d is already held by a live record or a Put in flight", ErrPlacementCollision, slot)
	}
	return nil
}

// releaseSlots clears the slots the allocator puts back on its free list.
func (g *placementGuard) releaseSlots(slots []uint32) {
	for _, slot := range slots {
		g.owned.clear(uint64(slot))
	}
}

// claimRange records [off, off+n) of epoch; overlap with a range reserved
// earlier in the epoch is a collision. Ranges of epochs no longer open are
// dropped when a new epoch's first range arrives.
func (g *placementGuard) claimRange(es *epochSet, epoch, off, n uint64) error {
	if n == 0 {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	rs, ok := g.ranges[epoch]
	if !ok {
		for ep := range g.ranges {
			if es.lookup(ep) == nil {
				delete(g.ranges, ep)
			}
		}
	}
	r := reserved{off, off + n}
	i, _ := slices.BinarySearchFunc(rs, off, func(x reserved, o uint64) int { return cmp.Compare(x.off, o) })
	var clash *reserved
	switch {
	case i > 0 && rs[i-1].end > r.off:
		clash = &rs[i-1]
	case i < len(rs) && rs[i].off < r.end:
		clash = &rs[i]
	}
	if clash != nil {
		g.contentCollisions.Add(1)
		return fmt.Errorf("%w: content [%d,%d) of epoch %d overlaps [%d,%d) reserved earlier", ErrPlacementCollision, r.off, r.end, epoch, clash.off, clash.end)
	}
	g.ranges[epoch] = slices.Insert(rs, i, r)
	return nil
}

// guardSlot and guardRange are the hooks of allocSlot and appendContent:
// with the check off, one nil check. A collision is logged here.
func (s *Store) guardSlot(slot uint64) error {
	if s.guard == nil {
		return nil
	}
	err := s.guard.claimSlot(slot)
	if err != nil {
		s.log.Error("online invariant check refused a put", "error", err)
	}
	return err
}

func (s *Store) guardRange(cf *contentFile, off, n uint64) error {
	if s.guard == nil {
		return nil
	}
	err := s.guard.claimRange(s.epochs.Load(), cf.epoch, off, n)
	if err != nil {
		s.log.Error("online invariant check refused a put", "error", err)
	}
	return err
}
