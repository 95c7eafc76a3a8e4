package store

import "math"

// These duplicate history.Digest and history.DigestEmbedding (64-bit FNV-1a)
// because store may not import history; a test pins known values.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnv1a(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// Digest is 64-bit FNV-1a of b, identical to history.Digest.
func Digest(b []byte) uint64 { return fnv1a(fnvOffset, b) }

// DigestEmbedding is Digest over the little-endian IEEE-754 bytes of v,
// identical to history.DigestEmbedding.
func DigestEmbedding(v []float32) uint64 {
	h := uint64(fnvOffset)
	var buf [4]byte
	for _, f := range v {
		u := math.Float32bits(f)
		buf[0], buf[1], buf[2], buf[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		h = fnv1a(h, buf[:])
	}
	return h
}
