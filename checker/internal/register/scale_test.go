package register

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/warmcheck/warmcheck/checker/internal/synth"
	"github.com/warmcheck/warmcheck/history"
)

// The scale targets, measured side by side with plain porcupine in
// the same process. They take minutes and gigabytes, so they run only with
// WARMCHECK_LONG=1:
//
//	WARMCHECK_LONG=1 go test -run 'TestLinearScale' -v -timeout 30m ./checker/internal/register/
//
// Plain porcupine is porcupine v1.3.1 on every memory's raw operations (info
// ops at infinity, no pruning), all partitions at once as porcupine runs
// them, with a 30 s timeout and, so as not to take the shared machine down,
// stopped once the live heap passes plainHeapCap (reported as "no verdict").

const plainHeapCap = 6 << 30

func longOnly(t *testing.T) {
	if os.Getenv("WARMCHECK_LONG") == "" {
		t.Skip("scale measurement: set WARMCHECK_LONG=1")
	}
}

// hotMix is the hot-spot workload's register mix (workload/registry.go:
// put 45, get 45, update-activation 6, remove 2), with 1% of operations
// ending info and 1% failing.
func hotMix(seed uint64, workers, memories, ops int) synth.Config {
	return synth.Config{Seed: seed, Workers: workers, Memories: memories, Ops: ops,
		Put: 45, Get: 45, Update: 6, Remove: 2, InfoRate: 0.01, FailRate: 0.01}
}

type measurement struct {
	elapsed    time.Duration
	cpu        time.Duration // user+system CPU of the whole process during the run
	totalAlloc uint64        // bytes allocated during the run
	peakHeap   uint64        // peak live heap objects (sampled every 5 ms), whole process
	baseHeap   uint64        // live heap before the run (the history itself, mostly)
}

func (m measurement) String() string {
	return fmt.Sprintf("%v (cpu %v), allocated %d MiB, peak live heap %d MiB (%d MiB before)",
		m.elapsed.Round(time.Millisecond), m.cpu.Round(time.Millisecond), m.totalAlloc>>20, m.peakHeap>>20, m.baseHeap>>20)
}

// processCPU is the process's user+system CPU time so far: on a shared
// machine it moves less with the load than the wall clock does.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func measure(f func()) measurement {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := measurement{baseHeap: read()}
	alloc0 := ms.TotalAlloc
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if h := read(); h > m.peakHeap {
				m.peakHeap = h
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start, cpu0 := time.Now(), processCPU()
	f()
	m.elapsed, m.cpu = time.Since(start), processCPU()-cpu0
	close(stop)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	m.totalAlloc = ms.TotalAlloc - alloc0
	return m
}

// plainPorcupineAll runs porcupine the plain way: all memories' raw
// operations, partitioned by memory, in one CheckOperationsTimeout call.
// Histories here have one crash epoch and start empty.
func plainPorcupineAll(t *testing.T, events []history.Event, timeout time.Duration) (Verdict, string) {
	h, err := extractRegister(events)
	if err != nil {
		t.Fatal(err)
	}
	var all []porcupine.Operation
	var parts [][]porcupine.Operation
	for _, p := range h.partitions {
		if p.key.epoch != 0 || p.initial.present {
			t.Fatal("plain baseline expects one epoch starting empty")
		}
		ops := porcupineOps(p.ops)
		parts = append(parts, ops)
		all = append(all, ops...)
	}
	budget := newSearchBudget(context.Background(), plainHeapCap, 0)
	model := registerModel(regState{}, budget)
	model.Partition = func([]porcupine.Operation) [][]porcupine.Operation { return parts }
	res := porcupine.CheckOperationsTimeout(model, all, timeout)
	switch {
	case budget.exhausted.Load():
		return Unknown, "stopped: " + budget.why()
	case res == porcupine.Ok:
		return Valid, ""
	case res == porcupine.Illegal:
		return Invalid, ""
	}
	return Unknown, fmt.Sprintf("timed out after %v", timeout)
}

func runOurs(t *testing.T, events []history.Event) testResult {
	return runCheck(t, context.Background(), events, Config{PartitionTimeout: 10 * time.Second, HeapLimitBytes: 2 << 30, MinimizeBudget: 20 * time.Second})
}

// variants: the hot-spot register mix, and the same without removes. With
// removes, partitions the constructions do not settle go to the compact
// search, which its doom tracker (doom.go) keeps near linear.
var variants = []struct {
	name string
	cfg  func(synth.Config) synth.Config
}{
	{"hot-spot mix 45/45/6/2", func(c synth.Config) synth.Config { return c }},
	{"no removes 45/45/6/0", func(c synth.Config) synth.Config { c.Remove = 0; return c }},
}

