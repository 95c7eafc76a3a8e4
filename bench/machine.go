package bench

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// Machine says where a result was measured, so that compare can refuse to
// draw conclusions across machines silently (it warns).
type Machine struct {
	CPUModel    string `json:"cpu_model"`
	Cores       int    `json:"cores"`
	MemoryBytes uint64 `json:"memory_bytes"`
	GoVersion   string `json:"go_version"`
	OS          string `json:"os"`
	Arch        string `json:"arch"`
	Commit      string `json:"commit"`
	// CommitSource is "buildinfo" (the binary's vcs.revision), "git
	// (working directory, not the binary)" or "unknown".
	CommitSource string `json:"commit_source"`
}

// DescribeMachine gathers Machine; missing facts are left empty, never fatal.
func DescribeMachine() Machine {
	m := Machine{
		Cores:     runtime.NumCPU(),
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
	}
	m.CPUModel = firstField("/proc/cpuinfo", "model name")
	if kb := firstField("/proc/meminfo", "MemTotal"); kb != "" {
		if n, err := strconv.ParseUint(strings.TrimSuffix(kb, " kB"), 10, 64); err == nil {
			m.MemoryBytes = n * 1024
		}
	}
	m.Commit, m.CommitSource = commit()
	return m
}

func firstField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// commit names the code that ran: the binary's own vcs.revision first
// (stamped by go build inside a checkout; "+dirty" when it had uncommitted
// changes), else `git rev-parse HEAD` in the working directory, which is
// only right when the binary was built from that checkout as it is now.
func commit() (string, string) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "+dirty"
			}
			return rev, "buildinfo"
		}
	}
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		if c := strings.TrimSpace(string(out)); c != "" {
			return c, "git (working directory, not the binary)"
		}
	}
	return "", "unknown"
}
