package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/runner"
)

// writeChunks copies the history from into dir/history.wch, ending a chunk
// after every event for which cut says so, and returns the path, the
// events and the end offset of every chunk.
func writeChunks(t *testing.T, dir, from string, cut func(i int, e *history.Event) bool) (string, []history.Event, []int64) {
	t.Helper()
	h, events, err := history.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, runner.HistoryFile)
	w, err := history.Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	var ends []int64
	for i := range events {
		if err := w.Append(events[i]); err != nil {
			t.Fatal(err)
		}
		if cut(i, &events[i]) || i == len(events)-1 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(path)
			ends = append(ends, st.Size())
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path, events, ends
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0x08
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAnalyzeMidFileCorruptionIsExit3: a checksum mismatch in chunk 1 of 11
// of a valid history, intact chunks after it, used to be judged valid
// (exit 0) on the first chunk. It is an input error naming the file, byte
// offset and chunk; --salvage judges the prefix but never as valid.
func TestAnalyzeMidFileCorruptionIsExit3(t *testing.T) {
	dir := t.TempDir()
	path, events, ends := writeChunks(t, dir, corpusFile("valid-simulated-concurrent.jsonl"), func(i int, _ *history.Event) bool { return i%56 == 55 })
	if len(ends) != 11 {
		t.Fatalf("%d chunks, want 11", len(ends))
	}
	if code, out := capture(t, "analyze", "-q", path); code != exitValid {
		t.Fatalf("intact copy: exit %d\n%s", code, out)
	}
	flipByte(t, path, ends[0]+100)
	code, stdout, errOut := captureErr(t, "analyze", "-q", path)
	if code != exitUsage {
		t.Fatalf("corrupt: exit %d, want %d\n%s", code, exitUsage, errOut)
	}
	if stdout != "" || strings.Count(errOut, "\n") != 1 {
		t.Errorf("an input error is one line on stderr, nothing on stdout; stdout:\n%s\nstderr:\n%s", stdout, errOut)
	}
	for _, want := range []string{path, "byte " + itoa(ends[0]), "chunk 1", "corrupt", "--salvage"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("error lacks %q:\n%s", want, errOut)
		}
	}
	code, out := capture(t, "analyze", "--json", "--salvage", path)
	if code != exitUnknown {
		t.Fatalf("--salvage: exit %d, want %d (unknown: every check valid on the prefix)\n%s", code, exitUnknown, out)
	}
	rep := onlyReport(t, out)
	if rep.Verdict != checker.Unknown || rep.Completeness != history.Corrupt || rep.Events != 56 || len(events) <= 56 {
		t.Fatalf("--salvage: %s (%s), %d events judged", rep.Verdict, rep.Completeness, rep.Events)
	}

	// Damage in chunk 10 of 11, the end record intact after it: every check
	// is valid on the 1700 events before it (the old reader said valid,
	// exit 0), but the run is corrupt: exit 3, and unknown when salvaged.
	path, _, ends = writeChunks(t, t.TempDir(), corpusFile("run-panic-recovery-seed1.wch"), func(i int, _ *history.Event) bool { return i%170 == 169 })
	flipByte(t, path, ends[9]+40)
	if code, _, errOut := captureErr(t, "analyze", "-q", path); code != exitUsage || !strings.Contains(errOut, "chunk 10") {
		t.Fatalf("chunk 10 corrupt: exit %d, want %d\n%s", code, exitUsage, errOut)
	}
	code, out = capture(t, "analyze", "--json", "--salvage", path)
	rep = onlyReport(t, out)
	for _, c := range rep.Checks {
		if c.Verdict != checker.Valid && c.Verdict != checker.NotEvaluated {
			t.Errorf("%s: %s: %s", c.Name, c.Verdict, c.Summary)
		}
	}
	if code != exitUnknown || rep.Verdict != checker.Unknown || rep.Events != 1700 {
		t.Fatalf("chunk 10 corrupt, --salvage: exit %d, %s, %d events; want unknown although every check is valid", code, rep.Verdict, rep.Events)
	}
}

