package runner

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
)

// automaticCompactions is how many compactions of a run's last crash
// segment no compact operation or fault accounts for: the final snapshot's
// count less the compactions recorded with a result.
func automaticCompactions(t *testing.T, out *Outcome) (hdr history.Header, auto int) {
	t.Helper()
	hdr, events, err := history.ReadFile(filepath.Join(out.Dir, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	recorded, final := 0, 0
	for _, e := range events {
		switch {
		case e.Kind == history.KindOp && e.Op == history.OpCompact && e.Type == history.OK:
			recorded++
		case e.Kind == history.KindNemesis && e.Nemesis.Phase == history.NemesisEnd && e.Nemesis.Compaction != nil:
			recorded++
		case e.Kind == history.KindSnapshot && e.Snapshot.Reason == "final" && e.Snapshot.Stats != nil:
			final = int(e.Snapshot.Stats.Compactions)
		}
	}
	return hdr, final - recorded
}

// TestAutoCompactionWorkloadValid: with the store compacting by itself
// (and compact faults on top), every check judges the correct store valid,
// in process and in a child process, and the header says compactions could
// happen without a compact operation.
func TestAutoCompactionWorkloadValid(t *testing.T) {
	for _, mode := range []string{"inprocess", "process"} {
		t.Run(mode, func(t *testing.T) {
			out := mustRun(t, Config{Workload: "auto-compaction", Seed: 4, SeedSet: true, Ops: 1500, Mode: mode})
			if out.Verdict != checker.Valid {
				t.Fatalf("verdict %s, want valid; failing %v; run %s", out.Verdict, failingChecks(out.Report), out.Dir)
			}
			hdr, auto := automaticCompactions(t, out)
			if hdr.AutoCompact == "" {
				t.Fatal("the history header does not record auto-compaction")
			}
			if auto < 1 {
				t.Fatalf("no automatic compaction in the run (%d beyond the recorded ones)", auto)
			}
			f := out.Fragmentation
			if f == nil || len(f.Samples) < 2 || !f.AutoCompact || f.Threshold != 0.30 {
				t.Fatalf("fragmentation series %+v", f)
			}
			report, err := os.ReadFile(filepath.Join(out.Dir, ReportFile))
			if err != nil || !strings.Contains(string(report), "Fragmentation over time") || !strings.Contains(string(report), "<polyline") {
				t.Fatalf("report.html has no fragmentation plot (%v)", err)
			}
		})
	}
}

// TestAutoCompactionCatchesSwapWindow: compaction-swap-window is caught
// when only automatic compactions run (no compact operation or fault). The
// race needs a read inside a compaction's window: 6 of seeds 1-8 catch it
// under -race, so 5 seeds all missing is about a 1-in-1000 event.
func TestAutoCompactionCatchesSwapWindow(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		out := mustRun(t, Config{Workload: "auto-compaction", Seed: seed, SeedSet: true, Ops: 3000,
			Bug: "compaction-swap-window", Nemeses: []string{"none"}, Schedule: "os"})
		if _, auto := automaticCompactions(t, out); auto < 1 {
			t.Fatalf("seed %d: no automatic compaction", seed)
		}
		if out.Verdict == checker.Invalid {
			t.Logf("seed %d: invalid: %v", seed, failingChecks(out.Report))
			return
		}
		t.Logf("seed %d: %s (race not hit)", seed, out.Verdict)
	}
	t.Fatal("compaction-swap-window not caught in 5 seeds with automatic compactions")
}

func TestAutoCompactionRefusesControlledSchedule(t *testing.T) {
	_, err := Resolve(Config{Workload: "auto-compaction", Seed: 1, SeedSet: true, Schedule: "random"})
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("auto-compaction under a controlled schedule: %v, want ErrConfig", err)
	}
}
