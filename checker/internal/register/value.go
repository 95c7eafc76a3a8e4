package register

import (
	"fmt"
	"math"

	"github.com/warmcheck/warmcheck/history"
)

// valueKey is history's one comparison of values (history.ValueKey): floats
// as their IEEE-754 bits, so equality is bit equality (NaN equals itself, -0
// differs from +0), which is what "the store returned what was written"
// means, over every field a put sets and a read returns.
type valueKey history.ValueKey

// keyOf is the one place a valueKey is built from a history value; the
// engine reads a key only through its methods (act, withActivation, hash)
// and ==, so changing what a key holds is a change to this file alone.
func keyOf(v history.Value) valueKey { return valueKey(v.Key()) }

// act is the activation's IEEE-754 bits.
func (k valueKey) act() uint32 { return k.Activation }

// withActivation is k with activation bits a: what an update-activation
// makes of the value it finds.
func (k valueKey) withActivation(a uint32) valueKey {
	k.Activation = a
	return k
}

// hash is porcupine's state hash of a present value; equal keys hash alike.
func (k valueKey) hash() uint64 {
	return k.ContentDigest*0x9e3779b97f4a7c15 ^ uint64(k.Activation)<<1 ^ k.EmbeddingDigest ^ uint64(k.ContentLen)<<32 | 1
}

// writeIdentity is a value with its activation cleared: the part of a value
// only a put can set. update-activation changes the activation and nothing
// else, so every value ever held between a put and the next put or remove has
// that put's identity. When identities are unique within a partition (checked,
// never assumed), an identity names the put that wrote it.
type writeIdentity valueKey

func identityOf(k valueKey) writeIdentity {
	return writeIdentity(k.withActivation(0))
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
	if k.HasContent {
		content = fmt.Sprintf("%016x/%dB", k.ContentDigest, k.ContentLen)
	}
	return fmt.Sprintf("{content %s act %g}", content, math.Float32frombits(k.Activation))
}
