package bench

import (
	"context"
	"fmt"
	"math"
)

// leakCycles is the number of put/remove cycles of one leak run.
const leakCycles = 10

// runLeak does leakCycles cycles of "put 10K new memories, remove them
// all" on one open store, reading RSS (settled: after GC and returning
// freed pages) after every cycle, and records the least-squares slope of
// each RSS figure per cycle. The same cycles run on the raw baseline, which
// never reuses space: its file-backed RSS grows by design.
func runLeak(ctx context.Context, e *env) error {
	per := e.scaled(10_000, 100)
	gen := memoryGen{seed: e.cfg.Seed + int64(e.run), mix: reviewMix}
	for _, sub := range e.subjects() {
		name := func(m string) string { return metricName(sub.name, m) }
		fresh, err := e.openFresh(ctx, sub.name, sub.open)
		if err != nil {
			return err
		}
		s, before := fresh.s, fresh.before
		var xs, vm, anon, file []float64
		var last RSS
		for cycle := 1; cycle <= leakCycles; cycle++ {
			if err := ctx.Err(); err != nil {
				s.Close()
				return err
			}
			specs := gen.specs(fmt.Sprintf("c%d-", cycle), per, int64(10+cycle))
			if _, _, err := putAll(s, specs); err != nil {
				s.Close()
				return err
			}
			for _, sp := range specs {
				if found, err := s.Remove(sp.ID); err != nil || !found {
					s.Close()
					return fmt.Errorf("%s: remove %s: found %v, err %v", sub.name, sp.ID, found, err)
				}
			}
			rss, err := settledRSS()
			if err != nil {
				s.Close()
				return err
			}
			last = rss
			if sub.name == "store" {
				e.last.leak = append(e.last.leak, LeakSample{Run: e.run, Cycle: cycle, RSS: rss})
			}
			xs = append(xs, float64(cycle))
			vm, anon, file = append(vm, float64(rss.VmRSS)), append(anon, float64(rss.RssAnon)), append(file, float64(rss.RssFile))
		}
		count, _, err := iterateAll(s)
		if err == nil && count != 0 {
			err = fmt.Errorf("%w: %s: %d memories left after removing everything", ErrCorruptData, sub.name, count)
		}
		e.check(sub.name+": nothing left after removing everything", err)
		sp := s.Space()
		if err := s.Close(); err != nil {
			return fmt.Errorf("%s: close: %w", sub.name, err)
		}
		for _, f := range []struct {
			metric, doc string
			ys          []float64
			dir         Direction
		}{
			{"leak.vmrss_slope", "least-squares slope of VmRSS per cycle (this run)", vm, LowerIsBetter},
			{"leak.anon_slope", "slope of RssAnon (heap) per cycle", anon, LowerIsBetter},
			{"leak.file_slope", "slope of RssFile (mapped pages) per cycle", file, Informational},
		} {
			fit, err := FitLine(xs, f.ys, DefaultConfidence)
			if err != nil {
				return err
			}
			e.res.recordSigned(name(f.metric), UnitBytesPer, f.dir, f.doc, fit.Slope)
		}
		e.res.recordSigned(name("leak.vmrss_growth"), UnitBytes, LowerIsBetter, "VmRSS after the last cycle minus before open", float64(last.VmRSS)-float64(before.VmRSS))
		e.res.record(name("leak.file_bytes"), UnitBytes, Informational, "data file bytes after the last cycle", float64(sp.FileBytes))
	}
	return nil
}

// finishLeak pools the store's cycles of every run into one fit per RSS
// figure, with its confidence interval, and plots it. Each run's RSS level
// differs (the raw baseline and earlier runs leave the heap at different
// sizes), so every run is first shifted to the grand mean (a fixed effect
// per run): the slope is then the within-run slope. The interval uses n-2
// degrees of freedom, not n-1-runs: slightly narrow when runs are many.
func finishLeak(e *env) error {
	pts := e.last.leak
	if len(pts) < 3 {
		return nil
	}
	centered := centerRuns(pts)
	l := &LeakFit{Cycles: leakCycles, Points: centered}
	xs := make([]float64, len(centered))
	vm, anon, file := make([]float64, len(centered)), make([]float64, len(centered)), make([]float64, len(centered))
	for i, p := range centered {
		xs[i], vm[i], anon[i], file[i] = float64(p.Cycle), float64(p.VmRSS), float64(p.RssAnon), float64(p.RssFile)
	}
	var err error
	if l.VmRSS, err = FitLine(xs, vm, DefaultConfidence); err != nil {
		return err
	}
	if l.Anon, err = FitLine(xs, anon, DefaultConfidence); err != nil {
		return err
	}
	if l.File, err = FitLine(xs, file, DefaultConfidence); err != nil {
		return err
	}
	e.res.Leak = l
	if l.VmRSS.Slope >= mib && l.Anon.Slope < mib && l.File.Slope >= mib {
		e.note(fmt.Sprintf("leak: the growth is in mapped file pages (RssFile %s/cycle), not the heap (RssAnon %s/cycle): the store's files keep growing across put/remove cycles without a Compact (see leak.file_bytes)",
			FormatValue(l.File.Slope, UnitBytes), FormatValue(l.Anon.Slope, UnitBytes)))
	}
	if p := e.plotPath("leak-rss.png"); p != "" {
		return PlotLeak(l, p)
	}
	return nil
}

// centerRuns shifts each run's samples so that its mean equals the mean
// over all runs, figure by figure.
func centerRuns(pts []LeakSample) []LeakSample {
	type acc struct{ vm, anon, file, n float64 }
	per := map[int]*acc{}
	var all acc
	for _, p := range pts {
		a := per[p.Run]
		if a == nil {
			a = &acc{}
			per[p.Run] = a
		}
		for _, x := range []*acc{a, &all} {
			x.vm += float64(p.VmRSS)
			x.anon += float64(p.RssAnon)
			x.file += float64(p.RssFile)
			x.n++
		}
	}
	shift := func(v uint64, runSum, runN, allSum, allN float64) uint64 {
		return uint64(math.Max(0, math.Round(float64(v)-runSum/runN+allSum/allN)))
	}
	out := make([]LeakSample, len(pts))
	for i, p := range pts {
		a := per[p.Run]
		out[i] = LeakSample{Run: p.Run, Cycle: p.Cycle, RSS: RSS{
			VmRSS:   shift(p.VmRSS, a.vm, a.n, all.vm, all.n),
			RssAnon: shift(p.RssAnon, a.anon, a.n, all.anon, all.n),
			RssFile: shift(p.RssFile, a.file, a.n, all.file, all.n),
		}}
	}
	return out
}
