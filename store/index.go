package store

import (
	"cmp"
	"hash/maphash"
	"math/bits"
	"slices"

	"github.com/warmcheck/warmcheck/sched"
)

const numShards = 64

// shard is one partition of the id -> slot index. Invariants: m[id] == slot
// only while slot holds a fully written live record of id (except under the
// index-before-block seeded bug); every read of a slot's header, embedding or
// content by a reader happens under mu (read), every in-place rewrite of a
// published slot's header under mu (write). The padding keeps two shards'
// locks off one cache line.
type shard struct {
	mu sched.RWMutex
	m  map[string]uint32
	// version changes (under mu) whenever an id is added, removed or moved
	// to another slot, so a scan can trust a snapshot taken at the same
	// version without looking each id up again.
	version uint64
	_       [32]byte
}

// index is the in-memory map from memory id to slot: one map entry per live
// memory (about 40-60 bytes each with the key), nothing else per memory.
type index struct {
	seed   maphash.Seed
	shards [numShards]shard
	// fixedHash: shard by fixedShard (schedule.go), the same in every
	// process, instead of maphash with its random seed.
	fixedHash bool
}

func newIndex() *index {
	ix := &index{seed: maphash.MakeSeed()}
	for i := range ix.shards {
		ix.shards[i].m = make(map[string]uint32)
	}
	return ix
}

func (ix *index) shardOf(id string) *shard {
	if ix.fixedHash {
		return &ix.shards[fixedShard(id)&(numShards-1)]
	}
	return &ix.shards[maphash.String(ix.seed, id)&(numShards-1)]
}

// slotSnap is the index as a scan found it, laid out by slot so that the
// scan reads the blocks file front to back: ids[slot] is the id that shard
// shards[slot] mapped to slot when that shard was read ("" for none), and
// versions[i] is shard i's version at that moment. Each shard is read at one
// version; different shards at different moments. extra holds the entries
// that do not fit the layout (a slot claimed by an entry of an earlier-read
// shard, or beyond the slot count read at the start): both need a slot to
// be freed, synced and reused during the snapshot, so extra is almost
// always empty.
type slotSnap struct {
	ids      []string
	shards   []uint8
	versions [numShards]uint64
	extra    []snapEntry
	// hdr is the scan's scratch header, handed to each visit in turn (one
	// scan visits one entry at a time), so that visiting allocates nothing.
	hdr recordHeader
}

type snapEntry struct {
	id    string
	slot  uint32
	shard uint8
}

// snapshotBySlot reads every shard once (under its read lock) into a
// slotSnap with room for slots [0, nslots).
func (ix *index) snapshotBySlot(nslots uint64) *slotSnap {
	sn := &slotSnap{ids: make([]string, nslots), shards: make([]uint8, nslots)}
	// claimed has a bit per slot already taken: checked instead of ids
	// itself, which at 1M memories is 16 MB written in random order, so
	// that the loop only stores there (the stores' cache misses overlap;
	// loads of it would be waited for one by one).
	claimed := make([]uint64, (nslots+63)/64)
	for i := range ix.shards {
		sh := &ix.shards[i]
		sh.mu.RLock()
		sn.versions[i] = sh.version
		for id, slot := range sh.m {
			w, bit := uint64(slot)/64, uint64(1)<<(slot%64)
			if uint64(slot) >= nslots || claimed[w]&bit != 0 {
				sn.extra = append(sn.extra, snapEntry{id: id, slot: slot, shard: uint8(i)})
				continue
			}
			claimed[w] |= bit
			sn.ids[slot] = id
			sn.shards[slot] = uint8(i)
		}
		sh.mu.RUnlock()
	}
	// The extras were met in map order: put them in slot order, so that a
	// scan visits them in the same order in every run of one schedule.
	slices.SortFunc(sn.extra, func(a, b snapEntry) int {
		return cmp.Or(cmp.Compare(a.slot, b.slot), cmp.Compare(a.id, b.id))
	})
	return sn
}

// rlockAll read-locks every shard in mask (bit i: shard i) without waiting,
// in shard order. If one is not available at once it releases those it took
// and returns false: a scan never waits for one shard while holding another.
func (ix *index) rlockAll(mask uint64) bool {
	for m := mask; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		if !ix.shards[i].mu.TryRLock() {
			ix.runlockAll(mask & (uint64(1)<<i - 1))
			return false
		}
	}
	return true
}

func (ix *index) runlockAll(mask uint64) {
	for m := mask; m != 0; m &= m - 1 {
		ix.shards[bits.TrailingZeros64(m)].mu.RUnlock()
	}
}

// lockAll write-locks every shard in mask like rlockAll: without waiting, in
// shard order, all or none.
func (ix *index) lockAll(mask uint64) bool {
	for m := mask; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		if !ix.shards[i].mu.TryLock() {
			ix.unlockAll(mask & (uint64(1)<<i - 1))
			return false
		}
	}
	return true
}

func (ix *index) unlockAll(mask uint64) {
	for m := mask; m != 0; m &= m - 1 {
		ix.shards[bits.TrailingZeros64(m)].mu.Unlock()
	}
}
