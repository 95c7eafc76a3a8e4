package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/sched"
)

func readHistory(t *testing.T, dir string) (history.Header, []history.Event) {
	t.Helper()
	hdr, events, err := history.ReadFile(filepath.Join(dir, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	return hdr, events
}

func TestControlledRunReproducesItsHistory(t *testing.T) {
	for _, mode := range []string{"pct", "random"} {
		c := Config{Workload: "mixed", Seed: 5, SeedSet: true, Ops: 300, Workers: 5,
			Nemeses: []string{"compact", "panic"}, Schedule: mode, Mode: "inprocess"}
		a := mustRun(t, c)
		b := mustRun(t, c)
		ha, ea := readHistory(t, a.Dir)
		hb, eb := readHistory(t, b.Dir)
		if ha.Schedule == nil || ha.Schedule.Mode != mode || ha.Schedule.Seed != 5 {
			t.Fatalf("%s: header schedule %+v", mode, ha.Schedule)
		}
		ca, cb := Comparable(ha, ea), Comparable(hb, eb)
		if len(ca) != len(cb) {
			t.Fatalf("%s: %d vs %d events", mode, len(ca), len(cb))
		}
		for i := range ca {
			if !reflect.DeepEqual(ca[i], cb[i]) {
				if oa, ob := ca[i].Output, cb[i].Output; oa != nil && ob != nil {
					t.Logf("entries %d vs %d", len(oa.Entries), len(ob.Entries))
					for k := range min(len(oa.Entries), len(ob.Entries)) {
						if !reflect.DeepEqual(oa.Entries[k], ob.Entries[k]) {
							t.Logf("entry %d: %+v\n%+v", k, oa.Entries[k], ob.Entries[k])
						}
					}
				}
				t.Fatalf("%s: event %d differs:\n%+v\n%+v", mode, i, ca[i], cb[i])
			}
		}
		if a.Verdict != b.Verdict || a.Schedule.Steps != b.Schedule.Steps {
			t.Fatalf("%s: verdict %s, steps %d vs %d; problems %v; checks %+v", mode, a.Verdict, a.Schedule.Steps, b.Schedule.Steps, a.Problems, a.Report.Checks)
		}
		faults := 0
		for _, e := range ea {
			if e.Kind == history.KindNemesis && e.Nemesis.Phase == history.NemesisStart {
				faults++
			}
		}
		if faults == 0 {
			t.Fatalf("%s: no fault fired in the controlled run", mode)
		}
	}
}

func TestControlledRunReportsADeadlock(t *testing.T) {
	// A context that can be cancelled, as the CLI's: calls must still run
	// on their tasks' goroutines, or the stuck run cannot be abandoned
	// (it hung here when they did not).
	r, err := Resolve(Config{Bug: "panic-holds-lock", Seed: 2, SeedSet: true, Ops: 2000, Schedule: "pct", Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := RunSchedules(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != checker.Invalid {
		t.Fatalf("verdict %s, want invalid; checks %+v", out.Verdict, out.Report.Checks)
	}
	if slices.Contains(out.Problems, abandonedTasks) {
		t.Fatalf("the stuck tasks were not abandoned cleanly: %v", out.Problems)
	}
	if out.Schedule == nil || out.Schedule.Deadlock == nil {
		t.Fatalf("no deadlock reported: %+v", out.Schedule)
	}
	msg := out.Schedule.Deadlock.String()
	if !strings.Contains(msg, "waits for shard") || !strings.Contains(msg, "failpoint") {
		t.Fatalf("deadlock report lacks the lock or the failpoint:\n%s", msg)
	}
	_, events := readHistory(t, out.Dir)
	found := false
	for _, e := range events {
		if e.Kind == history.KindNemesis && e.Nemesis.Fault == "deadlock" && strings.Contains(e.Nemesis.Detail, "waits for shard") {
			found = true
		}
	}
	if !found {
		t.Fatal("the history does not record the deadlock")
	}
	if il := out.Schedule.Interleaving; il == nil || len(il.Rows) == 0 || !strings.Contains(il.Focus, "blocked") {
		t.Fatalf("stuck run without the interleaving of its last steps: %+v", il)
	}
	html, err := os.ReadFile(filepath.Join(out.Dir, ReportFile))
	if err != nil || !strings.Contains(string(html), "<h2>Deadlock</h2>") || !strings.Contains(string(html), "failpoint before-index-publish") {
		t.Fatalf("report.html does not show the deadlock (%v)", err)
	}
}

// A run that deadlocks while a panic is armed at sync-mid: the fault
// schedule is abandoned mid-fault, and closing the store must not fire it
// (the process died of the panic in Close before the failpoints were
// disarmed; found by shrinking a panic-holds-lock run).
func TestStuckRunDisarmsItsFaults(t *testing.T) {
	out := mustRun(t, Config{Workload: "panic-recovery", Seed: 1, SeedSet: true, Mode: "inprocess", Workers: 10, Ops: 46,
		Nemeses: []string{"panic"}, Bug: "panic-holds-lock", Schedule: "random"})
	if out.Schedule == nil || out.Schedule.Stuck == "" || out.Verdict != checker.Invalid {
		t.Fatalf("want a stuck, invalid run: %+v %s", out.Schedule, out.Verdict)
	}
}

// A run whose workers all finish while a lock leaked by panic-holds-lock is
// still held ends normally; its final snapshot then waits for that lock.
// After the run, calls are bounded again (the snapshot times out, Close is
// abandoned): the run hung forever when calls stayed on the caller's
// goroutine after the scheduler's run (found by shrinking).
func TestRunEndingWithALeakedLockFinishes(t *testing.T) {
	done := make(chan *Outcome, 1)
	go func() {
		done <- mustRun(t, Config{Workload: "panic-recovery", Seed: 1, SeedSet: true, Mode: "inprocess", Workers: 5, Ops: 1,
			Nemeses: []string{"panic"}, Bug: "panic-holds-lock", Schedule: "random"})
	}()
	select {
	case out := <-done:
		if out.Schedule == nil || out.Schedule.Stuck != "" {
			t.Fatalf("want a run that ended normally: %+v", out.Schedule)
		}
	case <-time.After(2 * time.Minute): // it takes about two close timeouts (6 s)
		t.Fatal("the run did not finish: its final snapshot waits for the leaked lock without a timeout")
	}
}

// An invalid controlled run shows the interleaving around the witness of
// the violation: the rows of the witness calls are marked, and the table
// is in report.html and schedule.json.
func TestInterleavingAroundTheViolation(t *testing.T) {
	out := mustRun(t, Config{Workload: "writer-writer", Seed: 3, SeedSet: true, Mode: "inprocess", Workers: 2, Ops: 3,
		Nemeses: []string{"none"}, Bug: "slot-race", Schedule: "random"})
	if out.Verdict != checker.Invalid {
		t.Fatalf("verdict %s", out.Verdict)
	}
	il := out.Schedule.Interleaving
	if il == nil {
		t.Fatal("no interleaving for an invalid controlled run")
	}
	marked := 0
	for _, r := range il.Rows {
		if r.Witness {
			marked++
			if !strings.HasPrefix(r.Where, "call ") && !strings.HasPrefix(r.Where, "end ") {
				t.Errorf("witness mark on %q, want a call's start or end", r.Where)
			}
		}
	}
	if marked < 2 || !slices.Contains(il.Tasks, "worker-0") || !strings.Contains(il.Text(), "failpoint") {
		t.Fatalf("table %+v (%d marked)", il, marked)
	}
	for _, f := range []string{ReportFile, ScheduleFile} {
		b, err := os.ReadFile(filepath.Join(out.Dir, f))
		if err != nil || !strings.Contains(string(b), "interleaving") && !strings.Contains(string(b), "Interleaving") {
			t.Fatalf("%s lacks the interleaving (%v)", f, err)
		}
	}
}

func TestCorrectStoreValidUnderPCT(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		out := mustRun(t, Config{Workload: "mixed", Seed: seed, SeedSet: true, Ops: 400, Schedule: "pct"})
		if out.Verdict != checker.Valid {
			t.Fatalf("seed %d: verdict %s; checks %+v", seed, out.Verdict, out.Report.Checks)
		}
	}
}

func TestScheduleFlagsRefused(t *testing.T) {
	for _, c := range []Config{
		{Workload: "mixed", Schedule: "loom"},
		{Workload: "mixed", Schedule: "pct", Mode: "process"},
		{Workload: "mixed", Schedule: "pct", Duration: 1e9},
		{Workload: "mixed", Schedule: "pct", Nemeses: []string{"sleep"}},
		{Workload: "mixed", Schedules: 3},
		{Workload: "mixed", Schedule: "random", PCTDepth: 2},
	} {
		if _, err := Resolve(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want a config error", c, err)
		}
	}
}

func TestRunSchedulesStopsAtFirstInvalid(t *testing.T) {
	r, err := Resolve(Config{Bug: "slot-race", Seed: 1, SeedSet: true, Ops: 600, Schedule: "pct", Schedules: 20, Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := RunSchedules(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != checker.Invalid {
		t.Fatalf("20 schedules of slot-race: last verdict %s", out.Verdict)
	}
	hdr, _ := readHistory(t, out.Dir)
	if hdr.Schedule.Index != out.Schedule.Index || hdr.Schedule.Seed != sched.DeriveSeed(1, out.Schedule.Index) {
		t.Fatalf("header %+v, outcome %+v", hdr.Schedule, out.Schedule)
	}
	if !strings.Contains(out.Rerun, fmt.Sprintf("--schedule-from %d", out.Schedule.Index)) {
		t.Fatalf("rerun %q does not select schedule %d", out.Rerun, out.Schedule.Index)
	}
}
