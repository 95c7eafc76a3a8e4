package conformance

import (
	"bytes"
	"fmt"
	"math"

	"github.com/warmcheck/warmcheck/store"
)

// memoryOf is a memory with every field set and distinct per seed.
func memoryOf(seed int, content []byte) store.Memory {
	e := make([]float32, store.EmbeddingDim)
	for i := range e {
		e[i] = float32(seed*1000+i) / 7
	}
	return store.Memory{Embedding: e, Confidence: 0.25 + float32(seed%50)/100, Activation: float32(seed) / 3,
		DecayRate: 0.125, CreatedAt: 1_600_000_000_000_000_000 + int64(seed), LastAccess: 1_600_000_000_000_000_500 + int64(seed),
		Content: content}
}

// sameMemory says how got differs from want, "" when it does not: floats
// bit for bit, nil and empty content apart, a nil embedding as zeros.
func sameMemory(got, want store.Memory) string {
	wantE := want.Embedding
	if wantE == nil {
		wantE = make([]float32, store.EmbeddingDim)
	}
	switch {
	case len(got.Embedding) != len(wantE):
		return fmt.Sprintf("embedding has %d values, want %d", len(got.Embedding), len(wantE))
	case !sameFloats(got.Embedding, wantE):
		return "embedding differs from the one put"
	case math.Float32bits(got.Confidence) != math.Float32bits(want.Confidence):
		return fmt.Sprintf("confidence %g, want %g", got.Confidence, want.Confidence)
	case math.Float32bits(got.Activation) != math.Float32bits(want.Activation):
		return fmt.Sprintf("activation %g, want %g", got.Activation, want.Activation)
	case math.Float32bits(got.DecayRate) != math.Float32bits(want.DecayRate):
		return fmt.Sprintf("decay_rate %g, want %g", got.DecayRate, want.DecayRate)
	case want.CreatedAt != 0 && got.CreatedAt != want.CreatedAt:
		return fmt.Sprintf("created_at %d, want %d", got.CreatedAt, want.CreatedAt)
	case want.LastAccess != 0 && got.LastAccess != want.LastAccess:
		return fmt.Sprintf("last_access %d, want %d", got.LastAccess, want.LastAccess)
	case (got.Content == nil) != (want.Content == nil):
		return fmt.Sprintf("content nil=%v, want nil=%v (nil and empty content are different values)", got.Content == nil, want.Content == nil)
	case !bytes.Equal(got.Content, want.Content):
		return fmt.Sprintf("content of %d bytes differs from the %d put", len(got.Content), len(want.Content))
	}
	return ""
}

func sameFloats(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
