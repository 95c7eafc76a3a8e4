package bench

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"strconv"

	"github.com/warmcheck/warmcheck/store"
)

// sizeMix is a content-size distribution: Sizes[i] bytes with weight
// Weights[i] (weights sum to 1000).
type sizeMix struct {
	Name    string
	Sizes   []int
	Weights []int
}

// reviewMix is the review's content-size mix: 90% 100 B, 9% 1 KB, 1% 5 KB.
var reviewMix = sizeMix{Name: "90% 100 B, 9% 1 KB, 1% 5 KB", Sizes: []int{100, 1000, 5000}, Weights: []int{900, 90, 10}}

// fragmentationMix is the review's fragmentation cascade as it actually
// splits (section 5.2, test 4): 1% 100 KB, 3% 10 KB, 4% 1 KB, 4% 100 B,
// 28% empty and 60% tiny (1-10 B, size -1 below).
var fragmentationMix = sizeMix{Name: "1% 100 KB, 3% 10 KB, 4% 1 KB, 4% 100 B, 28% empty, 60% 1-10 B",
	Sizes: []int{100_000, 10_000, 1000, 100, 0, -1}, Weights: []int{10, 30, 40, 40, 280, 600}}

// pick draws one size.
func (m sizeMix) pick(rng *rand.Rand) int {
	r := rng.Intn(1000)
	for i, w := range m.Weights {
		if r < w {
			if m.Sizes[i] < 0 {
				return 1 + rng.Intn(10)
			}
			return m.Sizes[i]
		}
		r -= w
	}
	return m.Sizes[len(m.Sizes)-1]
}

// memoryGen makes the memories of a profile deterministically from a seed,
// so that any memory can be regenerated to verify what the store returns.
// Contents are unique per (key, size): they start with the key.
type memoryGen struct {
	seed int64
	mix  sizeMix
}

// spec is what one memory is, before its bytes are made.
type spec struct {
	ID   string
	Key  int64 // embedding and content seed
	Size int
}

// specs draws n memory specs with ids prefix+i.
func (g memoryGen) specs(prefix string, n int, salt int64) []spec {
	rng := rand.New(rand.NewSource(g.seed ^ salt*0x9e3779b97f4a7c))
	out := make([]spec, n)
	for i := range out {
		out[i] = spec{ID: prefix + strconv.Itoa(i), Key: salt<<32 | int64(i), Size: g.mix.pick(rng)}
	}
	return out
}

// content writes the content of s into buf (reused) and returns it. Size 0
// is the empty, non-nil content.
func (s spec) content(buf []byte) []byte {
	buf = buf[:0]
	if s.Size == 0 {
		return []byte{}
	}
	buf = strconv.AppendInt(buf, s.Key, 36)
	buf = append(buf, ':')
	for len(buf) < s.Size {
		buf = append(buf, byte('a'+(s.Key+int64(len(buf)))%26))
	}
	return buf[:s.Size]
}

// embeddingValue is the single value every embedding element of s holds
// (the review's sin((seed+i)*0.01), one value per memory).
func (s spec) embeddingValue() float32 { return float32(math.Sin(float64(s.Key) * 0.01)) }

// memory fills m from s, reusing emb and buf; the result aliases them.
func (s spec) memory(emb []float32, buf []byte) store.Memory {
	v := s.embeddingValue()
	for i := range emb {
		emb[i] = v
	}
	return store.Memory{
		Embedding:  emb,
		Confidence: float32(s.Key%100) / 100,
		Activation: 0.5,
		DecayRate:  0.01,
		CreatedAt:  1,
		LastAccess: 1,
		Content:    s.content(buf),
	}
}

// verify compares what a store returned for s with what was put, every
// byte of the content and every element of the embedding.
func (s spec) verify(got store.Memory, buf []byte) error {
	want := s.content(buf)
	if got.Content == nil || !bytes.Equal(got.Content, want) {
		return fmt.Errorf("%w: %s: content %s, want %d bytes %.20q", ErrCorruptData, s.ID, describeBytes(got.Content), len(want), want)
	}
	if len(got.Embedding) != store.EmbeddingDim {
		return fmt.Errorf("%w: %s: embedding has %d values, want %d", ErrCorruptData, s.ID, len(got.Embedding), store.EmbeddingDim)
	}
	v := s.embeddingValue()
	for i, x := range got.Embedding {
		if x != v {
			return fmt.Errorf("%w: %s: embedding[%d] = %v, want %v", ErrCorruptData, s.ID, i, x, v)
		}
	}
	if got.Confidence != float32(s.Key%100)/100 {
		return fmt.Errorf("%w: %s: confidence %v, want %v", ErrCorruptData, s.ID, got.Confidence, float32(s.Key%100)/100)
	}
	return nil
}

func describeBytes(b []byte) string {
	if b == nil {
		return "nil"
	}
	return fmt.Sprintf("%d bytes %.20q", len(b), b)
}
