package main

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/runner"
)

const corpusDir = "../../histories"

func corpusFile(name string) string { return filepath.Join(corpusDir, name) }

func TestAnalyzeExitCodes(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.wch")
	os.WriteFile(garbage, []byte("this is not a history at all\n"), 0o644)
	badHeader := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(badHeader, []byte("{\"header\": 12}\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"valid", []string{corpusFile("valid-all-checks.jsonl")}, exitValid},
		{"invalid", []string{corpusFile("invalid-unique-slots.jsonl")}, exitInvalid},
		{"unknown", []string{corpusFile("unknown-fault-never-fired.jsonl")}, exitUnknown},
		{"worst wins", []string{corpusFile("valid-all-checks.jsonl"), corpusFile("unknown-malformed.jsonl"), corpusFile("invalid-recovery.jsonl")}, exitInvalid},
		{"unknown beats valid", []string{corpusFile("valid-all-checks.jsonl"), corpusFile("unknown-malformed.jsonl")}, exitUnknown},
		{"not a history", []string{garbage}, exitUsage},
		{"bad header", []string{badHeader}, exitUsage},
		{"missing file", []string{filepath.Join(dir, "nope.wch")}, exitUsage},
		{"input error beats unknown", []string{corpusFile("unknown-malformed.jsonl"), garbage}, exitUsage},
		{"invalid beats input error", []string{garbage, corpusFile("invalid-iteration.jsonl")}, exitInvalid},
		{"empty directory", []string{dir + "/empty"}, exitUsage},
		{"no path", nil, exitUsage},
		{"bad flag", []string{"--no-such-flag", corpusFile("valid-all-checks.jsonl")}, exitUsage},
		{"bad flag after path", []string{corpusFile("valid-all-checks.jsonl"), "--no-such-flag"}, exitUsage},
		{"unknown check", []string{"--check", "nonsense", corpusFile("valid-all-checks.jsonl")}, exitUsage},
		{"bad fraction", []string{"--min-ok-fraction", "2", corpusFile("valid-all-checks.jsonl")}, exitUsage},
		{"flags after path", []string{corpusFile("invalid-durability.jsonl"), "--check", "durability", "-q"}, exitInvalid},
		{"only a passing check", []string{corpusFile("invalid-durability.jsonl"), "--check", "unique-slots"}, exitValid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.MkdirAll(dir+"/empty", 0o755)
			code, out := capture(t, append([]string{"analyze"}, tc.args...)...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d; output:\n%s", code, tc.want, out)
			}
		})
	}
}

