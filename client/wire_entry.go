package client

import (
	"fmt"
	"strings"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// wireEntry is one entry of an iterate, recall or layout answer (PROTOCOL.md,
// section 3.2), by digest whichever form it came in.
type wireEntry struct {
	ID        string
	Value     history.Value
	Placement store.Placement
	has       keySet
}

// Entry key bits: a content or embedding key sets its bit in either form.
const (
	eID keySet = 1 << iota
	eContent
	eEmbedding
	eConfidence
	eActivation
	eDecayRate
	eCreatedAt
	eLastAccess
	ePlacement
)

var entryKeyNames = []string{"id", "content", "embedding", "confidence", "activation", "decay_rate", "created_at", "last_access", "placement"}

const (
	recallEntryKeys  = eID | eContent | eConfidence
	iterateEntryKeys = recallEntryKeys | eEmbedding | eActivation | eDecayRate | eCreatedAt | eLastAccess
)

// encodeEntry writes e in the digest form; withScalars adds the embedding
// and the recorded fields (iterate, layout), withPlacement the placement.
func encodeEntry(enc *msgpack.Encoder, e *wireEntry, withScalars, withPlacement bool) error {
	n := 5
	if withScalars {
		n += 5
	}
	if withPlacement {
		n++
	}
	v := &e.Value
	enc.EncodeMapLen(n)
	encodeStringKey(enc, "id", e.ID)
	encodeBoolKey(enc, "has_content", v.HasContent)
	encodeUintKey(enc, "content_xxh64", v.ContentDigest)
	encodeUintKey(enc, "content_len", uint64(v.ContentLen))
	encodeFloatKey(enc, "confidence", v.Confidence)
	if withScalars {
		encodeUintKey(enc, "embedding_xxh64", v.EmbeddingDigest)
		encodeFloatKey(enc, "activation", v.Activation)
		encodeFloatKey(enc, "decay_rate", v.DecayRate)
		encodeIntKey(enc, "created_at", v.CreatedAt)
		encodeIntKey(enc, "last_access", v.LastAccess)
	}
	if withPlacement {
		enc.EncodeString("placement")
		return encodePlacement(enc, &e.Placement)
	}
	return nil
}

// decodeEntry reads an entry in either form. A raw content or embedding is
// digested here, exactly as the recorder digests what a put wrote.
func decodeEntry(dec *msgpack.Decoder, what string) (wireEntry, error) {
	var e wireEntry
	var raw, digest bool
	v := &e.Value
	err := decodeMap(dec, what, func(key string) error {
		var err error
		switch key {
		case "id":
			e.has |= eID
			e.ID, err = dec.DecodeString()
		case "content":
			e.has, raw = e.has|eContent, true
			var b []byte
			if b, err = dec.DecodeBytes(); err == nil {
				v.HasContent = b != nil
				v.ContentDigest, v.ContentLen = history.Digest(b), uint32(len(b))
				if b == nil {
					v.ContentDigest = 0
				}
			}
		case "has_content":
			e.has, digest = e.has|eContent, true
			v.HasContent, err = dec.DecodeBool()
		case "content_xxh64":
			v.ContentDigest, err = dec.DecodeUint64()
		case "content_len":
			var n uint64
			n, err = dec.DecodeUint64()
			v.ContentLen = uint32(n)
		case "embedding":
			e.has |= eEmbedding
			var b []byte
			if b, err = dec.DecodeBytes(); err == nil {
				v.EmbeddingDigest = history.Digest(b)
			}
		case "embedding_xxh64":
			e.has |= eEmbedding
			v.EmbeddingDigest, err = dec.DecodeUint64()
		default:
			return decodeEntryScalar(dec, key, &e)
		}
		return err
	})
	if err == nil && raw && digest {
		err = fmt.Errorf("%s %q: both content and has_content: use one form", what, e.ID)
	}
	if !v.HasContent {
		v.ContentDigest, v.ContentLen = 0, 0
	}
	return e, err
}

func decodeEntryScalar(dec *msgpack.Decoder, key string, e *wireEntry) error {
	v := &e.Value
	var err error
	switch key {
	case "confidence":
		e.has |= eConfidence
		v.Confidence, err = decodeFloat32(dec)
	case "activation":
		e.has |= eActivation
		v.Activation, err = decodeFloat32(dec)
	case "decay_rate":
		e.has |= eDecayRate
		v.DecayRate, err = decodeFloat32(dec)
	case "created_at":
		e.has |= eCreatedAt
		v.CreatedAt, err = dec.DecodeInt64()
	case "last_access":
		e.has |= eLastAccess
		v.LastAccess, err = dec.DecodeInt64()
	case "placement":
		e.has |= ePlacement
		e.Placement, err = decodePlacement(dec)
	default:
		return errUnknownKey
	}
	return err
}

// decodeEntries reads an array of entries, each of which must carry want.
func decodeEntries(dec *msgpack.Decoder, want keySet) ([]wireEntry, error) {
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return nil, fmt.Errorf("entries: %v", err)
	}
	out := make([]wireEntry, max(n, 0))
	for i := range out {
		if out[i], err = decodeEntry(dec, fmt.Sprintf("entries[%d]", i)); err != nil {
			return nil, err
		}
		if miss := missing(out[i].has, want, entryKeyNames); len(miss) > 0 {
			return nil, fmt.Errorf("entries[%d] (%q): missing %s", i, out[i].ID, strings.Join(miss, ", "))
		}
	}
	return out, nil
}

