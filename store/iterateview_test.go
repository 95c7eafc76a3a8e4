package store_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/warmcheck/warmcheck/store"
)

// scanFunc is one of the store's full scans, reduced to the common
// signature; copies says whether the Memory it hands over is the caller's
// to keep.
type scanFunc struct {
	name   string
	copies bool
	meta   bool // no embedding
	run    func(*store.Store, func(string, store.Memory) bool) error
}

var scanFuncs = []scanFunc{
	{"Iterate", true, false, (*store.Store).Iterate},
	{"IterateMeta", true, true, (*store.Store).IterateMeta},
	{"IterateView", false, false, (*store.Store).IterateView},
}

// sameAsGet compares one visited memory with what Get returns, field by
// field (LastAccess too: scans and Get read the same record).
func sameAsGet(s *store.Store, id string, m store.Memory, meta bool) string {
	g, l, err := s.Get(id)
	if err != nil || l != store.Found {
		return fmt.Sprintf("%s: visited, but Get = %v, %v", id, l, err)
	}
	if meta {
		if m.Embedding != nil {
			return fmt.Sprintf("%s: IterateMeta handed an embedding", id)
		}
		m.Embedding = g.Embedding
	}
	if d := diffMemory(g, m); d != "" {
		return fmt.Sprintf("%s: %s", id, d)
	}
	if g.LastAccess != m.LastAccess || g.CreatedAt != m.CreatedAt {
		return fmt.Sprintf("%s: times (%d, %d), Get (%d, %d)", id, m.CreatedAt, m.LastAccess, g.CreatedAt, g.LastAccess)
	}
	return ""
}

// checkScans runs every scan over s and compares each visited memory with
// Get: every id of want visited exactly once, nothing else.
func checkScans(t *testing.T, s *store.Store, want map[string]bool, when string) {
	t.Helper()
	for _, sf := range scanFuncs {
		seen := map[string]int{}
		type visited struct {
			id string
			m  store.Memory
		}
		var kept []visited
		err := sf.run(s, func(id string, m store.Memory) bool {
			seen[id]++
			if sf.copies {
				kept = append(kept, visited{id, m})
				return true
			}
			// A view may only be read during the call: copy it here.
			c := store.Memory{
				Embedding:  slices.Clone(m.Embedding),
				Confidence: m.Confidence, Activation: m.Activation, DecayRate: m.DecayRate,
				CreatedAt: m.CreatedAt, LastAccess: m.LastAccess,
			}
			if m.Content != nil {
				c.Content = append([]byte{}, m.Content...)
			}
			kept = append(kept, visited{id, c})
			return true
		})
		if err != nil {
			t.Fatalf("%s %s: %v", when, sf.name, err)
		}
		// Compared after the scan: IterateView's fn may not call the store.
		for _, v := range kept {
			if d := sameAsGet(s, v.id, v.m, sf.meta); d != "" {
				t.Errorf("%s %s: %s", when, sf.name, d)
			}
		}
		for id, n := range seen {
			if n != 1 || !want[id] {
				t.Errorf("%s %s: %s visited %d times (live: %v)", when, sf.name, id, n, want[id])
			}
		}
		if len(seen) != len(want) {
			t.Errorf("%s %s: visited %d ids, %d live", when, sf.name, len(seen), len(want))
		}
	}
}

// Every scan hands out what Get returns (the scans read the in-memory copy
// of the headers, Get the headers themselves), after Puts with nil, empty
// and sized content, replacements, removals, activation updates, a
// compaction, and a reopen.
func TestScansAgreeWithGet(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, store.Options{})
	r := rand.New(rand.NewPCG(7, 7))
	live := map[string]bool{}
	for i := 0; i < 600; i++ {
		id := fmt.Sprintf("m%d", r.IntN(300))
		m := selfValue(id, i, contentSize(r))
		switch i % 10 {
		case 0:
			m.Content = nil
		case 1:
			m.Content = []byte{}
		}
		m.Activation = float32(i)
		if _, err := s.Put(id, m); err != nil {
			t.Fatal(err)
		}
		live[id] = true
		if i%7 == 0 {
			victim := fmt.Sprintf("m%d", r.IntN(300))
			if _, err := s.Remove(victim); err != nil {
				t.Fatal(err)
			}
			delete(live, victim)
		}
	}
	checkScans(t, s, live, "after puts")
	n := 0
	for id := range live {
		if n++; n%3 == 0 {
			if l, err := s.UpdateActivation(id, float32(-n)); err != nil || l != store.Found {
				t.Fatalf("UpdateActivation(%s) = %v, %v", id, l, err)
			}
		}
	}
	checkScans(t, s, live, "after activation updates")
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	checkScans(t, s, live, "after compaction")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, store.Options{})
	checkScans(t, s, live, "after reopen")
}

// IterateView stops when fn returns false, and its views are the store's
// bytes in place (the same embedding and content Get copies out).
func TestIterateViewStopsAndViews(t *testing.T) {
	s := openStore(t, t.TempDir(), store.Options{})
	for i := 0; i < 50; i++ {
		id := fmt.Sprintf("v%d", i)
		if _, err := s.Put(id, selfValue(id, i, 100+i)); err != nil {
			t.Fatal(err)
		}
	}
	calls := 0
	if err := s.IterateView(func(string, store.Memory) bool { calls++; return calls < 7 }); err != nil {
		t.Fatal(err)
	}
	if calls != 7 {
		t.Fatalf("IterateView went on after fn returned false: %d calls, want 7", calls)
	}
	var first []float32
	var firstID string
	if err := s.IterateView(func(id string, m store.Memory) bool {
		first, firstID = m.Embedding, id
		if cap(m.Content) != len(m.Content) {
			t.Errorf("%s: content view has spare capacity %d: an append would write into the mapping", id, cap(m.Content)-len(m.Content))
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if len(first) != store.EmbeddingDim {
		t.Fatalf("embedding view of %s has %d values", firstID, len(first))
	}
	// Two scans hand out the same bytes, not copies.
	same := false
	if err := s.IterateView(func(id string, m store.Memory) bool {
		same = id == firstID && &m.Embedding[0] == &first[0]
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if !same {
		t.Errorf("IterateView copied the embedding of %s (a view was promised)", firstID)
	}
}

// IterateView during writes and compactions: every memory stored before it
// began and not removed during it is visited exactly once, whole; nothing
// is visited twice (TestConcurrentIterate for the zero-copy scan).
func TestConcurrentIterateView(t *testing.T) {
	scanDuringWrites(t, "IterateView", 17, (*store.Store).IterateView)
}

// The content view of a memory is exactly its bytes, and nil and empty
// content stay distinct through IterateView.
func TestIterateViewContentNilness(t *testing.T) {
	s := openStore(t, t.TempDir(), store.Options{})
	want := map[string][]byte{"nil": nil, "empty": {}, "some": []byte("some bytes")}
	for id, c := range want {
		if _, err := s.Put(id, store.Memory{Content: c}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.IterateView(func(id string, m store.Memory) bool {
		w := want[id]
		if (w == nil) != (m.Content == nil) || !bytes.Equal(w, m.Content) {
			t.Errorf("%s: content %q (nil %v), want %q (nil %v)", id, m.Content, m.Content == nil, w, w == nil)
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
}
