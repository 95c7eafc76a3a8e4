package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/workload"
)

// corpusEntry is one entry of histories/manifest.json (format owned by the
// corpus: file, verdict, the check that decides it, source, why).
type corpusEntry struct {
	File    string `json:"file"`
	Verdict string `json:"verdict"`
	Check   string `json:"check,omitempty"`
	Source  string `json:"source"`
	Why     string `json:"why"`
}

// corpusOps keeps recorded histories small enough to commit.
var corpusOps = map[string]int{"concurrent-get": 2000, "concurrent-store": 400, "writer-writer": 400, "iterate-under-load": 250}

const corpusDefaultOps = 600

// Corpus limits: a recorded history is kept only if it is at most
// corpusMaxBytes (the corpus lives in git); seeds 1..corpusSeeds are tried.
const (
	corpusMaxBytes = 400 << 10
	corpusSeeds    = 10
	corpusBugOps   = 400
)

// TestRecordCorpus records real runs into ../histories: one valid history
// per workload under its default faults, and one invalid history per
// seeded bug that its recipe catches, and appends them to manifest.json
// (entries of other files are kept as they are). It runs only with
// WARMCHECK_RECORD_CORPUS=1. A run is kept only if re-judging the saved
// file gives the same verdict (and, for a bug, an expected check fails).
func TestRecordCorpus(t *testing.T) {
	if os.Getenv("WARMCHECK_RECORD_CORPUS") != "1" {
		t.Skip("set WARMCHECK_RECORD_CORPUS=1 to record histories into ../histories")
	}
	dir := filepath.Join("..", "histories")
	mpath := filepath.Join(dir, "manifest.json")
	var m struct {
		About     string        `json:"about"`
		Histories []corpusEntry `json:"histories"`
	}
	b, err := os.ReadFile(mpath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", mpath, err)
	}
	// WARMCHECK_RECORD_ONLY=name,... records only those workloads and bugs.
	only := map[string]bool{}
	for _, n := range strings.Split(os.Getenv("WARMCHECK_RECORD_ONLY"), ",") {
		if n != "" {
			only[n] = true
		}
	}
	wanted := func(name string) bool { return len(only) == 0 || only[name] }
	var added []corpusEntry
	keep := func(out *Outcome, file string, e corpusEntry) {
		if err := copyFile(filepath.Join(out.Dir, HistoryFile), filepath.Join(dir, file)); err != nil {
			t.Fatal(err)
		}
		e.File = file
		added = append(added, e)
		t.Logf("recorded %s: %s", file, e.Why)
	}
	for _, w := range workload.All() {
		if !wanted(w.Name) {
			continue
		}
		ops := corpusDefaultOps
		if n, ok := corpusOps[w.Name]; ok {
			ops = n
		}
		for seed := int64(1); seed <= corpusSeeds; seed++ {
			out := mustRun(t, Config{Workload: w.Name, Seed: seed, SeedSet: true, Ops: ops})
			if out.Verdict != checker.Valid || !rejudged(t, out, checker.Valid, "") || tooBig(t, out) {
				t.Logf("%s seed %d: %s, not kept", w.Name, seed, out.Verdict)
				continue
			}
			faults := "no fault"
			if len(out.Report.Faults) > 0 {
				faults = strings.Join(out.Report.Faults, ", ")
			}
			keep(out, fmt.Sprintf("run-%s-seed%d.wch", w.Name, seed), corpusEntry{Verdict: "valid",
				Source: "recorded: " + out.Rerun,
				Why:    fmt.Sprintf("real %s run (%s mode, %s): every check passes", w.Name, out.Report.Mode, faults)})
			break
		}
	}
	for _, rec := range Recipes() {
		if !wanted(string(rec.Bug)) {
			continue
		}
		for seed := int64(1); seed <= corpusSeeds; seed++ {
			out := mustRun(t, Config{Bug: string(rec.Bug), Seed: seed, SeedSet: true, Ops: corpusBugOps})
			failing := failingChecks(out.Report)
			i := slices.IndexFunc(rec.Expect, func(c string) bool { return slices.Contains(failing, c) })
			if out.Verdict != checker.Invalid || i < 0 || !rejudged(t, out, checker.Invalid, rec.Expect[i]) || tooBig(t, out) {
				t.Logf("%s seed %d: %s (failing %v), not kept", rec.Bug, seed, out.Verdict, failing)
				continue
			}
			keep(out, fmt.Sprintf("bug-%s-seed%d.wch", rec.Bug, seed), corpusEntry{Verdict: "invalid", Check: rec.Expect[i],
				Source: "recorded: " + out.Rerun,
				Why:    fmt.Sprintf("seeded bug %s (%s); failing checks: %s", rec.Bug, rec.Why, strings.Join(failing, ", "))})
			break
		}
	}
	names := map[string]bool{}
	for _, e := range added {
		names[e.File] = true
	}
	kept := m.Histories[:0]
	for _, e := range m.Histories {
		if !names[e.File] {
			kept = append(kept, e)
		}
	}
	m.Histories = append(kept, added...)
	sort.SliceStable(m.Histories, func(i, j int) bool { return m.Histories[i].File < m.Histories[j].File })
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mpath, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rejudged re-reads the saved history and checks it again, as analyze
// would: a corpus entry must be reproducible from the file alone.
func rejudged(t *testing.T, out *Outcome, want checker.Verdict, check string) bool {
	t.Helper()
	in, err := readInput(filepath.Join(out.Dir, HistoryFile), "")
	if err != nil {
		t.Fatal(err)
	}
	rep := checker.Run(t.Context(), in, checker.Options{})
	if rep.Verdict != want {
		return false
	}
	if check == "" {
		return true
	}
	r, ok := rep.Check(check)
	return ok && r.Verdict == want
}

// tooBig reports whether the run's history exceeds corpusMaxBytes.
func tooBig(t *testing.T, out *Outcome) bool {
	st, err := os.Stat(filepath.Join(out.Dir, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > corpusMaxBytes {
		t.Logf("%s: %d bytes, over %d", out.Dir, st.Size(), corpusMaxBytes)
		return true
	}
	return false
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
