package store

import (
	"sync/atomic"
	"time"
)

// Metrics is a snapshot of the store's operational counters, for a
// monitoring adapter (package storemetrics exports it to Prometheus) or a
// run's report. Counters only grow while the store is open; they start at
// zero at every Open.
type Metrics struct {
	Stats // accounting at this moment (Live, content bytes, Fragmentation, TornDiscarded, ...)

	// CompactionSeconds covers every completed compaction, called or
	// automatic; CompactionFailures counts those that returned an error.
	CompactionSeconds  Histogram
	CompactionFailures uint64
	// AutoCompactions counts background compactions started,
	// AutoCompactionFailures those that failed (each is also logged).
	AutoCompactions        uint64
	AutoCompactionFailures uint64
	// FragmentationAlerts counts the warnings logged when fragmentation
	// crossed the threshold (once per crossing).
	FragmentationAlerts uint64
	// SyncSeconds covers every Sync (explicit, group commit, SyncEveryOp,
	// compaction's); SyncFailures counts those that returned an error.
	SyncSeconds  Histogram
	SyncFailures uint64
	// OnlineCheck says whether Options.CheckPlacements is on; the collision
	// counts are zero when it is off.
	OnlineCheck       bool
	SlotCollisions    uint64 // Puts refused: their slot was held by a live record or another Put
	ContentCollisions uint64 // Puts refused: their content range overlapped one reserved earlier in the epoch
}

// Histogram is a cumulative histogram of durations in seconds, in the shape
// Prometheus exposes: Counts[i] observations were <= UpperBounds[i]; Count
// counts all of them (the +Inf bucket).
type Histogram struct {
	UpperBounds []float64
	Counts      []uint64
	Count       uint64
	SumSeconds  float64
}

// latencyBounds are the bucket upper bounds of every store histogram: from
// a page-cache msync to a 1M-memory compaction. An array, so a call
// allocates nothing.
func latencyBounds() [numLatencyBuckets]time.Duration {
	return [numLatencyBuckets]time.Duration{
		50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
		time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
		25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
		500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
	}
}

const numLatencyBuckets = 17

// latencyHistogram counts durations into latencyBounds with atomics: an
// observation is two atomic adds and a short search, safe from any
// goroutine. counts[numLatencyBuckets] is the +Inf bucket.
type latencyHistogram struct {
	counts   [numLatencyBuckets + 1]atomic.Uint64
	sumNanos atomic.Uint64
}

func (h *latencyHistogram) observe(d time.Duration) {
	i := 0
	for _, b := range latencyBounds() {
		if d <= b {
			break
		}
		i++
	}
	h.counts[i].Add(1)
	h.sumNanos.Add(uint64(max(d, 0)))
}

func (h *latencyHistogram) snapshot() Histogram {
	bounds := latencyBounds()
	out := Histogram{UpperBounds: make([]float64, len(bounds)), Counts: make([]uint64, len(bounds))}
	var cum uint64
	for i, b := range bounds {
		cum += h.counts[i].Load()
		out.UpperBounds[i] = b.Seconds()
		out.Counts[i] = cum
	}
	out.Count = cum + h.counts[numLatencyBuckets].Load()
	out.SumSeconds = time.Duration(h.sumNanos.Load()).Seconds()
	return out
}

// opCounters are the store's operational counters (Metrics).
type opCounters struct {
	compactions        latencyHistogram
	compactionFailures atomic.Uint64
	syncs              latencyHistogram
	syncFailures       atomic.Uint64
}

// observeSync records one Sync that began at start; deferred by sync with
// its error.
func (c *opCounters) observeSync(start time.Time, err *error) {
	c.syncs.observe(time.Since(start))
	if *err != nil {
		c.syncFailures.Add(1)
	}
}

// compactTimed is compact with its duration or failure (an error or a
// panic) counted; the caller holds closeMu for reading and has set
// s.compacting.
func (s *Store) compactTimed() (st CompactionStats, err error) {
	done := false
	defer func() {
		if !done {
			s.counters.compactionFailures.Add(1)
		}
	}()
	if st, err = s.compact(); err != nil {
		return st, err
	}
	done = true
	s.counters.compactions.observe(st.Duration)
	return st, nil
}

// Metrics returns the store's counters and accounting at this moment.
func (s *Store) Metrics() Metrics {
	m := Metrics{
		Stats:                  s.Stats(),
		CompactionSeconds:      s.counters.compactions.snapshot(),
		CompactionFailures:     s.counters.compactionFailures.Load(),
		AutoCompactions:        s.auto.started.Load(),
		AutoCompactionFailures: s.auto.failed.Load(),
		FragmentationAlerts:    s.auto.alerts.Load(),
		SyncSeconds:            s.counters.syncs.snapshot(),
		SyncFailures:           s.counters.syncFailures.Load(),
	}
	if g := s.guard; g != nil {
		m.OnlineCheck = true
		m.SlotCollisions = g.slotCollisions.Load()
		m.ContentCollisions = g.contentCollisions.Load()
	}
	return m
}
