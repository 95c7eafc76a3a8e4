package runner

import (
	"errors"
	"fmt"
)

// Sentinel errors; match them with errors.Is. A configuration error is the
// user's (exit 3); the others are the run's.
var (
	ErrConfig     = errors.New("runner: bad configuration")
	ErrUnknownBug = errors.New("unknown seeded bug")
	ErrRunDir     = errors.New("cannot write the run directory")
	ErrHistory    = errors.New("cannot record the history")
	ErrStore      = errors.New("cannot start the store")
	// ErrRunInput: a run directory to replay cannot be read.
	ErrRunInput = errors.New("cannot read the run directory")
	// ErrNotReplayable: the run directory holds a free run (--schedule
	// os), whose interleaving was not recorded.
	ErrNotReplayable = errors.New("not a controlled run: its interleaving was not recorded (rerun it with --schedule pct or random)")
)

// configError is a configuration error: its message is the flag and what
// is wrong with it, without ErrConfig's words (the CLI says whose error it
// is by the exit code); errors.Is matches ErrConfig and the cause.
type configError struct{ err error }

func (e configError) Error() string   { return e.err.Error() }
func (e configError) Unwrap() []error { return []error{ErrConfig, e.err} }

func configErrorf(format string, args ...any) error {
	return configError{fmt.Errorf(format, args...)}
}
