package client

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// discardSink encodes nothing and keeps nothing: the cost of the recorder
// alone. benchHistory uses the real history writer.
type discardSink struct{ n atomic.Int64 }

func (d *discardSink) Append(history.Event) error { d.n.Add(1); return nil }
func (d *discardSink) Flush() error               { return nil }

// cpuTime is the CPU time (user + system) this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// mixedLoad runs workers x opsEach operations (60% get, 30% put, 10%
// update-activation over 1000 ids, 100-byte content) through clients[i].
func mixedLoad(clients []Client, opsEach int) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	for w, c := range clients {
		wg.Add(1)
		go func(w int, c Client) {
			defer wg.Done()
			ctx := context.Background()
			if os.Getenv("H6_CANCELCTX") != "" {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
			}
			content := make([]byte, 100)
			x := uint64(w+1) * 0x9e3779b97f4a7c15
			for i := 0; i < opsEach; i++ {
				id := fmt.Sprintf("m%d", (i*7+w*131)%1000)
				switch i % 10 {
				case 0, 1, 2:
					copy(content, fmt.Sprintf("%s/w%d/n%d", id, w, i))
					// A unique embedding per put, as workloads write.
					emb := make([]float32, store.EmbeddingDim)
					for j := range emb {
						x ^= x << 13
						x ^= x >> 7
						x ^= x << 17
						emb[j] = float32(int32(x>>32)) / (1 << 31)
					}
					c.Put(ctx, id, store.Memory{Embedding: emb, Content: content, Confidence: 0.5})
				case 3:
					c.UpdateActivation(ctx, id, float32(i))
				default:
					c.Get(ctx, id)
				}
			}
		}(w, c)
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkRecordedVsUnrecorded measures the same in-process mixed load
// unrecorded and recorded into a real history file (the recorder's default
// options: 5 s operation timeout, 100 ms flush), in ten alternating rounds so
// that the machine's load drifts over both alike, and reports both
// throughputs and the median of the per-round ratios (target >= 0.70).
// On a shared machine wall-clock ratios swing with other processes' load, so
// it also reports operations per CPU-second (user+system time of this
// process, getrusage) recorded vs unrecorded: what the ratio is on a
// dedicated machine, where the load is CPU-bound.
func BenchmarkRecordedVsUnrecorded(b *testing.B) {
	const workers, rounds = 4, 10
	opsEach := max(b.N/workers/rounds, 500)
	s, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	c := NewInProcess(s)
	defer c.Close()
	plain := make([]Client, workers)
	for i := range plain {
		plain[i] = c
	}
	mixedLoad(plain, 2000) // warm up: ids exist, files grown
	b.ResetTimer()
	var plainT, recT, plainCPU, recCPU time.Duration
	var ratios []float64
	path := b.TempDir() + "/h.wch"
	for round := 0; round < rounds; round++ {
		c0 := cpuTime()
		pt := mixedLoad(plain, opsEach)
		c1 := cpuTime()
		hw, err := history.Create(path, history.Header{Workers: workers})
		if err != nil {
			b.Fatal(err)
		}
		opts := RecorderOptions{Workers: workers}
		if os.Getenv("H6_NOTIMEOUT") != "" {
			opts.OpTimeout = -1
		}
		var sink EventSink = hw
		if os.Getenv("H6_DISCARD") != "" {
			sink = &discardSink{}
		}
		rec, err := NewRecorder(sink, c, opts)
		if err != nil {
			b.Fatal(err)
		}
		recorded := make([]Client, workers)
		for i := range recorded {
			recorded[i] = rec.Worker(i)
		}
		c2 := cpuTime()
		rt := mixedLoad(recorded, opsEach)
		c3 := cpuTime()
		for _, w := range recorded {
			w.Close()
		}
		rec.Close()
		hw.Close()
		os.Remove(path)
		plainT += pt
		recT += rt
		plainCPU += c1 - c0
		recCPU += c3 - c2
		ratios = append(ratios, pt.Seconds()/rt.Seconds())
	}
	b.StopTimer()
	sort.Float64s(ratios)
	ops := float64(rounds * workers * opsEach)
	b.ReportMetric(ops/plainT.Seconds(), "unrecorded-ops/s")
	b.ReportMetric(ops/recT.Seconds(), "recorded-ops/s")
	b.ReportMetric((ratios[rounds/2-1]+ratios[rounds/2])/2, "median-ratio")
	b.ReportMetric(plainT.Seconds()/recT.Seconds(), "total-ratio")
	b.ReportMetric(plainCPU.Seconds()/recCPU.Seconds(), "cpu-ratio")
}

// BenchmarkRemote measures a child-process store over the socket
// (unrecorded), with 1 and 4 workers: each concurrent worker gets its own
// pooled connection, served by its own goroutine in the child.
func BenchmarkRemote(b *testing.B) {
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			ps, err := StartProcess(context.Background(), ProcessConfig{
				Serve:   ServeConfig{Dir: b.TempDir()},
				Command: []string{os.Args[0], "serve-store"},
				Env:     []string{childEnv + "=serve"},
			})
			if err != nil {
				b.Fatal(err)
			}
			defer ps.Close()
			clients := make([]Client, workers)
			for i := range clients {
				clients[i] = ps.Client()
			}
			opsEach := max(b.N/workers, 500)
			b.ResetTimer()
			d := mixedLoad(clients, opsEach)
			b.ReportMetric(float64(workers*opsEach)/d.Seconds(), "ops/s")
		})
	}
}
