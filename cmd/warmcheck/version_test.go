package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20261202104455-458e37a3b2c1+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "458e37a3b2c1d4e5f60718293a4b5c6d7e8f9012"},
			{Key: "vcs.time", Value: "2026-12-02T10:44:55Z"}, {Key: "vcs.modified", Value: "true"}}}
	want := "v0.0.0-20261202104455-458e37a3b2c1+dirty (git 458e37a3b2c1, 2026-12-02T10:44:55Z, modified; go1.26.0)"
	if got := formatVersion(bi); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	bare := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}
	if got := formatVersion(bare); !strings.Contains(got, "(devel)") || !strings.Contains(got, "no VCS information") {
		t.Errorf("without VCS settings: %q", got)
	}
	if code, stdout, _ := captureErr(t, "--version"); code != exitValid || !strings.Contains(stdout, "go1.") {
		t.Errorf("--version: exit %d: %q", code, stdout)
	}
}
