package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"

	"github.com/warmcheck/warmcheck/sched"
	"github.com/warmcheck/warmcheck/store"
)

// logBuffer is an hclog output the test can read while the store writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(substr string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), substr)
}

func (b *logBuffer) logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Output: b, Level: hclog.Info})
}

// autoOpts turns auto-compaction on at 30% with 1 KiB reclaimable.
func autoOpts(log hclog.Logger) store.Options {
	return store.Options{Logger: log, AutoCompact: store.AutoCompact{Enabled: true, Threshold: 0.30, MinReclaimable: 1 << 10}}
}

// fill puts n memories of 512 bytes of content each.
func fill(t *testing.T, s *store.Store, n int) map[string]store.Memory {
	return fillFrom(t, s, 0, n)
}

// fillFrom puts memories m<from>..m<from+n-1>, 512 bytes of content each.
func fillFrom(t *testing.T, s *store.Store, from, n int) map[string]store.Memory {
	t.Helper()
	want := map[string]store.Memory{}
	for i := from; i < from+n; i++ {
		id := fmt.Sprintf("m%04d", i)
		m := store.Memory{Confidence: float32(i), Content: taggedContent(id, 512)}
		if _, err := s.Put(id, m); err != nil {
			t.Fatalf("put %s: %v", id, err)
		}
		want[id] = m
	}
	return want
}

// removeRange removes m<from>..m<to-1> from s and from want.
func removeRange(t *testing.T, s *store.Store, want map[string]store.Memory, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		id := fmt.Sprintf("m%04d", i)
		if _, err := s.Remove(id); err != nil {
			t.Fatal(err)
		}
		delete(want, id)
	}
}

// waitFor polls cond until it holds or 10 s pass (a bound on a hang, not a
// timing assumption).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func checkContents(t *testing.T, s *store.Store, want map[string]store.Memory) {
	t.Helper()
	for id, m := range want {
		got, l, err := s.Get(id)
		if err != nil || l != store.Found || !bytes.Equal(got.Content, m.Content) {
			t.Fatalf("get %s after compaction: %v %v, content equal %v", id, l, err, bytes.Equal(got.Content, m.Content))
		}
	}
}

