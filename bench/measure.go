package bench

import (
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/warmcheck/warmcheck/store"
)

// settledRSS collects garbage and returns freed pages to the OS before
// reading RSS, so that RSS counts what is retained, not what the collector
// has not yet handed back.
func settledRSS() (RSS, error) {
	runtime.GC()
	debug.FreeOSMemory()
	return ReadRSS()
}

// putAll puts every spec, timing each call; it returns the latencies in
// time order and the sum of the call times. Generating a memory's bytes is
// outside the timed region.
func putAll(s subject, specs []spec) ([]timedLatency, time.Duration, error) {
	emb := make([]float32, store.EmbeddingDim)
	buf := make([]byte, 0, 128<<10)
	lat := make([]timedLatency, len(specs))
	var total time.Duration
	origin := time.Now()
	for i, sp := range specs {
		m := sp.memory(emb, buf)
		t0 := time.Now()
		err := s.Put(sp.ID, m)
		d := time.Since(t0)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: put %s (%d of %d): %w", s.Name(), sp.ID, i+1, len(specs), err)
		}
		lat[i] = timedLatency{Start: float64(t0.Sub(origin)), Nanos: float64(d)}
		total += d
	}
	return lat, total, nil
}

// getRandom gets k random specs (with replacement), timing each, and
// verifies every byte of every answer outside the timed region. As many
// untimed gets go first: every Get allocates its 3 KB embedding, and until
// the heap has grown to its steady size (after settledRSS has handed pages
// back to the OS) each allocation faults a fresh page in, which measured
// ~10 us per get instead of ~1 us: the runtime's cost, not the store's.
func getRandom(s subject, specs []spec, k int, rng *rand.Rand) ([]float64, error) {
	for i := 0; i < k; i++ {
		if _, _, err := s.Get(specs[rng.Intn(len(specs))].ID); err != nil {
			return nil, fmt.Errorf("%s: warm-up get: %w", s.Name(), err)
		}
	}
	lat := make([]float64, 0, k)
	buf := make([]byte, 0, 128<<10)
	for i := 0; i < k; i++ {
		sp := specs[rng.Intn(len(specs))]
		t0 := time.Now()
		m, found, err := s.Get(sp.ID)
		d := time.Since(t0)
		if err != nil {
			return nil, fmt.Errorf("%s: get %s: %w", s.Name(), sp.ID, err)
		}
		if !found {
			return nil, fmt.Errorf("%w: %s: get %s: missing after a successful put", ErrCorruptData, s.Name(), sp.ID)
		}
		if err := sp.verify(m, buf); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name(), err)
		}
		lat = append(lat, float64(d))
	}
	return lat, nil
}

// iterateViewAll walks every memory without copies (a metadata scan: the
// visitor gets each memory's id, scalars and views of its bytes, and reads
// none of the bytes) and returns how many and how long.
func iterateViewAll(s subject) (int, time.Duration, error) {
	return timeScan(s, "iterate view", s.IterateView)
}

// iterateAll walks every memory and returns how many and how long.
func iterateAll(s subject) (int, time.Duration, error) {
	return timeScan(s, "iterate", s.Iterate)
}

// timeScan counts the memories one full scan visits and times it.
func timeScan(s subject, what string, scan func(func(string, store.Memory) bool) error) (int, time.Duration, error) {
	n := 0
	t0 := time.Now()
	err := scan(func(string, store.Memory) bool { n++; return true })
	d := time.Since(t0)
	if err != nil {
		return n, d, fmt.Errorf("%s: %s: %w", s.Name(), what, err)
	}
	return n, d, nil
}

// nanosOf extracts the latencies of a timed series.
func nanosOf(ts []timedLatency) []float64 {
	out := make([]float64, len(ts))
	for i, t := range ts {
		out[i] = t.Nanos
	}
	return out
}

// sortedCopy returns xs sorted ascending.
func sortedCopy(xs []float64) []float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s
}

// degradation is the p99 of the last tenth of a run's latencies, in time
// order, divided by the p99 of its first tenth. (The original computed this
// on the sorted array, where it is p99/p99 = 1 or p99/p1: meaningless.)
func degradation(inTimeOrder []float64) (float64, error) {
	tenth := len(inTimeOrder) / 10
	if tenth < 1 {
		return 0, fmt.Errorf("%w: degradation needs at least 10 operations, have %d", ErrEmptySample, len(inTimeOrder))
	}
	first := sortedCopy(inTimeOrder[:tenth])
	last := sortedCopy(inTimeOrder[len(inTimeOrder)-tenth:])
	p := Quantile(first, 0.99)
	if p <= 0 {
		return 0, fmt.Errorf("%w: first-tenth p99 is %v", ErrBadSample, p)
	}
	return Quantile(last, 0.99) / p, nil
}

// removeAll deletes a directory tree.
func removeAll(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// dropPageCache flushes and evicts the page cache of every regular file in
// dir (fsync, then posix_fadvise DONTNEED), so that the next read of them
// comes from the disk. It touches only these files: unlike
// /proc/sys/vm/drop_caches it needs no privilege and disturbs nothing else.
func dropPageCache(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("bench: drop page cache: %w", err)
		}
		defer f.Close()
		if err := f.Sync(); err != nil {
			return fmt.Errorf("bench: drop page cache: fsync %s: %w", path, err)
		}
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			return fmt.Errorf("bench: drop page cache: fadvise %s: %w", path, err)
		}
		return nil
	})
}

// putAllOrClose is putAll that closes s when a put fails, so a profile can
// return the error as it is.
func putAllOrClose(s subject, specs []spec) ([]timedLatency, time.Duration, error) {
	lat, total, err := putAll(s, specs)
	if err != nil {
		s.Close()
	}
	return lat, total, err
}
