package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/warmcheck/warmcheck/store"
)

// FuzzOpen replaces one data file of a valid store (blocks.dat or a content
// file, chosen by which) with arbitrary bytes and opens it: Open must return
// an error or a store that is internally consistent (Get agrees with
// Iterate, Layout and Stats) and usable. It must never panic or hang.
//
//	go test -run='^$' -fuzz=FuzzOpen -fuzztime=60s ./store/
func FuzzOpen(f *testing.F) {
	base := f.TempDir()
	s, err := store.Open(base, store.Options{GroupCommit: -1})
	if err != nil {
		f.Fatalf("Open: %v", err)
	}
	ids := []string{}
	for i := 0; i < 6; i++ {
		id := fmt.Sprintf("f%d", i)
		ids = append(ids, id)
		var content []byte
		if i != 2 {
			content = taggedContent(id, 10+i*30)
		}
		if _, err := s.Put(id, store.Memory{Embedding: suiteEmbedding(uint64(i)), Content: content}); err != nil {
			f.Fatal(err)
		}
	}
	if _, err := s.Put("f1", store.Memory{Content: []byte("again")}); err != nil {
		f.Fatal(err)
	}
	if _, err := s.Remove("f3"); err != nil {
		f.Fatal(err)
	}
	if err := s.Close(); err != nil {
		f.Fatal(err)
	}
	names := dataFiles(f, base)
	files := map[string][]byte{}
	for i, name := range names {
		b, err := os.ReadFile(filepath.Join(base, name))
		if err != nil {
			f.Fatal(err)
		}
		b = b[:usedLen(b)]
		files[name] = b
		f.Add(b, uint8(i))
		if len(b) > 0 {
			f.Add(b[:len(b)/2], uint8(i))
			flipped := append([]byte(nil), b...)
			flipped[len(b)/3] ^= 0x10
			f.Add(flipped, uint8(i))
		}
		f.Add([]byte{}, uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		if len(data) > 4<<20 {
			return
		}
		dir := t.TempDir()
		target := names[int(which)%len(names)]
		for _, name := range names {
			b := files[name]
			if name == target {
				b = data
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s, err := store.Open(dir, store.Options{GroupCommit: -1})
		if err != nil {
			return
		}
		defer s.Close()
		found := map[string]store.Memory{}
		for _, id := range ids {
			m, l, err := s.Get(id)
			if err != nil {
				t.Fatalf("Get(%s) on an opened store: %v", id, err)
			}
			if l == store.Found {
				found[id] = m
			}
		}
		visited := map[string]store.Memory{}
		if err := s.Iterate(func(id string, m store.Memory) bool {
			if _, dup := visited[id]; dup {
				t.Fatalf("Iterate visited %q twice", id)
			}
			visited[id] = m
			return true
		}); err != nil {
			t.Fatalf("Iterate: %v", err)
		}
		for id, m := range found {
			v, ok := visited[id]
			if !ok {
				t.Fatalf("Get found %q, Iterate did not visit it", id)
			}
			if d := diffMemory(m, v); d != "" {
				t.Fatalf("Get and Iterate disagree on %q: %s", id, d)
			}
		}
		if st := s.Stats(); st.Live != uint64(len(visited)) {
			t.Fatalf("Stats.Live %d, Iterate visited %d", st.Live, len(visited))
		}
		layout, err := s.Layout()
		if err != nil {
			t.Fatalf("Layout: %v", err)
		}
		if err := checkLayout(layout, visited); err != nil {
			t.Fatalf("Layout: %v", err)
		}
		if _, err := s.Put("fuzz-new", store.Memory{Content: []byte("n")}); err != nil {
			t.Fatalf("Put on an opened store: %v", err)
		}
		if _, err := s.Compact(); err != nil {
			t.Fatalf("Compact on an opened store: %v", err)
		}
		if got, l, err := s.Get("fuzz-new"); err != nil || l != store.Found || string(got.Content) != "n" {
			t.Fatalf("Get(fuzz-new) after Compact: %v %v %q", l, err, got.Content)
		}
	})
}
