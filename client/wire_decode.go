package client

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
)

// keySet records which keys of a message were present: one bit per key of
// that message kind.
type keySet uint32

func (k keySet) has(bits keySet) bool { return k&bits == bits }

// errUnknownKey tells decodeMap to skip a key's value (PROTOCOL.md: unknown
// keys are ignored).
var errUnknownKey = errors.New("unknown key")

// decodeMap reads a msgpack map, calling field for each key; field decodes
// the value or returns errUnknownKey to skip it. Errors name what and the key.
func decodeMap(dec *msgpack.Decoder, what string, field func(key string) error) error {
	n, err := dec.DecodeMapLen()
	if err != nil {
		return fmt.Errorf("%s: %v", what, err)
	}
	if n < 0 {
		return fmt.Errorf("%s: nil, want a map", what)
	}
	for i := 0; i < n; i++ {
		key, err := dec.DecodeString()
		if err != nil {
			return fmt.Errorf("%s: key: %v", what, err)
		}
		err = field(key)
		if err == errUnknownKey {
			err = dec.Skip()
		}
		if err != nil {
			return fmt.Errorf("%s: %q: %w", what, key, err)
		}
	}
	return nil
}

// decodeKeyed is decodeMap over a message kind whose keys are names: it
// skips unknown keys, records each known one's bit (1 << its index in
// names) in got, and calls field with that index.
func decodeKeyed(dec *msgpack.Decoder, what string, names []string, got *keySet, field func(i int, key string) error) error {
	return decodeMap(dec, what, func(key string) error {
		i := keyIndex(names, key)
		if i < 0 {
			return errUnknownKey
		}
		*got |= 1 << i
		return field(i, key)
	})
}

// requireAll reports the keys of names (all required) missing from got.
func requireAll(what string, got keySet, names []string) error {
	if miss := missing(got, 1<<len(names)-1, names); len(miss) > 0 {
		return fmt.Errorf("%s: missing %s", what, strings.Join(miss, ", "))
	}
	return nil
}

// Key-value writers of the encoders. Writes go to a frame buffer and cannot
// fail, so they return nothing.
func encodeUintKey(enc *msgpack.Encoder, key string, v uint64) {
	enc.EncodeString(key)
	enc.EncodeUint(v)
}

func encodeIntKey(enc *msgpack.Encoder, key string, v int64) {
	enc.EncodeString(key)
	enc.EncodeInt(v)
}

func encodeStringKey(enc *msgpack.Encoder, key, v string) {
	enc.EncodeString(key)
	enc.EncodeString(v)
}

func encodeBoolKey(enc *msgpack.Encoder, key string, v bool) {
	enc.EncodeString(key)
	enc.EncodeBool(v)
}

// decodeFloat32 accepts float 32, float 64 and integers (PROTOCOL.md, "float").
func decodeFloat32(dec *msgpack.Decoder) (float32, error) {
	f, err := dec.DecodeFloat64()
	return float32(f), err
}

func decodeStrings(dec *msgpack.Decoder) ([]string, error) {
	n, err := dec.DecodeArrayLen()
	if err != nil || n <= 0 {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		if out[i], err = dec.DecodeString(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// missing names the keys of want (bit i named names[i]) absent from got.
func missing(got, want keySet, names []string) []string {
	var out []string
	for i, n := range names {
		if bit := keySet(1) << i; want&bit != 0 && got&bit == 0 {
			out = append(out, n)
		}
	}
	return out
}

func encodeStrings(enc *msgpack.Encoder, ss []string) error {
	if err := enc.EncodeArrayLen(len(ss)); err != nil {
		return err
	}
	for _, s := range ss {
		if err := enc.EncodeString(s); err != nil {
			return err
		}
	}
	return nil
}
