package crashpoint

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/warmcheck/warmcheck/store"
)

// OpKind is the kind of one client operation of a workload.
type OpKind uint8

const (
	OpPut OpKind = iota + 1
	OpRemove
	OpUpdate // UpdateActivation
	OpSync
	OpCompact
)

func (k OpKind) String() string {
	return [...]string{"?", "put", "remove", "update-activation", "sync", "compact"}[k]
}

// Value is what a memory holds, as far as the oracle compares it. LastAccess
// is not compared: UpdateActivation sets it from the store's clock.
type Value struct {
	Embedding  []float32
	Content    []byte // nil: no content
	Confidence float32
	Activation float32
	DecayRate  float32
	CreatedAt  int64
}

func (v *Value) memory() store.Memory {
	return store.Memory{Embedding: v.Embedding, Content: v.Content, Confidence: v.Confidence,
		Activation: v.Activation, DecayRate: v.DecayRate, CreatedAt: v.CreatedAt, LastAccess: v.CreatedAt}
}

// equal compares bitwise (floats included) and keeps nil and empty content
// distinct.
func (v *Value) equal(m *store.Memory) bool {
	if (v.Content == nil) != (m.Content == nil) || !bytes.Equal(v.Content, m.Content) {
		return false
	}
	if math.Float32bits(v.Confidence) != math.Float32bits(m.Confidence) ||
		math.Float32bits(v.Activation) != math.Float32bits(m.Activation) ||
		math.Float32bits(v.DecayRate) != math.Float32bits(m.DecayRate) || v.CreatedAt != m.CreatedAt {
		return false
	}
	return slices.EqualFunc(embeddingOrZeros(v.Embedding), embeddingOrZeros(m.Embedding),
		func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) })
}

func embeddingOrZeros(e []float32) []float32 {
	if e == nil {
		return make([]float32, store.EmbeddingDim)
	}
	return e
}

func (v *Value) String() string {
	if v == nil {
		return "absent"
	}
	c := "no content"
	if v.Content != nil {
		c = fmt.Sprintf("content %d bytes digest %016x", len(v.Content), store.Digest(v.Content))
	}
	return fmt.Sprintf("{confidence %g activation %g decay %g created_at %d, %s, embedding digest %016x}", v.Confidence, v.Activation, v.DecayRate, v.CreatedAt, c, store.DigestEmbedding(embeddingOrZeros(v.Embedding)))
}

// Op is one planned client operation and, after the run, its outcome.
// FirstStep and EndStep bound the persistence steps it issued: [FirstStep,
// EndStep).
type Op struct {
	Kind       OpKind
	ID         string
	Value      *Value  // OpPut
	Activation float32 // OpUpdate
	Acked      bool
	Found      bool // Remove and UpdateActivation: the store reported Found
	Err        string
	FirstStep  int
	EndStep    int
}

func (o *Op) String() string {
	switch o.Kind {
	case OpPut:
		return fmt.Sprintf("put %s %s", o.ID, o.Value)
	case OpRemove, OpUpdate:
		s := fmt.Sprintf("%s %s", o.Kind, o.ID)
		if o.Kind == OpUpdate {
			s += fmt.Sprintf(" %g", o.Activation)
		}
		return s
	}
	return o.Kind.String()
}

// Workloads lists the workloads crashes can run.
var Workloads = []string{"mixed", "puts", "compaction"}

// Plan generates the n operations of workload name for seed: one worker,
// ids from a small pool so that ids are overwritten and removed, content
// from none to several sectors, a Sync about every eighth operation.
func Plan(name string, n int, seed int64) ([]Op, error) {
	if !slices.Contains(Workloads, name) {
		return nil, fmt.Errorf("%w: %q (known: %s)", ErrUnknownWorkload, name, strings.Join(Workloads, ", "))
	}
	if n < 1 {
		return nil, fmt.Errorf("%w: ops %d, want at least 1", ErrBadInput, n)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0xc4a5))
	ids := 12
	if name == "puts" {
		ids = n
	}
	ops := make([]Op, 0, n)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("m%03d", rng.IntN(ids))
		r := rng.IntN(100)
		switch {
		case r < 12:
			ops = append(ops, Op{Kind: OpSync})
		case name == "compaction" && r < 16:
			ops = append(ops, Op{Kind: OpCompact})
		case name != "puts" && r < 28:
			ops = append(ops, Op{Kind: OpRemove, ID: id})
		case name != "puts" && r < 40:
			ops = append(ops, Op{Kind: OpUpdate, ID: id, Activation: float32(rng.IntN(1000)) / 1000})
		default:
			ops = append(ops, Op{Kind: OpPut, ID: id, Value: randomValue(rng, int64(i))})
		}
	}
	return ops, nil
}

func randomValue(rng *rand.Rand, i int64) *Value {
	v := &Value{Confidence: float32(rng.IntN(100)) / 100, Activation: float32(rng.IntN(100)) / 100,
		DecayRate: 0.01, CreatedAt: 1_700_000_000_000_000_000 + i*1000}
	if rng.IntN(4) != 0 {
		v.Embedding = make([]float32, store.EmbeddingDim)
		for j := range v.Embedding {
			v.Embedding[j] = float32(rng.IntN(1 << 16))
		}
	}
	switch rng.IntN(5) {
	case 0: // no content
	case 1:
		v.Content = []byte{}
	case 2:
		v.Content = randomBytes(rng, 1+rng.IntN(400))
	default:
		v.Content = randomBytes(rng, 400+rng.IntN(2000))
	}
	return v
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return b
}
