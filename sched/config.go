package sched

import (
	"fmt"
	"time"
)

// Config describes one controlled schedule. The same Config and the same
// program give the same interleaving.
type Config struct {
	Mode Mode  // ModePCT, ModeRandom or ModeScript
	Seed int64 // the schedule's seed (unused by ModeScript)
	// Depth is PCT's bug depth d (d-1 change points); 0 means DefaultDepth.
	Depth int
	// Steps is PCT's estimate k of the run's length in steps, over which
	// the change points are drawn; 0 means DefaultSteps.
	Steps int
	// MaxSteps stops a run that takes longer (ErrStepBudget); 0 means
	// DefaultMaxSteps.
	MaxSteps int
	// Tick is how far the virtual clock moves per step; 0 means
	// DefaultTick.
	Tick time.Duration
	// TraceLimit keeps the last TraceLimit steps in Result.Trace; 0 keeps
	// none.
	TraceLimit int
	// Script is what ModeScript follows: at least one choice, each naming
	// a task; empty in the other modes.
	Script []Choice
}

// Defaults of Config.
const (
	DefaultSteps    = 10_000
	DefaultMaxSteps = 50_000_000
	DefaultTick     = time.Microsecond
)

func (c *Config) normalize() error {
	if !c.Mode.Controlled() {
		return fmt.Errorf("%w: mode %q is not a controlled schedule (want %s, %s or %s)", ErrBadConfig, c.Mode, ModePCT, ModeRandom, ModeScript)
	}
	if err := c.checkScript(); err != nil {
		return err
	}
	if c.Depth == 0 {
		c.Depth = DefaultDepth
	}
	if c.Steps == 0 {
		c.Steps = DefaultSteps
	}
	if c.MaxSteps == 0 {
		c.MaxSteps = DefaultMaxSteps
	}
	if c.Tick == 0 {
		c.Tick = DefaultTick
	}
	if c.Depth < 1 || c.Steps < 1 || c.MaxSteps < 1 || c.Tick < 0 || c.TraceLimit < 0 {
		return fmt.Errorf("%w: depth %d, steps %d, max steps %d, tick %v, trace %d (want depth, steps, max steps >= 1)",
			ErrBadConfig, c.Depth, c.Steps, c.MaxSteps, c.Tick, c.TraceLimit)
	}
	return nil
}

func (c *Config) checkScript() error {
	if (c.Mode == ModeScript) != (len(c.Script) > 0) {
		return fmt.Errorf("%w: mode %s with %d script choices (a script goes with mode %s, and only there)",
			ErrBadConfig, c.Mode, len(c.Script), ModeScript)
	}
	for i, ch := range c.Script {
		if ch.Task == "" {
			return fmt.Errorf("%w: script choice %d names no task", ErrBadConfig, i+1)
		}
	}
	return nil
}

// String is the config in one line, for logs and the history header.
func (c Config) String() string {
	switch c.Mode {
	case ModePCT:
		return fmt.Sprintf("%s seed=%d depth=%d steps=%d", c.Mode, c.Seed, c.Depth, c.Steps)
	case ModeScript:
		return fmt.Sprintf("%s choices=%d", c.Mode, len(c.Script))
	}
	return fmt.Sprintf("%s seed=%d", c.Mode, c.Seed)
}

// DeriveSeed is the seed of schedule i (0-based) of a run seeded base: a
// fixed mix, so that `--schedules N` explores N different interleavings and
// any one of them can be rerun alone.
func DeriveSeed(base int64, i int) int64 {
	if i == 0 {
		return base
	}
	x := uint64(base) ^ (uint64(i) * 0x9e3779b97f4a7c15)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return int64(x >> 1)
}
