package warmtest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/warmtest"
)

func run(t *testing.T, s warmtest.Store, cfg warmtest.Config) *warmtest.Result {
	t.Helper()
	res, err := warmtest.Run(context.Background(), s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func wantChecks(t *testing.T, res *warmtest.Result, want map[string]checker.Verdict) {
	t.Helper()
	for _, c := range res.Report().Checks {
		if v, ok := want[c.Name]; ok && c.Verdict != v {
			t.Errorf("%s: %s (%s), want %s", c.Name, c.Verdict, c.Summary, v)
		}
	}
}

// The correct map store passes; what it does not report is not evaluated.
func TestCorrectStoreIsValid(t *testing.T) {
	res := run(t, newMapStore(), warmtest.Config{Workload: "mixed", Seed: 1, Ops: 2000})
	if res.Verdict != checker.Valid {
		t.Fatal(res.Summary())
	}
	wantChecks(t, res, map[string]checker.Verdict{
		"linearizable": checker.Valid, "iteration": checker.Valid, "fields": checker.Valid,
		"offset-overlap": checker.NotEvaluated, "offset-monotonic": checker.NotEvaluated,
		"unique-slots": checker.NotEvaluated, "content-length": checker.NotEvaluated,
	})
	if h := res.Report().Header; h.Target == nil || h.Target.Kind != "go" {
		t.Errorf("header target %+v, want a go store", h.Target)
	}
}

// The lost update is caught in every seed: 50 workers on 10 ids put into
// UpdateActivation's lock-free window many times per run (20 of 20 seeds
// caught when measured, 8 of 10 ids each).
func TestLostUpdateIsCaught(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		res := run(t, lostUpdateStore{newMapStore()}, warmtest.Config{Workload: "hot-spot", Seed: seed})
		if res.Verdict != checker.Invalid {
			t.Fatalf("seed %d: %s, want invalid\n%s", seed, res.Verdict, res.Summary())
		}
		wantChecks(t, res, map[string]checker.Verdict{"linearizable": checker.Invalid})
	}
}

// A read cache that a put does not invalidate is caught without any
// concurrency: a get after an overwrite returns the older value.
func TestStaleReadIsCaught(t *testing.T) {
	res := run(t, newStaleReadStore(), warmtest.Config{Workload: "mixed", Seed: 1, Ops: 2000})
	if res.Verdict != checker.Invalid {
		t.Fatalf("%s, want invalid\n%s", res.Verdict, res.Summary())
	}
	wantChecks(t, res, map[string]checker.Verdict{"linearizable": checker.Invalid})
}

// A store with the Placer capability has its placements judged: fresh slots
// and appended content pass, two puts at once given one slot do not.
func TestPlacementsAreJudged(t *testing.T) {
	res := run(t, &placingStore{mapStore: newMapStore()}, warmtest.Config{Workload: "writer-writer", Seed: 1})
	if res.Verdict != checker.Valid {
		t.Fatal(res.Summary())
	}
	wantChecks(t, res, map[string]checker.Verdict{
		"offset-overlap": checker.Valid, "offset-monotonic": checker.Valid, "unique-slots": checker.Valid,
		"content-length": checker.NotEvaluated, // needs the layout too
	})

	res = run(t, &placingStore{mapStore: newMapStore(), racySlot: true}, warmtest.Config{Workload: "writer-writer", Seed: 1})
	if res.Verdict != checker.Invalid {
		t.Fatalf("racy slots: %s, want invalid\n%s", res.Verdict, res.Summary())
	}
	wantChecks(t, res, map[string]checker.Verdict{"unique-slots": checker.Invalid})
}

// ErrRejected is a failed operation, one that did not happen: a store that
// rejects puts is valid, one that applies the puts it rejects is not.
func TestRejectedIsAFailure(t *testing.T) {
	cfg := warmtest.Config{Workload: "mixed", Seed: 1, Ops: 2000}
	res := run(t, rejectingStore{mapStore: newMapStore()}, cfg)
	if res.Verdict != checker.Valid {
		t.Fatal(res.Summary())
	}
	if n := res.Report().Operations["put"]["fail"]; n == 0 {
		t.Fatalf("no failed put recorded: %v", res.Report().Operations["put"])
	}
	res = run(t, rejectingStore{mapStore: newMapStore(), applyRejected: true}, cfg)
	if res.Verdict != checker.Invalid {
		t.Fatalf("a rejection that applied the put: %s, want invalid\n%s", res.Verdict, res.Summary())
	}
}

// What a Go store cannot do is refused before anything runs, with the reason.
func TestRunRefuses(t *testing.T) {
	cases := []struct {
		name  string
		store func() warmtest.Store
		cfg   warmtest.Config
		err   error
		says  string
	}{
		{"failpoint fault", func() warmtest.Store { return newMapStore() }, warmtest.Config{Nemeses: []string{"panic"}}, warmtest.ErrConfig, "takes only: compact"},
		{"child-process workload", func() warmtest.Store { return newMapStore() }, warmtest.Config{Workload: "crash-recovery"}, warmtest.ErrConfig, "child process"},
		{"unknown workload", func() warmtest.Store { return newMapStore() }, warmtest.Config{Workload: "nope"}, warmtest.ErrConfig, "nope"},
		{"store not empty", func() warmtest.Store {
			s := newMapStore()
			_ = s.Put(context.Background(), "left-over", warmtest.Memory{})
			return s
		}, warmtest.Config{}, warmtest.ErrNotEmpty, "left-over"},
	}
	for _, c := range cases {
		_, err := warmtest.Run(context.Background(), c.store(), c.cfg)
		if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want %v saying %q", c.name, err, c.err, c.says)
		}
	}
}

