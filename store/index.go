package store

import (
	"hash/maphash"
	"sync"
)

const numShards = 64

// shard is one partition of the id -> slot index. Invariants: m[id] == slot
// only while slot holds a fully written live record of id (except under the
// index-before-block seeded bug); every read of a slot's header, embedding or
// content by a reader happens under mu (read), every in-place rewrite of a
// published slot's header under mu (write). The padding keeps two shards'
// locks off one cache line.
type shard struct {
	mu sync.RWMutex
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
}

func newIndex() *index {
	ix := &index{seed: maphash.MakeSeed()}
	for i := range ix.shards {
		ix.shards[i].m = make(map[string]uint32)
	}
	return ix
}

func (ix *index) shardOf(id string) *shard {
	return &ix.shards[maphash.String(ix.seed, id)&(numShards-1)]
}

// shardSnap is the content of one shard at one version.
type shardSnap struct {
	ids     []string
	slots   []uint32
	version uint64
}

// snapshot returns the ids (and their slots) present in each shard at the
// moment it was read.
func (ix *index) snapshot() [numShards]shardSnap {
	var out [numShards]shardSnap
	for i := range ix.shards {
		sh := &ix.shards[i]
		sh.mu.RLock()
		sn := shardSnap{ids: make([]string, 0, len(sh.m)), slots: make([]uint32, 0, len(sh.m)), version: sh.version}
		for id, slot := range sh.m {
			sn.ids = append(sn.ids, id)
			sn.slots = append(sn.slots, slot)
		}
		sh.mu.RUnlock()
		out[i] = sn
	}
	return out
}
