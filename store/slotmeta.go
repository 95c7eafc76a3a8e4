package store

import (
	"math"
	"sync/atomic"

	"github.com/warmcheck/warmcheck/sched"
)

// slotMeta is the in-memory copy of the fields of a slot's record header
// that a scan hands out: the scalars, the sequence number and the content
// reference. Scans
// (Iterate, IterateMeta, IterateView, Recall) read it instead of the header
// sector, which sits on a page of its own for every memory (a slot is 3584
// bytes): at 1M memories reading the headers costs a TLB and cache miss per
// memory, and the scan is bound by them.
//
// Invariant: for every slot published in the index, its entry holds the
// values of its header fields, except that the content reference is the
// record's current one (its header's, or where compaction moved it: the
// header is never rewritten, see format.go), read and written under the same
// locks as the header: written before the slot is published (Put), or under
// the write lock of the slot's shard (UpdateActivation, compaction's
// relocation), and read under a read lock of that shard. Header and
// relocation tables stay the durable truth; recovery rebuilds the table from
// them. 56 bytes per slot.
//
// The words are atomic only so that the seeded bugs that write a slot
// without its lock (slot-race, index-before-block, unlocked-activation)
// stay data-race free for the race detector, as their writes to the
// mapping are; on amd64 a load is a plain load.
type slotMeta struct {
	contentRef   atomic.Uint64 // contentOff (below metaOffLimit) | metaHasContent
	contentEpoch atomic.Uint64
	createdAt    atomic.Uint64
	lastAccess   atomic.Uint64
	confAct      atomic.Uint64 // confidence | activation<<32 (float32 bits)
	decayLen     atomic.Uint64 // decayRate bits | contentLen<<32
	seq          atomic.Uint64
}

// contentRef packs the has-content flag into the top bit of the offset.
// Every offset with content bytes lies inside its mapped file, which is
// far below metaOffLimit (the largest reservation is 64 GiB). An empty
// content's offset is only its place in the append order (contentBytes
// reads nothing for it) and is clamped to the limit, which keeps it past
// the file header as contentBytes requires.
const (
	metaHasContent = 1 << 63
	metaOffLimit   = 1<<48 - 1
)

func pack32(lo, hi uint32) uint64 { return uint64(lo) | uint64(hi)<<32 }

func packRef(off uint64, hasContent bool) uint64 {
	if !hasContent {
		return min(off, metaOffLimit)
	}
	return min(off, metaOffLimit) | metaHasContent
}

// metaChunkShift sets the chunk size: 4096 slots (224 KiB) per chunk.
const (
	metaChunkShift = 12
	metaChunkSlots = 1 << metaChunkShift
)

type metaChunk [metaChunkSlots]slotMeta

// metaTable is a dense array of slotMeta indexed by slot, in chunks so that
// it grows without moving (a pointer to an entry stays valid). The chunk
// directory is replaced wholesale (copy on grow) and read without a lock.
type metaTable struct {
	mu     sched.Mutex // serialises growth
	chunks atomic.Pointer[[]*metaChunk]
}

// at returns the entry of slot, growing the table if needed. Only a writer
// that owns slot (a Put before publishing it, recovery) or holds its
// shard's write lock may write through the pointer.
func (t *metaTable) at(slot uint64) *slotMeta {
	c := slot >> metaChunkShift
	if d := t.chunks.Load(); d != nil && c < uint64(len(*d)) {
		return &(*d)[c][slot&(metaChunkSlots-1)]
	}
	return t.grow(c, slot)
}

func (t *metaTable) grow(c, slot uint64) *slotMeta {
	t.mu.Lock()
	defer t.mu.Unlock()
	var cur []*metaChunk
	if d := t.chunks.Load(); d != nil {
		cur = *d
	}
	if c >= uint64(len(cur)) {
		next := make([]*metaChunk, c+1, max(c+1, 2*uint64(len(cur))))
		copy(next, cur)
		for i := len(cur); i < len(next); i++ {
			next[i] = new(metaChunk)
		}
		t.chunks.Store(&next)
		cur = next
	}
	return &cur[c][slot&(metaChunkSlots-1)]
}

// set copies the header fields of h into slot's entry.
func (t *metaTable) set(slot uint64, h *recordHeader) {
	m := t.at(slot)
	m.contentRef.Store(packRef(h.contentOff, h.hasContent()))
	m.contentEpoch.Store(h.contentEpoch)
	m.createdAt.Store(uint64(h.createdAt))
	m.lastAccess.Store(uint64(h.lastAccess))
	m.confAct.Store(pack32(math.Float32bits(h.confidence), math.Float32bits(h.activation)))
	m.decayLen.Store(pack32(math.Float32bits(h.decayRate), h.contentLen))
	m.seq.Store(h.seq)
}

// setActivation records an in-place activation update (caller holds the
// slot's shard write lock, so confidence cannot change meanwhile).
func (t *metaTable) setActivation(slot uint64, v float32, lastAccess int64) {
	m := t.at(slot)
	m.confAct.Store(m.confAct.Load()&0xffffffff | uint64(math.Float32bits(v))<<32)
	m.lastAccess.Store(uint64(lastAccess))
}

// setContentRef records compaction's move of slot's content (only records
// with content are moved).
func (t *metaTable) setContentRef(slot, off, epoch uint64) {
	m := t.at(slot)
	m.contentRef.Store(packRef(off, true))
	m.contentEpoch.Store(epoch)
}

// contentRef returns slot's current content reference.
func (t *metaTable) contentRef(slot uint64) (off, epoch uint64) {
	m := t.at(slot)
	return m.contentRef.Load() &^ metaHasContent, m.contentEpoch.Load()
}

// seq returns the sequence number of slot's record.
func (t *metaTable) seq(slot uint64) uint64 { return t.at(slot).seq.Load() }

// header returns slot's entry as a recordHeader with the scan's fields set
// (the checksums and the id length are zero; flags holds only
// flagHasContent). The slot must be published: its entry exists.
func (t *metaTable) header(slot uint64) recordHeader {
	m := t.at(slot)
	ca, dl, ref := m.confAct.Load(), m.decayLen.Load(), m.contentRef.Load()
	var flags uint32
	if ref&metaHasContent != 0 {
		flags = flagHasContent
	}
	return recordHeader{
		state:        stateLive,
		seq:          m.seq.Load(),
		confidence:   math.Float32frombits(uint32(ca)),
		activation:   math.Float32frombits(uint32(ca >> 32)),
		decayRate:    math.Float32frombits(uint32(dl)),
		flags:        flags,
		createdAt:    int64(m.createdAt.Load()),
		lastAccess:   int64(m.lastAccess.Load()),
		contentOff:   ref &^ metaHasContent,
		contentEpoch: m.contentEpoch.Load(),
		contentLen:   uint32(dl >> 32),
	}
}
