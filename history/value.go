package history

import "math"

// ValueKey is the comparable form of the fields of a Value that a put sets
// and every later read must return bit for bit. Floats are kept as their
// IEEE-754 bits, so key equality is bit equality: a NaN read back equals the
// same NaN written, and -0 differs from +0. It is the one comparison of
// values every check uses (as a map key too). CreatedAt and LastAccess are
// not part of it: the store may set them (a put with 0 asks it to, and
// update-activation sets LastAccess), so a check judges them against the
// operation that set them, not by equality. DecayRate is 0 in the key of a
// value that does not record it; Validate rejects a history that records it
// on some values and not on others.
type ValueKey struct {
	HasContent      bool
	ContentDigest   uint64
	ContentLen      uint32
	EmbeddingDigest uint64
	Confidence      uint32 // math.Float32bits
	Activation      uint32 // math.Float32bits
	DecayRate       uint32 // math.Float32bits
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
		DecayRate:       math.Float32bits(v.DecayRate),
	}
}
