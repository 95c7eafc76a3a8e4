package history

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// Digest algorithms a history header can name (Header.Digest, FORMAT.md
// section 2). A digest is only ever compared with digests of the same
// history, so the algorithm matters to whoever recomputes one from raw bytes
// (a store's own Layout digests, an external tool), never to the checker.
const (
	// DigestXXH64 is XXH64 with seed 0 (github.com/cespare/xxhash/v2,
	// xxhash.Sum64): what Digest computes and every history written by
	// this package (schema 2) records.
	DigestXXH64 = "xxh64"
	// DigestFNV1a64 is 64-bit FNV-1a (hash/fnv.New64a): the digest of
	// schema 1 histories, whose header has no "digest" key.
	DigestFNV1a64 = "fnv1a-64"
)

// Digest is the content digest used throughout warmcheck: XXH64 (seed 0) of
// b, DigestXXH64. It is recorded instead of raw content; workloads make
// content unique per put, so equal digests mean the same write with
// overwhelming probability.
//
// It must equal store.Digest bit for bit (both are pinned to xxhash.Sum64 by
// tests): the checker compares a Layout's digests, computed by the store,
// with the digests the recorder computed here.
func Digest(b []byte) uint64 { return xxhash.Sum64(b) }

// littleEndian: this machine stores a float32's bytes little-endian, so an
// embedding's memory is already the byte string DigestEmbedding hashes.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// DigestEmbedding is Digest over the little-endian IEEE-754 bytes of v (4
// bytes per value, in order). On little-endian machines it hashes v's memory
// in place (the recorder digests every put's 3 KiB embedding: about 0.2 us,
// where byte-wise FNV-1a took about 2.4 us); elsewhere it streams the
// converted bytes through a small buffer.
func DigestEmbedding(v []float32) uint64 {
	if len(v) == 0 {
		return xxhash.Sum64(nil)
	}
	if littleEndian {
		return xxhash.Sum64(unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v)))
	}
	return digestEmbeddingPortable(v)
}

// digestEmbeddingPortable is DigestEmbedding without the in-place view: it
// converts the values to little-endian bytes explicitly (any byte order).
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
