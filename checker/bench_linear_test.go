package checker

import (
	"context"
	"testing"

	"github.com/warmcheck/warmcheck/checker/internal/synth"
)

// The linearizable check's benchmarks, through the check (pairing, register
// view, engine, composition). The engine's scale measurements against plain
// porcupine are in checker/internal/register/scale_test.go.

// hotMix is the hot-spot workload's register mix (workload/registry.go:
// put 45, get 45, update-activation 6, remove 2), with 1% of operations
// ending info and 1% failing.
func hotMix(seed uint64, workers, memories, ops int) synth.Config {
	return synth.Config{Seed: seed, Workers: workers, Memories: memories, Ops: ops,
		Put: 45, Get: 45, Update: 6, Remove: 2, InfoRate: 0.01, FailRate: 0.01}
}

// BenchmarkLinearizableHot1 is one 10K-operation, 20-worker, one-memory
// history per iteration (the check only), in the hot-spot mix with removes.
func BenchmarkLinearizableHot1(b *testing.B) {
	benchHot1(b, hotMix(3, 20, 1, 10_000))
}

// BenchmarkLinearizableHot1NoRemoves is the same without removes.
func BenchmarkLinearizableHot1NoRemoves(b *testing.B) {
	cfg := hotMix(3, 20, 1, 10_000)
	cfg.Remove = 0
	benchHot1(b, cfg)
}

func benchHot1(b *testing.B, cfg synth.Config) {
	events := synth.Generate(cfg)
	c := newLinearizableCheck().(*linearizableCheck)
	b.ResetTimer()
	for range b.N {
		if r := c.Run(context.Background(), &Input{Events: events}); r.Verdict != Valid {
			b.Fatal(r.Summary)
		}
	}
}

// BenchmarkLinearizablePutGetHot1 is the same with puts and gets only (the
// zone check's O(n log n) path).
func BenchmarkLinearizablePutGetHot1(b *testing.B) {
	cfg := hotMix(3, 20, 1, 10_000)
	cfg.Update, cfg.Remove = 0, 0
	events := synth.Generate(cfg)
	c := newLinearizableCheck().(*linearizableCheck)
	b.ResetTimer()
	for range b.N {
		if r := c.Run(context.Background(), &Input{Events: events}); r.Verdict != Valid {
			b.Fatal(r.Summary)
		}
	}
}
