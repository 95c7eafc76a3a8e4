package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// AutoCompact configures background compaction and the fragmentation alert.
// The zero value is off: no compaction starts unless Compact is called.
//
// Off by default because the zero Options promise no background work besides
// group commit: crash-state enumeration (PersistLog), controlled schedules
// and benchmarks rely on it, and a compaction copies every live memory's
// content (plus a 24-byte relocation table entry each), a cost an
// application should choose.
type AutoCompact struct {
	// Enabled starts a background compaction when, after a Put or Remove,
	// fragmentation is at least Threshold and at least MinReclaimable bytes
	// are garbage. At most one compaction runs at a time (a Compact call
	// made meanwhile returns ErrCompactionInProgress); Close waits for it.
	Enabled bool
	// Threshold is the fragmentation ((total-live)/total content bytes) at
	// which to compact and to log the fragmentation warning; 0 means
	// DefaultFragmentationThreshold.
	Threshold float64
	// MinReclaimable is the least garbage (total-live content bytes) worth
	// a compaction or a warning; 0 means DefaultMinReclaimable.
	MinReclaimable uint64
}

// Defaults of AutoCompact. The fragmentation warning uses them even when
// auto-compaction is off.
const (
	DefaultFragmentationThreshold = 0.30
	DefaultMinReclaimable         = 1 << 20
)

func (a AutoCompact) threshold() float64 {
	if a.Threshold == 0 {
		return DefaultFragmentationThreshold
	}
	return a.Threshold
}

func (a AutoCompact) minReclaimable() uint64 {
	if a.MinReclaimable == 0 {
		return DefaultMinReclaimable
	}
	return a.MinReclaimable
}

func (a AutoCompact) validate() error {
	if a.Threshold < 0 || a.Threshold >= 1 || a.Threshold != a.Threshold {
		return fmt.Errorf("%w: AutoCompact.Threshold %v (want 0 <= t < 1)", ErrBadOptions, a.Threshold)
	}
	return nil
}

// String describes the setting for a run's configuration.
func (a AutoCompact) String() string {
	if !a.Enabled {
		return "off"
	}
	return fmt.Sprintf("on at fragmentation >= %g with >= %d bytes reclaimable", a.threshold(), a.minReclaimable())
}

// autoCompactor is the state of background compaction and of the
// fragmentation alert. Invariant: every goroutine it starts is counted in
// running before the starting operation releases closeMu, so Close (which
// takes closeMu exclusively first) waits for all of them.
type autoCompactor struct {
	cfg     AutoCompact
	over    atomic.Bool // fragmentation was over the threshold at the last look (alert once per crossing)
	running sync.WaitGroup

	started atomic.Uint64 // background compactions started
	failed  atomic.Uint64 // background compactions that returned an error or an injected panic
	alerts  atomic.Uint64 // fragmentation warnings logged

	// After a failed background compaction none starts before retryAt
	// (unix ns); the wait doubles with each failure in a row (backoff ns),
	// so a disk that stays full is not hit on every operation.
	retryAt atomic.Int64
	backoff atomic.Int64
}

// Bounds of the wait after failed background compactions.
const (
	minAutoCompactBackoff = 100 * time.Millisecond
	maxAutoCompactBackoff = time.Minute
)

// fragmentation is the content garbage of every open epoch and its share of
// all content bytes: what Stats reports, from atomics only.
func (s *Store) fragmentation() (garbage uint64, frag float64) {
	total := s.epochs.Load().totalBytes()
	if total == 0 {
		return 0, 0
	}
	live := min(uint64(max(s.liveBytes.Load(), 0)), total)
	return total - live, float64(total-live) / float64(total)
}

// noteFragmentation is called after a Put or a Remove (which change
// fragmentation) while the caller holds closeMu for reading, and after a
// compaction. It logs the warning when fragmentation crosses the threshold
// upwards, and, if mayCompact and auto-compaction is on, starts a background
// compaction unless one is running.
func (s *Store) noteFragmentation(mayCompact bool) {
	garbage, frag := s.fragmentation()
	ac := &s.auto
	over := frag >= ac.cfg.threshold() && garbage >= ac.cfg.minReclaimable()
	if ac.over.Load() != over && ac.over.CompareAndSwap(!over, over) && over {
		ac.alerts.Add(1)
		s.log.Warn("fragmentation crossed the threshold", "fragmentation", frag,
			"threshold", ac.cfg.threshold(), "reclaimable_bytes", garbage, "auto_compact", ac.cfg.Enabled)
	}
	if !over || !mayCompact || !ac.cfg.Enabled || time.Now().UnixNano() < ac.retryAt.Load() ||
		!s.compacting.CompareAndSwap(false, true) {
		return
	}
	ac.started.Add(1)
	ac.running.Add(1)
	go s.compactInBackground(frag)
}

// compactInBackground runs one compaction started by noteFragmentation,
// which set s.compacting. Its error, or an injected panic (a failpoint
// fault at compact-start, compact-mid or grow), is logged and counted: there
// is no caller to return it to.
func (s *Store) compactInBackground(frag float64) {
	defer s.auto.running.Done()
	defer s.compacting.Store(false)
	if err := s.begin(); err != nil {
		return // closed meanwhile: nothing to compact
	}
	defer s.end()
	st, err := s.compactRecovering()
	if err != nil {
		wait := time.Duration(min(max(2*s.auto.backoff.Load(), int64(minAutoCompactBackoff)), int64(maxAutoCompactBackoff)))
		s.auto.backoff.Store(int64(wait))
		s.auto.retryAt.Store(time.Now().Add(wait).UnixNano())
		s.log.Error("background compaction failed", "fragmentation", frag, "error", err, "next_attempt_after", wait)
		// Counted after it is logged: whoever sees the count sees the line.
		s.auto.failed.Add(1)
		return
	}
	s.auto.backoff.Store(0)
	s.log.Info("background compaction done", "fragmentation", frag, "epoch", st.Epoch,
		"reclaimed", st.BytesReclaimed, "moved", st.Moved, "duration", st.Duration)
	s.noteFragmentation(false)
}

// compactRecovering is compactTimed with an injected panic turned into its
// error; any other panic is a real bug and goes on.
func (s *Store) compactRecovering() (st CompactionStats, err error) {
	defer recoverInjected(&err)
	return s.compactTimed()
}

// waitBackground waits for background compactions; called by Close after
// it released closeMu (they need it to finish).
func (s *Store) waitBackground() { s.auto.running.Wait() }
