package nemesis

import (
	"errors"
	"testing"

	"github.com/warmcheck/warmcheck/store"
)

func TestReachOf(t *testing.T) {
	r := ReachOf([]string{"get", "iterate"})
	if !r.Has(store.FailGet) || r.Has(store.FailAfterSlotAlloc) || r.Has(store.FailGrow) {
		t.Fatalf("get-only load reaches %s", r)
	}
	r = ReachOf([]string{"put"})
	for _, fp := range []store.FailpointName{store.FailAfterSlotAlloc, store.FailBetweenContentAndBlock, store.FailBeforeIndexPublish} {
		if !r.Has(fp) {
			t.Errorf("put load does not reach %s (%s)", fp, r)
		}
	}
	// A put grows a file only when it is full (doubling steps): a put load
	// cannot count on passing grow; a compacting load can.
	if r.Has(store.FailCompactMid) || r.Has(store.FailRemove) || r.Has(store.FailGrow) {
		t.Errorf("put load reaches %s", r)
	}
	if r = ReachOf([]string{"put", "compact"}); !r.Has(store.FailGrow) {
		t.Errorf("compacting load does not reach grow (%s)", r)
	}
	if !(Reach{}).Has(store.FailCompactMid) {
		t.Error("the zero Reach must aim anywhere")
	}
}

// TestSchedulerAimsAtReach: failpoint faults only pick failpoints the load
// passes, and a fault that cannot fire under the load is refused up front.
func TestSchedulerAimsAtReach(t *testing.T) {
	reach := ReachOf([]string{"get", "remove"})
	fs, err := Preview(ScheduleOptions{Seed: 3, Nemeses: []string{"panic", "sleep"}, Reach: reach}, 200)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[store.FailpointName]int{}
	for _, f := range fs {
		if !reach.Has(f.Failpoint) {
			t.Fatalf("%s aimed at %s, outside %s", f.Nemesis, f.Failpoint, reach)
		}
		seen[f.Failpoint]++
	}
	if seen[store.FailGet] == 0 || seen[store.FailRemove] == 0 {
		t.Errorf("200 faults used only %v", seen)
	}
	for _, name := range []string{"panic", "sleep", "grow-failure"} {
		_, err := NewScheduler(ScheduleOptions{Seed: 1, Nemeses: []string{name}, Reach: ReachOf([]string{"iterate"})})
		if !errors.Is(err, ErrBadSchedule) {
			t.Errorf("%s under a load that passes no failpoint: %v, want ErrBadSchedule", name, err)
		}
	}
	if _, err := NewScheduler(ScheduleOptions{Seed: 1, Nemeses: []string{"pause", "compact"}, Reach: ReachOf(nil)}); err != nil {
		t.Errorf("faults without failpoints need no reach: %v", err)
	}
}
