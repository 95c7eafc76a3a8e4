package workload

import "errors"

// Sentinel errors; match them with errors.Is.
var (
	ErrUnknownWorkload = errors.New("workload: unknown workload")
	ErrBadParameter    = errors.New("workload: bad parameter")
)
