package store

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/cespare/xxhash/v2"
)

type recordingLog struct{ events []PersistEvent }

func (l *recordingLog) Persist(e PersistEvent) { l.events = append(l.events, e) }

// replayLog applies events to per-file page-cache images and checks each
// sync's digest against them: a write the log missed fails here.
func replayLog(t *testing.T, events []PersistEvent) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for i, e := range events {
		switch e.Op {
		case PersistCreate:
			b := make([]byte, e.Size)
			copy(b, e.Data)
			files[e.File] = b
		case PersistGrow:
			b := files[e.File]
			files[e.File] = append(b, make([]byte, int(e.Size)-len(b))...)
		case PersistWrite:
			copy(files[e.File][e.Off:], e.Data)
		case PersistSync:
			if got := xxhash.Sum64(files[e.File][e.Off:e.Size]); got != e.Digest {
				t.Fatalf("event %d: sync of %s [%d,%d): replayed bytes differ from the store's (a write was not logged)", i, e.File, e.Off, e.Size)
			}
		case PersistUnlink:
			delete(files, e.File)
		}
	}
	return files
}

func TestPersistLogRecordsEveryWrite(t *testing.T) {
	dir := t.TempDir()
	log := &recordingLog{}
	s, err := Open(dir, Options{GroupCommit: -1, PersistLog: log})
	if err != nil {
		t.Fatal(err)
	}
	// Enough records to grow the blocks file past its first chunk.
	for i := range 400 {
		id := string(rune('a'+i%26)) + string(rune('a'+i/26))
		if _, err := s.Put(id, Memory{Confidence: 1, Content: bytes.Repeat([]byte{byte(i)}, 100+i)}); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if _, err := s.Remove(id); err != nil {
				t.Fatal(err)
			}
		}
		if i%5 == 0 {
			if _, err := s.UpdateActivation(id, 0.5); err != nil {
				t.Fatal(err)
			}
		}
		if i%50 == 0 {
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	counts := map[PersistOp]int{}
	for _, e := range log.events {
		counts[e.Op]++
	}
	for _, op := range []PersistOp{PersistCreate, PersistWrite, PersistGrow, PersistSync, PersistUnlink} {
		if counts[op] == 0 {
			t.Errorf("no %s event logged (counts %v)", op, counts)
		}
	}
	files := replayLog(t, log.events)
	entries, _ := os.ReadDir(dir)
	onDisk := 0
	for _, e := range entries {
		name := e.Name()
		if !isDataFileName(name) {
			continue
		}
		onDisk++
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, files[name]) {
			t.Errorf("%s: replayed log (%d bytes) differs from the file (%d bytes)", name, len(files[name]), len(got))
		}
	}
	if onDisk != len(files) {
		t.Errorf("%d data files on disk, the log replays to %d", onDisk, len(files))
	}
}

// A content append is logged before the record that refers to it, and
// Sync flushes content before blocks.
func TestPersistLogOrder(t *testing.T) {
	log := &recordingLog{}
	s, err := Open(t.TempDir(), Options{GroupCommit: -1, PersistLog: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log.events = nil
	if _, err := s.Put("x", Memory{Content: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	var seq []string
	for _, e := range log.events {
		if e.Op != PersistGrow {
			seq = append(seq, e.Op.String()+" "+e.File)
		}
	}
	want := []string{"write content.0.dat", "write blocks.dat", "sync content.0.dat", "sync blocks.dat"}
	if len(seq) < len(want) {
		t.Fatalf("events %v, want prefix %v", seq, want)
	}
	for i := range want {
		if seq[i] != want[i] {
			t.Fatalf("events %v, want prefix %v", seq, want)
		}
	}
}
