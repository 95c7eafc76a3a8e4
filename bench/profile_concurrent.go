package bench

import (
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// concurrentWorkers is the review's 10 writers + 10 readers.
const concurrentWriters, concurrentReaders = 10, 10

// memSink keeps a history in memory for the checker while also writing it
// to a history file (so that `warmcheck analyze` can re-judge it).
type memSink struct {
	events []history.Event
	file   *history.Writer
}

func (s *memSink) Append(e history.Event) error {
	s.events = append(s.events, e)
	if s.file != nil {
		return s.file.Append(e)
	}
	return nil
}

func (s *memSink) Flush() error {
	if s.file != nil {
		return s.file.Flush()
	}
	return nil
}

// runConcurrent preloads 100K memories (recorded, split over the workers),
// then, behind a barrier, 10 writers put 1000 fresh ids each while 10
// readers get 1000 random preloaded ids each; a final snapshot is recorded
// and the whole history is judged by every check of `warmcheck run`
// (checker.Run). A bench must not trade correctness for speed: a verdict
// other than valid fails the profile. The raw baseline runs the same two
// phases unrecorded, behind one mutex (it has no locks of its own).
func runConcurrent(ctx context.Context, e *env) error {
	preload := e.scaled(100_000, 200)
	perWorker := e.scaled(1000, 10)
	gen := memoryGen{seed: e.cfg.Seed + int64(e.run), mix: reviewMix}
	pre := gen.specs("p-", preload, 30)
	fresh := make([][]spec, concurrentWriters)
	for w := range fresh {
		fresh[w] = gen.specs(fmt.Sprintf("w%d-", w), perWorker, int64(31+w))
	}
	workers := concurrentWriters + concurrentReaders

	dir, err := e.subdir("store")
	if err != nil {
		return err
	}
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	if e.cfg.StoreOpened != nil {
		e.cfg.StoreOpened(s)
	}
	header := history.Header{Seed: e.cfg.Seed + int64(e.run), Workload: "bench/concurrent-at-scale", Workers: workers,
		Ops: preload + workers*perWorker, Mode: "inprocess", GoVersion: runtime.Version(),
		FaultModel: "no faults: a scale run", StartedUnixNanos: time.Now().UnixNano()}
	histPath := filepath.Join(dir, "history.wch")
	if e.cfg.OutDir != "" {
		histPath = filepath.Join(e.cfg.OutDir, fmt.Sprintf("concurrent-run%d.wch", e.run))
	}
	hw, err := history.Create(histPath, header)
	if err != nil {
		s.Close()
		return fmt.Errorf("history: %w", err)
	}
	sink := &memSink{events: make([]history.Event, 0, 2*(preload+workers*perWorker)+8), file: hw}
	rec, err := client.NewRecorder(sink, client.NewInProcess(s), client.RecorderOptions{Workers: workers, OpTimeout: 10 * time.Second})
	if err != nil {
		hw.Close()
		s.Close()
		return err
	}

	var loadErr error
	var errOnce sync.Once
	fail := func(err error) { errOnce.Do(func() { loadErr = err }) }
	// Preload, split over all workers.
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			wk := rec.Worker(w)
			emb := make([]float32, store.EmbeddingDim)
			buf := make([]byte, 0, 8<<10)
			for i := w; i < len(pre); i += workers {
				if _, err := wk.Put(ctx, pre[i].ID, pre[i].memory(emb, buf)); err != nil {
					fail(fmt.Errorf("preload put %s: %w", pre[i].ID, err))
					return
				}
			}
		}(w)
	}
	wg.Wait()
	preloadTime := time.Since(t0)

	// Writers and readers, released together.
	start := make(chan struct{})
	phase := func(w int) func() {
		wk := rec.Worker(w)
		if w < concurrentWriters {
			mine := fresh[w]
			return func() {
				emb := make([]float32, store.EmbeddingDim)
				buf := make([]byte, 0, 8<<10)
				for _, sp := range mine {
					if _, err := wk.Put(ctx, sp.ID, sp.memory(emb, buf)); err != nil {
						fail(fmt.Errorf("writer put %s: %w", sp.ID, err))
						return
					}
				}
			}
		}
		rng := rand.New(rand.NewSource(e.cfg.Seed + int64(w)))
		return func() {
			buf := make([]byte, 0, 8<<10)
			for i := 0; i < perWorker; i++ {
				sp := pre[rng.Intn(len(pre))]
				m, l, err := wk.Get(ctx, sp.ID)
				if err == nil && l != store.Found {
					err = fmt.Errorf("%w: preloaded %s missing", ErrCorruptData, sp.ID)
				}
				if err == nil {
					err = sp.verify(m, buf)
				}
				if err != nil {
					fail(fmt.Errorf("reader: %w", err))
					return
				}
			}
		}
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		body := phase(w)
		go func() {
			defer wg.Done()
			<-start
			body()
		}()
	}
	loadStart := rec.Now()
	t1 := time.Now()
	close(start)
	wg.Wait()
	loadTime := time.Since(t1)
	loadEnd := rec.Now()

	snapErr := rec.Snapshot(ctx, "final")
	live := s.Stats().Live
	recErr := rec.Close()
	closeErr := s.Close()
	hwErr := hw.Close()
	for _, err := range []error{loadErr, snapErr, recErr, closeErr, hwErr} {
		if err != nil {
			e.check("store: concurrent load completes without errors", err)
			return nil
		}
	}
	want := uint64(preload + concurrentWriters*perWorker)
	var countErr error
	if live != want {
		countErr = fmt.Errorf("%w: %d live memories after the run, want %d", ErrCorruptData, live, want)
	}
	e.check("store: final count is preload + writers' puts", countErr)

	tc := time.Now()
	rep := checker.Run(ctx, &checker.Input{Header: header, Events: sink.events}, checker.Options{})
	checkTime := time.Since(tc)
	for _, r := range rep.Checks {
		status := CheckPass
		switch r.Verdict {
		case checker.Invalid:
			status = CheckFail
		case checker.Unknown:
			status = CheckUnknown
		case checker.NotEvaluated:
			status = CheckNotEvaluated
		}
		e.res.Checks = append(e.res.Checks, CheckOutcome{Name: "history: " + r.Name, Run: e.run, Status: status, Detail: r.Summary})
	}
	if rep.Verdict != checker.Valid {
		e.res.Checks = append(e.res.Checks, CheckOutcome{Name: "history: overall verdict", Run: e.run, Status: CheckFail,
			Detail: fmt.Sprintf("verdict %s; history kept in %s", rep.Verdict, histPath)})
	}

	putLat, getLat := phaseLatencies(sink.events, loadStart, loadEnd)
	e.res.record("preload.rate", UnitOpsSec, HigherIsBetter, "recorded puts per second while preloading with all workers", float64(preload)/preloadTime.Seconds())
	e.res.record("load.rate", UnitOpsSec, HigherIsBetter, "operations per second of the writers and readers together", float64(workers*perWorker)/loadTime.Seconds())
	e.res.record("load.put.p99", UnitNanos, LowerIsBetter, "p99 put latency during the concurrent phase (recorded)", Quantile(sortedCopy(putLat), 0.99))
	e.res.record("load.get.p99", UnitNanos, LowerIsBetter, "p99 get latency during the concurrent phase (recorded)", Quantile(sortedCopy(getLat), 0.99))
	e.res.record("check.time", UnitNanos, LowerIsBetter, "checker.Run over the whole history", float64(checkTime))
	e.res.record("history.events", UnitCount, Informational, "events recorded", float64(len(sink.events)))
	if p := e.plotPath(fmt.Sprintf("concurrent-latency-run%d.png", e.run)); p != "" {
		if err := PlotLatency(sink.events, p); err != nil {
			return err
		}
	}
	if e.cfg.OutDir != "" {
		e.note("concurrent-at-scale: each run's history is kept beside bench.json (concurrent-runN.wch) for `warmcheck analyze`")
	}

	rawRate, err := rawConcurrent(ctx, e, pre, fresh, perWorker)
	if err != nil {
		return err
	}
	e.res.record("raw.load.rate", UnitOpsSec, HigherIsBetter, "the same concurrent phase on the raw baseline behind one mutex, unrecorded", rawRate)
	e.res.record("load.rate_vs_raw", UnitRatio, HigherIsBetter, "store (recorded) / raw (unrecorded, one mutex) concurrent rate", float64(workers*perWorker)/loadTime.Seconds()/rawRate)
	e.note("concurrent-at-scale: the raw baseline has no locks, so it runs behind one mutex here, and unrecorded; the store's figures include recording")
	return nil
}

