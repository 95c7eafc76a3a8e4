package runner

import (
	"slices"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/workload"
)

func TestCoverageFollowsTheAntiVacuityRule(t *testing.T) {
	c := newCoverage()
	faults := []string{"panic", "compact"}
	if c.covered(faults) || !slices.Equal(c.missing(faults), faults) {
		t.Fatal("nothing fired yet, but covered")
	}
	c.observe(&history.Nemesis{Fault: "compact", Phase: history.NemesisStart, Target: "store"})
	c.observe(&history.Nemesis{Fault: "panic", Phase: history.NemesisStart, Target: "get", Hits: map[string]uint64{"get": 0}})
	// A failpoint fault that started but was never hit does not count.
	if got := c.missing(faults); !slices.Equal(got, []string{"panic"}) {
		t.Fatalf("missing %v, want [panic]", got)
	}
	// Hits of another failpoint do not count either.
	c.observe(&history.Nemesis{Fault: "panic", Phase: history.NemesisEnd, Target: "get", Hits: map[string]uint64{"remove": 3}})
	if c.covered(faults) {
		t.Fatal("a hit at another failpoint counted")
	}
	c.observe(&history.Nemesis{Fault: "panic", Phase: history.NemesisEnd, Target: "get", Hits: map[string]uint64{"get": 1}})
	if !c.covered(faults) {
		t.Fatalf("still missing %v", c.missing(faults))
	}
}

// TestCoverageCountsHitsWithinTheWindow: a sleep aimed where an earlier
// panic fired has not fired until the failpoint's count grows during its
// own window (anti-vacuity's rule). Counting the absolute count let a run
// stop extending while sleep had never fired, and end unknown.
func TestCoverageCountsHitsWithinTheWindow(t *testing.T) {
	c := newCoverage()
	faults := []string{"panic", "sleep"}
	c.observe(&history.Nemesis{Fault: "panic", Phase: history.NemesisStart, Target: "compact-mid", Hits: map[string]uint64{}})
	c.observe(&history.Nemesis{Fault: "panic", Phase: history.NemesisEnd, Target: "compact-mid", Hits: map[string]uint64{"compact-mid": 1}})
	c.observe(&history.Nemesis{Fault: "sleep", Phase: history.NemesisStart, Target: "compact-mid", Hits: map[string]uint64{"compact-mid": 1}})
	c.observe(&history.Nemesis{Fault: "sleep", Phase: history.NemesisEnd, Target: "compact-mid", Hits: map[string]uint64{"compact-mid": 1}})
	if got := c.missing(faults); !slices.Equal(got, []string{"sleep"}) {
		t.Fatalf("missing %v, want [sleep]: the panic's hit counted for the sleep", got)
	}
	c.observe(&history.Nemesis{Fault: "sleep", Phase: history.NemesisStart, Target: "compact-mid", Hits: map[string]uint64{"compact-mid": 1}})
	c.observe(&history.Nemesis{Fault: "sleep", Phase: history.NemesisEnd, Target: "compact-mid", Hits: map[string]uint64{"compact-mid": 2}})
	if !c.covered(faults) {
		t.Fatalf("still missing %v", c.missing(faults))
	}
	// After a restart the counters begin again: a hit at the end counts.
	r := newCoverage()
	r.observe(&history.Nemesis{Fault: "panic", Phase: history.NemesisStart, Target: "get", Hits: map[string]uint64{"get": 5}})
	r.observe(&history.Nemesis{Fault: "panic", Phase: history.NemesisEnd, Target: "get", Restart: true, Hits: map[string]uint64{"get": 1}})
	if !r.covered([]string{"panic"}) {
		t.Fatal("a panic that killed the store process and restarted it did not count")
	}
}

func TestStarvedNamesTheWorkerWithoutOK(t *testing.T) {
	w, _ := workload.Lookup("mixed")
	p, _ := w.Plan(1, workload.Overrides{Workers: 3})
	l := newLoad(p, nil, nil, nil, nil)
	if i, _ := l.starved(time.Millisecond); i != -1 {
		t.Fatal("a load that has not begun is starved")
	}
	l.began.Store(time.Now().Add(-10 * time.Second).UnixNano())
	now := l.sinceBegan()
	l.lastOK[0].Store(now)                        // just got an ok
	l.lastOK[1].Store(-1)                         // done
	l.lastOK[2].Store(now - int64(8*time.Second)) // waiting for 8 s
	if i, idle := l.starved(7 * time.Second); i != 2 || idle < 8*time.Second {
		t.Fatalf("starved = %d after %s, want worker 2 after >= 8s", i, idle)
	}
	if i, _ := l.starved(9 * time.Second); i != -1 {
		t.Fatalf("starved = %d with a 9 s bound", i)
	}
	l.Stop("test")
	l.Stop("again")
	if l.Reason() != "test" || !l.stopping() {
		t.Fatalf("reason %q (stopping %v), want the first one", l.Reason(), l.stopping())
	}
}
