package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/runner"
)

// exitCase is one row of a command's exit-code table (README, "Exit
// codes"): args produce want.
type exitCase struct {
	what string
	want int
	args []string
}

// TestExitCodeTables runs, for each command, one invocation per exit code
// of its documented table that is cheap to produce here; the codes not in
// this table are tested beside their command (bench: TestBenchEndToEndTiny;
// compare: TestCompareExitCodes; crashes: TestCrashesExitCodes).
func TestExitCodeTables(t *testing.T) {
	out := t.TempDir()
	freeRun := runDir(t, exitValid, "run", "--workload", "concurrent-store", "--ops", "60", "--workers", "4", "--nemesis", "none", "--seed", "11", "--out", out)
	controlled := runDir(t, exitValid, "run", "--workload", "concurrent-store", "--schedule", "random", "--ops", "80", "--workers", "3", "--nemesis", "none", "--seed", "1", "--out", out)
	other := runDir(t, exitValid, "run", "--workload", "concurrent-store", "--schedule", "random", "--ops", "80", "--workers", "3", "--nemesis", "none", "--seed", "2", "--out", out)
	tampered := filepath.Join(t.TempDir(), "tampered")
	copyDir(t, controlled, tampered)
	copyFile(t, filepath.Join(other, runner.HistoryFile), filepath.Join(tampered, runner.HistoryFile))
	bug := runDir(t, exitInvalid, "run", "--bug", "slot-race", "--seed", "3", "--out", out)

	tables := map[string][]exitCase{
		"run": {
			{"a bug caught", exitInvalid, []string{"run", "--bug", "slot-race", "--seed", "3", "--out", out}},
			{"bad flag value", exitUsage, []string{"run", "--ops", "abc"}},
		},
		"replay": {
			{"reproduced (its store removed)", exitValid, []string{"replay", "--out", out, controlled}},
			{"not reproduced", exitInvalid, []string{"replay", "--out", out, tampered}},
			{"a free run", exitUsage, []string{"replay", "--out", out, freeRun}},
		},
		"shrink": {
			{"smaller failing run", exitInvalid, []string{"shrink", "--budget", "2s", "--out", out, bug}},
			{"a valid run", exitUsage, []string{"shrink", "--out", out, controlled}},
		},
		"analyze": {
			{"valid", exitValid, []string{"analyze", corpusFile("valid-all-checks.jsonl")}},
			{"valid run directory without its store", exitValid, []string{"analyze", freeRun}},
			{"invalid", exitInvalid, []string{"analyze", corpusFile("invalid-linearizable.jsonl")}},
			{"unknown", exitUnknown, []string{"analyze", corpusFile("unknown-fault-never-fired.jsonl")}},
			{"corrupt", exitUsage, []string{"analyze", corpusFile("corrupt-chunk1-mixed-seed11.wch")}},
		},
		"export": {
			{"converted", exitValid, []string{"export", "--out", filepath.Join(t.TempDir(), "h.jsonl"), freeRun}},
			{"missing file", exitUsage, []string{"export", filepath.Join(out, "nope")}},
		},
		"list": {
			{"a topic", exitValid, []string{"list", "checks"}},
			{"no topic", exitUsage, []string{"list"}},
		},
	}
	for cmd, cases := range tables {
		for _, c := range cases {
			code, stdout, stderr := captureErr(t, c.args...)
			if code != c.want {
				t.Errorf("%s, %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", cmd, c.what, code, c.want, stdout, stderr)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(freeRun, runner.StoreDir)); !os.IsNotExist(err) {
		t.Errorf("a valid run keeps its store files without --keep-store: %v", err)
	}
	if _, err := os.Stat(filepath.Join(bug, runner.StoreDir)); err != nil {
		t.Errorf("an invalid run lost its store files: %v", err)
	}
}

// runDir runs args, wants exit code want, and returns the run directory.
func runDir(t *testing.T, want int, args ...string) string {
	t.Helper()
	code, stdout, stderr := captureErr(t, args...)
	if code != want {
		t.Fatalf("%v: exit %d, want %d\n%s\n%s", args, code, want, stdout, stderr)
	}
	for _, line := range strings.Split(stdout, "\n") {
		if dir, ok := strings.CutPrefix(line, "run directory: "); ok {
			return dir
		}
	}
	t.Fatalf("%v: no run directory in\n%s", args, stdout)
	return ""
}

// Ctrl-C during a run (its context cancelled): exit 2, the checks say
// interrupted, and the output names the run directory and how to judge it;
// the history is closed and analyze reads it.
func TestRunInterruptedIsUnknownWithAHint(t *testing.T) {
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := runAppContext(ctx, []string{"warmcheck", "run", "--workload", "concurrent-store", "--ops", "200", "--nemesis", "none", "--seed", "1", "--out", out}, &stdout, &stderr)
	if code != exitUnknown {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitUnknown, stdout.String(), stderr.String())
	}
	if s := stdout.String(); !strings.Contains(s, "interrupted") || !strings.Contains(s, "warmcheck analyze ") || strings.Contains(s, "deadline exceeded") {
		t.Errorf("output:\n%s", s)
	}
	dir := filepath.Join(out, runner.LatestLink)
	if code, _, stderr := captureErr(t, "analyze", dir); code == exitUsage {
		t.Errorf("analyze of the interrupted run: exit 3: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, runner.StoreDir)); err != nil {
		t.Errorf("an interrupted run lost its store files: %v", err)
	}
}

// Every usage error is one line on stderr, nothing on stdout, exit 3, and
// never the help text.
func TestUsageErrorsAreOneLineOnStderr(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"run", "--ops", "abc"},
		{"run", "--bogus"},
		{"run", "--workload", "nope", "--out", out},
		{"run", "--log-level", "loud"},
		{"-q", "--log-level", "loud", "list", "checks"},
		{"bench"},
		{"bench", "--profile"},
		{"analyze", "--bogus", "x"},
		{"analyze", filepath.Join(out, "missing")},
		{"export", "--format", "xml", "x"},
		{"list", "nope"},
		{"compare", "one.json"},
		{"crashes", "--ops", "0"},
		{"replay"},
		{"shrink"},
		{"nosuchcommand"},
	} {
		code, stdout, stderr := captureErr(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "warmcheck: ") || strings.Contains(stderr, "USAGE") {
			t.Errorf("%v: want one error line on stderr and nothing on stdout; stdout:\n%s\nstderr:\n%s", args, stdout, stderr)
		}
		if strings.Contains(stderr, "bad configuration") || strings.Contains(stderr, ": workload: ") {
			t.Errorf("%v: the message stutters: %s", args, stderr)
		}
	}
}

