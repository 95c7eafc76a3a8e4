package store_test

import (
	"testing"

	"github.com/warmcheck/warmcheck/store"
)

// Minimal reproductions of store defects found by the suites (model, crash,
// corruption, fuzz, concurrency). Each stays as a regression test once the
// store is fixed.

// Found by TestModel: Iterate returned nil content for a memory stored with
// empty (non-nil) content when it was the first one visited: the arena's
// nil buffer was sliced to length 0.
func TestFindingIterateKeepsEmptyContent(t *testing.T) {
	s := openStore(t, t.TempDir(), store.Options{GroupCommit: -1})
	if _, err := s.Put("a", store.Memory{Content: []byte{}}); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := s.Iterate(func(id string, m store.Memory) bool {
		n++
		if m.Content == nil {
			t.Errorf("Iterate: %q stored with empty content came back with nil content", id)
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("Iterate visited %d", n)
	}
	hits, err := s.Recall(0)
	if err != nil || len(hits) != 1 || hits[0].Content == nil {
		t.Fatalf("Recall: %v %+v: empty content must stay non-nil", err, hits)
	}
}

// Found by TestModel: for a memory without content, Put's Placement and
// Layout's Placement of the same record disagreed on Epoch (Put reported
// the current epoch, Layout 0), so a checker comparing them would cry wolf.
func TestFindingNoContentPlacementAgrees(t *testing.T) {
	s := openStore(t, t.TempDir(), store.Options{GroupCommit: -1})
	if _, err := s.Put("warm", store.Memory{Content: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compact(); err != nil { // epoch 0 -> 1
		t.Fatal(err)
	}
	p, err := s.Put("a", store.Memory{})
	if err != nil {
		t.Fatal(err)
	}
	layout, err := s.Layout()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range layout {
		if e.ID == "a" && e.Placement != p {
			t.Fatalf("Put placement %+v, Layout placement %+v of the same record", p, e.Placement)
		}
	}
}
