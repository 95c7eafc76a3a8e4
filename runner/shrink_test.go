package runner

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/checker"
)

func TestShrinkFindsASmallerFailingRun(t *testing.T) {
	out := mustRun(t, Config{Bug: "slot-race", Seed: 3, SeedSet: true})
	if out.Verdict != checker.Invalid {
		t.Fatalf("slot-race seed 3: %s", out.Verdict)
	}
	dir := t.TempDir()
	// Bounded by runs, not time, the search takes the same path at any load:
	// 8 halvings of the operations (one run each), then "ops 3 -> 1" passes
	// its 100 schedules before each of workers 20 -> 10 -> 5 -> 2 fails on
	// its first: 311 runs reach 2 workers.
	res, err := Shrink(context.Background(), out.Dir, dir, ShrinkOptions{Schedules: 10, MaxRuns: 320})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s -> %s in %d runs: %v", res.From, res.To, res.Tried, res.Steps)
	if res.Outcome.Verdict != checker.Invalid || res.To.Ops > 60 || res.To.Workers > 4 {
		t.Fatalf("smallest run %s: %s, want invalid with at most 60 ops and 4 workers", res.To, res.Outcome.Verdict)
	}
	// The smallest run is a controlled run like any other: it replays.
	rp, err := Replay(context.Background(), res.Dir, t.TempDir())
	if err != nil || !rp.Same {
		t.Fatalf("replay of the shrunk run: %v %+v", err, rp)
	}
}

func TestShrinkRefusesAValidRun(t *testing.T) {
	out := mustRun(t, Config{Workload: "mixed", Seed: 1, SeedSet: true, Ops: 100, Nemeses: []string{"none"}, Schedule: "random"})
	if out.Verdict != checker.Valid {
		t.Fatalf("correct store: %s", out.Verdict)
	}
	if _, err := Shrink(context.Background(), out.Dir, t.TempDir(), ShrinkOptions{}); !errors.Is(err, ErrRunInput) {
		t.Fatalf("shrink of a valid run: %v", err)
	}
}

// A narrow window is hit by fewer schedules of a small run: with a flat 20
// schedules per candidate, compaction-swap-window (seed 1) stopped at 1 op x
// 5 workers, since 4 workers first fail on schedule 96.
func TestShrinkGivesSmallCandidatesMoreSchedules(t *testing.T) {
	out := mustRun(t, Config{Bug: "compaction-swap-window", Seed: 1, SeedSet: true})
	if out.Verdict != checker.Invalid {
		t.Fatalf("compaction-swap-window seed 1: %s", out.Verdict)
	}
	res, err := Shrink(context.Background(), out.Dir, t.TempDir(), ShrinkOptions{Budget: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s -> %s in %d runs: %v", res.From, res.To, res.Tried, res.Steps)
	if res.Outcome.Verdict != checker.Invalid || res.To.Ops > 60 || res.To.Workers > 4 {
		t.Fatalf("smallest run %s: %s, want invalid with at most 60 ops and 4 workers", res.To, res.Outcome.Verdict)
	}
}

func TestCandidateSchedules(t *testing.T) {
	for _, c := range []struct{ orig, cand, want int }{
		{24000, 24000, 20}, {24000, 12000, 40}, {24000, 4, 200}, {4, 24000, 20}, {24000, 0, 200},
	} {
		if got := candidateSchedules(20, c.orig, c.cand); got != c.want {
			t.Errorf("candidateSchedules(20, %d, %d) = %d, want %d", c.orig, c.cand, got, c.want)
		}
	}
}

func TestShrinkBudgetCountsRuns(t *testing.T) {
	b := newShrinkBudget(ShrinkOptions{MaxRuns: 30})
	if !b.deadline.IsZero() {
		t.Fatalf("a shrink bounded by runs has a deadline: %v", b.deadline)
	}
	ctx := context.Background()
	if b.spent(ctx, 29) || !b.spent(ctx, 30) || b.runsLeft(25, 20) != 5 || b.runsLeft(0, 20) != 20 {
		t.Fatalf("runs budget of 30: spent(29)=%v spent(30)=%v runsLeft(25,20)=%d", b.spent(ctx, 29), b.spent(ctx, 30), b.runsLeft(25, 20))
	}
	if timed := newShrinkBudget(ShrinkOptions{Budget: time.Hour}); timed.spent(ctx, 1<<30) || timed.runsLeft(1<<30, 20) != 20 {
		t.Fatal("a shrink bounded by time alone counts runs")
	}
}
