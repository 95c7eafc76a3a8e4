package store_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/warmcheck/warmcheck/store"
)

// The concurrency suite re-creates the review's Task 017 scenarios at small
// scale as plain Go tests (run them with -race), plus the scenarios the
// review missed: reads during compaction and iteration during writes.
// Every scenario is bounded by a timeout so a deadlock fails the test.

// selfValue is a value that describes itself: the content names the id and
// the version, the embedding and CreatedAt are derived from them. A read
// that mixes two writes (torn record, another memory's content, a block
// with stale offsets) fails checkSelf.
func selfValue(id string, ver int, size int) store.Memory {
	tag := fmt.Sprintf("%s|v%d|", id, ver)
	return store.Memory{
		Embedding:  suiteEmbedding(digest64([]byte(tag))),
		Confidence: float32(ver%100) / 100,
		DecayRate:  float32(ver % 7),
		CreatedAt:  int64(ver) + 1,
		Content:    taggedContent(tag, max(size, len(tag))),
	}
}

// checkSelf verifies that m is exactly selfValue(id, v, len(content)) for
// the version v its content names, and returns v.
func checkSelf(id string, m store.Memory) (int, error) {
	parts := strings.SplitN(string(m.Content), "|", 3)
	if len(parts) != 3 || parts[0] != id || !strings.HasPrefix(parts[1], "v") {
		return 0, fmt.Errorf("%s: content %q is not this memory's", id, clip(m.Content))
	}
	ver, err := strconv.Atoi(parts[1][1:])
	if err != nil {
		return 0, fmt.Errorf("%s: content %q has no version", id, clip(m.Content))
	}
	want := selfValue(id, ver, len(m.Content))
	if d := diffMemory(want, m); d != "" {
		return ver, fmt.Errorf("%s: version %d read mixed with another write: %s", id, ver, d)
	}
	return ver, nil
}

// latencies collects per-operation durations for percentile reports.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(ds []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, ds...)
	l.mu.Unlock()
}

func (l *latencies) pct(p float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	return l.d[min(len(l.d)-1, int(p*float64(len(l.d))))]
}

// runWorkers starts n workers behind a barrier (they all begin at once, to
// maximise contention) and waits for them within timeout.
func runWorkers(t *testing.T, n int, timeout time.Duration, work func(w int)) {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			work(w)
		}()
	}
	withTimeout(t, timeout, fmt.Sprintf("%d workers", n), func() {
		close(start)
		wg.Wait()
	})
}

// Task 017 test 1: 10 writers x 100 puts behind a barrier; every memory
// reads back exactly and no two share a slot or content bytes.
func TestConcurrentStoreBarrier(t *testing.T) {
	s := openStore(t, t.TempDir(), store.Options{})
	const writers, per = 10, 100
	var mu sync.Mutex
	want := map[string]store.Memory{}
	runWorkers(t, writers, 30*time.Second, func(w int) {
		for i := 0; i < per; i++ {
			id := fmt.Sprintf("thread-%d-ep-%d", w, i)
			m := store.Memory{
				Embedding: suiteEmbedding(uint64(w*per + i)),
				Content:   []byte(fmt.Sprintf("Content from thread %d episode %d - %s", w, i, strings.Repeat("padding", w))),
			}
			if _, err := s.Put(id, m); err != nil {
				t.Errorf("Put(%s): %v", id, err)
				return
			}
			mu.Lock()
			want[id] = m
			mu.Unlock()
		}
	})
	verifyAll(t, s, want)
}

// verifyAll checks Get, Stats and Layout against want at a quiescent point.
func verifyAll(t *testing.T, s *store.Store, want map[string]store.Memory) {
	t.Helper()
	for id, w := range want {
		got, l, err := s.Get(id)
		if err != nil || l != store.Found {
			t.Fatalf("Get(%s) = %v, %v", id, l, err)
		}
		if d := diffMemory(w, got); d != "" {
			t.Fatalf("Get(%s): %s", id, d)
		}
	}
	if st := s.Stats(); st.Live != uint64(len(want)) {
		t.Fatalf("Stats.Live %d, want %d", st.Live, len(want))
	}
	layout, err := s.Layout()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkLayout(layout, want); err != nil {
		t.Fatal(err)
	}
}

