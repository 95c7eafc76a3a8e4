package store

import (
	"sync/atomic"

	"github.com/warmcheck/warmcheck/sched"
)

// allocator hands out slots. Invariants: a slot on the free list is free on
// disk durably (all zeros, or a free marker covered by a completed msync);
// nextSlot is one past the highest slot ever handed out; a slot is in exactly
// one of: free list, index (published), pending (superseded/removed, waiting
// for the Sync that makes its freeing safe), or an in-flight Put.
type allocator struct {
	nextSlot  atomic.Uint64
	freeCount atomic.Int64
	mu        sched.Mutex
	free      []uint32
	// onRelease, when set (the online invariant check), is told of every
	// slot put back on the free list.
	onRelease func([]uint32)
}

// maxSlots bounds the slot number so that it fits the index's uint32.
const maxSlots = 1 << 32

func (a *allocator) alloc() (slot uint64, reused bool) {
	if a.freeCount.Load() > 0 {
		a.mu.Lock()
		if n := len(a.free); n > 0 {
			slot = uint64(a.free[n-1])
			a.free = a.free[:n-1]
			a.freeCount.Add(-1)
			a.mu.Unlock()
			return slot, true
		}
		a.mu.Unlock()
	}
	return a.nextSlot.Add(1) - 1, false
}

// release puts slots back on the free list; the caller guarantees that they
// are durably free.
func (a *allocator) release(slots ...uint32) {
	if len(slots) == 0 {
		return
	}
	if a.onRelease != nil {
		a.onRelease(slots)
	}
	a.mu.Lock()
	a.free = append(a.free, slots...)
	a.freeCount.Add(int64(len(slots)))
	a.mu.Unlock()
}

func (a *allocator) inUse() uint64 {
	return a.nextSlot.Load() - uint64(a.freeCount.Load())
}

// pendingFree holds slots whose freeing must wait for a Sync. superseded
// slots still hold a live record on disk; their free marker may be written
// only once the record that replaced them is durable. removed slots carry a
// free marker already and become reusable once that marker is durable.
type pendingFree struct {
	mu         sched.Mutex
	superseded []uint32
	removed    []uint32
}

func (p *pendingFree) addSuperseded(slot uint32) {
	p.mu.Lock()
	p.superseded = append(p.superseded, slot)
	p.mu.Unlock()
}

func (p *pendingFree) addRemoved(slot uint32) {
	p.mu.Lock()
	p.removed = append(p.removed, slot)
	p.mu.Unlock()
}

func (p *pendingFree) take() (superseded, removed []uint32) {
	p.mu.Lock()
	superseded, removed = p.superseded, p.removed
	p.superseded, p.removed = nil, nil
	p.mu.Unlock()
	return
}

// putBack returns slots that a failed Sync could not process.
func (p *pendingFree) putBack(superseded, removed []uint32) {
	p.mu.Lock()
	p.superseded = append(p.superseded, superseded...)
	p.removed = append(p.removed, removed...)
	p.mu.Unlock()
}

func (p *pendingFree) empty() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.superseded) == 0 && len(p.removed) == 0
}
