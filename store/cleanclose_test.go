package store

import (
	"os"
	"path/filepath"
	"testing"
)

func readCleanRecord(t *testing.T, dir string) (cleanClose, bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, blocksFileName))
	if err != nil {
		t.Fatal(err)
	}
	return cleanRecord(b[:pageSize])
}

// Close leaves a clean-close record holding the store's accounting; Open
// clears it before writing anything; a killed store has none.
func TestCleanCloseRecord(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{GroupCommit: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if _, err := s.Put(id, Memory{Content: []byte("content-" + id)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Remove("b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c, ok := readCleanRecord(t, dir)
	if want := (cleanClose{seq: 3, live: 2, liveBytes: 18, epoch: 0}); !ok || c != want {
		t.Fatalf("after Close: record %+v (present %v), want %+v", c, ok, want)
	}

	s, err = Open(dir, Options{GroupCommit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := readCleanRecord(t, dir); ok {
		t.Fatal("an open store still carries its clean-close record")
	}
	if _, err := s.Put("d", Memory{}); err != nil {
		t.Fatal(err)
	}
	s.abandon()
	if _, ok := readCleanRecord(t, dir); ok {
		t.Fatal("a killed store carries a clean-close record")
	}
}
