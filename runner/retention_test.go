package runner

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
)

// retain keeps the newest Keep run directories of the workload and nothing
// else is touched; a valid run loses its store files unless KeepStore, an
// invalid one keeps them; both latest links point at the run.
func TestRetainPrunesOldRunsAndValidStores(t *testing.T) {
	out := t.TempDir()
	parent := filepath.Join(out, "w")
	names := []string{"20260101T000000.000Z", "20260101T000000.000Z-1", "20260102T000000.000Z", "20260103T000000.000Z", "20260104T000000.000Z"}
	for _, n := range append(slices.Clone(names), "notes") {
		if err := os.MkdirAll(filepath.Join(parent, n, StoreDir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	current := filepath.Join(parent, names[len(names)-1])
	r := &Resolved{Config: Config{Out: out, Keep: 3}}
	if p := retain(r, &Outcome{Dir: current, Verdict: checker.Valid}); len(p) > 0 {
		t.Fatal(p)
	}
	entries, _ := os.ReadDir(parent)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{names[2], names[3], names[4], LatestLink, "notes"}
	if !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
	if _, err := os.Stat(filepath.Join(current, StoreDir)); !os.IsNotExist(err) {
		t.Errorf("the valid run's store files are still there: %v", err)
	}
	wantLink, _ := filepath.EvalSymlinks(current)
	for _, link := range []string{filepath.Join(out, LatestLink), filepath.Join(parent, LatestLink)} {
		if got, err := filepath.EvalSymlinks(link); err != nil || got != wantLink {
			t.Errorf("%s -> %s (%v), want %s", link, got, err, wantLink)
		}
	}

	invalid := filepath.Join(parent, names[3])
	r.KeepStore = false
	retain(r, &Outcome{Dir: invalid, Verdict: checker.Invalid})
	if _, err := os.Stat(filepath.Join(invalid, StoreDir)); err != nil {
		t.Errorf("an invalid run lost its store files: %v", err)
	}
	kept := filepath.Join(parent, names[2])
	r.KeepStore, r.Keep = true, -1
	retain(r, &Outcome{Dir: kept, Verdict: checker.Valid})
	if _, err := os.Stat(filepath.Join(kept, StoreDir)); err != nil {
		t.Errorf("--keep-store: the store files went: %v", err)
	}
}

// The header's --ops and what the history holds agree: every operation in
// it is a preload put, a planned one or an extra one drawn until every
// fault fired (DescribeLoad names all three).
func TestOpsCountedAsDescribed(t *testing.T) {
	r, err := Resolve(Config{Workload: "mixed", Ops: 10, Seed: 3, SeedSet: true, Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	invoked := out.Report.Operations["all"]["invoke"]
	want := r.Plan.Params.Preload + r.Plan.Params.Ops + int(out.ExtraOps)
	if invoked != want {
		t.Errorf("history holds %d operations, want %d preload + %d planned + %d extra = %d (%s)",
			invoked, r.Plan.Params.Preload, r.Plan.Params.Ops, out.ExtraOps, want, r.DescribeLoad())
	}
}
