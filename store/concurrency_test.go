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

// Task 017 test 2: 20 readers x 5 rounds (the original: 10) x 100 gets over 100 memories;
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
		for round := 0; round < 5; round++ {
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
	var compactions, reads, slowest atomic.Int64
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
			t0 := time.Now()
			_, err := s.Compact()
			if err != nil && !errors.Is(err, store.ErrCompactionInProgress) {
				t.Errorf("Compact: %v", err)
				return
			}
			if d := time.Since(t0); d > time.Duration(slowest.Load()) {
				slowest.Store(int64(d))
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
	t.Logf("%d compactions (slowest %v), %d reads", compactions.Load(), time.Duration(slowest.Load()), reads.Load())
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
	scanDuringWrites(t, "Iterate", 13, (*store.Store).Iterate)
}

// scanDuringWrites runs scan over and over while three writers put, remove,
// replace and compact, and checks the Iterate guarantee on every pass: each
// of the stable memories (stored before, never removed) is visited exactly
// once, nothing is visited twice, every visited value is whole. seed keeps
// the writers of different callers apart.
func scanDuringWrites(t *testing.T, name string, seed uint64, scan func(s *store.Store, fn func(string, store.Memory) bool) error) {
	s := openStore(t, t.TempDir(), store.Options{})
	const stable, churn = 300, 60
	rounds, budget := 6, 30*time.Second
	if longRuns() {
		rounds, budget = 200, 10*time.Minute
	}
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
			r := rand.New(rand.NewPCG(uint64(w), seed))
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
	withTimeout(t, budget, name+" during writes", func() {
		for round := 0; round < rounds; round++ {
			seen := map[string]int{}
			if err := scan(s, func(id string, m store.Memory) bool {
				seen[id]++
				if _, err := checkSelf(id, m); err != nil {
					t.Errorf("%s: %v", name, err)
				}
				return true
			}); err != nil {
				t.Errorf("%s: %v", name, err)
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

// fpWorkerState is one id's expected value in the failpoint test: ids are
// owned by one worker each, so the last acknowledged operation determines
// the value, except after an injected panic, when the interrupted
// operation may or may not have taken effect.
type fpWorkerState struct {
	present bool
	ver     int
	// alt is the other possible outcome after a panic interrupted an
	// operation on this id (altValid); it is cleared by the next
	// acknowledged write.
	altValid   bool
	altPresent bool
	altVer     int
}

func (st fpWorkerState) allows(present bool, ver int) bool {
	if present == st.present && (!present || ver == st.ver) {
		return true
	}
	return st.altValid && present == st.altPresent && (!present || ver == st.altVer)
}

// checkFPState compares the store with the per-id expectations.
func checkFPState(t *testing.T, s *store.Store, states map[string]*fpWorkerState, stage string) {
	t.Helper()
	live := 0
	want := map[string]store.Memory{}
	for id, st := range states {
		got, l, err := s.Get(id)
		if err != nil {
			t.Fatalf("%s: Get(%s): %v", stage, id, err)
		}
		ver := -1
		if l == store.Found {
			live++
			got.Activation = 0
			if ver, err = checkSelf(id, got); err != nil {
				t.Fatalf("%s: %v", stage, err)
			}
			want[id] = got
		}
		if !st.allows(l == store.Found, ver) {
			t.Fatalf("%s: %s is %v (version %d), expected present=%v version %d (or after the panic present=%v version %d)",
				stage, id, l, ver, st.present, st.ver, st.altPresent, st.altVer)
		}
	}
	if n := s.Stats().Live; n != uint64(live) {
		t.Fatalf("%s: Stats.Live %d, found %d", stage, n, live)
	}
	layout, err := s.Layout()
	if err != nil {
		t.Fatal(err)
	}
	// Activation was zeroed in want; compare placement and content only.
	for i := range layout {
		layout[i].Activation = 0
	}
	if err := checkLayout(layout, want); err != nil {
		t.Fatalf("%s: %v", stage, err)
	}
}

// Task 017 test 6 with real faults: for every failpoint, a panic injected
// there interrupts one worker's operation while five others keep going;
// no lock stays held (everyone finishes within the timeout), every id holds
// its last acknowledged value (or the interrupted operation's), the store
// keeps serving Put/Get/Sync/Compact, and it reopens with the same data.
func TestConcurrentFailpointPanic(t *testing.T) {
	for _, fi := range store.AllFailpoints() {
		t.Run(string(fi.Name), func(t *testing.T) {
			dir := t.TempDir()
			fps := store.NewFailpoints()
			if fi.Name == store.FailRecovery {
				s := openStore(t, dir, store.Options{})
				if _, err := s.Put("before", selfValue("before", 1, 10)); err != nil {
					t.Fatal(err)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if err := fps.Arm(fi.Name, store.Action{Kind: store.ActionPanic, Times: 1}); err != nil {
					t.Fatal(err)
				}
				func() {
					defer func() {
						p := recover()
						if ip, ok := p.(store.InjectedPanic); !ok || ip.Point != fi.Name {
							t.Fatalf("Open with %s armed: recovered %v, want InjectedPanic", fi.Name, p)
						}
					}()
					s, err := store.Open(dir, store.Options{Failpoints: fps})
					if err == nil {
						_ = s.Close()
					}
				}()
				withTimeout(t, 10*time.Second, "Open after a panic in recovery", func() {
					s := openStore(t, dir, store.Options{Failpoints: fps})
					got, l, err := s.Get("before")
					if err != nil || l != store.Found {
						t.Errorf("Get(before) after recovery panic: %v %v", l, err)
					} else if _, err := checkSelf("before", got); err != nil {
						t.Error(err)
					}
				})
				return
			}
			opts := store.Options{Failpoints: fps}
			if fi.Name == store.FailSyncMid {
				// The background group commit also reaches sync-mid (and
				// survives the panic); it must not take the one panic
				// this test expects a worker to see.
				opts.GroupCommit = -1
			}
			s := openStore(t, dir, opts)
			const workers, perWorker = 6, 8
			states := map[string]*fpWorkerState{}
			for w := 0; w < workers; w++ {
				for k := 0; k < perWorker; k++ {
					id := fmt.Sprintf("w%d-%d", w, k)
					if _, err := s.Put(id, selfValue(id, 0, 100)); err != nil {
						t.Fatal(err)
					}
					states[id] = &fpWorkerState{present: true}
				}
			}
			if err := fps.Arm(fi.Name, store.Action{Kind: store.ActionPanic, Times: 1}); err != nil {
				t.Fatal(err)
			}
			var panics atomic.Int64
			var after atomic.Int64 // operations completed after the panic
			deadline := time.Now().Add(15 * time.Second)
			runWorkers(t, workers, 40*time.Second, func(w int) {
				r := rand.New(rand.NewPCG(uint64(w), 17))
				ver := 0
				for time.Now().Before(deadline) && (panics.Load() == 0 || after.Load() < 300) {
					id := fmt.Sprintf("w%d-%d", w, r.IntN(perWorker))
					st := states[id] // owned by this worker
					ver++
					p := r.IntN(100)
					size := 100
					if fi.Name == store.FailGrow {
						size = 5 * 1024 // reach file growth quickly
					}
					func() {
						defer func() {
							if rec := recover(); rec != nil {
								ip, ok := rec.(store.InjectedPanic)
								if !ok || ip.Point != fi.Name {
									t.Errorf("worker %d: unexpected panic %v", w, rec)
									return
								}
								panics.Add(1)
								// The interrupted op may or may not have happened.
								switch {
								case p < 50:
									st.altValid, st.altPresent, st.altVer = true, true, ver
								case p < 60:
									st.altValid, st.altPresent = true, false
								default:
									// reads, activation updates, syncs and
									// compactions do not change the value.
								}
							}
						}()
						switch {
						case p < 50:
							if _, err := s.Put(id, selfValue(id, ver, size)); err != nil {
								t.Errorf("Put(%s): %v", id, err)
								return
							}
							*st = fpWorkerState{present: true, ver: ver}
						case p < 60:
							if _, err := s.Remove(id); err != nil {
								t.Errorf("Remove(%s): %v", id, err)
								return
							}
							*st = fpWorkerState{}
						case p < 70:
							if _, err := s.UpdateActivation(id, float32(ver)); err != nil {
								t.Errorf("UpdateActivation(%s): %v", id, err)
							}
						case p < 73:
							if err := s.Sync(); err != nil {
								t.Errorf("Sync: %v", err)
							}
						case p < 75 && w == 0:
							if _, err := s.Compact(); err != nil && !errors.Is(err, store.ErrCompactionInProgress) {
								t.Errorf("Compact: %v", err)
							}
						default:
							got, l, err := s.Get(id)
							if err != nil {
								t.Errorf("Get(%s): %v", id, err)
								return
							}
							gv := -1
							if l == store.Found {
								got.Activation = 0
								if gv, err = checkSelf(id, got); err != nil {
									t.Error(err)
									return
								}
							}
							if !st.allows(l == store.Found, gv) {
								t.Errorf("Get(%s) = %v version %d, expected %+v", id, l, gv, *st)
							}
						}
						if panics.Load() > 0 {
							after.Add(1)
						}
					}()
					if t.Failed() {
						return
					}
				}
			})
			if panics.Load() != 1 {
				t.Fatalf("failpoint %s fired %d panics (hits %v); the workload must reach it exactly once", fi.Name, panics.Load(), fps.Hits())
			}
			withTimeout(t, 10*time.Second, "Put/Get/Sync/Compact after the injected panic", func() {
				if _, err := s.Put("after", selfValue("after", 1, 10)); err != nil {
					t.Errorf("Put after panic: %v", err)
				}
				states["after"] = &fpWorkerState{present: true, ver: 1}
				if err := s.Sync(); err != nil {
					t.Errorf("Sync after panic: %v", err)
				}
				if _, err := s.Compact(); err != nil {
					t.Errorf("Compact after panic: %v", err)
				}
			})
			checkFPState(t, s, states, "after the panic")
			if err := s.Close(); err != nil {
				t.Fatalf("Close after panic: %v", err)
			}
			s2 := openStore(t, dir, store.Options{})
			checkFPState(t, s2, states, "after reopen")
		})
	}
}

// An ActionError at a write-path failpoint makes the operation fail; a
// failed Put must not take effect, not even after a reopen (a recovery
// that resurrects it would turn a definite failure into a write).
func TestFailpointErrorLeavesNoTrace(t *testing.T) {
	for _, name := range []store.FailpointName{store.FailAfterSlotAlloc, store.FailBetweenContentAndBlock,
		store.FailBeforeIndexPublish, store.FailGrow} {
		t.Run(string(name), func(t *testing.T) {
			dir := t.TempDir()
			fps := store.NewFailpoints()
			s := openStore(t, dir, store.Options{Failpoints: fps})
			if _, err := s.Put("x", selfValue("x", 1, 100)); err != nil {
				t.Fatal(err)
			}
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
			before := s.Stats()
			if err := fps.Arm(name, store.Action{Kind: store.ActionError}); err != nil {
				t.Fatal(err)
			}
			// Grow fires only when the file must grow: push big values under
			// fresh ids until it does.
			var failed error
			failedID := "x"
			live, liveBytes := before.Live, before.ContentBytesLive
			for i := 2; i < 200_000 && failed == nil; i++ {
				id := "x"
				if name == store.FailGrow {
					id = fmt.Sprintf("g%d", i)
				}
				m := selfValue(id, i, 5*1024)
				_, failed = s.Put(id, m)
				if failed == nil && name != store.FailGrow {
					t.Fatalf("Put with %s armed for error succeeded", name)
				}
				if failed == nil {
					live++
					liveBytes += uint64(len(m.Content))
				}
				failedID = id
			}
			if !errors.Is(failed, store.ErrInjected) && !errors.Is(failed, store.ErrGrowFailed) {
				t.Fatalf("Put with %s armed: err %v, want ErrInjected or ErrGrowFailed", name, failed)
			}
			if name == store.FailGrow && !errors.Is(failed, store.ErrGrowFailed) {
				t.Fatalf("failed growth: err %v does not wrap ErrGrowFailed", failed)
			}
			fps.Disarm(name)
			if st := s.Stats(); st.Live != live || st.ContentBytesLive != liveBytes {
				t.Fatalf("failed Put counted: Stats live %d (want %d), live bytes %d (want %d)", st.Live, live, st.ContentBytesLive, liveBytes)
			}
			if name == store.FailGrow {
				if _, l, err := s.Get(failedID); err != nil || l != store.Missing {
					t.Fatalf("Get(%s) after its Put failed to grow: %v %v", failedID, l, err)
				}
			}
			check := func(stage string, s *store.Store) {
				got, l, err := s.Get("x")
				if err != nil || l != store.Found {
					t.Fatalf("%s: Get(x) = %v, %v", stage, l, err)
				}
				if v, err := checkSelf("x", got); err != nil || v != 1 {
					t.Fatalf("%s: x holds version %d (%v), want 1: the failed Put took effect", stage, v, err)
				}
			}
			check("after failed Put", s)
			if _, err := s.Put("y", selfValue("y", 1, 10)); err != nil {
				t.Fatalf("Put after failed Put: %v", err)
			}
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2 := openStore(t, dir, store.Options{})
			check("after reopen", s2)
			if _, l, err := s2.Get(failedID); failedID != "x" && (err != nil || l != store.Missing) {
				t.Fatalf("Get(%s) after reopen: the Put that failed to grow came back (%v %v)", failedID, l, err)
			}
		})
	}
}