// Task 017 test 2: 20 readers x 10 rounds x 100 gets over 100 memories;
// exact content every time. Latency percentiles are logged (the race
// detector makes them meaningless as assertions; bench_test.go measures).
func TestConcurrentReaders(t *testing.T) {
	s := openStore(t, t.TempDir(), store.Options{})
	const items = 100
	want := map[string]store.Memory{}
	for i := 0; i < items; i++ {
		id := fmt.Sprintf("ep-%d", i)
		m := store.Memory{Embedding: suiteEmbedding(uint64(i)),
			Content: []byte(fmt.Sprintf("Content for episode %d - %s", i, strings.Repeat("x", 10*i)))}
		if _, err := s.Put(id, m); err != nil {
			t.Fatal(err)
		}
		want[id] = m
	}
	var lat latencies
	runWorkers(t, 20, 30*time.Second, func(w int) {
		ds := make([]time.Duration, 0, 10*items)
		for round := 0; round < 10; round++ {
			for i := 0; i < items; i++ {
				id := fmt.Sprintf("ep-%d", (i+w)%items)
				t0 := time.Now()
				got, l, err := s.Get(id)
				ds = append(ds, time.Since(t0))
				if err != nil || l != store.Found {
					t.Errorf("Get(%s) = %v, %v", id, l, err)
					return
				}
				if d := diffMemory(want[id], got); d != "" {
					t.Errorf("torn read of %s: %s", id, d)
					return
				}
			}
		}
		lat.add(ds)
	})
	t.Logf("get latency p50 %v p99 %v p99.9 %v (%d reads)", lat.pct(0.5), lat.pct(0.99), lat.pct(0.999), len(lat.d))
}

// Task 017 test 3: 5 writers x 100 new ids and 10 readers x 50 gets of a
// preloaded set, with small sleeps, under a deadlock timeout.
func TestConcurrentMixed(t *testing.T) {
	s := openStore(t, t.TempDir(), store.Options{})
	const preload = 1000
	for i := 0; i < preload; i++ {
		id := fmt.Sprintf("ep-%d", i)
		if _, err := s.Put(id, selfValue(id, i, 20+i%7*10)); err != nil {
			t.Fatal(err)
		}
	}
	var writes, reads atomic.Int64
	runWorkers(t, 15, 30*time.Second, func(w int) {
		if w < 5 {
			for k := 0; k < 100; k++ {
				id := fmt.Sprintf("new-%d-%d", w, k)
				if _, err := s.Put(id, selfValue(id, k, 100)); err != nil {
					t.Errorf("Put(%s): %v", id, err)
					return
				}
				writes.Add(1)
				time.Sleep(100 * time.Microsecond)
			}
			return
		}
		r := w - 5
		for k := 0; k < 50; k++ {
			id := fmt.Sprintf("ep-%d", (r*50+k)%preload)
			got, l, err := s.Get(id)
			if err != nil || l != store.Found {
				t.Errorf("Get(%s) = %v, %v", id, l, err)
				return
			}
			if _, err := checkSelf(id, got); err != nil {
				t.Error(err)
				return
			}
			reads.Add(1)
			time.Sleep(50 * time.Microsecond)
		}
	})
	if writes.Load() != 500 || reads.Load() != 500 {
		t.Fatalf("writes %d reads %d, want 500 and 500", writes.Load(), reads.Load())
	}
	if st := s.Stats(); st.Live != preload+500 {
		t.Fatalf("Stats.Live %d, want %d", st.Live, preload+500)
	}
}

