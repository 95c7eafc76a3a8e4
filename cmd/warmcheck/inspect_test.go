package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/store"
)

// inspectedStore is a cleanly closed store of three memories with content.
func inspectedStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{GroupCommit: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b", "c"} {
		if _, err := s.Put(id, store.Memory{Content: []byte("content of " + id)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Offsets in blocks.dat (store/format.go).
const (
	slot0HeaderCRC = 4096 + 4 // blocks.dat: slot 0's record header CRC
	cleanRecordCRC = 1024 + 32
)

func TestInspectExitCodes(t *testing.T) {
	healthy := inspectedStore(t)
	if code, out := capture(t, "inspect", healthy); code != exitValid || !strings.Contains(out, "consistent (closed cleanly)") || !strings.Contains(out, "live 3") {
		t.Errorf("healthy store: exit %d\n%s", code, out)
	}

	damaged := inspectedStore(t)
	flipByte(t, filepath.Join(damaged, "blocks.dat"), slot0HeaderCRC)
	code, out := capture(t, "inspect", damaged)
	if code != exitInvalid || !strings.Contains(out, "slot 0 (blocks.dat offset 4096): header-checksum [damage]") {
		t.Errorf("damaged store: exit %d\n%s", code, out)
	}

	// The same damage in a store that was not closed cleanly may be a
	// write a crash tore: unknown.
	flipByte(t, filepath.Join(damaged, "blocks.dat"), cleanRecordCRC)
	if code, out := capture(t, "inspect", damaged); code != exitUnknown || !strings.Contains(out, "header-checksum [torn (unsynced?)]") {
		t.Errorf("torn record, no clean close: exit %d\n%s", code, out)
	}

	for name, args := range map[string][]string{
		"missing dir":     {"inspect", filepath.Join(healthy, "nope")},
		"not a store":     {"inspect", t.TempDir()},
		"no argument":     {"inspect"},
		"two arguments":   {"inspect", healthy, healthy},
		"bad max":         {"inspect", "--max-problems", "0", healthy},
		"unknown flag":    {"inspect", "--bogus", healthy},
		"bad blocks file": {"inspect", badHeaderStore(t)},
	} {
		if code, _ := capture(t, args...); code != exitUsage {
			t.Errorf("%s: exit %d, want %d", name, code, exitUsage)
		}
	}
}

func badHeaderStore(t *testing.T) string {
	dir := inspectedStore(t)
	flipByte(t, filepath.Join(dir, "blocks.dat"), 0)
	return dir
}

func TestInspectJSON(t *testing.T) {
	dir := inspectedStore(t)
	flipByte(t, filepath.Join(dir, "blocks.dat"), slot0HeaderCRC)
	code, out := capture(t, "inspect", "--json", dir)
	var rep struct {
		Verdict  string `json:"verdict"`
		Problems []struct {
			Kind     string  `json:"kind"`
			Severity string  `json:"severity"`
			File     string  `json:"file"`
			Offset   uint64  `json:"offset"`
			Slot     *uint64 `json:"slot"`
		} `json:"problems"`
		Stats struct {
			Live   uint64 `json:"live"`
			Epochs []struct {
				File string `json:"file"`
			} `json:"epochs"`
		} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d, not JSON: %v\n%s", code, err, out)
	}
	if code != exitInvalid || rep.Verdict != "inconsistent" || len(rep.Problems) == 0 {
		t.Fatalf("exit %d, report %+v", code, rep)
	}
	p := rep.Problems[len(rep.Problems)-1] // whole-file problems (the recount) come first
	if p.Kind != "header-checksum" || p.Severity != "damage" || p.File != "blocks.dat" || p.Offset != 4096 || p.Slot == nil || *p.Slot != 0 {
		t.Errorf("first problem %+v", p)
	}
	if rep.Stats.Live != 2 || len(rep.Stats.Epochs) != 1 || rep.Stats.Epochs[0].File != "content.0.dat" {
		t.Errorf("stats %+v", rep.Stats)
	}
}
