package history

import (
	"math"
	"testing"
)

func TestValueKeyIsBitEquality(t *testing.T) {
	nan := float32(math.NaN())
	otherNaN := math.Float32frombits(math.Float32bits(nan) | 1)
	negZero := float32(math.Copysign(0, -1))
	v := Value{HasContent: true, ContentDigest: 7, ContentLen: 3, EmbeddingDigest: 9, Confidence: nan, Activation: 0.25}
	if v.Key() != v.Key() {
		t.Fatal("a NaN value's key differs from itself")
	}
	for name, mut := range map[string]func(*Value){
		"other NaN payload": func(w *Value) { w.Confidence = otherNaN },
		"-0 activation":     func(w *Value) { w.Activation = negZero },
		"content":           func(w *Value) { w.ContentDigest++ },
		"length":            func(w *Value) { w.ContentLen++ },
		"has_content":       func(w *Value) { w.HasContent = false },
		"embedding":         func(w *Value) { w.EmbeddingDigest++ },
	} {
		w := v
		mut(&w)
		if w.Key() == v.Key() {
			t.Errorf("%s: keys equal, want different", name)
		}
	}
	z := Value{Activation: 0}
	nz := Value{Activation: negZero}
	if z.Key() == nz.Key() {
		t.Error("+0 and -0 have the same key")
	}
}