// historyEntries converts iterate or recall entries.
func historyEntries(es []wireEntry, recorded bool) []history.Entry {
	out := make([]history.Entry, len(es))
	for i := range es {
		out[i] = history.Entry{ID: es[i].ID, Value: es[i].Value}
		out[i].Value.Recorded = recorded
	}
	return out
}

// layoutEntries converts layout (or iterate, for a target without layout)
// entries. Without a placement only has_content and the length are known.
func layoutEntries(es []wireEntry) []store.LayoutEntry {
	out := make([]store.LayoutEntry, len(es))
	for i := range es {
		v := &es[i].Value
		p := es[i].Placement
		if es[i].has&ePlacement == 0 {
			p = store.Placement{HasContent: v.HasContent, Length: v.ContentLen}
		}
		out[i] = store.LayoutEntry{ID: es[i].ID, Placement: p, ContentDigest: v.ContentDigest, EmbeddingDigest: v.EmbeddingDigest,
			Confidence: v.Confidence, Activation: v.Activation, DecayRate: v.DecayRate, CreatedAt: v.CreatedAt, LastAccess: v.LastAccess}
	}
	return out
}

// entryOfLayout is a store layout entry in wire form.
func entryOfLayout(l *store.LayoutEntry) wireEntry {
	return wireEntry{ID: l.ID, Placement: l.Placement, Value: history.Value{
		HasContent: l.Placement.HasContent, ContentDigest: l.ContentDigest, ContentLen: l.Placement.Length,
		EmbeddingDigest: l.EmbeddingDigest, Confidence: l.Confidence, Activation: l.Activation,
		DecayRate: l.DecayRate, CreatedAt: l.CreatedAt, LastAccess: l.LastAccess}}
}

var placementKeys = []string{"slot", "has_content", "offset", "length", "epoch"}

func encodePlacement(enc *msgpack.Encoder, p *store.Placement) error {
	enc.EncodeMapLen(len(placementKeys))
	encodeUintKey(enc, "slot", p.Slot)
	encodeBoolKey(enc, "has_content", p.HasContent)
	encodeUintKey(enc, "offset", p.Offset)
	encodeUintKey(enc, "length", uint64(p.Length))
	enc.EncodeString("epoch")
	return enc.EncodeUint(p.Epoch)
}

func decodePlacement(dec *msgpack.Decoder) (store.Placement, error) {
	var p store.Placement
	var got keySet
	err := decodeKeyed(dec, "placement", placementKeys, &got, func(i int, key string) error {
		var err error
		switch key {
		case "slot":
			p.Slot, err = dec.DecodeUint64()
		case "has_content":
			p.HasContent, err = dec.DecodeBool()
		case "offset":
			p.Offset, err = dec.DecodeUint64()
		case "length":
			var n uint64
			n, err = dec.DecodeUint64()
			p.Length = uint32(n)
		case "epoch":
			p.Epoch, err = dec.DecodeUint64()
		}
		return err
	})
	if err == nil {
		err = requireAll("placement", got, placementKeys)
	}
	return p, err
}
