package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/internal/resultschema"
)

// long reports whether the slow sweeps are switched on (WARMCHECK_LONG=1).
func long() bool { return os.Getenv("WARMCHECK_LONG") == "1" }

func mustRun(t *testing.T, c Config) *Outcome {
	t.Helper()
	if c.Out == "" {
		c.Out = t.TempDir()
	}
	c.StoreCommand = []string{os.Args[0], "serve-store"}
	c.StoreEnv = []string{childEnv + "=serve"}
	r, err := Resolve(c)
	if err != nil {
		t.Fatal(err)
	}
	out, err := RunSchedules(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRunWritesAJudgedRunDirectory(t *testing.T) {
	out := mustRun(t, Config{Workload: "mixed", Seed: 3, SeedSet: true, Ops: 400, Workers: 6, Nemeses: []string{"none"}})
	if out.Verdict != checker.Valid {
		t.Fatalf("verdict %s, want valid; checks: %+v", out.Verdict, out.Report.Checks)
	}
	for _, f := range []string{HistoryFile, ResultsFile, ConfigFile, LogFile, ReportFile, MetricsFile} {
		if st, err := os.Stat(filepath.Join(out.Dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	results, _ := os.ReadFile(filepath.Join(out.Dir, ResultsFile))
	if err := resultschema.Validate(results); err != nil {
		t.Fatalf("results.json does not match checker/results.schema.json: %v", err)
	}
	var res checker.Results
	if err := json.Unmarshal(results, &res); err != nil || len(res.Histories) != 1 || res.Histories[0].Report == nil ||
		res.Verdict != out.Verdict || res.Histories[0].Path != "." || res.Histories[0].History != HistoryFile {
		t.Fatalf("results.json: %v\n%s", err, results)
	}
	hdr, events, err := history.ReadFile(filepath.Join(out.Dir, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Seed != 3 || hdr.Workload != "mixed" || hdr.Workers != 6 {
		t.Fatalf("header %+v", hdr)
	}
	if err := history.Validate(events); err != nil {
		t.Fatalf("recorded history is malformed: %v", err)
	}
	var ops, final int
	for _, e := range events {
		if e.Kind == history.KindOp && e.Type == history.Invoke {
			ops++
		}
		if e.Kind == history.KindSnapshot && e.Snapshot.Reason == "final" {
			final++
		}
	}
	// 400 worker operations plus the preload.
	if want := 400 + r0(t, "mixed").Plan.Params.Preload; ops != want {
		t.Fatalf("%d operations recorded, want %d", ops, want)
	}
	if final != 1 {
		t.Fatalf("%d final snapshots, want 1", final)
	}
	var all *OpLatency
	for i := range out.Latency {
		if out.Latency[i].Op == AllOps {
			all = &out.Latency[i]
		}
	}
	if all == nil || all.OK == 0 || all.P99 <= 0 || all.Max < all.P99 {
		t.Fatalf("latency summary %+v", out.Latency)
	}
	if len(out.Findings) == 0 {
		t.Fatal("no review target reported")
	}
}

func r0(t *testing.T, name string) *Resolved {
	r, err := Resolve(Config{Workload: name, Seed: 1, SeedSet: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestProcessModeRun drives a child store process through kills and power
// cuts: the run must come back valid, with restarts recorded.
func TestProcessModeRun(t *testing.T) {
	out := mustRun(t, Config{Workload: "crash-recovery", Seed: 2, SeedSet: true, Ops: 600})
	if out.Verdict != checker.Valid {
		t.Fatalf("verdict %s, want valid; failing %v; problems %v; run %s", out.Verdict, failingChecks(out.Report), out.Problems, out.Dir)
	}
	_, events, err := history.ReadFile(filepath.Join(out.Dir, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	restarts := 0
	for _, e := range events {
		if e.Kind == history.KindNemesis && e.Nemesis.Restart {
			restarts++
		}
	}
	if restarts == 0 {
		t.Fatal("no restart recorded in a kill/power-loss run")
	}
}
