package runner

import (
	"sync"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// faultClock follows, from the nemesis events the recorder appends, how
// much time some fault window was open: the watchdog does not count that
// time as a stall, as the progress check does not. Safe for concurrent use.
//
// Invariant: covered(t) is non-decreasing in t and grows at rate 1 exactly
// while at least one window is open.
type faultClock struct {
	mu    sync.Mutex
	open  int       // windows started and not yet ended
	since time.Time // when open last became > 0
	total time.Duration
}

func (c *faultClock) observe(n *history.Nemesis, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch n.Phase {
	case history.NemesisStart:
		if c.open == 0 {
			c.since = at
		}
		c.open++
	case history.NemesisEnd:
		if c.open == 0 {
			return // an end without a start covers nothing
		}
		c.open--
		if c.open == 0 {
			c.total += at.Sub(c.since)
		}
	}
}

// covered is how long some window was open up to now.
func (c *faultClock) covered(now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open > 0 {
		return c.total + now.Sub(c.since)
	}
	return c.total
}