// fatalTB records Check's failure instead of ending the test.
type fatalTB struct {
	testing.TB
	ctx    context.Context
	failed string
}

func (f *fatalTB) Helper()                           {}
func (f *fatalTB) Context() context.Context          { return f.ctx }
func (f *fatalTB) Fatal(args ...any)                 { f.failed = fmt.Sprint(args...) }
func (f *fatalTB) Fatalf(format string, args ...any) { f.failed = fmt.Sprintf(format, args...) }

// Check passes a valid run and fails an invalid one with its counterexample
// and the run directory.
func TestCheck(t *testing.T) {
	tb := &fatalTB{ctx: t.Context()}
	warmtest.Check(tb, newMapStore(), warmtest.Config{Workload: "mixed", Seed: 1, Ops: 1000})
	if tb.failed != "" {
		t.Fatalf("correct store failed: %s", tb.failed)
	}
	dir := t.TempDir()
	warmtest.Check(tb, newStaleReadStore(), warmtest.Config{Workload: "mixed", Seed: 1, Ops: 2000, Dir: dir})
	for _, want := range []string{"verdict invalid", "linearizable: invalid", "Operations involved", "run directory: " + dir, "rerun: warmtest.Run("} {
		if !strings.Contains(tb.failed, want) {
			t.Errorf("failure message lacks %q:\n%s", want, tb.failed)
		}
	}
}

// A store that panics or hangs (ignoring its context) in some calls ends
// them with unknown outcomes; the run finishes and nothing is invalid.
func TestPanicsAndHangsAreUnknownOutcomes(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	s := &flakyStore{mapStore: newMapStore(), release: release}
	res := run(t, s, warmtest.Config{Workload: "mixed", Seed: 1, Ops: 1000, OpTimeout: 200 * time.Millisecond})
	if res.Verdict == checker.Invalid {
		t.Fatalf("a store that only panics and hangs was found invalid:\n%s", res.Summary())
	}
	if n := res.Report().Operations["get"]["info"]; s.panics.Load() == 0 || s.hangs.Load() == 0 || n < int(s.panics.Load()+s.hangs.Load()) {
		t.Fatalf("%d panics and %d hangs, %d gets ended info, want both kinds, each one info", s.panics.Load(), s.hangs.Load(), n)
	}
	t.Logf("verdict %s (%s); gets %v", res.Verdict, res.Report().Reason, res.Report().Operations["get"])
}
