package history

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"testing"
)

// The digests are part of the history format: they must stay FNV-1a 64
// exactly as hash/fnv computes it.
func TestDigestMatchesHashFNV(t *testing.T) {
	if got := Digest([]byte("a")); got != 0xaf63dc4c8601ec8c {
		t.Fatalf("Digest(a) = %#x", got)
	}
	for seed := 0; seed < 50; seed++ {
		e := make([]float32, 768)
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
		h := fnv.New64a()
		h.Write(raw)
		if got, want := DigestEmbedding(e), h.Sum64(); got != want {
			t.Fatalf("seed %d: DigestEmbedding %#x, hash/fnv %#x", seed, got, want)
		}
		if got, want := Digest(raw), h.Sum64(); got != want {
			t.Fatalf("seed %d: Digest %#x, hash/fnv %#x", seed, got, want)
		}
	}
}
