package runner

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRunDirsAreUniqueAndLatestMoves(t *testing.T) {
	out := t.TempDir()
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	a, err := makeRunDir(out, "mixed", now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := makeRunDir(out, "mixed", now)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two runs share %s", a)
	}
	if filepath.Dir(a) != filepath.Join(out, "mixed") {
		t.Fatalf("run dir %s not under <out>/<workload>", a)
	}
	for _, dir := range []string{a, b} {
		if err := pointLatest(out, dir); err != nil {
			t.Fatal(err)
		}
		got, err := filepath.EvalSymlinks(filepath.Join(out, LatestLink))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := filepath.EvalSymlinks(dir)
		if got != want {
			t.Fatalf("latest -> %s, want %s", got, want)
		}
	}
	if err := os.WriteFile(filepath.Join(out, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := makeRunDir(filepath.Join(out, "file"), "mixed", now); err == nil {
		t.Fatal("out is a file: no error")
	}
}
