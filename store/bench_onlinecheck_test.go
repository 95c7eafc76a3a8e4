package store_test

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/warmcheck/warmcheck/store"
)

// BenchmarkPutOnlineCheck measures the cost of the online invariant check
// (Options.CheckPlacements): one op fills two fresh stores with the same
// 50K Puts from GOMAXPROCS goroutines, without and with the check, in
// alternating order, and reports both throughputs and the check's cost in
// percent of the unchecked throughput (cost-%, wall time) and of the
// process CPU time per Put (cpu-cost-%, which other processes on a busy
// machine distort less), so that the comparison is made under the same
// machine load.
//
//	go test -run='^$' -bench=PutOnlineCheck -benchtime=5x ./store/
func BenchmarkPutOnlineCheck(b *testing.B) {
	const n = 50_000
	d := newBenchData(n)
	var off, on, offCPU, onCPU time.Duration
	for i := 0; i < b.N; i++ {
		first, second := false, true
		if i%2 == 1 {
			first, second = true, false
		}
		for _, check := range []bool{first, second} {
			wall, cpu := d.fillParallel(b, store.Options{CheckPlacements: check})
			if check {
				on, onCPU = on+wall, onCPU+cpu
			} else {
				off, offCPU = off+wall, offCPU+cpu
			}
		}
	}
	offRate := float64(b.N*n) / off.Seconds()
	onRate := float64(b.N*n) / on.Seconds()
	b.ReportMetric(offRate, "puts/s-off")
	b.ReportMetric(onRate, "puts/s-on")
	b.ReportMetric(100*(offRate-onRate)/offRate, "cost-%")
	b.ReportMetric(float64(offCPU.Nanoseconds())/float64(b.N*n), "cpu-ns/put-off")
	b.ReportMetric(float64(onCPU.Nanoseconds())/float64(b.N*n), "cpu-ns/put-on")
	b.ReportMetric(100*float64(onCPU-offCPU)/float64(offCPU), "cpu-cost-%")
}

// processCPU is the CPU time of this process so far (user + system).
func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fillParallel puts every memory of d into a fresh store opened with opts,
// from GOMAXPROCS goroutines, and returns how long the Puts took and the
// process CPU time they used.
func (d *benchData) fillParallel(b *testing.B, opts store.Options) (wall, cpu time.Duration) {
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
	t0, c0 := time.Now(), processCPU()
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
	wall, cpu = time.Since(t0), processCPU()-c0
	b.StopTimer()
	return wall, cpu
}
