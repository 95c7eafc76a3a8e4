package bench

import (
	"context"
	"fmt"
	"math/rand"
	"time"
)

// getsPerRun is how many random gets a run times: at scale 1, 10,000, so
// that the p99 is the 100th largest value rather than an outlier.
func getsPerRun(e *env) int { return e.scaled(10_000, 200) }

func runBaseline10k(ctx context.Context, e *env) error {
	return runThroughput(ctx, e, e.scaled(10_000, 100), false)
}

func runPerf100k(ctx context.Context, e *env) error {
	return runThroughput(ctx, e, e.scaled(100_000, 100), true)
}

// runThroughput puts n memories of the review's size mix into the store
// and into the raw baseline, then times random gets (verifying every byte)
// and, when detailed, a full iteration, and records RSS growth while the
// subject is still open.
func runThroughput(ctx context.Context, e *env, n int, detailed bool) error {
	gen := memoryGen{seed: e.cfg.Seed + int64(e.run), mix: reviewMix}
	specs := gen.specs("m-", n, 1)
	rates := map[string]float64{}
	getP99 := map[string]float64{}
	iter := map[string]float64{}
	for _, sub := range e.subjects() {
		fresh, err := e.openFresh(ctx, sub.name, sub.open)
		if err != nil {
			return err
		}
		s, before := fresh.s, fresh.before
		puts, total, err := putAllOrClose(s, specs)
		if err != nil {
			return err
		}
		gets, err := getRandom(s, specs, getsPerRun(e), rand.New(rand.NewSource(e.cfg.Seed+int64(e.run))))
		e.check(sub.name+": every get returns every byte that was put", err)
		if err != nil {
			s.Close()
			return nil
		}
		var count int
		var iterTime time.Duration
		if detailed {
			count, iterTime, err = iterateAll(s)
			if err == nil && count != n {
				err = fmt.Errorf("%w: %s: iterate visited %d memories, want %d", ErrCorruptData, sub.name, count, n)
			}
			e.check(sub.name+": iterate visits every memory once", err)
		}
		// RSS is read after the timed gets and iteration: settling returns
		// freed heap pages to the OS, and the allocations of timed calls
		// right after it would fault them back in.
		after, err := settledRSS()
		if err != nil {
			s.Close()
			return err
		}
		if err := s.Close(); err != nil {
			return fmt.Errorf("%s: close: %w", sub.name, err)
		}

		name := func(m string) string { return metricName(sub.name, m) }
		putNanos := nanosOf(puts)
		sortedPuts := sortedCopy(putNanos)
		rates[sub.name] = float64(n) / total.Seconds()
		e.res.record(name("put.rate"), UnitOpsSec, HigherIsBetter, "puts per second on one goroutine (n / sum of put call times)", rates[sub.name])
		e.res.record(name("put.total_time"), UnitNanos, LowerIsBetter, "sum of the n put call times", float64(total))
		sortedGets := sortedCopy(gets)
		getP99[sub.name] = Quantile(sortedGets, 0.99)
		e.res.record(name("get.p50"), UnitNanos, LowerIsBetter, "median latency of random gets", Quantile(sortedGets, 0.5))
		e.res.record(name("get.p99"), UnitNanos, LowerIsBetter, "p99 latency of random gets", getP99[sub.name])
		e.res.record(name("get.max"), UnitNanos, LowerIsBetter, "slowest random get", sortedGets[len(sortedGets)-1])
		e.res.recordSigned(name("rss.growth"), UnitBytes, LowerIsBetter, "VmRSS with the n memories stored (after gets and iteration, settled) minus before open", float64(after.VmRSS)-float64(before.VmRSS))
		e.res.recordSigned(name("rss.anon_growth"), UnitBytes, LowerIsBetter, "RssAnon (heap, not mapped files) with the n memories stored minus before open", float64(after.RssAnon)-float64(before.RssAnon))
		e.res.recordSigned(name("rss.file_growth"), UnitBytes, Informational, "RssFile (mapped file pages) with the n memories stored minus before open", float64(after.RssFile)-float64(before.RssFile))
		e.res.recordSigned(name("rss.anon_per_memory"), UnitBytesMem, LowerIsBetter, "resident memory beyond the mapped data per memory: RssAnon growth / n", (float64(after.RssAnon)-float64(before.RssAnon))/float64(n))
		if detailed {
			for _, q := range []struct {
				name string
				q    float64
			}{{"put.p50", 0.5}, {"put.p90", 0.9}, {"put.p95", 0.95}, {"put.p99", 0.99}, {"put.p999", 0.999}} {
				e.res.record(name(q.name), UnitNanos, LowerIsBetter, fmt.Sprintf("put latency quantile %g", q.q), Quantile(sortedPuts, q.q))
			}
			e.res.record(name("put.max"), UnitNanos, LowerIsBetter, "slowest put", sortedPuts[len(sortedPuts)-1])
			if p50 := Quantile(sortedPuts, 0.5); p50 > 0 {
				e.res.record(name("put.tail_ratio"), UnitRatio, LowerIsBetter, "put p99.9 / put p50 (the review's \"cliff ratio\")", Quantile(sortedPuts, 0.999)/p50)
			}
			deg, err := degradation(putNanos)
			if err != nil {
				return err
			}
			e.res.record(name("put.degradation"), UnitRatio, LowerIsBetter, "p99 of the last tenth of the puts in time order / p99 of the first tenth", deg)
			iter[sub.name] = float64(iterTime)
			e.res.record(name("iterate.time"), UnitNanos, LowerIsBetter, "full iteration of n memories", float64(iterTime))
			e.res.record(name("iterate.rate"), UnitItemsSec, HigherIsBetter, "memories per second of a full iteration", float64(count)/iterTime.Seconds())
		}
		if sub.name == "store" {
			e.last.putStore, e.last.getStore = puts, gets
		} else {
			e.last.putRaw, e.last.getRaw = puts, gets
		}
	}
	if len(rates) == 2 {
		e.res.record("put.rate_vs_raw", UnitRatio, HigherIsBetter, "store put rate / raw baseline put rate", rates["store"]/rates["raw"])
		e.res.record("get.p99_vs_raw", UnitRatio, LowerIsBetter, "store get p99 / raw baseline get p99", getP99["store"]/getP99["raw"])
		if detailed {
			e.res.record("iterate.time_vs_raw", UnitRatio, LowerIsBetter, "store iteration time / raw baseline iteration time", iter["store"]/iter["raw"])
		}
	}
	return nil
}

// finishThroughput draws the latest run's latencies.
func finishThroughput(e *env) error {
	if p := e.plotPath("put-latency-quantiles.png"); p != "" && len(e.last.putStore) > 0 {
		series := []QuantileSeries{{"store put", nanosOf(e.last.putStore)}, {"raw put", nanosOf(e.last.putRaw)},
			{"store get", e.last.getStore}, {"raw get", e.last.getRaw}}
		if err := PlotQuantiles(series, "latency quantiles (last run)", p); err != nil {
			return err
		}
	}
	if p := e.plotPath("put-latency-over-time.png"); p != "" && len(e.last.putStore) > 0 {
		points := make([]opPoint, 0, len(e.last.putStore))
		for _, t := range e.last.putStore {
			points = append(points, opPoint{Start: t.Start / 1e9, Latency: t.Nanos / 1e9, Series: "put ok"})
		}
		if err := plotLatencyPoints(points, nil, p); err != nil {
			return err
		}
	}
	return nil
}
