package history

import (
	"bytes"
	"path/filepath"
	"testing"
)

// readBackHeaders writes h as a msgpack file and as JSON Lines and returns
// the headers read back, by form ("msgpack", "jsonl").
func readBackHeaders(t *testing.T, h Header) map[string]Header {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h.wch")
	w, err := Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fromFile, _, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	jw, err := NewJSONLWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := jw.Close(); err != nil {
		t.Fatal(err)
	}
	fromJSONL, _, err := ReadAll(&buf, "h.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Header{"msgpack": fromFile, "jsonl": fromJSONL}
}
