package store_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/warmcheck/warmcheck/store"
)

// v1Fixture is a store directory written by the format-1 store (commit
// 458e37a): fixtureHistory applied, then Close. Regenerate it only with the
// format-1 code: WARMCHECK_WRITE_V1_FIXTURE=1 go test -run TestWriteV1Fixture ./store/
const v1Fixture = "testdata/v1-store"

// fixtureMemory is memory i of the fixture: content of a size that depends
// on i (nil for every seventh, empty for every eleventh).
func fixtureMemory(i int) store.Memory {
	m := store.Memory{
		Embedding:  suiteEmbedding(uint64(i)),
		Confidence: float32(i) / 100,
		Activation: float32(i) / 10,
		DecayRate:  0.5,
		CreatedAt:  int64(1_700_000_000_000_000_000 + i),
		LastAccess: int64(1_700_000_000_000_000_000 + 2*i),
	}
	switch {
	case i%7 == 0:
	case i%11 == 0:
		m.Content = []byte{}
	default:
		m.Content = taggedContent(fmt.Sprintf("fixture-%d", i), 50+i*13)
	}
	return m
}

// fixtureHistory applies the fixture's operations to s and returns what it
// holds afterwards: 40 Puts, every fifth removed, every third replaced, a
// Compact (so headers point into epoch 1), 5 more Puts into epoch 1 and an
// activation update.
func fixtureHistory(tb testing.TB, s *store.Store) map[string]store.Memory {
	tb.Helper()
	want := map[string]store.Memory{}
	put := func(id string, m store.Memory) {
		if _, err := s.Put(id, m); err != nil {
			tb.Fatalf("put %s: %v", id, err)
		}
		want[id] = m
	}
	for i := range 40 {
		put(fmt.Sprintf("m-%02d", i), fixtureMemory(i))
	}
	for i := 0; i < 40; i += 5 {
		id := fmt.Sprintf("m-%02d", i)
		if _, err := s.Remove(id); err != nil {
			tb.Fatalf("remove %s: %v", id, err)
		}
		delete(want, id)
	}
	for i := 1; i < 40; i += 3 {
		if i%5 != 0 {
			put(fmt.Sprintf("m-%02d", i), fixtureMemory(100+i))
		}
	}
	if err := s.Sync(); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.Compact(); err != nil {
		tb.Fatal(err)
	}
	for i := 40; i < 45; i++ {
		put(fmt.Sprintf("m-%02d", i), fixtureMemory(i))
	}
	if _, err := s.UpdateActivation("m-02", 9.5); err != nil {
		tb.Fatal(err)
	}
	m := want["m-02"]
	m.Activation = 9.5
	want["m-02"] = m
	return want
}

// TestWriteV1Fixture writes v1Fixture; it runs only when asked to.
func TestWriteV1Fixture(t *testing.T) {
	if os.Getenv("WARMCHECK_WRITE_V1_FIXTURE") != "1" {
		t.Skip("writes the format-1 fixture; set WARMCHECK_WRITE_V1_FIXTURE=1 with the format-1 code")
	}
	if err := os.RemoveAll(v1Fixture); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(v1Fixture, store.Options{GroupCommit: -1})
	if err != nil {
		t.Fatal(err)
	}
	fixtureHistory(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkFixtureContents compares every memory of s with want.
func checkFixtureContents(t *testing.T, s *store.Store, want map[string]store.Memory) {
	t.Helper()
	n := 0
	err := s.Iterate(func(id string, got store.Memory) bool {
		n++
		w, ok := want[id]
		if !ok {
			t.Errorf("%s: present, want absent", id)
			return true
		}
		if d := diffMemory(w, got); d != "" {
			t.Errorf("%s: %s", id, d)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("%d memories, want %d", n, len(want))
	}
}

// TestOpenV1Fixture opens a copy of the format-1 fixture and finds exactly
// what fixtureHistory left in it, before and after a reopen and a Compact.
func TestOpenV1Fixture(t *testing.T) {
	want := fixtureHistory(t, openStore(t, t.TempDir(), store.Options{GroupCommit: -1}))
	dir := t.TempDir()
	copyDir(t, v1Fixture, dir)
	s := openStore(t, dir, store.Options{GroupCommit: -1})
	checkFixtureContents(t, s, want)
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	checkFixtureContents(t, s, want)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, store.Options{GroupCommit: -1})
	checkFixtureContents(t, s, want)
}
