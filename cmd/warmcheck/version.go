package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// version is overridden at link time (-ldflags "-X main.version=...");
// otherwise buildVersion reads the build info.
var version = ""

// buildVersion is the module version and the VCS revision, time and
// modified flag the go command stamped into the binary (go build and go
// install stamp them in a git clone unless -buildvcs=false; go run and go
// test do not), e.g.
// "v0.0.0-20261202104455-458e37a3b2c1+dirty (git 458e37a3b2c1, 2026-12-02T10:44:55Z, modified; go1.26.0)".
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information in this binary)"
	}
	return formatVersion(bi)
}

func formatVersion(bi *debug.BuildInfo) string {
	setting := map[string]string{}
	for _, s := range bi.Settings {
		setting[s.Key] = s.Value
	}
	var vcs []string
	if rev := setting["vcs.revision"]; rev != "" {
		vcs = append(vcs, setting["vcs"]+" "+rev[:min(12, len(rev))])
	}
	if t := setting["vcs.time"]; t != "" {
		vcs = append(vcs, t)
	}
	if setting["vcs.modified"] == "true" {
		vcs = append(vcs, "modified")
	}
	if len(vcs) == 0 {
		vcs = append(vcs, "no VCS information: built by go run, go test or -buildvcs=false, or outside a git clone")
	}
	return fmt.Sprintf("%s (%s; %s)", bi.Main.Version, strings.Join(vcs, ", "), bi.GoVersion)
}
