package runner

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
)

// execSelf is --target exec: running this test binary as `serve-store`.
func execSelf(flags string) string {
	return "exec:" + shellQuote(os.Args[0]) + " serve-store " + flags
}

// The built-in server run as an exec target under kill, pause and power
// loss: valid, and the header and config.json name the target and its
// hello's capabilities.
func TestExecTargetRun(t *testing.T) {
	out := mustRun(t, Config{Target: execSelf("--durable-image"), Workload: "mixed", Seed: 3, SeedSet: true, Ops: 600,
		Nemeses: []string{"kill", "pause", "power-loss"}})
	if out.Verdict != checker.Valid {
		t.Fatalf("verdict %s (failing %v), run %s", out.Verdict, failingChecks(out.Report), out.Dir)
	}
	h, _, err := history.ReadFile(filepath.Join(out.Dir, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	tg := h.Target
	if tg == nil || tg.Kind != history.TargetExec || tg.Name != "warmcheck-builtin" || tg.Protocol != 1 ||
		!slices.Contains(tg.Capabilities, "durable-images") || !h.Reports(history.ReportsPlacements) {
		t.Fatalf("header target %+v", tg)
	}
	var cfg struct{ Target *history.Target }
	b, err := os.ReadFile(filepath.Join(out.Dir, ConfigFile))
	if err != nil || json.Unmarshal(b, &cfg) != nil || cfg.Target == nil || cfg.Target.Command != tg.Command {
		t.Fatalf("config.json target %+v (%v)", cfg.Target, err)
	}
}

// A target that declares no optional capability: the checks that need
// placements or statistics are not evaluated (never invalid on its zero
// placements), the others judge it, and compact is refused.
func TestExecTargetWithoutCapabilities(t *testing.T) {
	out := mustRun(t, Config{Target: execSelf("--declare none"), Workload: "mixed", Seed: 4, SeedSet: true, Ops: 400,
		Nemeses: []string{"kill"}})
	if out.Verdict != checker.Valid {
		t.Fatalf("verdict %s (failing %v), run %s", out.Verdict, failingChecks(out.Report), out.Dir)
	}
	// Exactly the checks that need placements or statistics are set aside
	// for what the target does not report; others may still be not
	// evaluated for their own reasons (e.g. iteration when no iterate
	// completed ok before a kill: that depends on the kill's timing).
	for _, r := range out.Report.Checks {
		needs := slices.Contains([]string{"offset-overlap", "offset-monotonic", "unique-slots", "content-length"}, r.Name)
		_, gated := r.Details["unreported"]
		if needs && r.Verdict != checker.NotEvaluated || needs != gated && r.Name != "durability" {
			t.Errorf("%s: %s (%s)", r.Name, r.Verdict, r.Summary)
		}
	}
}

// Faults the target cannot take are refused before any operation, as a
// configuration error (exit 3), and so are options that only the built-in
// store has.
func TestExecTargetRefusals(t *testing.T) {
	for name, c := range map[string]Config{
		"power-loss without durable images": {Target: execSelf(""), Nemeses: []string{"power-loss"}},
		"compact without compaction":        {Target: execSelf("--declare layout"), Nemeses: []string{"compact"}},
		"seeded bug":                        {Target: execSelf(""), Bug: "slot-race"},
		"in process":                        {Target: execSelf(""), Mode: "inprocess"},
		"bad target":                        {Target: "exec:"},
	} {
		t.Run(name, func(t *testing.T) {
			c.Out, c.Ops, c.Workload = t.TempDir(), 100, "mixed"
			c.StoreEnv = []string{childEnv + "=serve"}
			r, err := Resolve(c)
			if err == nil {
				_, err = RunSchedules(t.Context(), r)
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("err %v, want ErrConfig", err)
			}
			t.Log(err)
		})
	}
}
