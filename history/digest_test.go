package history

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/cespare/xxhash/v2"
)

// The digests are part of the history format (schema 2, header "digest":
// "xxh64"): they must stay XXH64 with seed 0 exactly as xxhash.Sum64
// computes it over the content bytes, and over the little-endian IEEE-754
// bytes of an embedding. store.Digest is pinned to the same values.
func TestDigestMatchesXXH64(t *testing.T) {
	// Published XXH64 test vectors (seed 0).
	for s, want := range map[string]uint64{
		"":    0xef46db3751d8e999,
		"a":   0xd24ec4f1a98c6e5b,
		"abc": 0x44bc2cf5ad770999,
	} {
		if got := Digest([]byte(s)); got != want {
			t.Fatalf("Digest(%q) = %#x, want %#x", s, got, want)
		}
	}
	if got, want := DigestEmbedding(nil), Digest(nil); got != want {
		t.Fatalf("DigestEmbedding(nil) = %#x, want %#x", got, want)
	}
	// float32 1.0 is 00 00 80 3f little-endian.
	if got, want := DigestEmbedding([]float32{1}), xxhash.Sum64([]byte{0, 0, 0x80, 0x3f}); got != want {
		t.Fatalf("DigestEmbedding([1]) = %#x, want %#x", got, want)
	}
	for seed := 0; seed < 50; seed++ {
		e := make([]float32, 768+seed%5) // also lengths that are not a multiple of the portable path's buffer
		for i := range e {
			e[i] = float32(seed*1000+i) * 0.731
		}
		if seed%7 == 0 {
			e[5] = float32(math.NaN())
		}
		raw := make([]byte, 4*len(e))
		for i, f := range e {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
		}
		want := xxhash.Sum64(raw)
		if got := DigestEmbedding(e); got != want {
			t.Fatalf("seed %d: DigestEmbedding %#x, xxhash.Sum64 %#x", seed, got, want)
		}
		if got := digestEmbeddingPortable(e); got != want {
			t.Fatalf("seed %d: digestEmbeddingPortable %#x, xxhash.Sum64 %#x", seed, got, want)
		}
		if got := Digest(raw); got != want {
			t.Fatalf("seed %d: Digest %#x, xxhash.Sum64 %#x", seed, got, want)
		}
	}
}

func BenchmarkDigestEmbedding(b *testing.B) {
	e := make([]float32, 768)
	for i := range e {
		e[i] = float32(i) * 0.731
	}
	b.SetBytes(4 * int64(len(e)))
	for i := 0; i < b.N; i++ {
		DigestEmbedding(e)
	}
}
