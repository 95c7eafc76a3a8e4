package client

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/warmcheck/warmcheck/store"
)

// Memory keys (PROTOCOL.md, section 3.1), one bit each in a keySet.
var memoryKeys = []string{"embedding", "confidence", "activation", "decay_rate", "created_at", "last_access", "content"}

func encodeMemory(enc *msgpack.Encoder, m *store.Memory) error {
	enc.EncodeMapLen(len(memoryKeys))
	enc.EncodeString("embedding")
	if m.Embedding == nil {
		enc.EncodeNil()
	} else {
		enc.EncodeBytes(embeddingBytes(m.Embedding))
	}
	encodeFloatKey(enc, "confidence", m.Confidence)
	encodeFloatKey(enc, "activation", m.Activation)
	encodeFloatKey(enc, "decay_rate", m.DecayRate)
	encodeIntKey(enc, "created_at", m.CreatedAt)
	encodeIntKey(enc, "last_access", m.LastAccess)
	enc.EncodeString("content")
	return enc.EncodeBytes(m.Content) // nil encodes as nil, empty as an empty bin
}

func encodeFloatKey(enc *msgpack.Encoder, key string, v float32) {
	enc.EncodeString(key)
	enc.EncodeFloat32(v)
}

// decodeMemory reads a Memory map; every key is required.
func decodeMemory(dec *msgpack.Decoder, what string) (store.Memory, error) {
	var m store.Memory
	var got keySet
	err := decodeKeyed(dec, what, memoryKeys, &got, func(_ int, key string) error {
		var err error
		switch key {
		case "embedding":
			var b []byte
			if b, err = dec.DecodeBytes(); err == nil && b != nil {
				m.Embedding, err = embeddingFloats(b)
			}
		case "confidence":
			m.Confidence, err = decodeFloat32(dec)
		case "activation":
			m.Activation, err = decodeFloat32(dec)
		case "decay_rate":
			m.DecayRate, err = decodeFloat32(dec)
		case "created_at":
			m.CreatedAt, err = dec.DecodeInt64()
		case "last_access":
			m.LastAccess, err = dec.DecodeInt64()
		case "content":
			m.Content, err = dec.DecodeBytes()
		}
		return err
	})
	if err != nil {
		return m, err
	}
	return m, requireAll(what, got, memoryKeys)
}

func keyIndex(keys []string, key string) int {
	for i, k := range keys {
		if k == key {
			return i
		}
	}
	return -1
}

// errEmbeddingBytes: an embedding bin whose length is not a multiple of 4.
type errEmbeddingBytes int

func (e errEmbeddingBytes) Error() string {
	return fmt.Sprintf("embedding of %d bytes is not a whole number of float32 values", int(e))
}

func (e errEmbeddingBytes) Unwrap() error { return store.ErrBadEmbedding }

// embeddingBytes is e as little-endian float32 bytes: one bin instead of
// 768 separately encoded floats.
func embeddingBytes(e []float32) []byte {
	b := make([]byte, 4*len(e))
	for i, f := range e {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func embeddingFloats(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, errEmbeddingBytes(len(b))
	}
	e := make([]float32, len(b)/4)
	for i := range e {
		e[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return e, nil
}
