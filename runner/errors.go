package runner

import "errors"

// Sentinel errors; match them with errors.Is. A configuration error is the
// user's (exit 3); the others are the run's.
var (
	ErrConfig     = errors.New("runner: bad configuration")
	ErrUnknownBug = errors.New("runner: unknown seeded bug")
	ErrRunDir     = errors.New("runner: cannot write the run directory")
	ErrHistory    = errors.New("runner: cannot record the history")
	ErrStore      = errors.New("runner: cannot start the store")
	// ErrRunInput: a run directory to replay cannot be read.
	ErrRunInput = errors.New("runner: cannot read the run directory")
	// ErrNotReplayable: the run directory holds a free run (--schedule
	// os), whose interleaving was not recorded.
	ErrNotReplayable = errors.New("not a controlled run: its interleaving was not recorded (rerun it with --schedule pct or random)")
)