// Task 017 test 4, hardened: 50 goroutines hammer 10 hot ids; besides the
// original's gets, some replace the value, update activation or Sync, so
// readers race with writers of the same ids. Every read must be one whole
// write of that id.
func TestConcurrentHotSpot(t *testing.T) {
	s := openStore(t, t.TempDir(), store.Options{})
	const hot = 10
	var version atomic.Int64
	for i := 0; i < hot; i++ {
		id := fmt.Sprintf("ep-%d", i)
		if _, err := s.Put(id, selfValue(id, int(version.Add(1)), 5*i)); err != nil {
			t.Fatal(err)
		}
	}
	var lat latencies
	runWorkers(t, 50, 30*time.Second, func(w int) {
		r := rand.New(rand.NewPCG(uint64(w), 9))
		ds := make([]time.Duration, 0, 20)
		for k := 0; k < 20; k++ {
			id := fmt.Sprintf("ep-%d", r.IntN(hot))
			switch p := r.IntN(100); {
			case p < 10:
				if _, err := s.Put(id, selfValue(id, int(version.Add(1)), contentSize(r))); err != nil {
					t.Errorf("Put(%s): %v", id, err)
				}
			case p < 20:
				if l, err := s.UpdateActivation(id, float32(k)); err != nil || l != store.Found {
					t.Errorf("UpdateActivation(%s) = %v, %v", id, l, err)
				}
			case p < 22:
				if err := s.Sync(); err != nil {
					t.Errorf("Sync: %v", err)
				}
			default:
				t0 := time.Now()
				got, l, err := s.Get(id)
				ds = append(ds, time.Since(t0))
				if err != nil || l != store.Found {
					t.Errorf("Get(%s) = %v, %v", id, l, err)
					continue
				}
				got.Activation = 0 // updated concurrently; selfValue has 0
				if _, err := checkSelf(id, got); err != nil {
					t.Error(err)
				}
			}
		}
		lat.add(ds)
	})
	t.Logf("hot-spot get latency p50 %v p99 %v", lat.pct(0.5), lat.pct(0.99))
}

// Task 017 test 5: 20 writers x 50 puts behind a barrier, content sizes
// differing per writer and item; exact content and no overlapping ranges.
func TestConcurrentWriterWriter(t *testing.T) {
	s := openStore(t, t.TempDir(), store.Options{})
	var mu sync.Mutex
	want := map[string]store.Memory{}
	runWorkers(t, 20, 30*time.Second, func(w int) {
		for i := 0; i < 50; i++ {
			id := fmt.Sprintf("w%d-m%d", w, i)
			m := store.Memory{Embedding: suiteEmbedding(uint64(w*50 + i)),
				Content: []byte(fmt.Sprintf("Writer %d content %d - %s", w, i, strings.Repeat("x", (w+i)*3)))}
			if _, err := s.Put(id, m); err != nil {
				t.Errorf("Put(%s): %v", id, err)
				return
			}
			mu.Lock()
			want[id] = m
			mu.Unlock()
		}
	})
	verifyAll(t, s, want)
}

// Task 017 test 6: one of ten workers panics in the middle of its puts
// (an ordinary panic in the caller, recovered by the worker); the store
// serves everybody else and later operations.
func TestConcurrentPanicInWorker(t *testing.T) {
	s := openStore(t, t.TempDir(), store.Options{})
	for i := 0; i < 100; i++ {
		id := fmt.Sprintf("pre-%d", i)
		if _, err := s.Put(id, selfValue(id, i, 50)); err != nil {
			t.Fatal(err)
		}
	}
	var panics atomic.Int64
	runWorkers(t, 10, 30*time.Second, func(w int) {
		defer func() {
			if recover() != nil {
				panics.Add(1)
			}
		}()
		for i := 0; i < 10; i++ {
			if w == 5 && i == 3 {
				panic("worker 5 fails")
			}
			id := fmt.Sprintf("t%d-%d", w, i)
			if _, err := s.Put(id, selfValue(id, i, 50)); err != nil {
				t.Errorf("Put(%s): %v", id, err)
			}
		}
	})
	if panics.Load() != 1 {
		t.Fatalf("%d panics, want 1", panics.Load())
	}
	if st := s.Stats(); st.Live != 100+9*10+3 {
		t.Fatalf("Stats.Live %d, want %d", st.Live, 100+9*10+3)
	}
	withTimeout(t, 5*time.Second, "put/get after a worker panic", func() {
		if _, err := s.Put("after", selfValue("after", 1, 10)); err != nil {
			t.Errorf("Put after panic: %v", err)
		}
		if got, l, err := s.Get("after"); err != nil || l != store.Found {
			t.Errorf("Get after panic: %v %v", l, err)
		} else if _, err := checkSelf("after", got); err != nil {
			t.Error(err)
		}
	})
}

