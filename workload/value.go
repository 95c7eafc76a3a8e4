package workload

import (
	"math/rand/v2"
	"strconv"

	"github.com/warmcheck/warmcheck/store"
)

// valueGen makes the values one worker writes. Invariant: within one run no
// two writes produce the same (content, embedding, activation): content
// carries the token "<id>/<tag>/n<counter>", the embedding is stamped with
// (worker, counter), and the activation is the exact float32 of a number
// unique to (worker, counter) — unique for the first 2^24 operations of a
// run, after which activations repeat (content and embedding stay unique).
type valueGen struct {
	rng     *rand.Rand
	sizes   SizeMix
	tag     string
	worker  uint64
	stride  uint64 // workers + 1: the preload generator is worker index Workers
	counter uint64
}

func newValueGen(seed int64, p Params, worker int, tag string, salt uint64) *valueGen {
	return &valueGen{
		rng:    rand.New(rand.NewPCG(uint64(seed), salt)),
		sizes:  p.Sizes,
		tag:    tag,
		worker: uint64(worker),
		stride: uint64(p.Workers) + 1,
	}
}

// activation returns a fresh unique activation in (0, 1].
func (g *valueGen) activation() float32 {
	g.counter++
	n := (g.counter*g.stride+g.worker)%(1<<24) + 1
	return float32(n) / (1 << 24) // exact: n < 2^24+1 fits float32's mantissa and the divisor is a power of two
}

// memory returns a fresh memory for id, unique in the run.
func (g *valueGen) memory(id string) store.Memory {
	act := g.activation()
	created, last := g.times()
	return store.Memory{
		Embedding:  g.embedding(),
		Confidence: g.rng.Float32(),
		Activation: act,
		DecayRate:  g.rng.Float32() / 10,
		CreatedAt:  created,
		LastAccess: last,
		Content:    g.content(id),
	}
}

// timesEpoch is 2020-01-01T00:00:00Z in ns: explicit times lie before any
// run, so a store that replaces one with its clock (or keeps one that
// update-activation should have replaced) is told apart from one that
// keeps it.
const timesEpoch = 1_577_836_800_000_000_000

// times returns the CreatedAt and LastAccess of the current write, cycling
// through the four cases (both explicit, each left 0 for the store to set,
// both 0) by counter, without a draw, so that every other value of a seed
// is what it was before the fields were written.
func (g *valueGen) times() (created, last int64) {
	n := int64(g.counter*g.stride + g.worker)
	created, last = timesEpoch+n*1_000, timesEpoch+n*1_000+500
	switch g.counter % 4 {
	case 1:
		created = 0
	case 2:
		last = 0
	case 3:
		created, last = 0, 0
	}
	return created, last
}

// content returns nil, empty, or token+padding of the drawn size.
func (g *valueGen) content(id string) []byte {
	size := g.sizes.draw(g.rng)
	switch size {
	case sizeNil:
		return nil
	case 0:
		return []byte{}
	}
	b := make([]byte, 0, max(size, 64))
	b = append(b, id...)
	b = append(b, '/')
	b = append(b, g.tag...)
	b = append(b, "/n"...)
	b = strconv.AppendUint(b, g.counter, 10)
	b = append(b, '/')
	for len(b) < size {
		b = append(b, byte('a'+g.rng.IntN(26)))
	}
	return b
}

// embedding returns EmbeddingDim values stamped with (worker, counter) in
// the first three; the rest are cheap pseudo-random values in [-1, 1).
func (g *valueGen) embedding() []float32 {
	e := make([]float32, store.EmbeddingDim)
	e[0] = float32(g.worker)
	e[1] = float32(g.counter & 0xffffff)
	e[2] = float32(g.counter >> 24)
	x := g.rng.Uint64() | 1
	for i := 3; i < len(e); i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		e[i] = float32(int32(x>>32)) / (1 << 31)
	}
	return e
}
