package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func testEmbedding(seed int) []float32 {
	v := make([]float32, EmbeddingDim)
	for i := range v {
		v[i] = float32(seed*1000+i) / 7
	}
	return v
}

func mustOpen(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustGet(t testing.TB, s *Store, id string) Memory {
	t.Helper()
	m, l, err := s.Get(id)
	if err != nil || l != Found {
		t.Fatalf("Get(%q) = %v, %v", id, l, err)
	}
	return m
}

func TestPutGetReopen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	want := map[string]Memory{
		"nil":   {Embedding: testEmbedding(1), Confidence: 0.5, Activation: 0.25, DecayRate: 0.2, CreatedAt: 11, LastAccess: 12},
		"empty": {Embedding: testEmbedding(2), Confidence: 0.7, Content: []byte{}, CreatedAt: 21, LastAccess: 22},
		"text":  {Confidence: 0.9, Content: []byte("hello warm tier"), CreatedAt: 31, LastAccess: 32},
	}
	for id, m := range want {
		if _, err := s.Put(id, m); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s *Store) {
		t.Helper()
		for id, w := range want {
			g := mustGet(t, s, id)
			if (g.Content == nil) != (w.Content == nil) || !bytes.Equal(g.Content, w.Content) {
				t.Errorf("%s: content %q (nil=%v), want %q (nil=%v)", id, g.Content, g.Content == nil, w.Content, w.Content == nil)
			}
			we := w.Embedding
			if we == nil {
				we = make([]float32, EmbeddingDim)
			}
			if !slices.Equal(g.Embedding, we) {
				t.Errorf("%s: embedding differs", id)
			}
			if g.Confidence != w.Confidence || g.Activation != w.Activation || g.DecayRate != w.DecayRate || g.CreatedAt != w.CreatedAt || g.LastAccess != w.LastAccess {
				t.Errorf("%s: scalars %+v, want %+v", id, g, w)
			}
		}
		if st := s.Stats(); st.Live != 3 || st.ContentBytesLive != 15 {
			t.Errorf("stats %+v", st)
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get("text"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	check(mustOpen(t, dir, Options{}))
}

func TestReplaceRemoveUpdate(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{GroupCommit: -1})
	for i := range 5 {
		if _, err := s.Put("x", Memory{Content: []byte(fmt.Sprint("v", i))}); err != nil {
			t.Fatal(err)
		}
	}
	if g := mustGet(t, s, "x"); string(g.Content) != "v4" {
		t.Fatalf("got %q", g.Content)
	}
	if st := s.Stats(); st.Live != 1 || st.SlotsInUse != 5 || st.ContentBytesLive != 2 || st.ContentBytesTotal != 10 {
		t.Fatalf("before sync: %+v", st)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.SlotsInUse != 1 || st.Fragmentation != 0.8 {
		t.Fatalf("after sync: %+v", st)
	}
	if l, err := s.UpdateActivation("x", 0.75); err != nil || l != Found {
		t.Fatal(l, err)
	}
	if l, _ := s.UpdateActivation("nope", 1); l != Missing {
		t.Fatal("update of missing id found")
	}
	if g := mustGet(t, s, "x"); g.Activation != 0.75 {
		t.Fatalf("activation %v", g.Activation)
	}
	s.Put("y", Memory{Content: []byte("yy")})
	if l, err := s.Remove("x"); err != nil || l != Found {
		t.Fatal(l, err)
	}
	if l, _ := s.Remove("x"); l != Missing {
		t.Fatal("second remove found")
	}
	if _, l, _ := s.Get("x"); l != Missing {
		t.Fatal("removed id found")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{})
	if _, l, _ := s.Get("x"); l != Missing {
		t.Fatal("removed id resurrected by reopen")
	}
	if g := mustGet(t, s, "y"); string(g.Content) != "yy" {
		t.Fatalf("y = %q", g.Content)
	}
}

func TestBadInput(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	if _, err := s.Put("", Memory{}); !errors.Is(err, ErrBadID) {
		t.Fatal(err)
	}
	if _, err := s.Put(string(make([]byte, MaxIDLen+1)), Memory{}); !errors.Is(err, ErrBadID) {
		t.Fatal(err)
	}
	if _, err := s.Put("a", Memory{Embedding: make([]float32, 3)}); !errors.Is(err, ErrBadEmbedding) {
		t.Fatal(err)
	}
	if _, err := Open(t.TempDir(), Options{Bugs: []Bug{"no-such-bug"}}); !errors.Is(err, ErrUnknownBug) {
		t.Fatal(err)
	}
}

func TestIterateRecallLayoutCompact(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	const n = 300
	for i := range n {
		if _, err := s.Put(fmt.Sprint("id", i), Memory{Embedding: testEmbedding(i), Confidence: float32(i) / n, Content: bytes.Repeat([]byte{byte(i)}, 10+i%50)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i += 2 {
		s.Remove(fmt.Sprint("id", i))
	}
	checkAll := func() {
		t.Helper()
		seen := map[string]bool{}
		err := s.Iterate(func(id string, m Memory) bool {
			if seen[id] {
				t.Errorf("%s visited twice", id)
			}
			seen[id] = true
			var i int
			fmt.Sscanf(id, "id%d", &i)
			if !bytes.Equal(m.Content, bytes.Repeat([]byte{byte(i)}, 10+i%50)) || !slices.Equal(m.Embedding, testEmbedding(i)) {
				t.Errorf("%s: wrong value", id)
			}
			return true
		})
		if err != nil || len(seen) != n/2 {
			t.Fatalf("iterate: %v, %d seen", err, len(seen))
		}
		lay, err := s.Layout()
		if err != nil || len(lay) != n/2 {
			t.Fatalf("layout: %v %d", err, len(lay))
		}
		for _, e := range lay {
			var i int
			fmt.Sscanf(e.ID, "id%d", &i)
			if e.ContentDigest != Digest(bytes.Repeat([]byte{byte(i)}, 10+i%50)) || e.EmbeddingDigest != DigestEmbedding(testEmbedding(i)) {
				t.Errorf("%s: layout digests differ", e.ID)
			}
		}
	}
	checkAll()
	hits, err := s.Recall(0.5)
	if err != nil || len(hits) != n/4 {
		t.Fatalf("recall: %v, %d hits", err, len(hits))
	}
	before := s.Stats()
	cs, err := s.Compact()
	if err != nil {
		t.Fatal(err)
	}
	after := s.Stats()
	if cs.BytesReclaimed == 0 || after.Fragmentation != 0 || after.Epoch != before.Epoch+1 || after.ContentBytesTotal != before.ContentBytesLive {
		t.Fatalf("compaction %+v, before %+v, after %+v", cs, before, after)
	}
	checkAll()
	s.Close()
	s = mustOpen(t, dir, Options{})
	checkAll()
}

func TestGroupCommitMakesDurable(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{GroupCommit: 2 * time.Millisecond, DurableImage: true})
	for i := range 50 {
		s.Put(fmt.Sprint("g", i), Memory{Content: []byte(fmt.Sprint("g", i))})
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.needsSync() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	s.abandon()
	if _, err := SimulatePowerLoss(dir, 1); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, dir, Options{})
	for i := range 50 {
		if m := mustGet(t, s2, fmt.Sprint("g", i)); string(m.Content) != fmt.Sprint("g", i) {
			t.Fatalf("g%d = %q", i, m.Content)
		}
	}
}

func TestGrowthAndSlotReuse(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{GroupCommit: -1})
	const n = 2500 // > 8 MiB of slots: several growths of blocks.dat
	big := bytes.Repeat([]byte("c"), 5000)
	for i := range n {
		if _, err := s.Put(fmt.Sprint("g", i), Memory{Content: big[:i%5000]}); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.SlotsTotal < n || st.FileBytes < n*slotSize {
		t.Fatalf("no growth: %+v", st)
	}
	// Replace everything: after a Sync the old slots are reused, so the
	// blocks file does not grow again.
	s.Sync()
	for i := range n {
		s.Put(fmt.Sprint("g", i), Memory{Content: []byte("r")})
		if i%500 == 0 {
			s.Sync()
		}
	}
	s.Sync()
	if st2 := s.Stats(); st2.SlotsTotal != st.SlotsTotal || st2.SlotsInUse != n {
		t.Fatalf("slots not reused: before %+v after %+v", st, st2)
	}
	s.Close()
	s = mustOpen(t, dir, Options{})
	for i := range n {
		if m := mustGet(t, s, fmt.Sprint("g", i)); string(m.Content) != "r" {
			t.Fatalf("g%d = %q", i, m.Content)
		}
	}
	if st := s.Stats(); st.Live != n || st.SlotsInUse != n {
		t.Fatalf("after reopen %+v", st)
	}
}
