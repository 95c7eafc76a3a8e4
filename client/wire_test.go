package client

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

func decoderOf(t *testing.T, v any) *msgpack.Decoder {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return msgpack.NewDecoder(bytes.NewReader(b))
}

// A put request survives encoding: nil and empty content stay apart, the
// embedding bit for bit.
func TestRequestRoundTrip(t *testing.T) {
	for _, content := range [][]byte{nil, {}, []byte("x")} {
		m := store.Memory{Embedding: []float32{1.5, -0, 3}, Confidence: 0.1, Activation: 2, DecayRate: 0.3, CreatedAt: 5, LastAccess: 6, Content: content}
		var buf bytes.Buffer
		req := request{Seq: 9, Op: opPut, ID: "a", Memory: m}
		if err := req.encode(msgpack.NewEncoder(&buf)); err != nil {
			t.Fatal(err)
		}
		got, err := decodeRequest(msgpack.NewDecoder(&buf))
		if err != nil || checkRequest(&got) != nil {
			t.Fatalf("decode: %v %v", err, checkRequest(&got))
		}
		if got.Seq != 9 || got.ID != "a" || (got.Memory.Content == nil) != (content == nil) || !bytes.Equal(got.Memory.Content, content) ||
			len(got.Memory.Embedding) != 3 || got.Memory.Embedding[0] != 1.5 || got.Memory.CreatedAt != 5 {
			t.Fatalf("content %q: round trip gave %+v", content, got)
		}
	}
}

// What another language may send: float 64 for floats, any integer width,
// raw bytes instead of digests. A memory without one of its keys is refused
// naming the key (a zero would be a lie the checkers believe).
func TestDecodeIsStrictAndLenient(t *testing.T) {
	mem := map[string]any{"embedding": nil, "confidence": 0.5, "activation": float32(1), "decay_rate": 0,
		"created_at": int8(3), "last_access": uint64(4), "content": []byte("c")}
	m, err := decodeMemory(decoderOf(t, mem), "memory")
	if err != nil || m.Confidence != 0.5 || m.CreatedAt != 3 || string(m.Content) != "c" {
		t.Fatalf("lenient decode: %+v %v", m, err)
	}
	delete(mem, "decay_rate")
	if _, err := decodeMemory(decoderOf(t, mem), "memory"); err == nil || !strings.Contains(err.Error(), "decay_rate") {
		t.Fatalf("a memory without decay_rate: %v, want an error naming it", err)
	}
	e, err := decodeEntry(decoderOf(t, map[string]any{"id": "a", "content": []byte("xyz"), "embedding": []byte{1, 2, 3, 4}, "confidence": 1}), "entry")
	if err != nil || e.Value.ContentDigest != history.Digest([]byte("xyz")) || e.Value.ContentLen != 3 || !e.Value.HasContent ||
		e.Value.EmbeddingDigest != history.Digest([]byte{1, 2, 3, 4}) {
		t.Fatalf("raw entry: %+v %v", e, err)
	}
	if _, err := decodeEntries(decoderOf(t, []any{map[string]any{"id": "a", "has_content": false, "confidence": 1}}), iterateEntryKeys); err == nil {
		t.Fatal("an iterate entry without embedding and times was accepted")
	}
}

// A get answer that says found but carries no memory, or any answer with
// another seq, is a protocol error (info), never a read of nothing.
func TestResponseRequiredKeys(t *testing.T) {
	r, err := decodeResponse(decoderOf(t, map[string]any{"seq": 1, "found": true}), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.requireKeys(opGet, rMemory); err == nil || Classify(history.OpGet, err) != history.Info {
		t.Fatalf("found without memory: %v", err)
	}
	r, err = decodeResponse(decoderOf(t, map[string]any{"seq": 2, "error": map[string]any{"code": "bad-id", "message": "m"}}), 0)
	if err != nil || Classify(history.OpPut, remoteError(r.Err)) != history.Fail || !DefiniteCode("bad-id") || DefiniteCode("io") {
		t.Fatalf("bad-id answer: %+v %v", r.Err, err)
	}
}
