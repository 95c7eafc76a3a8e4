package store_test

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/store"
)

// BenchmarkPutOnlineCheck measures the cost of the online invariant check
// (Options.CheckPlacements): one op fills two fresh stores with the same
// 50K Puts from GOMAXPROCS goroutines, without and with the check, in
// alternating order, and reports both throughputs and the check's cost in
// percent of the unchecked throughput, so that the comparison is made under
// the same machine load.
//
//	go test -run='^$' -bench=PutOnlineCheck -benchtime=5x ./store/
func BenchmarkPutOnlineCheck(b *testing.B) {
	const n = 50_000
	d := newBenchData(n)
	var off, on time.Duration
	for i := 0; i < b.N; i++ {
		first, second := false, true
		if i%2 == 1 {
			first, second = true, false
		}
		for _, check := range []bool{first, second} {
			d := d.fillParallel(b, store.Options{CheckPlacements: check})
			if check {
				on += d
			} else {
				off += d
			}
		}
	}
	offRate := float64(b.N*n) / off.Seconds()
	onRate := float64(b.N*n) / on.Seconds()
	b.ReportMetric(offRate, "puts/s-off")
	b.ReportMetric(onRate, "puts/s-on")
	b.ReportMetric(100*(offRate-onRate)/offRate, "cost-%")
}

// fillParallel puts every memory of d into a fresh store opened with opts,
// from GOMAXPROCS goroutines, and returns how long the Puts took.
func (d *benchData) fillParallel(b *testing.B, opts store.Options) time.Duration {
	b.StopTimer()
	defer b.StartTimer()
	dir, remove := benchDir(b)
	defer remove()
	s, err := store.Open(dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	workers := runtime.GOMAXPROCS(0)
	b.StartTimer()
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < len(d.ids); k += workers {
				if _, err := s.Put(d.ids[k], d.memory(k)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(t0)
	b.StopTimer()
	return took
}
