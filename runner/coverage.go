package runner

import (
	"sync"

	"github.com/warmcheck/warmcheck/history"
)

// failpointFaults are the faults that act through a store failpoint: they
// count as fired only once their failpoint was hit (the anti-vacuity
// check's rule, mirrored here so the run can keep going until it holds).
var failpointFaults = map[string]bool{"panic": true, "sleep": true, "grow-failure": true}

// coverage follows, from the nemesis events the recorder appends, which
// requested faults have fired. Safe for concurrent use. A failpoint fault
// fired when its target's hit count grew from its start event to its end
// event (or, after a restart reset the counters, the end shows a hit): an
// earlier fault's hits at the same failpoint do not count.
type coverage struct {
	mu        sync.Mutex
	started   map[string]int
	hit       map[string]bool
	startHits map[string]uint64 // fault+target -> target's hits at the start event
}

func newCoverage() *coverage {
	return &coverage{started: map[string]int{}, hit: map[string]bool{}, startHits: map[string]uint64{}}
}

func (c *coverage) observe(n *history.Nemesis) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := n.Fault + "\x00" + n.Target
	if n.Phase == history.NemesisStart {
		c.started[n.Fault]++
		c.startHits[key] = n.Hits[n.Target]
		return
	}
	if now := n.Hits[n.Target]; n.Target != "" && (now > c.startHits[key] || (n.Restart && now > 0)) {
		c.hit[n.Fault] = true
	}
	delete(c.startHits, key)
}

// covered reports whether every fault has started and, for failpoint
// faults, been hit.
func (c *coverage) covered(faults []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range faults {
		if c.started[f] == 0 || (failpointFaults[f] && !c.hit[f]) {
			return false
		}
	}
	return true
}

// missing lists the faults not yet covered.
func (c *coverage) missing(faults []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, f := range faults {
		if c.started[f] == 0 || (failpointFaults[f] && !c.hit[f]) {
			out = append(out, f)
		}
	}
	return out
}
