package register

import (
	"fmt"
	"math"

	"github.com/warmcheck/warmcheck/history"
)

// valueKey is a comparable, canonical form of history.Value: floats are kept
// as their IEEE-754 bits so that equality is bit equality (NaN equals itself,
// -0 differs from +0), which is what "the store returned what was written"
// means.
type valueKey struct {
	hasContent bool
	content    uint64
	length     uint32
	embedding  uint64
	confidence uint32
	activation uint32
}

func keyOf(v history.Value) valueKey {
	return valueKey{
		hasContent: v.HasContent,
		content:    v.ContentDigest,
		length:     v.ContentLen,
		embedding:  v.EmbeddingDigest,
		confidence: math.Float32bits(v.Confidence),
		activation: math.Float32bits(v.Activation),
	}
}

// writeIdentity is a value with its activation cleared: the part of a value
// only a put can set. update-activation changes the activation and nothing
// else, so every value ever held between a put and the next put or remove has
// that put's identity. When identities are unique within a partition (checked,
// never assumed), an identity names the put that wrote it.
type writeIdentity valueKey

func identityOf(k valueKey) writeIdentity {
	k.activation = 0
	return writeIdentity(k)
}

// regState is the register model's state for one memory: absent, or a value.
type regState struct {
	present bool
	value   valueKey
}

func (s regState) String() string {
	if !s.present {
		return "absent"
	}
	return describeValue(s.value)
}

func describeValue(k valueKey) string {
	content := "nil"
	if k.hasContent {
		content = fmt.Sprintf("%016x/%dB", k.content, k.length)
	}
	return fmt.Sprintf("{content %s act %g}", content, math.Float32frombits(k.activation))
}
