package store

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// Digest and DigestEmbedding duplicate history.Digest and
// history.DigestEmbedding (XXH64, seed 0; a history header records it as
// "digest": "xxh64") because store may not import history. They must agree
// bit for bit: the checker compares Layout's ContentDigest and
// EmbeddingDigest, computed here, with the digests the recorder computed for
// the puts. TestDigestPinned (and history's TestDigestMatchesXXH64) pin both
// to xxhash.Sum64.

// Digest is XXH64 (seed 0) of b, identical to history.Digest.
func Digest(b []byte) uint64 { return xxhash.Sum64(b) }

// hostLittleEndian: a float32's bytes are stored little-endian in memory, so
// an embedding's memory is the byte string DigestEmbedding hashes (and
// Digest of a record's on-disk embedding bytes equals DigestEmbedding of
// the decoded values).
var hostLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// DigestEmbedding is Digest over the little-endian IEEE-754 bytes of v,
// identical to history.DigestEmbedding.
func DigestEmbedding(v []float32) uint64 {
	if len(v) == 0 {
		return xxhash.Sum64(nil)
	}
	if hostLittleEndian {
		return xxhash.Sum64(unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v)))
	}
	return digestEmbeddingPortable(v)
}

// digestEmbeddingPortable is DigestEmbedding with explicit little-endian
// conversion (any host byte order).
func digestEmbeddingPortable(v []float32) uint64 {
	d := xxhash.New()
	var buf [1024]byte
	for len(v) > 0 {
		n := min(len(v), len(buf)/4)
		for i, f := range v[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(f))
		}
		d.Write(buf[:4*n])
		v = v[n:]
	}
	return d.Sum64()
}