// A bare `warmcheck` did nothing: exit 3 with a short usage on stderr.
func TestNoCommandIsExit3(t *testing.T) {
	code, stdout, stderr := captureErr(t)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "usage: warmcheck") || strings.Count(stderr, "\n") > 5 {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if code, stdout, _ := captureErr(t, "--help"); code != exitValid || !strings.Contains(stdout, "COMMANDS") {
		t.Errorf("--help: exit %d\n%s", code, stdout)
	}
}

// -q and --log-level work before or after the command's name; run prints
// each check once (the table), never as log lines too.
func TestRunLogLevelAndQuiet(t *testing.T) {
	out := t.TempDir()
	args := []string{"run", "--workload", "concurrent-store", "--ops", "40", "--workers", "2", "--nemesis", "none", "--seed", "5", "--out", out}
	code, stdout, stderr := captureErr(t, args...)
	if code != exitValid {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.Count(stdout, "\n  linearizable ") != 1 || strings.Contains(stderr, "linearizable") {
		t.Errorf("a check printed other than once in the table:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	if !strings.Contains(stderr, "run starting") {
		t.Errorf("no info log line on stderr by default:\n%s", stderr)
	}
	for _, q := range [][]string{append([]string{"-q"}, args...), append(append([]string{}, args...), "-q"), append([]string{"--log-level", "off"}, args...)} {
		code, stdout, stderr := captureErr(t, q...)
		if code != exitValid || stderr != "" {
			t.Errorf("%v: exit %d, stderr:\n%s", q, code, stderr)
		}
		if quietOnly := q[0] == "-q" || q[len(q)-1] == "-q"; quietOnly && strings.Contains(stdout, "linearizable") {
			t.Errorf("%v: -q printed the table:\n%s", q, stdout)
		}
	}
	code, _, stderr = captureErr(t, append([]string{"--log-level", "debug"}, args...)...)
	if code != exitValid || !strings.Contains(stderr, "[DEBUG]") {
		t.Errorf("--log-level debug: exit %d, no debug line:\n%s", code, stderr)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