// phaseLatencies returns the put and get latencies (ns) of operations
// invoked within [from, to].
func phaseLatencies(events []history.Event, from, to int64) (puts, gets []float64) {
	open := map[int64]history.Event{}
	for _, ev := range events {
		if ev.Kind != history.KindOp {
			continue
		}
		if ev.Type == history.Invoke {
			open[ev.Process] = ev
			continue
		}
		inv, ok := open[ev.Process]
		delete(open, ev.Process)
		if !ok || inv.Time < from || inv.Time > to {
			continue
		}
		switch inv.Op {
		case history.OpPut:
			puts = append(puts, float64(ev.Time-inv.Time))
		case history.OpGet:
			gets = append(gets, float64(ev.Time-inv.Time))
		}
	}
	if len(puts) == 0 {
		puts = []float64{0}
	}
	if len(gets) == 0 {
		gets = []float64{0}
	}
	return puts, gets
}

// lockedSubject serializes a subject behind one mutex.
type lockedSubject struct {
	mu sync.Mutex
	s  subject
}

// rawConcurrent runs the preload and the concurrent phase on the raw
// baseline and returns the phase's operations per second.
func rawConcurrent(ctx context.Context, e *env, pre []spec, fresh [][]spec, perWorker int) (float64, error) {
	dir, err := e.subdir("raw")
	if err != nil {
		return 0, err
	}
	s, err := e.raw(dir)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if _, _, err := putAll(s, pre); err != nil {
		return 0, err
	}
	ls := &lockedSubject{s: s}
	var wg sync.WaitGroup
	errs := make(chan error, concurrentWriters+concurrentReaders)
	start := make(chan struct{})
	for w := 0; w < concurrentWriters+concurrentReaders; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			<-start
			emb := make([]float32, store.EmbeddingDim)
			buf := make([]byte, 0, 8<<10)
			if w < concurrentWriters {
				for _, sp := range fresh[w] {
					m := sp.memory(emb, buf)
					ls.mu.Lock()
					err := ls.s.Put(sp.ID, m)
					ls.mu.Unlock()
					if err != nil {
						errs <- err
						return
					}
				}
				return
			}
			rng := rand.New(rand.NewSource(e.cfg.Seed + int64(w)))
			for i := 0; i < perWorker; i++ {
				sp := pre[rng.Intn(len(pre))]
				ls.mu.Lock()
				m, found, err := ls.s.Get(sp.ID)
				ls.mu.Unlock()
				if err == nil && !found {
					err = fmt.Errorf("%w: raw: %s missing", ErrCorruptData, sp.ID)
				}
				if err == nil {
					err = sp.verify(m, buf)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	d := time.Since(t0)
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64((concurrentWriters+concurrentReaders)*perWorker) / d.Seconds(), ctx.Err()
}
