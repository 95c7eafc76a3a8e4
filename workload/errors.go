package workload

import "errors"

// Sentinel errors; match them with errors.Is.
var (
	ErrUnknownWorkload = errors.New("unknown workload")
	ErrBadParameter    = errors.New("bad workload parameter")
)