// TestAnalyzeSalvagedCorruptionKeepsInvalid: a violation found in the
// intact prefix of a corrupt history is real evidence: --salvage reports it.
func TestAnalyzeSalvagedCorruptionKeepsInvalid(t *testing.T) {
	dir := t.TempDir()
	path, _, ends := writeChunks(t, dir, corpusFile("invalid-offset-overlap.jsonl"), func(i int, _ *history.Event) bool { return i == 3 })
	if len(ends) != 2 {
		t.Fatalf("%d chunks", len(ends))
	}
	// A third chunk, intact, after a damaged second one.
	data, _ := os.ReadFile(path)
	endRec := data[ends[1]:]
	data = append(append(data[:ends[1]:ends[1]], data[ends[0]:ends[1]]...), endRec...)
	data[ends[0]+20] ^= 1
	os.WriteFile(path, data, 0o644)
	if code, out := capture(t, "analyze", "-q", path); code != exitUsage {
		t.Fatalf("corrupt: exit %d\n%s", code, out)
	}
	code, out := capture(t, "analyze", "--salvage", path)
	if code != exitInvalid || !strings.Contains(out, "offset-overlap") {
		t.Fatalf("--salvage with an overlap in the prefix: exit %d, want %d\n%s", code, exitInvalid, out)
	}
}

// TestAnalyzeRecorderKilledAtChunkBoundary: a recorder killed right after
// writing a chunk leaves a file that ends at a chunk boundary with invokes
// open. It used to read as complete, and recovery called the open invokes
// hangs (invalid, exit 1). It is torn: judged with a warning, open invokes
// cut off.
func TestAnalyzeRecorderKilledAtChunkBoundary(t *testing.T) {
	dir := t.TempDir()
	n := 0
	path, events, ends := writeChunks(t, dir, corpusFile("valid-simulated-concurrent.jsonl"), func(i int, e *history.Event) bool {
		if e.Kind == history.KindOp && e.Type == history.Invoke && i > 300 && n == 0 {
			n = i + 1
			return true
		}
		return false
	})
	if n == 0 || len(ends) != 2 {
		t.Fatalf("no boundary after an invoke (%d chunks)", len(ends))
	}
	if err := os.Truncate(path, ends[0]); err != nil {
		t.Fatal(err)
	}
	code, out := capture(t, "analyze", "--json", path)
	if code == exitInvalid || code == exitUsage {
		t.Fatalf("killed recorder: exit %d\n%s", code, out)
	}
	rep := onlyReport(t, out)
	rec, _ := rep.Check("recovery")
	if rep.Completeness != history.Torn || rep.Events != n || rec.Verdict != checker.Valid || rep.Operations["all"]["pending"] == 0 || len(events) <= n {
		t.Fatalf("%s, %d events, recovery %s: %s, ops %v", rep.Completeness, rep.Events, rec.Verdict, rec.Summary, rep.Operations["all"])
	}
	if !strings.Contains(rep.Damage, "end record") {
		t.Fatalf("damage %q does not say the end record is missing", rep.Damage)
	}
}

// TestAnalyzeNothingReadableIsExit3: damage in chunk 0 leaves nothing to
// judge; that used to be unknown (exit 2), and is a corrupt input (exit 3)
// unless salvaged, when it is unknown.
func TestAnalyzeNothingReadableIsExit3(t *testing.T) {
	dir := t.TempDir()
	path, _, ends := writeChunks(t, dir, corpusFile("valid-simulated-concurrent.jsonl"), func(i int, _ *history.Event) bool { return i%56 == 55 })
	flipByte(t, path, ends[0]-30)
	if code, _, errOut := captureErr(t, "analyze", path); code != exitUsage || !strings.Contains(errOut, "chunk 0") {
		t.Fatalf("chunk 0 damaged: exit %d, want %d\n%s", code, exitUsage, errOut)
	}
	if code, out := capture(t, "analyze", "--salvage", path); code != exitUnknown {
		t.Fatalf("chunk 0 damaged, --salvage: exit %d, want %d\n%s", code, exitUnknown, out)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// onlyReport decodes analyze --json output for one PATH and returns its
// report.
func onlyReport(t *testing.T, out string) checker.Report {
	t.Helper()
	var res checker.Results
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Histories) != 1 || res.Histories[0].Report == nil {
		t.Fatalf("want one judged history:\n%s", out)
	}
	return *res.Histories[0].Report
}
