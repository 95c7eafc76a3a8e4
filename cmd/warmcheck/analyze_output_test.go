package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/internal/resultschema"
	"github.com/warmcheck/warmcheck/runner"
)

// smallRun records a small valid run and returns its directory.
func smallRun(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	code, stdout := capture(t, "run", "--workload", "concurrent-store", "--ops", "60", "--workers", "4",
		"--nemesis", "none", "--seed", "11", "--out", out)
	if code != exitValid {
		t.Fatalf("run: exit %d:\n%s", code, stdout)
	}
	dir, err := filepath.EvalSymlinks(filepath.Join(out, runner.LatestLink))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

var recordFiles = []string{runner.ResultsFile, runner.ReportFile, runner.MetricsFile}

func readRecord(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, f := range recordFiles {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		m[f] = b
	}
	return m
}

// TestAnalyzeLeavesTheRecordUnlessWrite: analyze prints; a run's
// results.json, report.html and metrics.json stay byte-identical whatever
// the flags, unless --write, which rewrites results.json and report.html
// from one report so that they agree.
func TestAnalyzeLeavesTheRecordUnlessWrite(t *testing.T) {
	dir := smallRun(t)
	before := readRecord(t, dir)
	if err := resultschema.Validate(before[runner.ResultsFile]); err != nil {
		t.Fatalf("the run's results.json: %v", err)
	}
	for _, args := range [][]string{
		{dir},
		{"--timeout", "1ns", dir},
		{"--check", "linearizable", dir},
		{dir, "--json"},
		{dir, "--junit", filepath.Join(t.TempDir(), "j.xml"), "--json-out", filepath.Join(t.TempDir(), "r.json")},
	} {
		capture(t, append([]string{"analyze"}, args...)...)
		for f, b := range readRecord(t, dir) {
			if !bytes.Equal(b, before[f]) {
				t.Fatalf("analyze %v changed %s", args, f)
			}
		}
	}

	// --write with a verdict that differs from the run's: every file of the
	// record says unknown.
	if code, out := capture(t, "analyze", "--timeout", "1ns", "--write", dir); code != exitUnknown {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	after := readRecord(t, dir)
	if err := resultschema.Validate(after[runner.ResultsFile]); err != nil {
		t.Fatalf("results.json after --write: %v", err)
	}
	var res checker.Results
	if err := json.Unmarshal(after[runner.ResultsFile], &res); err != nil {
		t.Fatal(err)
	}
	var metrics runner.Outcome
	if err := json.Unmarshal(after[runner.MetricsFile], &metrics); err != nil {
		t.Fatal(err)
	}
	if res.Verdict != checker.Unknown || metrics.Verdict != checker.Unknown {
		t.Fatalf("after --write: results.json %s, metrics.json %s", res.Verdict, metrics.Verdict)
	}
	assertReportAgrees(t, after[runner.ReportFile], res.Histories[0].Report)
	assertReportAgrees(t, before[runner.ReportFile], mustReport(t, before[runner.ResultsFile]))

	// And back: --write with the defaults restores a valid record.
	if code, out := capture(t, "analyze", "--write", dir); code != exitValid {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	again := readRecord(t, dir)
	assertReportAgrees(t, again[runner.ReportFile], mustReport(t, again[runner.ResultsFile]))
	// What --write does not re-judge (latency, targets, faults, final
	// statistics, configuration) reads back from the run directory as the
	// run wrote it.
	between := func(b []byte, from, to string) string {
		s := string(b)
		i, j := strings.Index(s, from), strings.Index(s, to)
		if i < 0 || j < i {
			t.Fatalf("report.html lacks %q ... %q", from, to)
		}
		return s[i:j]
	}
	for _, sec := range [][2]string{{"<h2>Latency", "<h2>Files"}, {"<h2>Configuration", "<h2>Checks"}} {
		if a, b := between(before[runner.ReportFile], sec[0], sec[1]), between(again[runner.ReportFile], sec[0], sec[1]); a != b {
			t.Fatalf("--write changed the report between %s and %s:\n%s\n----\n%s", sec[0], sec[1], a, b)
		}
	}
}

func mustReport(t *testing.T, resultsJSON []byte) *checker.Report {
	t.Helper()
	var res checker.Results
	if err := json.Unmarshal(resultsJSON, &res); err != nil || len(res.Histories) != 1 || res.Histories[0].Report == nil {
		t.Fatalf("results.json: %v\n%s", err, resultsJSON)
	}
	return res.Histories[0].Report
}

// assertReportAgrees: report.html shows rep's verdict and every check's
// verdict.
func assertReportAgrees(t *testing.T, html []byte, rep *checker.Report) {
	t.Helper()
	s := string(html)
	if want := fmt.Sprintf(`<span class="verdict %s">%s</span>`, rep.Verdict, rep.Verdict); !strings.Contains(s, want) {
		t.Fatalf("report.html lacks %s", want)
	}
	for _, c := range rep.Checks {
		if want := fmt.Sprintf(`<tr><td>%s</td><td class="%s">%s</td>`, c.Name, c.Verdict, c.Verdict); !strings.Contains(s, want) {
			t.Fatalf("report.html lacks the row %s", want)
		}
	}
}

// TestAnalyzeJSONIsOneShape: --json and --json-out give the shape of
// results.json for one path, several, and an unreadable one, and each
// validates against checker/results.schema.json.
func TestAnalyzeJSONIsOneShape(t *testing.T) {
	tmp := t.TempDir()
	garbage := filepath.Join(tmp, "garbage.wch")
	os.WriteFile(garbage, []byte("not a history"), 0o644)
	for name, paths := range map[string][]string{
		"one valid":      {corpusFile("valid-all-checks.jsonl")},
		"one invalid":    {corpusFile("invalid-durability.jsonl")},
		"one unreadable": {garbage},
		"several":        {corpusFile("valid-all-checks.jsonl"), corpusFile("unknown-malformed.jsonl"), garbage},
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(tmp, strings.ReplaceAll(name, " ", "-")+".json")
			_, stdout := capture(t, append([]string{"analyze", "--json", "--json-out", file}, paths...)...)
			written, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for what, doc := range map[string][]byte{"stdout": []byte(stdout), "--json-out": written} {
				if err := resultschema.Validate(doc); err != nil {
					t.Fatalf("%s: %v\n%s", what, err, doc)
				}
			}
			var res checker.Results
			if err := json.Unmarshal(written, &res); err != nil {
				t.Fatal(err)
			}
			if len(res.Histories) != len(paths) {
				t.Fatalf("%d histories for %d paths", len(res.Histories), len(paths))
			}
			for i, h := range res.Histories {
				if h.Path != paths[i] {
					t.Errorf("history %d: path %q, want %q", i, h.Path, paths[i])
				}
				if paths[i] == garbage && (h.Error == "" || h.Report != nil || h.Verdict != checker.Unknown) {
					t.Errorf("unreadable history: %+v", h)
				}
			}
			if res.Verdict == checker.Valid && len(paths) > 1 {
				t.Errorf("several histories with an unreadable one composed into valid")
			}
		})
	}
}

// TestAnalyzeNothingJudgedIsUnknownEverywhere: a history whose only asked
// check has nothing to judge is unknown (exit 2); the table and JSON say
// not-evaluated; JUnit marks the check skipped with its reason and the
// verdict an error, not a pass.
func TestAnalyzeNothingJudgedIsUnknownEverywhere(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "j.xml")
	path := corpusFile("invalid-offset-overlap.jsonl") // no iterate
	code, out := capture(t, "analyze", path, "--check", "iteration", "--junit", junit)
	if code != exitUnknown {
		t.Fatalf("exit %d, want %d:\n%s", code, exitUnknown, out)
	}
	if !regexp.MustCompile(`(?m)^ +iteration +not-evaluated +nothing to judge`).MatchString(out) {
		t.Fatalf("table lacks the not-evaluated row:\n%s", out)
	}
	_, js := capture(t, "analyze", path, "--check", "iteration", "--json")
	rep := mustReport(t, []byte(js))
	if c, _ := rep.Check("iteration"); c.Verdict != checker.NotEvaluated || rep.Verdict != checker.Unknown {
		t.Fatalf("JSON: iteration %s, run %s", c.Verdict, rep.Verdict)
	}
	b, _ := os.ReadFile(junit)
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Errors != 1 || doc.Failures != 0 || doc.Skipped != 1 {
		t.Fatalf("errors %d failures %d skipped %d, want 1 0 1:\n%s", doc.Errors, doc.Failures, doc.Skipped, b)
	}
	for _, c := range doc.Suites[0].Cases {
		switch c.Name {
		case "verdict":
			if c.Error == nil || !strings.Contains(c.Error.Message, "no guarantee was judged") {
				t.Fatalf("verdict case: %+v", c)
			}
		case "iteration":
			if c.Skipped == nil || !strings.Contains(c.Skipped.Message, "no ok iterate") {
				t.Fatalf("iteration case: %+v", c)
			}
		}
	}
}

