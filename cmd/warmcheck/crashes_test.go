package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/crashpoint"
	"github.com/warmcheck/warmcheck/internal/resultschema"
	"github.com/warmcheck/warmcheck/runner"
)

func TestCrashesExitCodes(t *testing.T) {
	out, valid := t.TempDir(), t.TempDir()
	cases := []struct {
		args []string
		want int
	}{
		{[]string{"--ops", "20", "--seed", "1", "--out", valid}, exitValid},
		{[]string{"--ops", "40", "--seed", "1", "--bug", "sync-skips-content"}, exitInvalid},
		{[]string{"--bug", "no-such-bug"}, exitUsage},
		{[]string{"--workload", "no-such-workload"}, exitUsage},
		{[]string{"--ops", "0"}, exitUsage},
		{[]string{"--point", "3"}, exitUsage},
		{[]string{"--point", "3", "--variant", "sideways"}, exitUsage},
		{[]string{"extra-arg"}, exitUsage},
	}
	for _, c := range cases {
		args := append([]string{"warmcheck", "crashes", "--out", out}, c.args...)
		if got := runApp(args); got != c.want {
			t.Errorf("%v: exit %d, want %d", c.args, got, c.want)
		}
	}
	docs, _ := filepath.Glob(filepath.Join(valid, "crashes-mixed", "*", runner.ResultsFile))
	if len(docs) != 1 {
		t.Fatalf("results.json of the valid run: %v", docs)
	}
	doc, err := os.ReadFile(docs[0])
	if err != nil {
		t.Fatal(err)
	}
	var res checker.Results
	if err := resultschema.Validate(doc); err != nil || json.Unmarshal(doc, &res) != nil || res.Verdict != checker.Valid {
		t.Fatalf("valid run's results.json: verdict %q, schema %v", res.Verdict, err)
	}
}

// An inconsistent run leaves its report and the image as a store directory;
// the rebuild command printed in the report rebuilds an image judged the
// same way.
func TestCrashesWritesInconsistentStateAndRebuilds(t *testing.T) {
	out := t.TempDir()
	if got := runApp([]string{"warmcheck", "crashes", "--out", out, "--ops", "40", "--seed", "2", "--bug", "recovery-trusts-torn"}); got != exitInvalid {
		t.Fatalf("exit %d, want %d", got, exitInvalid)
	}
	runs, _ := filepath.Glob(filepath.Join(out, "crashes-mixed", "*"))
	if len(runs) != 1 {
		t.Fatalf("run directories: %v", runs)
	}
	doc, err := os.ReadFile(filepath.Join(runs[0], runner.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := resultschema.Validate(doc); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	var res checker.Results
	if err := json.Unmarshal(doc, &res); err != nil || res.Verdict != checker.Invalid {
		t.Fatalf("results.json verdict %q (%v), want invalid", res.Verdict, err)
	}
	for _, f := range []string{crashpoint.ResultFile, crashpoint.ReportFile, filepath.Join(crashpoint.StateDir, "store", "blocks.dat"), filepath.Join(crashpoint.StateDir, crashpoint.ExpectationFile)} {
		if _, err := os.Stat(filepath.Join(runs[0], f)); err != nil {
			t.Fatal(err)
		}
	}
	report, err := os.ReadFile(filepath.Join(runs[0], crashpoint.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	_, cmd, ok := strings.Cut(string(report), "rebuild this image: ")
	if !ok {
		t.Fatalf("no rebuild command in report:\n%s", report)
	}
	args := strings.Fields(strings.TrimSpace(strings.SplitN(cmd, "\n", 2)[0]))
	if got := runApp(args); got != exitInvalid {
		t.Fatalf("rebuild %v: exit %d, want %d", args, got, exitInvalid)
	}
}
