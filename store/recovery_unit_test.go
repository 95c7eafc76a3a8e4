package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func valueFor(id string, version int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("%s/v%d;", id, version)), 1+version%7)
}

// TestPowerLossKeepsSynced: after a kill and a simulated power cut, every id
// holds its last synced value or a later one, and nothing torn is returned.
func TestPowerLossKeepsSynced(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, dir, Options{GroupCommit: -1, DurableImage: true})
			const ids = 40
			synced := map[string]int{}
			for round := 0; round < 6; round++ {
				for i := range ids {
					id := fmt.Sprint("m", i)
					if _, err := s.Put(id, Memory{Embedding: testEmbedding(round*ids + i), Content: valueFor(id, round)}); err != nil {
						t.Fatal(err)
					}
				}
				if round == 2 {
					if err := s.Sync(); err != nil {
						t.Fatal(err)
					}
					for i := range ids {
						synced[fmt.Sprint("m", i)] = 2
					}
				}
			}
			s.abandon()
			rep, err := SimulatePowerLoss(dir, seed)
			if err != nil {
				t.Fatal(err)
			}
			if rep.PagesDiffering == 0 || rep.PagesTorn == 0 {
				t.Fatalf("power loss did nothing: %+v", rep)
			}
			s2 := mustOpen(t, dir, Options{})
			for id, v := range synced {
				m, l, err := s2.Get(id)
				if err != nil || l != Found {
					t.Fatalf("%s lost: %v %v", id, l, err)
				}
				ok := false
				for r := v; r < 6; r++ {
					if bytes.Equal(m.Content, valueFor(id, r)) {
						var i int
						fmt.Sscanf(id, "m%d", &i)
						if DigestEmbedding(m.Embedding) != DigestEmbedding(testEmbedding(r*ids+i)) {
							t.Fatalf("%s: content of round %d with another embedding", id, r)
						}
						ok = true
					}
				}
				if !ok {
					t.Fatalf("%s: %q is neither the synced value nor a later one", id, m.Content)
				}
			}
			t.Logf("report %+v, torn discarded %d", rep, s2.Stats().TornDiscarded)
		})
	}
}

func TestRemoveSurvivesPowerLoss(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{GroupCommit: -1, DurableImage: true})
	for v := range 3 {
		s.Put("x", Memory{Content: valueFor("x", v)})
	}
	s.Sync()
	s.Put("x", Memory{Content: valueFor("x", 9)})
	s.Remove("x")
	s.Sync()
	s.Put("y", Memory{Content: []byte("y")})
	s.abandon()
	if _, err := SimulatePowerLoss(dir, 7); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, dir, Options{})
	if _, l, _ := s2.Get("x"); l != Missing {
		t.Fatal("synced remove undone by power loss")
	}
}

func TestHeaderCorruption(t *testing.T) {
	mk := func(t *testing.T) string {
		dir := t.TempDir()
		s := mustOpen(t, dir, Options{})
		s.Put("a", Memory{Content: []byte("x")})
		s.Close()
		return dir
	}
	cases := []struct {
		name string
		file string
		off  int64
		want error
	}{
		{"magic", blocksFileName, 0, ErrBadMagic},
		{"version", blocksFileName, 8, ErrBadVersion},
		{"crc", blocksFileName, 30, ErrHeaderChecksum},
		{"content magic", "content.0.dat", 3, ErrBadMagic},
		{"content crc", "content.0.dat", 25, ErrHeaderChecksum},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := mk(t)
			p := filepath.Join(dir, c.file)
			f, _ := os.OpenFile(p, os.O_RDWR, 0)
			b := []byte{0}
			f.ReadAt(b, c.off)
			b[0] ^= 0x40
			f.WriteAt(b, c.off)
			f.Close()
			if _, err := Open(dir, Options{}); !errors.Is(err, c.want) {
				t.Fatalf("Open = %v, want %v", err, c.want)
			}
		})
	}
	t.Run("truncated header", func(t *testing.T) {
		dir := mk(t)
		os.Truncate(filepath.Join(dir, blocksFileName), 20)
		if _, err := Open(dir, Options{}); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open = %v", err)
		}
	})
	t.Run("truncated slot", func(t *testing.T) {
		dir := mk(t)
		os.Truncate(filepath.Join(dir, blocksFileName), fileHeaderSize+slotSize/2)
		if _, err := Open(dir, Options{}); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open = %v", err)
		}
	})
	t.Run("flipped content", func(t *testing.T) {
		dir := mk(t)
		p := filepath.Join(dir, "content.0.dat")
		f, _ := os.OpenFile(p, os.O_RDWR, 0)
		f.WriteAt([]byte("y"), fileHeaderSize)
		f.Close()
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, l, _ := s.Get("a"); l != Missing || s.Stats().TornDiscarded != 1 {
			t.Fatalf("corrupt content: %v, torn %d", l, s.Stats().TornDiscarded)
		}
	})
}
