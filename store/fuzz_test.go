package store_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/warmcheck/warmcheck/store"
)

// FuzzOpen damages one data file of a valid store (blocks.dat or a content
// file, chosen by which) and opens it: mode 0 replaces the file with data,
// mode 1 overwrites the valid file with data at off, mode 2 cuts the valid
// file at off and appends data (modes 1 and 2 keep the header intact, so
// the fuzzer reaches the record parser and recovery). Open must return an
// error or a store that is internally consistent (Get agrees with Iterate,
// Layout and Stats) and usable. It must never panic or hang.
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
		files[name] = b
		used := usedLen(b)
		f.Add(b[:used], uint8(i), uint32(0), uint8(0))
		f.Add([]byte{}, uint8(i), uint32(0), uint8(0))
		f.Add([]byte{0xff}, uint8(i), uint32(used/3), uint8(1))
		f.Add([]byte{1, 2, 3, 4}, uint8(i), uint32(4096+600), uint8(1))
		f.Add([]byte{}, uint8(i), uint32(used/2), uint8(2))
		f.Add([]byte("LIVE"), uint8(i), uint32(4096+3584), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8, off uint32, mode uint8) {
		if len(data) > 1<<20 {
			return
		}
		dir := t.TempDir()
		target := names[int(which)%len(names)]
		for _, name := range names {
			b := files[name]
			if name == target {
				switch mode % 3 {
				case 0:
					b = data
				case 1:
					b = bytes.Clone(b)
					copy(b[int(off)%len(b):], data)
				case 2:
					b = append(bytes.Clone(b[:int(off)%len(b)]), data...)
				}
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
