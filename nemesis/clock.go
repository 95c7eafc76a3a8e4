package nemesis

import (
	"context"
	"time"
)

// Sleeper waits d of the run's time, or until ctx is done. A controlled run
// (sched) passes one that waits on its virtual clock, so the fault schedule
// is a task of the scheduler like the workers, and reproduces with them.
type Sleeper func(ctx context.Context, d time.Duration)

type sleeperKey struct{}

// WithSleeper makes every wait of the faults run under ctx (the gaps between
// faults, their holds) use s instead of the wall clock.
func WithSleeper(ctx context.Context, s Sleeper) context.Context {
	return context.WithValue(ctx, sleeperKey{}, s)
}

func sleeperOf(ctx context.Context) Sleeper {
	s, _ := ctx.Value(sleeperKey{}).(Sleeper)
	return s
}

// hitPoll is how often a fault waiting for its failpoint to fire looks.
const hitPoll = 5 * time.Millisecond
