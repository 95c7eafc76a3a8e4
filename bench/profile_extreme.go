package bench

import (
	"context"
	"fmt"
	"math/rand"
	"time"
)

// verifySample is how many random memories are read back and checked byte
// for byte after a reopen or a compaction.
const verifySample = 1000

// runExtreme1m puts 1M memories, closes, evicts the files from the page
// cache (dropPageCache), reopens and iterates cold (from the disk), then
// iterates again warm, then removes every tenth memory and compacts.
func runExtreme1m(ctx context.Context, e *env) error {
	n := e.scaled(1_000_000, 1000)
	gen := memoryGen{seed: e.cfg.Seed + int64(e.run), mix: reviewMix}
	specs := gen.specs("x-", n, 3)
	e.note("extreme-1m: cold = after close, fsync + posix_fadvise(DONTNEED) of the subject's files (page cache evicted), and reopen; warm = the iteration right after")
	rates := map[string]float64{}
	for _, sub := range e.subjects() {
		name := func(m string) string { return metricName(sub.name, m) }
		fresh, err := e.openFresh(ctx, sub.name, sub.open)
		if err != nil {
			return err
		}
		s, dir := fresh.s, fresh.dir
		_, total, err := putAllOrClose(s, specs)
		if err != nil {
			return err
		}
		if err := s.Close(); err != nil {
			return fmt.Errorf("%s: close: %w", sub.name, err)
		}
		rates[sub.name] = float64(n) / total.Seconds()
		e.res.record(name("put.rate"), UnitOpsSec, HigherIsBetter, "puts per second on one goroutine", rates[sub.name])

		if err := dropPageCache(dir); err != nil {
			return err
		}
		before, err := settledRSS()
		if err != nil {
			return err
		}
		t0 := time.Now()
		s, err = sub.open(dir)
		reopen := time.Since(t0)
		if err != nil {
			return fmt.Errorf("%s: reopen: %w", sub.name, err)
		}
		// The view scan first: it reads no embedding or content bytes, so
		// the copying scan after it still finds those pages cold.
		viewCount, viewTime, err := iterateViewAll(s)
		if err == nil && viewCount != n {
			err = fmt.Errorf("%w: %s: cold view iteration visited %d memories, want %d", ErrCorruptData, sub.name, viewCount, n)
		}
		e.check(sub.name+": cold view iteration after reopen visits every memory once", err)
		if err == nil {
			e.res.record(name("cold_iterate_view.rate"), UnitItemsSec, HigherIsBetter, "memories per second of a zero-copy scan right after reopen (IterateView: id, scalars and views; no bytes read)", float64(viewCount)/viewTime.Seconds())
		}
		count, iterTime, err := iterateAll(s)
		if err == nil && count != n {
			err = fmt.Errorf("%w: %s: cold iteration visited %d memories, want %d", ErrCorruptData, sub.name, count, n)
		}
		e.check(sub.name+": cold iteration after reopen visits every memory once", err)
		after, rerr := settledRSS()
		if rerr != nil {
			s.Close()
			return rerr
		}
		e.res.record(name("reopen.time"), UnitNanos, LowerIsBetter, "Open of an existing 1M store (recovery, index rebuild)", float64(reopen))
		e.res.record(name("cold_iterate.time"), UnitNanos, LowerIsBetter, "full iteration right after reopen", float64(iterTime))
		e.res.record(name("cold_iterate.rate"), UnitItemsSec, HigherIsBetter, "memories per second of the cold iteration", float64(count)/iterTime.Seconds())
		warmCount, warmTime, werr := iterateAll(s)
		if werr == nil && warmCount != n {
			werr = fmt.Errorf("%w: %s: warm iteration visited %d memories, want %d", ErrCorruptData, sub.name, warmCount, n)
		}
		if werr != nil {
			e.check(sub.name+": warm iteration visits every memory once", werr)
		} else {
			e.res.record(name("warm_iterate.time"), UnitNanos, LowerIsBetter, "full iteration again, pages now cached", float64(warmTime))
			e.res.record(name("warm_iterate.rate"), UnitItemsSec, HigherIsBetter, "memories per second of the warm iteration", float64(warmCount)/warmTime.Seconds())
		}
		e.res.record(name("rss.vmrss"), UnitBytes, Informational, "VmRSS after reopen and iteration", float64(after.VmRSS))
		e.res.record(name("rss.file"), UnitBytes, Informational, "RssFile (mapped pages) after reopen and iteration", float64(after.RssFile))
		e.res.recordSigned(name("rss.anon_per_memory"), UnitBytesMem, LowerIsBetter, "RssAnon growth over reopen and iteration / n: resident memory beyond the mapped data", (float64(after.RssAnon)-float64(before.RssAnon))/float64(n))

		rng := rand.New(rand.NewSource(e.cfg.Seed + int64(e.run)))
		_, err = getRandom(s, specs, verifySample, rng)
		e.check(sub.name+": random memories read back byte for byte after reopen", err)

		var live []spec
		for i, sp := range specs {
			if i%10 == 0 {
				if found, err := s.Remove(sp.ID); err != nil || !found {
					s.Close()
					return fmt.Errorf("%s: remove %s: found %v, err %v", sub.name, sp.ID, found, err)
				}
				continue
			}
			live = append(live, sp)
		}
		c, err := s.Compact()
		if err != nil {
			s.Close()
			return fmt.Errorf("%s: compact: %w", sub.name, err)
		}
		e.res.record(name("compact.time"), UnitNanos, LowerIsBetter, "Compact of 1M memories after removing every tenth", float64(c.Duration))
		e.res.record(name("compact.reclaimed"), UnitBytes, Informational, "bytes reclaimed by that compaction", float64(c.BytesReclaimed))
		count, _, err = iterateAll(s)
		if err == nil && count != len(live) {
			err = fmt.Errorf("%w: %s: after compaction iterate visited %d memories, want %d", ErrCorruptData, sub.name, count, len(live))
		}
		if err == nil {
			_, err = getRandom(s, live, verifySample, rng)
		}
		e.check(sub.name+": after compaction every live memory is there, byte for byte (sampled)", err)
		if err := s.Close(); err != nil {
			return fmt.Errorf("%s: close: %w", sub.name, err)
		}
		// Free the subject's files before the next one fills the disk and page cache.
		if err := removeAll(dir); err != nil {
			return err
		}
	}
	if len(rates) == 2 {
		e.res.record("put.rate_vs_raw", UnitRatio, HigherIsBetter, "store put rate / raw put rate", rates["store"]/rates["raw"])
		s, r := e.res.Metrics["cold_iterate.rate"], e.res.Metrics["raw.cold_iterate.rate"]
		if s != nil && r != nil && len(s.Samples) > 0 && len(r.Samples) > 0 {
			e.res.record("cold_iterate.rate_vs_raw", UnitRatio, HigherIsBetter, "store cold iteration rate / raw", s.Samples[len(s.Samples)-1]/r.Samples[len(r.Samples)-1])
		}
	}
	return nil
}
