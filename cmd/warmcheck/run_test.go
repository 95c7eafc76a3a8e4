package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/runner"
)

// capture runs the CLI with args and returns its exit code and stdout.
func capture(t *testing.T, args ...string) (int, string) {
	t.Helper()
	code, stdout, _ := captureErr(t, args...)
	return code, stdout
}

// captureErr runs the CLI with args and returns its exit code, stdout and
// stderr.
func captureErr(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runAppIO(append([]string{"warmcheck"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunUsageErrorsExit3(t *testing.T) {
	out := t.TempDir()
	for name, args := range map[string][]string{
		"unknown flag":     {"run", "--bogus"},
		"unknown workload": {"run", "--workload", "nope", "--out", out},
		"unknown bug":      {"run", "--bug", "nope", "--out", out},
		"bad mode":         {"run", "--mode", "sideways", "--out", out},
		"ops and duration": {"run", "--ops", "5", "--duration", "1s", "--out", out},
		"kill in process":  {"run", "--nemesis", "kill", "--mode", "inprocess", "--out", out},
		"positional arg":   {"run", "extra"},
		"bad seed":         {"run", "--seed", "x"},
		"negative workers": {"run", "--workers", "-2", "--out", out},
		"zero op timeout":  {"run", "--op-timeout", "0s", "--out", out},
		"unknown nemesis":  {"run", "--nemesis", "meteor", "--ops", "10", "--out", out},
	} {
		if code, _ := capture(t, args...); code != exitUsage {
			t.Errorf("%s: exit %d, want %d", name, code, exitUsage)
		}
	}
}

func TestRunSmallValidRun(t *testing.T) {
	out := t.TempDir()
	code, stdout := capture(t, "run", "--workload", "concurrent-store", "--ops", "60", "--workers", "4",
		"--nemesis", "none", "--seed", "11", "--out", out)
	if code != exitValid {
		t.Fatalf("exit %d, want 0; output:\n%s", code, stdout)
	}
	if !strings.Contains(stdout, "seed=11") || !strings.Contains(stdout, "verdict: valid") {
		t.Fatalf("output lacks the seed or the verdict:\n%s", stdout)
	}
	dir, err := filepath.EvalSymlinks(filepath.Join(out, runner.LatestLink))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{runner.HistoryFile, runner.ResultsFile, runner.ConfigFile, runner.LogFile, runner.ReportFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run directory lacks %s: %v", f, err)
		}
	}
	var cfg struct {
		Seed     int64  `json:"seed"`
		Workload string `json:"workload"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, runner.ConfigFile))
	if err := json.Unmarshal(b, &cfg); err != nil || cfg.Seed != 11 || cfg.Workload != "concurrent-store" {
		t.Fatalf("config.json %s: %v", b, err)
	}
}
