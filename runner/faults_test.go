package runner

import (
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
		reach := loadReach(r.Plan.Params, r.Faults).Only(r.aim()...)
		fs, err := nemesis.Preview(nemesis.ScheduleOptions{Seed: 1, Nemeses: r.Faults, Reach: reach}, 50)
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
// compaction is reached when the compact fault runs; sync whenever the load
// writes (group commit).
func TestLoadReachFollowsTheMix(t *testing.T) {
	read := loadReach(workload.Params{Mix: workload.Mix{Get: 1, Iterate: 1}}, nil)
	if !read.Has(store.FailGet) || read.Has(store.FailAfterSlotAlloc) || read.Has(store.FailSyncMid) || read.Has(store.FailCompactMid) {
		t.Errorf("read-only load reaches %s", read)
	}
	write := loadReach(workload.Params{Mix: workload.Mix{Remove: 1}}, []string{"compact"})
	for _, fp := range []store.FailpointName{store.FailRemove, store.FailSyncMid, store.FailCompactStart, store.FailCompactMid} {
		if !write.Has(fp) {
			t.Errorf("remove load under compaction does not reach %s (%s)", fp, write)
		}
	}
	if write.Has(store.FailGet) {
		t.Errorf("remove-only load reaches get (%s)", write)
	}
	back := loadReach(workload.Params{Mix: workload.Mix{Put: 1}, ReadBack: true}, nil)
	if !back.Has(store.FailGet) {
		t.Errorf("read-back load does not reach get (%s)", back)
	}
	// concurrent-get's workers only get (its preload writes before faults
	// start): a grow failure could never fire, so the run is refused.
	r, err := Resolve(Config{Workload: "concurrent-get", Nemeses: []string{"grow-failure"}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nemesis.NewScheduler(nemesis.ScheduleOptions{Seed: 1, Nemeses: r.Faults, Reach: loadReach(r.Plan.Params, r.Faults)}); err == nil {
		t.Error("grow-failure under a get-only load was scheduled (it can never fire)")
	}
}
