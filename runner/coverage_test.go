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
	var st starvation
	if i, _ := l.starved(&st, time.Millisecond); i != -1 {
		t.Fatal("a load that has not begun is starved")
	}
	l.began.Store(time.Now().Add(-10 * time.Second).UnixNano())
	now := l.sinceBegan()
	l.lastAnswer[0].Store(now)                        // just got an answer
	l.lastAnswer[1].Store(-1)                         // done
	l.lastAnswer[2].Store(now - int64(8*time.Second)) // waiting for 8 s
	if i, idle := l.starved(&st, 7*time.Second); i != 2 || idle < 8*time.Second {
		t.Fatalf("starved = %d after %s, want worker 2 after >= 8s", i, idle)
	}
	if i, _ := l.starved(&st, 9*time.Second); i != -1 {
		t.Fatalf("starved = %d with a 9 s bound", i)
	}
	l.Stop("test")
	l.Stop("again")
	if l.Reason() != "test" || !l.stopping() {
		t.Fatalf("reason %q (stopping %v), want the first one", l.Reason(), l.stopping())
	}
}

// TestStarvedDiscountsFaultWindows: time a fault window was open is not
// starvation (the progress check's rule): 8 s without an answer, 4 s of them
// inside a window, is 4 s.
func TestStarvedDiscountsFaultWindows(t *testing.T) {
	w, _ := workload.Lookup("mixed")
	p, _ := w.Plan(1, workload.Overrides{Workers: 1})
	l := newLoad(p, nil, nil, nil, nil)
	l.faultClock = &faultClock{}
	now := time.Now()
	l.began.Store(now.Add(-10 * time.Second).UnixNano())
	l.lastAnswer[0].Store(l.sinceBegan() - int64(8*time.Second))
	var st starvation
	if i, idle := l.starved(&st, 7*time.Second); i != 0 || idle < 8*time.Second {
		t.Fatalf("no fault: starved = %d after %s, want worker 0 after >= 8s", i, idle)
	}
	l.faultClock.observe(&history.Nemesis{Fault: "pause", Phase: history.NemesisStart}, now.Add(-6*time.Second))
	l.faultClock.observe(&history.Nemesis{Fault: "pause", Phase: history.NemesisEnd}, now.Add(-2*time.Second))
	if i, idle := l.starved(&st, 7*time.Second); i != -1 {
		t.Fatalf("starved = %d after %s, though 4 of its 8 s were inside a fault window", i, idle)
	}
	if i, idle := l.starved(&st, 3*time.Second); i != 0 || idle >= 5*time.Second {
		t.Fatalf("starved = %d after %s, want worker 0 after about 4s", i, idle)
	}
}

// TestFaultClockCountsOpenTime: overlapping windows count once, an open
// window counts up to now, an end without a start counts nothing.
func TestFaultClockCountsOpenTime(t *testing.T) {
	var c faultClock
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	start := &history.Nemesis{Phase: history.NemesisStart}
	end := &history.Nemesis{Phase: history.NemesisEnd}
	c.observe(end, at(0))
	c.observe(start, at(1))
	c.observe(start, at(2))
	c.observe(end, at(3))
	c.observe(end, at(4)) // [1,4]: 3 s
	c.observe(start, at(10))
	if got := c.covered(at(12)); got != 5*time.Second {
		t.Fatalf("covered %v, want 5s", got)
	}
	c.observe(end, at(13))
	if got := c.covered(at(20)); got != 6*time.Second {
		t.Fatalf("covered %v, want 6s", got)
	}
}