// writeWCH rewrites a JSONL history as a msgpack history, a chunk every
// 20 events, and returns its path.
func writeWCH(t *testing.T, dir, from string) (string, int) {
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
	for i, e := range events {
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
		if i%20 == 19 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path, len(events)
}

func TestAnalyzeRunDirectoryWriteRecordsResults(t *testing.T) {
	dir := t.TempDir()
	writeWCH(t, dir, corpusFile("valid-simulated-concurrent.jsonl"))
	code, out := capture(t, "analyze", "--write", dir)
	if code != exitValid {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, runner.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	var res checker.Results
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Histories) != 1 || res.Histories[0].Report == nil || res.Histories[0].History != runner.HistoryFile {
		t.Fatalf("results.json: %s", b)
	}
	rep := *res.Histories[0].Report
	if rep.Verdict != checker.Valid || len(rep.Checks) != len(checker.Checks()) || rep.Seed != 7 || rep.Operations["all"]["invoke"] == 0 {
		t.Fatalf("results.json: verdict %s, %d checks, seed %d, ops %v", rep.Verdict, len(rep.Checks), rep.Seed, rep.Operations["all"])
	}
	for _, want := range []string{"VALID", "anti-vacuity", "durability", "operations:"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestAnalyzeDamagedHistoryWarnsWithOffset(t *testing.T) {
	dir := t.TempDir()
	path, n := writeWCH(t, dir, corpusFile("valid-simulated-concurrent.jsonl"))
	st, _ := os.Stat(path)
	if err := os.Truncate(path, st.Size()*2/3); err != nil {
		t.Fatal(err)
	}
	code, out := capture(t, "analyze", "--json", path)
	if code != exitValid && code != exitUnknown {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	var res checker.Results
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Histories) != 1 || res.Histories[0].Report == nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	rep := *res.Histories[0].Report
	if !strings.Contains(rep.Damage, "damaged history at byte") || rep.Events == 0 || rep.Events >= n {
		t.Fatalf("damage %q, %d of %d events judged", rep.Damage, rep.Events, n)
	}
	if r, _ := rep.Check("recovery"); r.Verdict == checker.Invalid {
		t.Fatalf("ops cut off by the damage were judged hung: %s", r.Summary)
	}
}

func TestAnalyzeJUnitIsWellFormed(t *testing.T) {
	dir := t.TempDir()
	junit := filepath.Join(dir, "report.xml")
	garbage := filepath.Join(dir, "garbage.wch")
	os.WriteFile(garbage, []byte("nope"), 0o644)
	code, out := capture(t, "analyze", "--junit", junit,
		corpusFile("valid-all-checks.jsonl"), corpusFile("invalid-offset-overlap.jsonl"), corpusFile("unknown-malformed.jsonl"), garbage)
	if code != exitInvalid {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JUnit XML does not parse: %v\n%s", err, b)
	}
	// Each judged history: a "verdict" case and one case per check; the
	// unreadable one: one case. Failures: the invalid history's verdict and
	// offset-overlap; errors: the unknown history's verdict and
	// anti-vacuity, and the unreadable history; skipped: every
	// not-evaluated check.
	nChecks := len(checker.Checks())
	skipped := 0
	for _, f := range []string{"valid-all-checks.jsonl", "invalid-offset-overlap.jsonl", "unknown-malformed.jsonl"} {
		a := analyzeOne(t.Context(), corpusFile(f), checker.Options{}, defaultAnalyzeTimeout, false)
		for _, c := range a.Report.Checks {
			if c.Verdict == checker.NotEvaluated {
				skipped++
			}
		}
	}
	if len(doc.Suites) != 4 || doc.Tests != 3*(nChecks+1)+1 || doc.Failures != 2 || doc.Errors != 3 || doc.Skipped != skipped || skipped < nChecks-1 {
		t.Fatalf("suites %d tests %d failures %d errors %d skipped %d (want %d)\n%s", len(doc.Suites), doc.Tests, doc.Failures, doc.Errors, doc.Skipped, skipped, b)
	}
	var failed *junitCase
	for i, c := range doc.Suites[1].Cases {
		if c.Failure != nil && c.Name != "verdict" {
			failed = &doc.Suites[1].Cases[i]
		}
	}
	if failed == nil || failed.Name != "offset-overlap" || !strings.Contains(failed.Failure.Body, "append-only") {
		t.Fatalf("failure case %+v", failed)
	}
	if !strings.HasPrefix(string(b), "<?xml") {
		t.Fatal("no XML declaration")
	}
}

// TestCorpus re-checks every history listed in histories/manifest.json
// through the analyze command path: the verdict must match and the named
// check must be the one that decides it. Every file in histories/ must be
// listed, and every check must have an invalid history (anti-vacuity: an
// unknown one).
func TestCorpus(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(corpusDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Histories []struct {
			File    string `json:"file"`
			Verdict string `json:"verdict"`
			Check   string `json:"check"`
		} `json:"histories"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	listed := map[string]bool{}
	rejectedBy := map[string]bool{}
	for _, e := range m.Histories {
		listed[e.File] = true
		t.Run(e.File, func(t *testing.T) {
			a := analyzeOne(t.Context(), filepath.Join(corpusDir, e.File), checker.Options{}, defaultAnalyzeTimeout, false)
			if e.Verdict == "corrupt" { // refused as input (exit 3), judged only with --salvage
				if !errors.Is(a.Err, history.ErrCorrupt) {
					t.Fatalf("read as %v, manifest says corrupt", a.Err)
				}
				if s := analyzeOne(t.Context(), filepath.Join(corpusDir, e.File), checker.Options{}, defaultAnalyzeTimeout, true); s.Err != nil || s.Report.Verdict == checker.Valid {
					t.Fatalf("--salvage: %v, %v: a corrupt history is never valid", s.Err, s.Report)
				}
				return
			}
			if a.Err != nil {
				t.Fatalf("cannot read: %v", a.Err)
			}
			if string(a.Report.Verdict) != e.Verdict {
				for _, r := range a.Report.Checks {
					t.Logf("%s %s %s", r.Name, r.Verdict, r.Summary)
				}
				t.Fatalf("verdict %s, manifest says %s", a.Report.Verdict, e.Verdict)
			}
			if e.Check != "" {
				r, ok := a.Report.Check(e.Check)
				if !ok || string(r.Verdict) != e.Verdict {
					t.Fatalf("check %s: %s (%s), manifest says it decides %s", e.Check, r.Verdict, r.Summary, e.Verdict)
				}
				rejectedBy[e.Check] = true
			}
		})
	}
	entries, _ := os.ReadDir(corpusDir)
	for _, de := range entries {
		n := de.Name()
		if n == "manifest.json" || n == "README.md" {
			continue
		}
		if !listed[n] {
			t.Errorf("histories/%s is not in manifest.json", n)
		}
	}
	for _, c := range checker.Checks() {
		if !rejectedBy[c.Name()] {
			t.Errorf("no history in the corpus is rejected by %s", c.Name())
		}
	}
}
