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
	_  [40]byte
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

// snapshot returns the ids present in each shard at the moment it was read.
func (ix *index) snapshot() [numShards][]string {
	var out [numShards][]string
	for i := range ix.shards {
		sh := &ix.shards[i]
		sh.mu.RLock()
		ids := make([]string, 0, len(sh.m))
		for id := range sh.m {
			ids = append(ids, id)
		}
		sh.mu.RUnlock()
		out[i] = ids
	}
	return out
}
