package bench

import "errors"

// Sentinel errors; match them with errors.Is.
var (
	ErrEmptySample    = errors.New("bench: sample too small")
	ErrBadSample      = errors.New("bench: bad sample")
	ErrBadParameter   = errors.New("bench: bad parameter")
	ErrUnknownProfile = errors.New("bench: unknown profile")
	ErrBadResult      = errors.New("bench: bad result file")
	ErrMismatch       = errors.New("bench: results are not comparable")
	ErrCorruptData    = errors.New("bench: store returned wrong data")
	ErrNoRecorder     = errors.New("bench: no recorder/checker available for a recorded run")
)
