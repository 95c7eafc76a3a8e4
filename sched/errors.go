package sched

import "errors"

var (
	// ErrBadConfig: a Config that cannot make a scheduler.
	ErrBadConfig = errors.New("sched: bad configuration")
	// ErrDeadlock: every task that must finish is blocked; no step can be
	// taken. The Result's Deadlock holds the cycle.
	ErrDeadlock = errors.New("sched: deadlock: every task is blocked")
	// ErrStepBudget: the run took more steps than Config.MaxSteps (a
	// livelock, or a budget too small for the program).
	ErrStepBudget = errors.New("sched: step budget exhausted")
	// ErrScript: the script named a task that could not take the next
	// step (blocked, sleeping, done, unknown), or one that ended before
	// reaching the point its choice waits for: the program no longer
	// follows the trail the script was written from.
	ErrScript = errors.New("sched: the script cannot be followed")
)
