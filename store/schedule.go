package store

import (
	"fmt"
	"runtime"
	"time"

	"github.com/warmcheck/warmcheck/sched"
)

// Controlled interleavings (Options.Scheduler). Under a scheduler the store
// runs one task at a time and switches only at its scheduling points: every
// failpoint (fp), every acquisition of one of its locks (sched.Mutex and
// sched.RWMutex, bound here), the yields inside seeded bugs' race windows,
// the spin of a compaction waiting for in-flight Puts, and a few points
// (point) where an operation reads or writes shared memory outside those:
// the content copy of a Put, its block write, and a Get's read of the
// record, so that a change that moves one of them out of its lock or
// reservation is interleaved there too. The locks stay
// real; without a scheduler every hook is one nil check.
//
// What a controlled run needs from the store, and gets here:
//   - no free goroutine: group commit is a daemon task sleeping on the
//     scheduler's virtual clock;
//   - no hidden randomness: the index shards by FNV-1a of the id, not by
//     maphash's per-process random seed, so lock names and contention are
//     the same from run to run.

// fpPoints names each failpoint as a scheduling point.
var fpPoints = func() (out [numFailpoints]string) {
	for i, fi := range allFailpoints {
		out[i] = "failpoint " + string(fi.Name)
	}
	return out
}()

// bindScheduler puts every lock of s under sch; called by Open before the
// store is shared.
func (s *Store) bindScheduler(sch *sched.Scheduler) {
	s.sch = sch
	s.idx.fixedHash = true
	s.closeMu.Bind(sch, "close")
	s.syncMu.Bind(sch, "sync")
	s.imageMu.Bind(sch, "image")
	s.alloc.mu.Bind(sch, "free list")
	s.pending.mu.Bind(sch, "pending free")
	s.meta.mu.Bind(sch, "slot meta")
	for i := range s.idx.shards {
		s.idx.shards[i].mu.Bind(sch, fmt.Sprintf("shard %d", i))
	}
	s.bindFile(s.blocks)
	for _, cf := range s.epochs.Load().files {
		s.bindFile(cf.mf)
	}
}

// bindFile puts a mapped file's growth lock under the store's scheduler.
func (s *Store) bindFile(mf *mappedFile) {
	if s.sch != nil {
		mf.growMu.Bind(s.sch, "grow "+mf.path)
	}
}

// Scheduled reports whether s runs under a controlled scheduler right now
// (a run in progress): its calls must then stay on the goroutine of the
// task that makes them.
func (s *Store) Scheduled() bool { return s != nil && s.sch.Active() }

// waitDrained waits until no Put is registered with cf: under a scheduler
// a spin that lets the Puts run.
func (s *Store) waitDrained(cf *contentFile) {
	if s.sch.Active() {
		for cf.inflight.Load() != 0 {
			s.sch.Spin("compact: wait for in-flight puts")
		}
		return
	}
	waitDrained(cf)
}

// point is a scheduling point between two steps of an operation that
// touch shared memory outside the failpoints and locks: without a
// scheduler, one nil check.
func (s *Store) point(where string) {
	if s.sch != nil {
		s.sch.Point(where)
	}
}

// yield is the scheduling point of a seeded bug's race window: a plain
// runtime.Gosched when the run is free.
func (s *Store) yield(where string) {
	if s.sch.Active() {
		s.sch.Point(where)
		return
	}
	runtime.Gosched()
}

// startGroupCommit starts the background sync: a goroutine, or under a
// scheduler a daemon task that syncs every interval of virtual time while
// the controlled run lasts, then only waits to be stopped.
func (s *Store) startGroupCommit(interval time.Duration) error {
	s.stop, s.stopped = make(chan struct{}), make(chan struct{})
	if s.sch == nil {
		go s.groupCommit(interval)
		return nil
	}
	task, err := s.sch.Go("group-commit", true, func() {
		for s.sch.Sleep(interval) {
			if s.needsSync() {
				if err := s.backgroundSync(); err != nil {
					s.log.Warn("group commit sync failed", "error", err)
				}
			}
		}
		<-s.stop
	})
	if err != nil {
		return err
	}
	go func() { <-task.Done(); close(s.stopped) }() // waits only; touches nothing
	return nil
}

// fixedShard is the index's shard function under a scheduler: FNV-1a.
func fixedShard(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}
