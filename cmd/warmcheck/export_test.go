package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

func writeTestHistory(t *testing.T, dir string, n int) (string, []history.Event) {
	t.Helper()
	path := filepath.Join(dir, "history.wch")
	w, err := history.Create(path, history.Header{Workload: "export-test", Workers: 2, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	var events []history.Event
	for i := 0; i < n; i++ {
		e := history.Event{Index: uint64(i), Kind: history.KindOp, Type: history.Invoke, Process: int64(i / 2), Op: history.OpGet, ID: "m", Time: int64(i)}
		if i%2 == 1 {
			e.Type, e.Output = history.OK, &history.Output{Found: true}
		}
		events = append(events, e)
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			w.Flush()
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path, events
}

func TestExportJSONLRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path, events := writeTestHistory(t, dir, 50)
	out := filepath.Join(dir, "h.jsonl")
	// Flags after PATH, and PATH given as the run directory.
	if code := runApp([]string{"warmcheck", "export", dir, "--format", "jsonl", "--out", out}); code != exitValid {
		t.Fatalf("exit %d", code)
	}
	h, got, err := history.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if h.Workload != "export-test" || len(got) != len(events) {
		t.Fatalf("header %+v, %d events", h, len(got))
	}
	for i := range got {
		if got[i].Index != events[i].Index || got[i].Type != events[i].Type || (got[i].Output == nil) != (events[i].Output == nil) {
			t.Fatalf("event %d: %+v", i, got[i])
		}
	}
	// The JSONL export of the JSONL export is the same file.
	out2 := filepath.Join(dir, "h2.jsonl")
	if code := runApp([]string{"warmcheck", "export", "--out=" + out2, out}); code != exitValid {
		t.Fatalf("exit %d", code)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(out2)
	if !bytes.Equal(a, b) {
		t.Fatal("re-export differs")
	}
	_ = path
}

func TestExportEDN(t *testing.T) {
	dir := t.TempDir()
	path, events := writeTestHistory(t, dir, 20)
	var stdout, stderr bytes.Buffer
	if err := runExport(exportOptions{path: path, format: "edn"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != len(events)+2 || !strings.HasPrefix(lines[2], "{:type :invoke, :f :get, :value {:id \"m\"}, :process 0, :time 0, :index 0") {
		t.Fatalf("%d lines: %s", len(lines), stdout.String())
	}
	if stderr.Len() != 0 {
		t.Fatalf("stderr: %s", stderr.String())
	}
}

// endRecordAt is the offset of a closed history's end record (the last
// frame, count 0).
func endRecordAt(t *testing.T, data []byte) int {
	t.Helper()
	for k := len(data) - 12; k > 0; k-- {
		if binary.LittleEndian.Uint32(data[k+8:]) == 0 && int(binary.LittleEndian.Uint32(data[k:]))+12 == len(data)-k {
			return k
		}
	}
	t.Fatal("no end record")
	return 0
}

func TestExportDamagedTail(t *testing.T) {
	dir := t.TempDir()
	path, _ := writeTestHistory(t, dir, 50)
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, data[:endRecordAt(t, data)-5], 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := runExport(exportOptions{path: path, format: "jsonl"}, &stdout, &stderr); err != nil {
		t.Fatalf("damaged tail must export the intact part: %v", err)
	}
	if n := strings.Count(stdout.String(), "\n"); n != 1+40 {
		t.Fatalf("%d lines, want header + 40 events and no end line", n)
	}
	if !strings.Contains(stderr.String(), "warning") || !strings.Contains(stderr.String(), "byte ") || !strings.Contains(stderr.String(), "chunk 4") {
		t.Fatalf("stderr: %q", stderr.String())
	}
	// The export of a torn history reads back torn, not complete.
	if _, got, err := history.ReadAll(bytes.NewReader(stdout.Bytes()), "out.jsonl"); !errors.Is(err, history.ErrTorn) || len(got) != 40 {
		t.Fatalf("export of a torn history reads back as %d events, %v", len(got), err)
	}
}

// TestExportEndLineAndCorruptSource: a complete history exports with its
// end line (and reads back complete); a corrupt one exports its intact
// prefix, without the end line, and fails with exit 3.
func TestExportEndLineAndCorruptSource(t *testing.T) {
	dir := t.TempDir()
	path, events := writeTestHistory(t, dir, 50)
	var stdout, stderr bytes.Buffer
	if err := runExport(exportOptions{path: path, format: "jsonl"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(stdout.String(), `{"kind":"end","events":50}`+"\n") {
		t.Fatalf("no end line: ...%s", stdout.String()[max(0, stdout.Len()-80):])
	}
	if _, got, err := history.ReadAll(bytes.NewReader(stdout.Bytes()), "out.jsonl"); err != nil || len(got) != len(events) {
		t.Fatalf("%d events, %v", len(got), err)
	}
	data, _ := os.ReadFile(path)
	data[len(data)/3] ^= 0x20 // inside an early chunk: intact chunks follow
	os.WriteFile(path, data, 0o644)
	if code := runApp([]string{"warmcheck", "export", path, "--out", filepath.Join(dir, "c.jsonl")}); code != exitUsage {
		t.Fatalf("export of a corrupt history: exit %d, want %d", code, exitUsage)
	}
}

func TestExportUsageErrors(t *testing.T) {
	dir := t.TempDir()
	path, _ := writeTestHistory(t, dir, 4)
	notHistory := filepath.Join(dir, "notes.txt")
	os.WriteFile(notHistory, []byte("hello"), 0o644)
	for name, args := range map[string][]string{
		"bad format":   {path, "--format", "xml"},
		"no path":      {"--format", "edn"},
		"two paths":    {path, path},
		"unknown flag": {path, "--colour"},
		"flag value":   {path, "--out"},
		"missing file": {filepath.Join(dir, "nope.wch")},
		"not history":  {notHistory},
		"out is input": {path, "--out", path},
	} {
		if code := runApp(append([]string{"warmcheck", "export"}, args...)); code != exitUsage {
			t.Errorf("%s: exit %d, want %d", name, code, exitUsage)
		}
	}
	if data, _ := os.ReadFile(path); len(data) == 0 {
		t.Fatal("--out same as the input truncated it")
	}
}

// TestExportSchema1History: exporting a history recorded before the digest
// change (schema 1, FNV-1a digests, no "digest" key) says so in every
// form: JSON Lines and EDN headers name "fnv1a-64", never the current
// algorithm, and the events are unchanged.
func TestExportSchema1History(t *testing.T) {
	src := filepath.Join("..", "..", "history", "testdata", "schema1.wch")
	h0, events, err := history.ReadFile(src)
	if err != nil || h0.Schema != 1 {
		t.Fatalf("%s: schema %d, %v", src, h0.Schema, err)
	}
	out := filepath.Join(t.TempDir(), "h.jsonl")
	if code := runApp([]string{"warmcheck", "export", src, "--format", "jsonl", "--out", out}); code != exitValid {
		t.Fatalf("exit %d", code)
	}
	h, got, err := history.ReadFile(out)
	if err != nil || h.Schema != history.SchemaVersion || h.Digest != history.DigestFNV1a64 || len(got) != len(events) {
		t.Fatalf("jsonl header %+v, %d of %d events, %v", h, len(got), len(events), err)
	}
	for i := range got {
		if got[i].Index != events[i].Index || (got[i].Input != nil && got[i].Input.Value != events[i].Input.Value) {
			t.Fatalf("event %d differs: %+v", i, got[i])
		}
	}
	var stdout, stderr bytes.Buffer
	if err := runExport(exportOptions{path: src, format: "edn"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if head, _, _ := strings.Cut(stdout.String(), "{:type"); !strings.Contains(head, "schema 2") || !strings.Contains(head, `:digest "fnv1a-64"`) {
		t.Fatalf("edn header: %s", head)
	}
}
