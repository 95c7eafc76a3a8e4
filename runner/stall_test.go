package runner

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// stallingClient is a store that deadlocks: after `after` calls, every call
// blocks. With honourCtx it returns when its context ends (as a remote
// store's client does); without, it blocks until the test ends (as a call
// into a wedged in-process store does).
type stallingClient struct {
	client.Client
	after     int64
	calls     atomic.Int64
	honourCtx bool
	release   chan struct{}
}

func (s *stallingClient) gate(ctx context.Context) error {
	if s.calls.Add(1) <= s.after {
		return nil
	}
	if s.honourCtx {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.release:
		}
	} else {
		<-s.release
	}
	return client.ErrConnLost
}

func (s *stallingClient) Put(ctx context.Context, id string, m store.Memory) (store.Placement, error) {
	if err := s.gate(ctx); err != nil {
		return store.Placement{}, err
	}
	return s.Client.Put(ctx, id, m)
}

func (s *stallingClient) Get(ctx context.Context, id string) (store.Memory, store.Lookup, error) {
	if err := s.gate(ctx); err != nil {
		return store.Memory{}, 0, err
	}
	return s.Client.Get(ctx, id)
}

func (s *stallingClient) Remove(ctx context.Context, id string) (store.Lookup, error) {
	if err := s.gate(ctx); err != nil {
		return 0, err
	}
	return s.Client.Remove(ctx, id)
}

func (s *stallingClient) UpdateActivation(ctx context.Context, id string, v float32) (store.Lookup, error) {
	if err := s.gate(ctx); err != nil {
		return 0, err
	}
	return s.Client.UpdateActivation(ctx, id, v)
}

func (s *stallingClient) Iterate(ctx context.Context) ([]history.Entry, error) {
	if err := s.gate(ctx); err != nil {
		return nil, err
	}
	return s.Client.Iterate(ctx)
}

func (s *stallingClient) Recall(ctx context.Context, threshold float32) ([]history.Entry, error) {
	if err := s.gate(ctx); err != nil {
		return nil, err
	}
	return s.Client.Recall(ctx, threshold)
}

func (s *stallingClient) Compact(ctx context.Context) (store.CompactionStats, error) {
	if err := s.gate(ctx); err != nil {
		return store.CompactionStats{}, err
	}
	return s.Client.Compact(ctx)
}

func (s *stallingClient) Sync(ctx context.Context) error {
	if err := s.gate(ctx); err != nil {
		return err
	}
	return s.Client.Sync(ctx)
}

func (s *stallingClient) Stats(ctx context.Context) (store.Stats, error) {
	if err := s.gate(ctx); err != nil {
		return store.Stats{}, err
	}
	return s.Client.Stats(ctx)
}

func (s *stallingClient) Layout(ctx context.Context) ([]store.LayoutEntry, error) {
	if err := s.gate(ctx); err != nil {
		return nil, err
	}
	return s.Client.Layout(ctx)
}

// runStalling runs the mixed workload with the given faults on a store
// that deadlocks after `after` calls.
func runStalling(t *testing.T, after int64, honourCtx bool, faults ...string) *Outcome {
	t.Helper()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	r, err := Resolve(Config{Workload: "mixed", Seed: 5, SeedSet: true, Ops: 2000, Workers: 4,
		Nemeses: append([]string{"none"}, faults...), Mode: "inprocess", Out: t.TempDir(), OpTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r.StoreCommand = []string{os.Args[0], "serve-store"}
	r.wrapClient = func(c client.Client) client.Client {
		return &stallingClient{Client: c, after: after, honourCtx: honourCtx, release: release}
	}
	out, err := Run(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDeadlockedStoreIsInvalid: a store that stops answering, with no
// fault injected, is a liveness failure that the progress check names,
// whether its calls end at their deadline (info) or never return (left
// pending; the run must still end: a snapshot stuck in the store used to
// hang it).
//
// With compactions injected every few tenths of a second (the nemesis
// reaches the store itself, not through the deadlocked client), the
// windows explain only their own time: the stall is still found.
func TestDeadlockedStoreIsInvalid(t *testing.T) {
	for _, c := range []struct {
		honour bool
		faults []string
	}{{true, nil}, {false, nil}, {true, []string{"compact"}}} {
		honour := c.honour
		out := runStalling(t, 150, honour, c.faults...)
		if out.Stopped == "" {
			t.Fatalf("honour ctx %v: the load was not stopped (the watchdog did not see the stall)", honour)
		}
		if out.Verdict != checker.Invalid {
			t.Fatalf("honour ctx %v: verdict %s, want invalid; stopped %q; checks %+v", honour, out.Verdict, out.Stopped, out.Report.Checks)
		}
		progress, _ := out.Report.Check("progress")
		if av, _ := out.Report.Check("anti-vacuity"); av.Verdict != checker.Unknown || !strings.Contains(av.Summary, "planned operations completed") {
			t.Fatalf("honour ctx %v: anti-vacuity did not compare the stopped run with its plan: %+v", honour, av)
		}
		if progress.Verdict != checker.Invalid || !(strings.Contains(progress.Summary, "got no answer from") || strings.Contains(progress.Summary, "never returned")) {
			t.Fatalf("honour ctx %v: the progress check did not name the stall: %+v", honour, progress)
		}
		t.Logf("honour ctx %v, faults %v: stopped %q; failing %v; progress: %s", honour, c.faults, out.Stopped, failingChecks(out.Report), progress.Summary)
	}
}