// Writers replace and remove, readers read, and a compactor compacts in a
// loop: no reader may ever see bytes of another memory or of another
// version, before, during or after a compaction.
func TestConcurrentCompactionReaders(t *testing.T) {
	s := openStore(t, t.TempDir(), store.Options{})
	const ids = 64
	var version atomic.Int64
	for i := 0; i < ids; i++ {
		id := fmt.Sprintf("m%d", i)
		if _, err := s.Put(id, selfValue(id, int(version.Add(1)), 200)); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var compactions atomic.Int64
	var reads atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, err := s.Compact()
			if err != nil && !errors.Is(err, store.ErrCompactionInProgress) {
				t.Errorf("Compact: %v", err)
				return
			}
			compactions.Add(1)
		}
	}()
	deadline := time.Now().Add(2 * time.Second)
	runWorkers(t, 8, 30*time.Second, func(w int) {
		r := rand.New(rand.NewPCG(uint64(w), 11))
		for time.Now().Before(deadline) {
			id := fmt.Sprintf("m%d", r.IntN(ids))
			switch p := r.IntN(100); {
			case w < 3 && p < 60:
				if _, err := s.Put(id, selfValue(id, int(version.Add(1)), contentSize(r))); err != nil {
					t.Errorf("Put(%s): %v", id, err)
					return
				}
			case w < 3 && p < 70:
				if _, err := s.Remove(id); err != nil {
					t.Errorf("Remove(%s): %v", id, err)
					return
				}
			default:
				got, l, err := s.Get(id)
				if err != nil {
					t.Errorf("Get(%s) during compaction: %v", id, err)
					return
				}
				reads.Add(1)
				if l == store.Found {
					if _, err := checkSelf(id, got); err != nil {
						t.Errorf("during compaction: %v", err)
						return
					}
				}
			}
		}
	})
	close(stop)
	withTimeout(t, 10*time.Second, "compactor stop", wg.Wait)
	if compactions.Load() == 0 {
		t.Fatalf("no compaction completed while readers ran")
	}
	t.Logf("%d compactions, %d reads", compactions.Load(), reads.Load())
	// At rest, Layout must be clean and agree with Get.
	want := map[string]store.Memory{}
	for i := 0; i < ids; i++ {
		id := fmt.Sprintf("m%d", i)
		if got, l, err := s.Get(id); err == nil && l == store.Found {
			if _, err := checkSelf(id, got); err != nil {
				t.Fatal(err)
			}
			want[id] = got
		}
	}
	verifyAll(t, s, want)
}

// Iterate during writes: every memory stored before the iteration began
// and not removed during it is visited exactly once, with a whole value;
// nothing is visited twice.
func TestConcurrentIterate(t *testing.T) {
	s := openStore(t, t.TempDir(), store.Options{})
	const stable, churn = 300, 60
	for i := 0; i < stable; i++ {
		id := fmt.Sprintf("stable-%d", i)
		if _, err := s.Put(id, selfValue(id, i, 100)); err != nil {
			t.Fatal(err)
		}
	}
	var version atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 13))
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("churn-%d", r.IntN(churn))
				var err error
				switch p := r.IntN(10); {
				case p < 6:
					_, err = s.Put(id, selfValue(id, int(version.Add(1)), contentSize(r)))
				case p < 8:
					_, err = s.Remove(id)
				case p < 9:
					// Replacing a stable id keeps it live: it must still be
					// visited once, with either version.
					sid := fmt.Sprintf("stable-%d", r.IntN(stable))
					_, err = s.Put(sid, selfValue(sid, stable+int(version.Add(1)), 100))
				default:
					_, err = s.Compact()
					if errors.Is(err, store.ErrCompactionInProgress) {
						err = nil
					}
				}
				if err != nil {
					t.Errorf("writer: %v", err)
					return
				}
			}
		}()
	}
	withTimeout(t, 30*time.Second, "iterations during writes", func() {
		for round := 0; round < 20; round++ {
			seen := map[string]int{}
			if err := s.Iterate(func(id string, m store.Memory) bool {
				seen[id]++
				if _, err := checkSelf(id, m); err != nil {
					t.Errorf("Iterate: %v", err)
				}
				return true
			}); err != nil {
				t.Errorf("Iterate: %v", err)
				return
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("round %d: %s visited %d times", round, id, n)
				}
			}
			for i := 0; i < stable; i++ {
				if id := fmt.Sprintf("stable-%d", i); seen[id] != 1 {
					t.Errorf("round %d: stable memory %s visited %d times", round, id, seen[id])
				}
			}
			if t.Failed() {
				return
			}
		}
	})
	close(stop)
	withTimeout(t, 10*time.Second, "writers stop", wg.Wait)
}

// Close stops every goroutine the store started (group commit).
func TestCloseStopsGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := store.Open(t.TempDir(), store.Options{GroupCommit: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if _, err := s.Put(fmt.Sprint(i), selfValue(fmt.Sprint(i), i, 10)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
