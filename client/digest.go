package client

import (
	"hash/maphash"
	"sync"
	"unsafe"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// digestCache remembers embedding digests by a fast in-memory hash of the
// embedding's bytes. FNV-1a over 3 KiB is inherently serial (several
// microseconds); the memory a Get returns was written by an earlier Put whose
// digest the recorder already computed, so a Get usually costs one maphash
// (hardware-assisted, a few hundred nanoseconds) and a map lookup.
//
// Invariant: an entry maps maphash(bytes) to history.DigestEmbedding of those same
// bytes. A wrong digest needs a 64-bit maphash collision between two
// different embeddings (probability about n²/2⁶⁵ for n cached embeddings).
// The cache lives in one Recorder (its seed is per process, never stored).
type digestCache struct {
	seed   maphash.Seed
	shards [digestShards]digestShard
}

const (
	digestShards   = 16
	digestPerShard = 1 << 14 // a full shard is cleared: memory stays bounded
)

type digestShard struct {
	mu sync.Mutex
	m  map[uint64]uint64
}

func newDigestCache() *digestCache {
	c := &digestCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]uint64)
	}
	return c
}

// embedding is EmbeddingDigest(e), cached.
func (c *digestCache) embedding(e []float32) uint64 {
	if len(e) == 0 {
		return zeroEmbeddingDigest()
	}
	k := maphash.Bytes(c.seed, unsafe.Slice((*byte)(unsafe.Pointer(&e[0])), len(e)*4))
	sh := &c.shards[k%digestShards]
	sh.mu.Lock()
	d, ok := sh.m[k]
	sh.mu.Unlock()
	if ok {
		return d
	}
	d = history.DigestEmbedding(e)
	sh.mu.Lock()
	if len(sh.m) >= digestPerShard {
		clear(sh.m)
	}
	sh.m[k] = d
	sh.mu.Unlock()
	return d
}

// value is ValueOf(m) with the embedding digest cached.
func (c *digestCache) value(m store.Memory) history.Value {
	v := history.Value{
		HasContent:      m.Content != nil,
		EmbeddingDigest: c.embedding(m.Embedding),
		Confidence:      m.Confidence,
		Activation:      m.Activation,
	}
	if m.Content != nil {
		v.ContentDigest = history.Digest(m.Content)
		v.ContentLen = uint32(len(m.Content))
	}
	return v
}
