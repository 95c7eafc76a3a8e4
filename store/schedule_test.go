package store_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/sched"
	"github.com/warmcheck/warmcheck/store"
)

// scheduledRun opens a store under a scheduler of mode/seed, runs workers
// tasks of ops operations each (puts of the worker's own ids and gets of
// every worker's ids), and returns what each call returned, in the order
// the calls ran, with the scheduler's result. The store is closed unless
// the run got stuck.
func scheduledRun(t *testing.T, mode sched.Mode, seed int64, bugs []store.Bug, fps *store.Failpoints, workers, ops int) ([]string, sched.Result) {
	return scheduledRunOpts(t, mode, seed, store.Options{Bugs: bugs, Failpoints: fps, GroupCommit: 50 * time.Microsecond}, workers, ops)
}

func scheduledRunOpts(t *testing.T, mode sched.Mode, seed int64, opts store.Options, workers, ops int) ([]string, sched.Result) {
	t.Helper()
	sch, err := sched.New(sched.Config{Mode: mode, Seed: seed, Steps: workers * ops * 6})
	if err != nil {
		t.Fatal(err)
	}
	opts.Scheduler = sch
	s, err := store.Open(t.TempDir(), opts)
	if err != nil {
		sch.Abandon()
		t.Fatal(err)
	}
	var log []string // appended by the running task only
	for w := range workers {
		_, err := sch.Go(fmt.Sprintf("worker-%d", w), false, func() {
			for i := range ops {
				id := fmt.Sprintf("w%d-k%d", w, i%3)
				sch.Point(fmt.Sprintf("call %d", i))
				func() {
					defer func() {
						if p := recover(); p != nil {
							log = append(log, fmt.Sprintf("%d put %s panic %v", w, id, p))
						}
					}()
					if i%2 == 0 {
						pl, err := s.Put(id, store.Memory{Content: []byte(fmt.Sprintf("%s#%d", id, i)), Confidence: float32(i)})
						log = append(log, fmt.Sprintf("%d put %s %+v %v", w, id, pl, err))
					} else {
						other := fmt.Sprintf("w%d-k%d", (w+1)%workers, i%3)
						m, l, err := s.Get(other)
						log = append(log, fmt.Sprintf("%d get %s %v %q %v", w, other, l, m.Content, err))
					}
				}()
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	r := sch.Run()
	if r.Err != nil {
		sch.Abandon()
		return log, r
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return log, r
}

func TestScheduledRunIsReproducible(t *testing.T) {
	for _, mode := range []sched.Mode{sched.ModePCT, sched.ModeRandom} {
		for seed := int64(1); seed <= 3; seed++ {
			a, ra := scheduledRun(t, mode, seed, nil, nil, 4, 30)
			b, rb := scheduledRun(t, mode, seed, nil, nil, 4, 30)
			if ra.Err != nil || rb.Err != nil {
				t.Fatalf("%s seed %d: %v / %v", mode, seed, ra.Err, rb.Err)
			}
			if !slices.Equal(a, b) || ra.Steps != rb.Steps {
				for i := range min(len(a), len(b)) {
					if a[i] != b[i] {
						t.Fatalf("%s seed %d: call %d differs:\n%s\n%s", mode, seed, i, a[i], b[i])
					}
				}
				t.Fatalf("%s seed %d: %d vs %d calls, %d vs %d steps", mode, seed, len(a), len(b), ra.Steps, rb.Steps)
			}
			if len(a) != 120 {
				t.Fatalf("%s seed %d: %d calls, want 120", mode, seed, len(a))
			}
		}
	}
}

// sharedPlacements counts ok puts whose slot, or content range, an earlier
// ok put already had. Without syncs (no group commit) a correct store never
// reuses a slot, and content is append-only: every count is a bug.
func sharedPlacements(log []string) int {
	slots := map[string]bool{}
	var ranges [][2]int
	n := 0
	for _, l := range log {
		var w, slot, off, length, epoch int
		var id, has string
		if _, err := fmt.Sscanf(l, "%d put %s {Slot:%d Offset:%d Length:%d Epoch:%d HasContent:%s", &w, &id, &slot, &off, &length, &epoch, &has); err != nil {
			continue
		}
		if slots[fmt.Sprint(slot)] {
			n++
		}
		slots[fmt.Sprint(slot)] = true
		for _, r := range ranges {
			if off < r[1] && r[0] < off+length {
				n++
			}
		}
		ranges = append(ranges, [2]int{off, off + length})
	}
	return n
}

// foreignReads counts gets that saw content of another id.
func foreignReads(log []string) int {
	n := 0
	for _, l := range log {
		f := strings.Fields(l)
		if len(f) >= 5 && f[1] == "get" && f[3] == "found" && !strings.HasPrefix(strings.Trim(f[4], `"`), f[2]+"#") {
			n++
		}
	}
	return n
}

func TestScheduledRunExposesRaces(t *testing.T) {
	for _, bug := range []store.Bug{store.BugSlotRace, store.BugContentOffsetRace} {
		caught := 0
		for seed := int64(1); seed <= 10; seed++ {
			log, r := scheduledRunOpts(t, sched.ModePCT, seed, store.Options{Bugs: []store.Bug{bug}, GroupCommit: -1}, 4, 30)
			if r.Err != nil {
				t.Fatalf("%s seed %d: %v", bug, seed, r.Err)
			}
			if sharedPlacements(log) > 0 {
				caught++
			}
		}
		t.Logf("%s: caught by %d of 10 PCT seeds", bug, caught)
		if caught == 0 {
			t.Fatalf("%s: no PCT seed of 10 made two puts share a slot or content range", bug)
		}
	}
	for seed := int64(1); seed <= 10; seed++ {
		log, r := scheduledRunOpts(t, sched.ModePCT, seed, store.Options{GroupCommit: -1}, 4, 30)
		if r.Err != nil || sharedPlacements(log) > 0 || foreignReads(log) > 0 {
			t.Fatalf("correct store, seed %d: %v, %d shared placements, %d foreign reads:\n%s", seed, r.Err, sharedPlacements(log), foreignReads(log), strings.Join(log, "\n"))
		}
	}
}

// A panic inside a critical section under panic-holds-lock leaves a shard
// lock held: the scheduler stops at the first moment every worker is
// blocked and names the lock and its holder.
func TestScheduledDeadlockOnLeakedShardLock(t *testing.T) {
	fps := store.NewFailpoints()
	if err := fps.Arm(store.FailBeforeIndexPublish, store.Action{Kind: store.ActionPanic, Times: 1}); err != nil {
		t.Fatal(err)
	}
	// One worker: its own later puts of the same id wait for the lock it
	// left held.
	_, r := scheduledRun(t, sched.ModePCT, 1, []store.Bug{store.BugPanicHoldsLock}, fps, 2, 30)
	if !errors.Is(r.Err, sched.ErrDeadlock) || r.Deadlock == nil {
		t.Fatalf("%v, want a deadlock", r.Err)
	}
	msg := r.Deadlock.String()
	if !strings.Contains(msg, "waits for shard") || !strings.Contains(msg, "held (write) by worker-") {
		t.Fatalf("report:\n%s", msg)
	}
	t.Log(msg)

	// Without the bug the same panic releases the lock: no deadlock.
	fps2 := store.NewFailpoints()
	if err := fps2.Arm(store.FailBeforeIndexPublish, store.Action{Kind: store.ActionPanic, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, r := scheduledRun(t, sched.ModePCT, 1, nil, fps2, 2, 30); r.Err != nil {
		t.Fatalf("correct store: %v", r.Err)
	}
}

// A scan (Iterate, Recall) racing a compaction and Puts: every record it
// visits must resolve in the epoch set it reads content from. Found by the
// controlled scheduler: scanSlots loaded the epoch set before taking the
// shard locks, so a Put landing in a compaction's new epoch in between made
// Iterate fail with ErrCorrupt ("content epoch N is gone").
func TestScheduledScanDuringCompaction(t *testing.T) {
	failed := 0
	for seed := int64(1); seed <= 30; seed++ {
		sch, err := sched.New(sched.Config{Mode: sched.ModeRandom, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		s, err := store.Open(t.TempDir(), store.Options{Scheduler: sch, GroupCommit: -1})
		if err != nil {
			sch.Abandon()
			t.Fatal(err)
		}
		for i := range 200 {
			if _, err := s.Put(fmt.Sprintf("k%d", i), store.Memory{Content: []byte("before")}); err != nil {
				t.Fatal(err)
			}
		}
		var scanErr error
		mustGo := func(name string, fn func()) {
			if _, err := sch.Go(name, false, fn); err != nil {
				t.Fatal(err)
			}
		}
		mustGo("writer", func() {
			for i := range 150 {
				_, _ = s.Put(fmt.Sprintf("k%d", (i*7)%200), store.Memory{Content: []byte(fmt.Sprintf("v%d", i))})
			}
		})
		mustGo("compactor", func() {
			for range 4 {
				_, _ = s.Compact()
			}
		})
		mustGo("scanner", func() {
			for range 10 {
				if err := s.Iterate(func(string, store.Memory) bool { return true }); err != nil && scanErr == nil {
					scanErr = err
				}
			}
		})
		if r := sch.Run(); r.Err != nil {
			sch.Abandon()
			t.Fatalf("seed %d: %v", seed, r.Err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if scanErr != nil {
			failed++
			t.Logf("seed %d: %v", seed, scanErr)
		}
	}
	if failed > 0 {
		t.Fatalf("Iterate failed in %d of 30 schedules", failed)
	}
}
