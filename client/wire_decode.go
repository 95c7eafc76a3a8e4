package client

import (
	"errors"
	"fmt"

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
