package runner

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/warmcheck/warmcheck/nemesis"
	"github.com/warmcheck/warmcheck/store"
	"github.com/warmcheck/warmcheck/workload"
)

// TestRecipeFaultsAreAimable: every recipe's faults can fire under its own
// workload, and an aimed recipe's sleeps and panics land only inside its aim.
func TestRecipeFaultsAreAimable(t *testing.T) {
	for _, rc := range Recipes() {
		// The free run: the one whose sleeps are aimed.
		r, err := Resolve(Config{Bug: string(rc.Bug), Seed: 1, Schedule: "os"})
		if err != nil {
			t.Fatalf("%s: %v", rc.Bug, err)
		}
		for _, f := range r.Faults {
			if !canFire(f, r.Plan.Params, r.aim()) {
				t.Errorf("%s: fault %s cannot fire under its recipe", rc.Bug, f)
			}
		}
		fs, err := nemesis.Preview(r.scheduleOptions(), 50)
		if err != nil {
			t.Errorf("%s: %v", rc.Bug, err)
			continue
		}
		for _, f := range fs {
			if f.Failpoint != "" && len(rc.Aim) > 0 && f.Nemesis != "grow-failure" && !slices.Contains(rc.Aim, f.Failpoint) {
				t.Errorf("%s: %s aimed at %s, outside %v", rc.Bug, f.Nemesis, f.Failpoint, rc.Aim)
			}
		}
	}
}

// TestLoadReachFollowsTheMix: a read-only load reaches only the get path;
// compaction only when the workers compact (faults fire one at a time, so
// the compact fault's compaction overlaps no other fault); sync whenever
// the load writes (group commit); grow only when the workers compact
// content.
func TestLoadReachFollowsTheMix(t *testing.T) {
	read := loadReach(workload.Params{Mix: workload.Mix{Get: 1, Iterate: 1}})
	if !read.Has(store.FailGet) || read.Has(store.FailAfterSlotAlloc) || read.Has(store.FailSyncMid) || read.Has(store.FailCompactMid) {
		t.Errorf("read-only load reaches %s", read)
	}
	write := loadReach(workload.Params{Mix: workload.Mix{Remove: 1}})
	for _, fp := range []store.FailpointName{store.FailRemove, store.FailSyncMid} {
		if !write.Has(fp) {
			t.Errorf("remove load does not reach %s (%s)", fp, write)
		}
	}
	if write.Has(store.FailGet) || write.Has(store.FailCompactMid) || write.Has(store.FailGrow) {
		t.Errorf("remove-only load reaches %s", write)
	}
	back := loadReach(workload.Params{Mix: workload.Mix{Put: 1}, ReadBack: true, Sizes: workload.DefaultSizes})
	if !back.Has(store.FailGet) || back.Has(store.FailGrow) {
		t.Errorf("read-back put load: %s", back)
	}
	compacting := loadReach(workload.Params{Mix: workload.Mix{Put: 1, Compact: 1}, Sizes: workload.DefaultSizes})
	for _, fp := range []store.FailpointName{store.FailCompactStart, store.FailCompactMid, store.FailGrow} {
		if !compacting.Has(fp) {
			t.Errorf("compacting load does not reach %s (%s)", fp, compacting)
		}
	}
	// Only nil and empty content: a compaction moves nothing and grows nothing.
	bare := loadReach(workload.Params{Mix: workload.Mix{Put: 1, Compact: 1}, Sizes: workload.SizeMix{Nil: 1, Empty: 1}})
	if bare.Has(store.FailGrow) || !bare.Has(store.FailCompactMid) {
		t.Errorf("content-less compacting load: %s", bare)
	}
}

