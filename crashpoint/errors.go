package crashpoint

import "errors"

var (
	// ErrUnknownWorkload: the workload is not one of Workloads.
	ErrUnknownWorkload = errors.New("crashpoint: unknown workload")
	// ErrBadInput: a parameter is out of range.
	ErrBadInput = errors.New("crashpoint: bad input")
	// ErrIncompleteLog: replaying the persistence log does not reproduce
	// what the store synced, so the log missed a write and no crash state
	// built from it can be trusted (verdict unknown).
	ErrIncompleteLog = errors.New("crashpoint: the persistence log does not reproduce the synced bytes")
	// ErrInconsistent: a crash state recovered into something the
	// durability contract forbids.
	ErrInconsistent = errors.New("crashpoint: a crash state violates the durability contract (everything acknowledged before the last successful Sync survives; nothing removed before it comes back; nothing torn or foreign is returned; recovery's invariants hold)")
)
