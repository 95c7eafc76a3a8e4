package checker

import (
	"context"
	"os"
	"testing"
)

// BenchmarkWholeStoreChecks times each whole-store check on a simulated
// concurrent history (hot: 50 workers on 10 memories; wide: 10 workers on
// 1,000 memories). 100K operations by default; 1M with WARMCHECK_LONG=1.
func BenchmarkWholeStoreChecks(b *testing.B) {
	ops := 100_000
	if os.Getenv("WARMCHECK_LONG") == "1" {
		ops = 1_000_000
	}
	for _, shape := range []struct {
		name          string
		workers, nIDs int
	}{{"hot-50x10", 50, 10}, {"wide-10x1000", 10, 1000}} {
		h := simulate(42, shape.workers, ops, shape.nIDs)
		in := h.input()
		for _, c := range instantiate(Options{}.withDefaults()) {
			if c.Name() == "linearizable" {
				continue // H4's benchmarks measure it side by side with porcupine
			}
			b.Run(shape.name+"/"+c.Name(), func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if r := c.Run(context.Background(), in); r.Verdict != Valid {
						b.Fatalf("%s: %s: %s", c.Name(), r.Verdict, r.Summary)
					}
				}
				b.ReportMetric(float64(len(in.Events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}
