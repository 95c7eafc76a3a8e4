// Package pystore_test runs the Python reference adapter (server.py) through
// warmcheck: target-check, a valid run, and a run of its seeded race. It
// skips when python3 is missing, and under -short.
package pystore_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/conformance"
	"github.com/warmcheck/warmcheck/runner"
)

func serverCommand(t *testing.T, env string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the Python adapter under warmcheck: skipped with -short")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: the Python reference adapter cannot run here")
	}
	server, err := filepath.Abs("server.py")
	if err != nil {
		t.Fatal(err)
	}
	return env + py + " " + server
}

func TestTargetCheckPasses(t *testing.T) {
	cmd := serverCommand(t, "")
	rep, err := conformance.Run(context.Background(), conformance.Config{Exec: cmd})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Status != conformance.Pass {
			t.Errorf("%s: %s %s", r.Name, r.Status, r.Message)
		}
	}
	if !rep.Conformant() {
		t.Fatal("pystore is not conformant")
	}
}

// run drives writer-writer (20 workers of fresh-id puts, then reads back)
// against the adapter without faults and returns the report.
func run(t *testing.T, cmd string, seed int64) checker.Report {
	t.Helper()
	r, err := runner.Resolve(runner.Config{
		Workload: "writer-writer", Seed: seed, SeedSet: true, Ops: 400,
		Nemeses: []string{"none"}, Target: "exec:" + cmd, Out: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := runner.Run(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return out.Report
}

func verdictOf(rep checker.Report, check string) checker.Verdict {
	for _, c := range rep.Checks {
		if c.Name == check {
			return c.Verdict
		}
	}
	return ""
}

func TestCorrectAdapterIsValid(t *testing.T) {
	rep := run(t, serverCommand(t, ""), 1)
	if rep.Verdict != checker.Valid {
		for _, c := range rep.Checks {
			t.Logf("%s %s %s", c.Name, c.Verdict, c.Summary)
		}
		t.Fatalf("verdict %s, want valid", rep.Verdict)
	}
	if v := verdictOf(rep, "offset-overlap"); v != checker.Valid {
		t.Fatalf("offset-overlap %s, want valid: the adapter declares placements", v)
	}
}

// The race is real, so a run may miss it; measured: caught by 10 of 10
// seeds at 1,000 operations. Three seeds of 400 bound a miss.
func TestOffsetRaceIsCaught(t *testing.T) {
	cmd := serverCommand(t, "env PYSTORE_BUG=offset-race ")
	for seed := int64(1); seed <= 3; seed++ {
		rep := run(t, cmd, seed)
		if rep.Verdict == checker.Invalid {
			if v := verdictOf(rep, "offset-overlap"); v != checker.Invalid {
				t.Fatalf("seed %d: invalid, but offset-overlap is %s: the overlapping ranges should show there", seed, v)
			}
			return
		}
		t.Logf("seed %d: verdict %s, the race did not show", seed, rep.Verdict)
	}
	t.Fatal("3 runs with PYSTORE_BUG=offset-race, none invalid")
}
