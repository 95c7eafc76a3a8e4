package history

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestWriterChunkPolicy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.wch")
	w, err := Create(path, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	headerSize := w.off
	fi, _ := os.Stat(path)
	if fi.Size() != headerSize {
		t.Fatalf("header not written at Create: %d bytes on disk, %d written", fi.Size(), headerSize)
	}
	events := sampleEvents(chunkMaxEvents+1, 51)
	for i := 0; i < chunkMaxEvents-1; i++ {
		w.Append(events[i])
	}
	if fi, _ := os.Stat(path); fi.Size() != headerSize {
		t.Fatalf("a chunk was written before it was full")
	}
	w.Append(events[chunkMaxEvents-1])
	fi, _ = os.Stat(path)
	if fi.Size() <= headerSize {
		t.Fatalf("full chunk (%d events) not written", chunkMaxEvents)
	}
	// Without Flush nor Close, a reader sees exactly the written chunk, and
	// a torn tail (no end record).
	_, got, err := ReadFile(path)
	if !errors.Is(err, ErrTorn) || len(got) != chunkMaxEvents {
		t.Fatalf("%d events, %v", len(got), err)
	}
}

func TestWriterBigEvent(t *testing.T) {
	layout := make([]Entry, 30_000)
	for i := range layout {
		layout[i] = Entry{ID: fmt.Sprintf("mem-%08d", i), Value: Value{HasContent: true, ContentDigest: uint64(i) * 7919, ContentLen: 100}}
	}
	big := Event{Index: 1, Kind: KindSnapshot, Type: Info, Snapshot: &Snapshot{Reason: "final", Layout: layout}}
	path := filepath.Join(t.TempDir(), "big.wch")
	w, err := Create(path, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	small := sampleEvents(1, 52)[0]
	for _, e := range []Event{small, big, small} {
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, got, err := ReadFile(path)
	if err != nil || len(got) != 3 || len(got[1].Snapshot.Layout) != len(layout) || got[1].Snapshot.Layout[29_999].ID != "mem-00029999" {
		t.Fatalf("%d events, %v", len(got), err)
	}
}

func TestWriterErrorsAreSticky(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.wch")
	w, err := Create(path, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	w.f.Close() // the next write fails
	w.Append(sampleEvents(1, 53)[0])
	first := w.Flush()
	if first == nil {
		t.Fatal("write to a closed file succeeded")
	}
	if err := w.Append(sampleEvents(1, 53)[0]); err != first {
		t.Fatalf("append after a failed write: %v", err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("close after a failed write reported success")
	}
	if err := w.Close(); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("second close: %v", err)
	}
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "dir.wch"), testHeader); err == nil {
		t.Fatal("create in a missing directory succeeded")
	}
}
