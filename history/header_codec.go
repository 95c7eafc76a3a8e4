package history

import (
	"bytes"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// The header is a msgpack MAP keyed by the snake_case names in header.go's
// msgpack tags, unlike events (arrays). It is written once per file, so its
// size does not matter, and keys make it self-describing: fields added to
// Header later are written by name and ignored by older readers, and a
// reader of any language can print it without knowing the schema.

func encodeHeader(h *Header) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	if err := enc.Encode(h); err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeHeader(b []byte) (Header, error) {
	var h Header
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&h); err != nil {
		return Header{}, err
	}
	return h, nil
}