// TestLinearScaleHot10 is "1M operations on 10 memories from 50 workers":
// target at most 10 s and 2 GB, with a definite verdict.
func TestLinearScaleHot10(t *testing.T) {
	longOnly(t)
	for _, v := range variants {
		events := synth.Generate(v.cfg(hotMix(1, 50, 10, 1_000_000)))
		var r testResult
		ours := measure(func() { r = runOurs(t, events) })
		t.Logf("[%s] warmcheck: %s: %s; %s", v.name, r.Verdict, r.Summary, ours)
		t.Logf("[%s] details: %v", v.name, r.Details)
		var pv Verdict
		var why string
		plain := measure(func() { pv, why = plainPorcupineAll(t, events, 30*time.Second) })
		t.Logf("[%s] plain porcupine: %s %s; %s", v.name, pv, why, plain)
		if r.Verdict != Valid {
			t.Errorf("[%s] want a definite valid verdict, got %s", v.name, r.Verdict)
		}
		if ours.elapsed > 10*time.Second || ours.peakHeap > 2<<30 {
			t.Errorf("[%s] target missed: %s", v.name, ours)
		}
	}
}

// TestLinearScaleHot1 is "10K operations on one memory from 20 workers",
// 20 seeds: target at most 1 s every time.
func TestLinearScaleHot1(t *testing.T) {
	longOnly(t)
	for _, v := range variants {
		seeds := uint64(20)
		var worst time.Duration
		decided := 0
		for seed := uint64(1); seed <= seeds; seed++ {
			events := synth.Generate(v.cfg(hotMix(seed, 20, 1, 10_000)))
			var r testResult
			ours := measure(func() { r = runOurs(t, events) })
			var pv Verdict
			var why string
			plain := measure(func() { pv, why = plainPorcupineAll(t, events, 10*time.Second) })
			t.Logf("[%s] seed %2d: warmcheck %s in %s [%v] | plain porcupine %s %s in %s", v.name, seed, r.Verdict, ours, methods(r), pv, why, plain)
			worst = max(worst, ours.elapsed)
			if r.Verdict == Valid {
				decided++
			}
			if r.Verdict != Valid || ours.elapsed > time.Second {
				t.Errorf("[%s] seed %d: want valid within 1 s, got %s in %v", v.name, seed, r.Verdict, ours.elapsed)
			}
		}
		t.Logf("[%s] %d of %d seeds valid; worst warmcheck time %v", v.name, decided, seeds, worst)
	}
}

func methods(r testResult) string {
	return fmt.Sprintf("zones %v, constructed %v, search %v (%v steps, %v refused as doomed)", r.Details["decided_by_zones"], r.Details["decided_by_order"],
		r.Details["decided_by_search"], r.Details["search_steps"], r.Details["search_doomed_steps"])
}

// TestLinearScaleWide is "1M operations on 1,000 memories from 10 workers,
// end to end with loading": written with the history writer, read back and
// checked; target at most twice plain porcupine's check time.
func TestLinearScaleWide(t *testing.T) {
	longOnly(t)
	events := synth.Generate(hotMix(7, 10, 1000, 1_000_000)) // the full hot-spot mix
	path := filepath.Join(t.TempDir(), "history.wch")
	w, err := history.Create(path, history.Header{Seed: 7, Workload: "synthetic-wide", Workers: 10, Ops: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if err := w.AppendPtr(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	var r testResult
	var loaded []history.Event
	var readTime time.Duration
	ours := measure(func() {
		start := time.Now()
		_, loaded, err = history.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		readTime = time.Since(start)
		r = runOurs(t, loaded)
	})
	t.Logf("warmcheck (read %d MiB in %v + check in %v): %s: %s; %s", st.Size()>>20, readTime.Round(time.Millisecond),
		time.Duration(r.ElapsedNanos).Round(time.Millisecond), r.Verdict, r.Summary, ours)
	loaded = nil
	var pv Verdict
	var why string
	plain := measure(func() { pv, why = plainPorcupineAll(t, events, 60*time.Second) })
	t.Logf("plain porcupine (check only, events in memory): %s %s; %s", pv, why, plain)
	if r.Verdict != Valid {
		t.Errorf("want valid, got %s", r.Verdict)
	}
	if pv == Valid && ours.elapsed > 2*plain.elapsed {
		t.Errorf("end to end %v is more than twice plain porcupine's %v", ours.elapsed, plain.elapsed)
	}
}
