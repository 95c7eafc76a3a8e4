package store

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/cespare/xxhash/v2"
)

// TestDigestPinned pins Digest and DigestEmbedding to XXH64 (seed 0) as
// xxhash.Sum64 computes it, the same reference history's
// TestDigestMatchesXXH64 pins history.Digest to: the checker compares
// Layout digests (computed here) with the recorder's (computed there).
func TestDigestPinned(t *testing.T) {
	if got := Digest([]byte("a")); got != 0xd24ec4f1a98c6e5b {
		t.Fatalf("Digest(a) = %#x, want 0xd24ec4f1a98c6e5b (XXH64 test vector)", got)
	}
	if got, want := DigestEmbedding(nil), uint64(0xef46db3751d8e999); got != want {
		t.Fatalf("DigestEmbedding(nil) = %#x, want %#x (XXH64 of no bytes)", got, want)
	}
	// XXH64 of the 4 little-endian bytes of float32 1.0 (00 00 80 3f).
	if got, want := DigestEmbedding([]float32{1}), xxhash.Sum64([]byte{0, 0, 0x80, 0x3f}); got != want {
		t.Fatalf("DigestEmbedding([1]) = %#x, want %#x", got, want)
	}
	e := make([]float32, EmbeddingDim+3)
	for i := range e {
		e[i] = float32(i) * -0.37
	}
	e[9] = float32(math.Inf(1))
	raw := make([]byte, 4*len(e))
	for i, f := range e {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	want := xxhash.Sum64(raw)
	if got := DigestEmbedding(e); got != want {
		t.Fatalf("DigestEmbedding = %#x, xxhash.Sum64 of the little-endian bytes %#x", got, want)
	}
	if got := digestEmbeddingPortable(e); got != want {
		t.Fatalf("digestEmbeddingPortable = %#x, want %#x", got, want)
	}
	// What Layout computes from a record's on-disk embedding bytes.
	if got := Digest(embeddingBytesOf(e)); got != want {
		t.Fatalf("Digest(embeddingBytesOf) = %#x, want %#x", got, want)
	}
}
