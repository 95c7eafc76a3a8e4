package store

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// TestGetIntoMatchesGet: GetInto gives what Get gives, for content of every
// kind (none, empty, small, larger than the reused buffer), reusing the
// caller's buffers when they are large enough, and leaves *m alone on
// Missing and on an injected failure.
func TestGetIntoMatchesGet(t *testing.T) {
	s, err := Open(t.TempDir(), Options{GroupCommit: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	emb := make([]float32, EmbeddingDim)
	for i := range emb {
		emb[i] = float32(i) / 7
	}
	cases := map[string][]byte{
		"none":  nil,
		"empty": {},
		"small": []byte("hello"),
		"big":   bytes.Repeat([]byte("x"), 5000),
		"mid":   bytes.Repeat([]byte("y"), 300),
	}
	order := []string{"small", "none", "empty", "big", "mid", "none", "small"}
	for id, c := range cases {
		if _, err := s.Put(id, Memory{Embedding: emb, Confidence: 0.5, Activation: 2, DecayRate: 0.1, CreatedAt: 7, LastAccess: 9, Content: c}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Put("noemb", Memory{Content: []byte("z")}); err != nil {
		t.Fatal(err)
	}
	var m Memory
	for _, id := range append(order, "noemb") {
		want, l, err := s.Get(id)
		if err != nil || l != Found {
			t.Fatalf("Get(%s) = %v, %v", id, l, err)
		}
		prevEmb, prevCont := m.Embedding, m.Content
		l, err = s.GetInto(id, &m)
		if err != nil || l != Found {
			t.Fatalf("GetInto(%s) = %v, %v", id, l, err)
		}
		if !slices.Equal(m.Embedding, want.Embedding) || !bytes.Equal(m.Content, want.Content) ||
			(m.Content == nil) != (want.Content == nil) || (m.Content == nil) != (cases[id] == nil && id != "noemb") ||
			m.Confidence != want.Confidence || m.Activation != want.Activation || m.DecayRate != want.DecayRate ||
			m.CreatedAt != want.CreatedAt || m.LastAccess != want.LastAccess {
			t.Fatalf("GetInto(%s) = %+v, Get = %+v", id, m, want)
		}
		if prevEmb != nil && &m.Embedding[0] != &prevEmb[0] {
			t.Errorf("GetInto(%s) did not reuse the embedding buffer", id)
		}
		if cap(prevCont) >= len(want.Content) && len(want.Content) > 0 && &m.Content[0] != &prevCont[:1][0] {
			t.Errorf("GetInto(%s) did not reuse the content buffer (cap %d, need %d)", id, cap(prevCont), len(want.Content))
		}
	}
	keep := m
	if l, err := s.GetInto("absent", &m); err != nil || l != Missing {
		t.Fatalf("GetInto(absent) = %v, %v", l, err)
	}
	if !slices.Equal(m.Embedding, keep.Embedding) || !bytes.Equal(m.Content, keep.Content) || m.Confidence != keep.Confidence {
		t.Fatal("GetInto(absent) changed *m")
	}
	fps := NewFailpoints()
	s.fps = fps
	if err := fps.Arm(FailGet, Action{Kind: ActionError}); err != nil {
		t.Fatal(err)
	}
	if l, err := s.GetInto("small", &m); !errors.Is(err, ErrInjected) || l != Missing {
		t.Fatalf("GetInto with an armed get failpoint = %v, %v", l, err)
	}
	if !bytes.Equal(m.Content, keep.Content) {
		t.Fatal("failed GetInto changed *m")
	}
}
