package bench

import (
	"context"
	"fmt"
	"math/rand"

	"github.com/warmcheck/warmcheck/store"
)

// runFragmentation stores 20K memories of the review's fragmentation
// cascade, removes a random half (not the even ids: in the original every
// 100 KB memory had an even id, so its "huge" check was vacuous), stores 10K
// more, compacts, and verifies every byte of every live memory, that every
// removed one is gone, and that iteration visits exactly the live set;
// then again after close and reopen.
func runFragmentation(ctx context.Context, e *env) error {
	gen := memoryGen{seed: e.cfg.Seed + int64(e.run), mix: fragmentationMix}
	first := gen.specs("f-", e.scaled(20_000, 40), 4)
	second := gen.specs("n-", e.scaled(10_000, 20), 5)
	rng := rand.New(rand.NewSource(e.cfg.Seed + int64(e.run)))
	perm := rng.Perm(len(first))
	removed := map[int]bool{}
	for _, i := range perm[:len(first)/2] {
		removed[i] = true
	}
	var live, gone []spec
	for i, sp := range first {
		if removed[i] {
			gone = append(gone, sp)
		} else {
			live = append(live, sp)
		}
	}
	live = append(live, second...)

	compactTime := map[string]float64{}
	for _, sub := range e.subjects() {
		name := func(m string) string { return metricName(sub.name, m) }
		fresh, err := e.openFresh(ctx, sub.name, sub.open)
		if err != nil {
			return err
		}
		s, dir := fresh.s, fresh.dir
		if _, _, err := putAllOrClose(s, first); err != nil {
			return err
		}
		for _, sp := range gone {
			if found, err := s.Remove(sp.ID); err != nil || !found {
				s.Close()
				return fmt.Errorf("%s: remove %s: found %v, err %v", sub.name, sp.ID, found, err)
			}
		}
		if _, _, err := putAll(s, second); err != nil {
			s.Close()
			return err
		}
		before := s.Space()
		c, err := s.Compact()
		if err != nil {
			s.Close()
			return fmt.Errorf("%s: compact: %w", sub.name, err)
		}
		after := s.Space()
		e.res.record(name("frag.before"), UnitRatio, LowerIsBetter, "fragmentation (dead/total content bytes) before compaction", before.Fragmentation)
		e.res.record(name("frag.after"), UnitRatio, LowerIsBetter, "fragmentation after compaction", after.Fragmentation)
		e.res.record(name("compact.time"), UnitNanos, LowerIsBetter, "Compact duration", float64(c.Duration))
		compactTime[sub.name] = float64(c.Duration)
		e.res.record(name("compact.reclaimed"), UnitBytes, Informational, "bytes reclaimed by the compaction", float64(c.BytesReclaimed))
		e.res.record(name("content.total_before"), UnitBytes, Informational, "content bytes in the current epoch before compaction", float64(before.ContentBytesTotal))
		e.res.record(name("content.live"), UnitBytes, Informational, "live content bytes", float64(after.ContentBytesLive))
		if after.ContentBytesLive != before.ContentBytesLive {
			e.check(sub.name+": compaction keeps the live byte count", fmt.Errorf("%w: live content bytes %d before compaction, %d after", ErrCorruptData, before.ContentBytesLive, after.ContentBytesLive))
		}
		e.check(sub.name+": after compaction every byte of every live memory is intact, removed ones are gone", verifyExactly(s, live, gone))
		if err := s.Close(); err != nil {
			return fmt.Errorf("%s: close: %w", sub.name, err)
		}
		s, err = sub.open(dir)
		if err != nil {
			return fmt.Errorf("%s: reopen after compaction: %w", sub.name, err)
		}
		e.check(sub.name+": the same after close and reopen", verifyExactly(s, live, gone))
		if err := s.Close(); err != nil {
			return fmt.Errorf("%s: close: %w", sub.name, err)
		}
	}
	if compactTime["raw"] > 0 {
		e.res.record("compact.time_vs_raw", UnitRatio, LowerIsBetter, "store compaction time / raw baseline's (copy live records to a new file)", compactTime["store"]/compactTime["raw"])
	}
	return nil
}

// verifyExactly checks that s holds exactly live, byte for byte, and none
// of gone: by Get for each, and by one Iterate over everything.
func verifyExactly(s subject, live, gone []spec) error {
	buf := make([]byte, 0, 128<<10)
	want := make(map[string]spec, len(live))
	for _, sp := range live {
		want[sp.ID] = sp
		m, found, err := s.Get(sp.ID)
		if err != nil {
			return fmt.Errorf("get %s: %w", sp.ID, err)
		}
		if !found {
			return fmt.Errorf("%w: live memory %s is missing", ErrCorruptData, sp.ID)
		}
		if err := sp.verify(m, buf); err != nil {
			return fmt.Errorf("get: %w", err)
		}
	}
	for _, sp := range gone {
		if _, found, err := s.Get(sp.ID); err != nil || found {
			return fmt.Errorf("%w: removed memory %s: found %v, err %v", ErrCorruptData, sp.ID, found, err)
		}
	}
	seen := make(map[string]bool, len(live))
	var bad error
	err := s.Iterate(func(id string, m store.Memory) bool {
		sp, ok := want[id]
		switch {
		case !ok:
			bad = fmt.Errorf("%w: iterate returned %s, which is not live", ErrCorruptData, id)
		case seen[id]:
			bad = fmt.Errorf("%w: iterate returned %s twice", ErrCorruptData, id)
		default:
			seen[id] = true
			bad = sp.verify(m, buf)
		}
		return bad == nil
	})
	if err != nil {
		return fmt.Errorf("iterate: %w", err)
	}
	if bad != nil {
		return fmt.Errorf("iterate: %w", bad)
	}
	if len(seen) != len(live) {
		return fmt.Errorf("%w: iterate visited %d memories, want %d", ErrCorruptData, len(seen), len(live))
	}
	return nil
}