// TestUnreachableFaultIsAConfigError: a fault whose failpoints the load
// never passes is refused by Resolve, before a run directory exists. Before
// this rule hot-spot, panic-recovery and iterate-under-load accepted
// grow-failure (nothing of theirs grows a file) and ended unknown, as did
// the compact fault's compaction counted as the load's.
func TestUnreachableFaultIsAConfigError(t *testing.T) {
	for _, c := range []Config{
		{Workload: "concurrent-get", Nemeses: []string{"grow-failure"}},
		{Workload: "hot-spot", Nemeses: []string{"grow-failure"}},
		{Workload: "panic-recovery", Nemeses: []string{"grow-failure"}},
		{Workload: "iterate-under-load", Nemeses: []string{"grow-failure"}},
		{Workload: "writer-writer", Nemeses: []string{"compact", "grow-failure"}},
		{Workload: "hot-spot", Nemeses: []string{"compact", "grow-failure"}},
	} {
		c.Seed, c.SeedSet, c.Out = 1, true, t.TempDir()
		_, err := Resolve(c)
		if !errors.Is(err, ErrConfig) || !errors.Is(err, nemesis.ErrBadSchedule) {
			t.Errorf("%s under %v: Resolve = %v, want a configuration error", c.Workload, c.Nemeses, err)
		}
		if entries, _ := os.ReadDir(c.Out); len(entries) > 0 {
			t.Errorf("%s under %v: refused, yet %d entries were made in the run directory", c.Workload, c.Nemeses, len(entries))
		}
	}
	for _, c := range []Config{
		{Workload: "mixed", Nemeses: []string{"grow-failure"}},
		{Workload: "compaction-under-load", Nemeses: []string{"grow-failure", "compact", "panic", "sleep"}},
		{Workload: "concurrent-get", Nemeses: []string{"sleep", "panic", "compact"}},
	} {
		c.Seed, c.SeedSet = 1, true
		if _, err := Resolve(c); err != nil {
			t.Errorf("%s under %v: %v", c.Workload, c.Nemeses, err)
		}
	}
}

// TestEveryWorkloadCanFireItsFaults: every workload's own faults (for the
// property workload, its draw over 300 seeds) can fire under its load, by
// the same rule as the scheduler's, and the property workload still draws
// each fault of its pool on some seeds.
func TestEveryWorkloadCanFireItsFaults(t *testing.T) {
	for _, w := range workload.All() {
		seeds := int64(1)
		if w.Random {
			seeds = 300
		}
		drawn := map[string]int{}
		for seed := int64(1); seed <= seeds; seed++ {
			r, err := Resolve(Config{Workload: w.Name, Seed: seed, SeedSet: true})
			if err != nil {
				t.Fatalf("%s seed %d: %v", w.Name, seed, err)
			}
			for _, f := range r.Faults {
				drawn[f]++
				if !canFire(f, r.Plan.Params, nil) {
					t.Errorf("%s seed %d: fault %s cannot fire under mix %s", w.Name, seed, f, r.Plan.Params.Mix)
				}
			}
		}
		for _, f := range w.FaultPool {
			if drawn[f] == 0 {
				t.Errorf("%s: fault %s of its pool never drawn in %d seeds", w.Name, f, seeds)
			}
		}
	}
}

// TestPropertyHonoursAskedFaults: with faults named, the property workload
// draws parameters under which they can fire (redrawing past a first draw
// that cannot), and keeps its first draw when that one suits.
func TestPropertyHonoursAskedFaults(t *testing.T) {
	redrawn := 0
	for seed := int64(1); seed <= 100; seed++ {
		r, err := Resolve(Config{Workload: "property", Nemeses: []string{"grow-failure"}, Seed: seed, SeedSet: true})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if r.Plan.Params.Mix.Compact == 0 {
			t.Fatalf("seed %d: grow-failure under a load that never compacts (%s)", seed, r.Plan.Params.Mix)
		}
		plain, err := Resolve(Config{Workload: "property", Nemeses: []string{"none"}, Seed: seed, SeedSet: true})
		if err != nil {
			t.Fatal(err)
		}
		if plain.Plan.Params.Mix.Compact > 0 && plain.Plan.Params.WritesContent() && plain.Plan.Params != r.Plan.Params {
			t.Errorf("seed %d: first draw suits grow-failure yet was redrawn", seed)
		}
		if plain.Plan.Params != r.Plan.Params {
			redrawn++
		}
	}
	if redrawn == 0 {
		t.Error("no seed of 100 needed a redraw: the test exercises nothing")
	}
}
