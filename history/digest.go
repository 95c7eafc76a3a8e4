package history

import (
	"hash/fnv"
	"math"
)

// Digest is the content digest used throughout warmcheck: 64-bit FNV-1a.
// It is recorded instead of raw content; workloads make content unique per
// put, so equal digests mean the same write with overwhelming probability.
func Digest(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// DigestEmbedding is Digest over the little-endian IEEE-754 bytes of v.
func DigestEmbedding(v []float32) uint64 {
	h := fnv.New64a()
	var buf [4]byte
	for _, f := range v {
		u := math.Float32bits(f)
		buf[0], buf[1], buf[2], buf[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		h.Write(buf[:])
	}
	return h.Sum64()
}
