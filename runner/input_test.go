package runner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// writeChunked writes n get operations (invoke and ok), one chunk per
// operation, closes the file and returns its path and chunk end offsets.
func writeChunked(t *testing.T, n int) (string, []int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), HistoryFile)
	w, err := history.Create(path, history.Header{Workload: "test", Workers: 1, Ops: n})
	if err != nil {
		t.Fatal(err)
	}
	var ends []int64
	for i := 0; i < n; i++ {
		inv := history.Event{Index: uint64(2 * i), Kind: history.KindOp, Type: history.Invoke, Op: history.OpGet, ID: "a", Time: int64(2 * i)}
		ok := inv
		ok.Index, ok.Type, ok.Time, ok.Output = inv.Index+1, history.OK, inv.Time+1, &history.Output{}
		if err := w.Append(inv); err != nil {
			t.Fatal(err)
		}
		if err := w.Append(ok); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(path)
		ends = append(ends, fi.Size())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path, ends
}

func rewrite(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadInputCompleteness(t *testing.T) {
	path, ends := writeChunked(t, 6)
	in, err := ReadInput(path, "", false)
	if err != nil || in.Completeness != history.Complete || in.Damage != nil || len(in.Events) != 12 {
		t.Fatalf("closed history: %v, %+v", err, in)
	}

	// Killed at a chunk boundary: torn, judged.
	rewrite(t, path, func(b []byte) []byte { return b[:ends[3]] })
	in, err = ReadInput(path, "", false)
	if err != nil || in.Completeness != history.Torn || in.Damage == nil || len(in.Events) != 8 {
		t.Fatalf("torn history: %v, %+v", err, in)
	}

	// A bad chunk with intact chunks after it: corrupt, an error naming
	// the file, byte and chunk, unless salvaged.
	path, ends = writeChunked(t, 6)
	rewrite(t, path, func(b []byte) []byte { b[ends[0]+14] ^= 0x40; return b })
	in, err = ReadInput(path, "", false)
	if !errors.Is(err, history.ErrCorrupt) || in != nil {
		t.Fatalf("corrupt history: %v, %+v", err, in)
	}
	for _, want := range []string{path, "byte ", "chunk 1", "corrupt"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	in, err = ReadInput(path, "", true)
	if err != nil || in.Completeness != history.Corrupt || len(in.Events) != 2 {
		t.Fatalf("salvaged: %v, %+v", err, in)
	}
	if _, err := readInput(path, ""); !errors.Is(err, ErrHistory) || !errors.Is(err, history.ErrCorrupt) {
		t.Fatalf("run's own re-read of a corrupt history: %v", err)
	}
}
