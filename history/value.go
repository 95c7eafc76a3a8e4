package history

import "math"

// ValueKey is the comparable form of the fields of a Value that a put sets
// and every later read must return bit for bit. Floats are kept as their
// IEEE-754 bits, so key equality is bit equality: a NaN read back equals the
// same NaN written, and -0 differs from +0. It is the one comparison of
// values every check uses (as a map key too).
type ValueKey struct {
	HasContent      bool
	ContentDigest   uint64
	ContentLen      uint32
	EmbeddingDigest uint64
	Confidence      uint32 // math.Float32bits
	Activation      uint32 // math.Float32bits
}

// Key returns v's ValueKey.
func (v Value) Key() ValueKey {
	return ValueKey{
		HasContent:      v.HasContent,
		ContentDigest:   v.ContentDigest,
		ContentLen:      v.ContentLen,
		EmbeddingDigest: v.EmbeddingDigest,
		Confidence:      math.Float32bits(v.Confidence),
		Activation:      math.Float32bits(v.Activation),
	}
}