// TestJUnitVerdictCase: the verdict testcase passes only for a valid
// history; invalid is a failure, unknown an error.
func TestJUnitVerdictCase(t *testing.T) {
	for _, tc := range []struct {
		verdict                 checker.Verdict
		failure, error, skipped bool
	}{
		{checker.Valid, false, false, false},
		{checker.Invalid, true, false, false},
		{checker.Unknown, false, true, false},
		{checker.NotEvaluated, false, true, false},
	} {
		c := verdictCase(&checker.Report{Verdict: tc.verdict, Reason: "r"}, "x")
		if (c.Failure != nil) != tc.failure || (c.Error != nil) != tc.error || (c.Skipped != nil) != tc.skipped {
			t.Errorf("%s: %+v", tc.verdict, c)
		}
	}
}

// TestAnalyzeWriteNamesTheHistoryJudged: a directory holding one *.jsonl
// history gets a record naming that file, and a history file given as PATH
// gets no record but a warning saying so.
func TestAnalyzeWriteNamesTheHistoryJudged(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(corpusFile("valid-all-checks.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "h.jsonl"), src, 0o644)
	if code, out := capture(t, "analyze", "--write", dir); code != exitValid {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, runner.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	var res checker.Results
	if err := json.Unmarshal(b, &res); err != nil || res.Histories[0].History != "h.jsonl" || res.Histories[0].Path != "." {
		t.Fatalf("results.json: %v\n%s", err, b)
	}
	html, err := os.ReadFile(filepath.Join(dir, runner.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	assertReportAgrees(t, html, res.Histories[0].Report)

	_, js := capture(t, "analyze", "--write", "--json", filepath.Join(dir, "h.jsonl"))
	var one checker.Results
	if err := json.Unmarshal([]byte(js), &one); err != nil || !strings.Contains(one.Histories[0].Warning, "nothing written") {
		t.Fatalf("--write on a history file: %v\n%s", err, js)
	}
}
