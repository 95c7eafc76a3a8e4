package nemesis

import "errors"

// Sentinel errors; match them with errors.Is.
var (
	ErrUnknownNemesis = errors.New("unknown nemesis")
	ErrUnsupported    = errors.New("nemesis: fault not supported by this target")
	ErrNoNemeses      = errors.New("nemesis: schedule has no nemeses")
	ErrBadSchedule    = errors.New("nemesis: bad schedule options")
	ErrRestartFailed  = errors.New("nemesis: store did not come back after a restart")
)
