package sched

import (
	"fmt"
	"testing"
)

// BenchmarkStep is the cost of one scheduling step (a Point and, mostly, a
// switch to another task) with 16 tasks, the mixed workload's shape.
func BenchmarkStep(b *testing.B) {
	for _, mode := range []Mode{ModeRandom, ModePCT} {
		b.Run(string(mode), func(b *testing.B) {
			const tasks = 16
			per := max(b.N/tasks, 1)
			s, err := New(Config{Mode: mode, Seed: 1, Steps: per * tasks, MaxSteps: 4 * per * tasks})
			if err != nil {
				b.Fatal(err)
			}
			for i := range tasks {
				if _, err := s.Go(fmt.Sprintf("t%d", i), false, func() {
					for range per {
						s.Point("p")
					}
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			if res := s.Run(); res.Err != nil {
				b.Fatal(res.Err)
			}
		})
	}
}
