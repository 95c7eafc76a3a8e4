package history

import (
	"encoding/json"
	"fmt"
	"math"
)

// JSON has no NaN or infinities, but a buggy store can hand back any float
// bits (a torn read, say), and the histories that show bugs are the ones
// users most need to export. The types holding floats therefore write a
// non-finite value as the JSON string "NaN", "Inf" or "-Inf" and accept
// those strings (and numbers) when reading. Finite values stay numbers and
// take the plain, tag-driven path.

// floatField names one float field of a struct by its JSON key.
type floatField struct {
	key string
	f32 *float32
	f64 *float64
}

func (f floatField) value() float64 {
	if f.f32 != nil {
		return float64(*f.f32)
	}
	return *f.f64
}

func (f floatField) set(v float64) {
	if f.f32 != nil {
		*f.f32 = float32(v)
	} else {
		*f.f64 = v
	}
}

func nonFiniteName(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Inf"
	}
	return "-Inf"
}

func parseNonFinite(s string) (float64, bool) {
	switch s {
	case "NaN":
		return math.NaN(), true
	case "Inf", "+Inf":
		return math.Inf(1), true
	case "-Inf":
		return math.Inf(-1), true
	}
	return 0, false
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// marshalFloats encodes plain (the value converted to a method-less type)
// and, when some float field is not finite, rewrites those keys as strings.
// fields must point into plain.
func marshalFloats(plain any, fields []floatField) ([]byte, error) {
	type nonFinite struct {
		key string
		v   float64
	}
	var bad []nonFinite
	for _, f := range fields {
		if v := f.value(); !finite(v) {
			bad = append(bad, nonFinite{f.key, v})
			f.set(0)
		}
	}
	b, err := json.Marshal(plain)
	if err != nil || len(bad) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for _, f := range bad {
		m[f.key] = json.RawMessage(`"` + nonFiniteName(f.v) + `"`)
	}
	return json.Marshal(m)
}

// unmarshalFloats decodes b into plain; string values of the float keys
// are parsed as non-finite values. The common all-numbers case is one
// plain decode.
func unmarshalFloats(b []byte, plain any, fields []floatField) error {
	if err := json.Unmarshal(b, plain); err == nil {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	type nonFinite struct {
		field floatField
		v     float64
	}
	var found []nonFinite
	for _, f := range fields {
		raw, ok := m[f.key]
		if !ok || len(raw) == 0 || raw[0] != '"' {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		v, ok := parseNonFinite(s)
		if !ok {
			return fmt.Errorf("%s: %q is not a number, NaN, Inf or -Inf", f.key, s)
		}
		m[f.key] = json.RawMessage("0")
		found = append(found, nonFinite{f, v})
	}
	fixed, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(fixed, plain); err != nil {
		return err
	}
	for _, nf := range found {
		nf.field.set(nf.v)
	}
	return nil
}

// jsonValue is Value as JSON Lines writes it: the recorded fields are keys
// only when the value records them (Value.Recorded).
type jsonValue struct {
	HasContent      bool     `json:"has_content"`
	ContentDigest   uint64   `json:"content_digest"`
	ContentLen      uint32   `json:"content_len"`
	EmbeddingDigest uint64   `json:"embedding_digest"`
	Confidence      float32  `json:"confidence"`
	Activation      float32  `json:"activation"`
	DecayRate       *float32 `json:"decay_rate,omitempty"`
	CreatedAt       *int64   `json:"created_at,omitempty"`
	LastAccess      *int64   `json:"last_access,omitempty"`
}

func (v Value) MarshalJSON() ([]byte, error) {
	p := jsonValue{HasContent: v.HasContent, ContentDigest: v.ContentDigest, ContentLen: v.ContentLen,
		EmbeddingDigest: v.EmbeddingDigest, Confidence: v.Confidence, Activation: v.Activation}
	fields := []floatField{{key: "confidence", f32: &p.Confidence}, {key: "activation", f32: &p.Activation}}
	if v.Recorded {
		decay, created, last := v.DecayRate, v.CreatedAt, v.LastAccess
		p.DecayRate, p.CreatedAt, p.LastAccess = &decay, &created, &last
		fields = append(fields, floatField{key: "decay_rate", f32: p.DecayRate})
	}
	return marshalFloats(&p, fields)
}

// recordedKeys says which of a value's appended keys are present (non-null).
type recordedKeys struct {
	DecayRate  json.RawMessage `json:"decay_rate"`
	CreatedAt  json.RawMessage `json:"created_at"`
	LastAccess json.RawMessage `json:"last_access"`
}

func present(raw json.RawMessage) bool { return raw != nil && string(raw) != "null" }

func (v *Value) UnmarshalJSON(b []byte) error {
	var keys recordedKeys
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	n := 0
	for _, raw := range []json.RawMessage{keys.DecayRate, keys.CreatedAt, keys.LastAccess} {
		if present(raw) {
			n++
		}
	}
	if n != 0 && n != 3 {
		return fmt.Errorf("value: decay_rate, created_at and last_access are recorded together: %d of them present", n)
	}
	var p struct {
		HasContent      bool    `json:"has_content"`
		ContentDigest   uint64  `json:"content_digest"`
		ContentLen      uint32  `json:"content_len"`
		EmbeddingDigest uint64  `json:"embedding_digest"`
		Confidence      float32 `json:"confidence"`
		Activation      float32 `json:"activation"`
		DecayRate       float32 `json:"decay_rate"`
		CreatedAt       int64   `json:"created_at"`
		LastAccess      int64   `json:"last_access"`
	}
	err := unmarshalFloats(b, &p, []floatField{{key: "confidence", f32: &p.Confidence},
		{key: "activation", f32: &p.Activation}, {key: "decay_rate", f32: &p.DecayRate}})
	if err != nil {
		return err
	}
	*v = Value{HasContent: p.HasContent, ContentDigest: p.ContentDigest, ContentLen: p.ContentLen,
		EmbeddingDigest: p.EmbeddingDigest, Confidence: p.Confidence, Activation: p.Activation,
		Recorded: n == 3, DecayRate: p.DecayRate, CreatedAt: p.CreatedAt, LastAccess: p.LastAccess}
	return nil
}

type plainInput Input

func (in Input) MarshalJSON() ([]byte, error) {
	p := plainInput(in)
	return marshalFloats(&p, []floatField{{key: "activation", f32: &p.Activation}, {key: "threshold", f32: &p.Threshold}})
}

func (in *Input) UnmarshalJSON(b []byte) error {
	p := (*plainInput)(in)
	return unmarshalFloats(b, p, []floatField{{key: "activation", f32: &p.Activation}, {key: "threshold", f32: &p.Threshold}})
}

type plainStats Stats

func (s Stats) MarshalJSON() ([]byte, error) {
	p := plainStats(s)
	return marshalFloats(&p, []floatField{{key: "fragmentation", f64: &p.Fragmentation}})
}

func (s *Stats) UnmarshalJSON(b []byte) error {
	p := (*plainStats)(s)
	return unmarshalFloats(b, p, []floatField{{key: "fragmentation", f64: &p.Fragmentation}})
}