func TestAutoCompactStartsWhenFragmentationCrossesThreshold(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var logs logBuffer
	s := openStore(t, t.TempDir(), autoOpts(logs.logger()))
	want := fill(t, s, 100)
	// 20 removes: 20% garbage, under the threshold.
	removeRange(t, s, want, 0, 20)
	if m := s.Metrics(); m.AutoCompactions != 0 {
		t.Fatalf("auto-compaction started at %.2f fragmentation, under the 0.30 threshold", m.Fragmentation)
	}
	// Overwrites add garbage too: 20 more pass 30%.
	for i := 20; i < 40; i++ {
		id := fmt.Sprintf("m%04d", i)
		m := store.Memory{Content: taggedContent(id+"'", 300)}
		if _, err := s.Put(id, m); err != nil {
			t.Fatal(err)
		}
		want[id] = m
	}
	waitFor(t, "a background compaction", func() bool { return s.Metrics().Compactions >= 1 })
	m := s.Metrics()
	if m.AutoCompactions < 1 || m.AutoCompactionFailures != 0 || m.CompactionSeconds.Count < 1 {
		t.Fatalf("metrics after auto-compaction: started %d failed %d timed %d", m.AutoCompactions, m.AutoCompactionFailures, m.CompactionSeconds.Count)
	}
	if m.Fragmentation >= 0.30 {
		t.Fatalf("fragmentation %.2f after the background compaction", m.Fragmentation)
	}
	checkContents(t, s, want)
	if n := logs.count("fragmentation crossed the threshold"); n != 1 {
		t.Fatalf("%d fragmentation warnings for one crossing, want 1", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAutoCompactOffStillWarnsOncePerCrossing(t *testing.T) {
	var logs logBuffer
	opts := autoOpts(logs.logger())
	opts.AutoCompact.Enabled = false
	s := openStore(t, t.TempDir(), opts)
	for round := 1; round <= 2; round++ {
		// 100 fresh memories, then half of them removed: 50% or more garbage.
		from := (round - 1) * 100
		removeRange(t, s, fillFrom(t, s, from, 100), from, from+50)
		if n := logs.count("fragmentation crossed the threshold"); n != round {
			t.Fatalf("round %d: %d warnings, want %d (one per crossing, not one per remove)", round, n, round)
		}
		if m := s.Metrics(); m.Compactions != uint64(round-1) || m.AutoCompactions != 0 {
			t.Fatalf("auto-compaction is off, yet %d compactions ran", m.Compactions)
		}
		// A compaction brings fragmentation down and re-arms the warning.
		if _, err := s.Compact(); err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if m := s.Metrics(); m.FragmentationAlerts != 2 {
		t.Fatalf("FragmentationAlerts %d, want 2", m.FragmentationAlerts)
	}
}

func TestAutoCompactFailureIsLoggedAndCounted(t *testing.T) {
	for _, a := range []store.ActionKind{store.ActionError, store.ActionPanic} {
		t.Run(a.String(), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			var logs logBuffer
			opts := autoOpts(logs.logger())
			opts.Failpoints = store.NewFailpoints()
			if err := opts.Failpoints.Arm(store.FailCompactMid, store.Action{Kind: a, Times: 1}); err != nil {
				t.Fatal(err)
			}
			s := openStore(t, t.TempDir(), opts)
			want := fill(t, s, 100)
			removeRange(t, s, want, 0, 50)
			waitFor(t, "the failed background compaction", func() bool { return s.Metrics().AutoCompactionFailures == 1 })
			if n := logs.count("background compaction failed"); n != 1 {
				t.Fatalf("%d log lines for one failed background compaction", n)
			}
			if m := s.Metrics(); m.CompactionFailures < 1 {
				t.Fatalf("CompactionFailures %d after a failed compaction", m.CompactionFailures)
			}
			checkContents(t, s, want)
			// None starts again at once (backoff); a later check starts one,
			// which succeeds. Each poll overwrites m0099: a fragmentation check.
			if m := s.Metrics(); m.AutoCompactions != 1 {
				t.Fatalf("%d background compactions started right after a failure, want 1", m.AutoCompactions)
			}
			waitFor(t, "a successful background compaction", func() bool {
				m := store.Memory{Content: taggedContent("m0099'", 512)}
				if _, err := s.Put("m0099", m); err != nil {
					t.Fatal(err)
				}
				want["m0099"] = m
				return s.Metrics().Compactions >= 1
			})
			checkContents(t, s, want)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAutoCompactOneAtATimeAndCloseWaits(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fps := store.NewFailpoints()
	opts := autoOpts(nil)
	opts.Failpoints = fps
	if err := fps.Arm(store.FailCompactMid, store.Action{Kind: store.ActionPause}); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, t.TempDir(), opts)
	want := fill(t, s, 100)
	removeRange(t, s, want, 0, 50)
	waitFor(t, "the background compaction to pause", func() bool { return fps.Hits()[store.FailCompactMid] == 1 })
	if _, err := s.Compact(); !errors.Is(err, store.ErrCompactionInProgress) {
		t.Fatalf("Compact during a background compaction: %v, want ErrCompactionInProgress", err)
	}
	// More removes while it runs start nothing more; operations go on.
	removeRange(t, s, want, 50, 70)
	if m := s.Metrics(); m.AutoCompactions != 1 {
		t.Fatalf("%d background compactions started while one ran, want 1", m.AutoCompactions)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a compaction was paused mid-way", err)
	case <-time.After(50 * time.Millisecond):
	}
	fps.Disarm(store.FailCompactMid)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if s.Metrics().Compactions != 1 {
		t.Fatal("the paused compaction did not finish before Close returned")
	}
}

func TestAutoCompactOptionsRejected(t *testing.T) {
	sch, err := sched.New(sched.Config{Mode: sched.ModeRandom, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sch.Abandon()
	for name, opts := range map[string]store.Options{
		"scheduler":      {AutoCompact: store.AutoCompact{Enabled: true}, Scheduler: sch},
		"threshold >= 1": {AutoCompact: store.AutoCompact{Enabled: true, Threshold: 1}},
		"threshold < 0":  {AutoCompact: store.AutoCompact{Threshold: -0.1}},
	} {
		if _, err := store.Open(t.TempDir(), opts); !errors.Is(err, store.ErrBadOptions) {
			t.Errorf("%s: Open: %v, want ErrBadOptions", name, err)
		}
	}
}
