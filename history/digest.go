package history

import "math"

// FNV-1a 64 parameters (as in hash/fnv).
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// Digest is the content digest used throughout warmcheck: 64-bit FNV-1a.
// It is recorded instead of raw content; workloads make content unique per
// put, so equal digests mean the same write with overwhelming probability.
func Digest(b []byte) uint64 {
	h := uint64(fnvOffset64)
	for _, c := range b {
		h = (h ^ uint64(c)) * fnvPrime64
	}
	return h
}

// DigestEmbedding is Digest over the little-endian IEEE-754 bytes of v. It
// is written out byte by byte instead of going through hash.Hash64: the
// recorder hashes every put's 3 KiB embedding, and this is about twice as
// fast as hash/fnv with the same result (TestDigestMatchesHashFNV).
func DigestEmbedding(v []float32) uint64 {
	h := uint64(fnvOffset64)
	for _, f := range v {
		u := math.Float32bits(f)
		h = (h ^ uint64(u&0xff)) * fnvPrime64
		h = (h ^ uint64(u>>8&0xff)) * fnvPrime64
		h = (h ^ uint64(u>>16&0xff)) * fnvPrime64
		h = (h ^ uint64(u>>24)) * fnvPrime64
	}
	return h
}
