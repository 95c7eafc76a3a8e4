package main

import (
	"os"
	"strings"
	"testing"
)

// The built-in server, run by the CLI as an exec target, is conformant
// (exit 0); usage errors exit 3.
func TestTargetCheckCLI(t *testing.T) {
	t.Setenv(serveTestEnv, "1") // the child is this binary acting as warmcheck
	self := "exec:'" + strings.ReplaceAll(os.Args[0], "'", `'\''`) + "' serve-store"
	if code := runApp([]string{"warmcheck", "target-check", "--target", self}); code != 0 {
		t.Fatalf("target-check of the built-in server: exit %d, want 0", code)
	}
	for _, args := range [][]string{
		{"warmcheck", "target-check"},
		{"warmcheck", "target-check", "--target", "builtin"},
		{"warmcheck", "target-check", "--target", self, "--check", "no-such-check"},
	} {
		if code := runApp(args); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args[1:], code, exitUsage)
		}
	}
}
