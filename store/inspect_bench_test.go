package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/store"
)

// BenchmarkInspect: Inspect of a cleanly closed store of n memories (the
// bench mix of content sizes), files in the page cache: every slot and
// every content byte is read and checksummed.
func BenchmarkInspect(b *testing.B) {
	for _, sc := range benchScales(b) {
		d := newBenchData(sc.n)
		b.Run(fmt.Sprintf("n=%s", sc.name), func(b *testing.B) {
			b.StopTimer()
			dir, remove := benchDir(b)
			defer remove()
			s, _, _ := d.fillStore(b, dir, store.Options{})
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			var total time.Duration
			var read uint64
			for i := 0; i < b.N; i++ {
				b.StartTimer()
				start := time.Now()
				rep, err := store.Inspect(dir, store.InspectOptions{})
				total += time.Since(start)
				b.StopTimer()
				if err != nil || rep.Verdict != store.Consistent || rep.Stats.Live != uint64(sc.n) {
					b.Fatalf("Inspect: %v %v %d live %v", err, rep.Verdict, rep.Stats.Live, rep.Problems)
				}
				read += rep.Stats.BlocksFileBytes + rep.Stats.ContentBytesLive
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/inspect")
			b.ReportMetric(float64(read)/1e6/total.Seconds(), "MB/s")
		})
	}
}
