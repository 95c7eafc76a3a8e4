package warmtest

import "errors"

// Sentinel errors; match them with errors.Is.
var (
	// ErrNotFound is what a Store returns (wrapped or not) from Get,
	// Remove and UpdateActivation when the id is not stored: a definite
	// answer, recorded as an ok operation that found nothing.
	ErrNotFound = errors.New("warmtest: memory not found")
	// ErrRejected is what a Store returns (wrapped) when it refused a call
	// before changing anything (a bad id, a value too large, a
	// compaction already running): recorded as a failed operation, one
	// that definitely did not happen.
	ErrRejected = errors.New("warmtest: rejected, nothing changed")
	// ErrNotEmpty: Run needs an empty store; the checks assume every id
	// starts absent.
	ErrNotEmpty = errors.New("warmtest: the store is not empty")
	// ErrConfig: the Config asks for something the run cannot do (an
	// unknown workload, a fault a Go store cannot take).
	ErrConfig = errors.New("warmtest: bad configuration")
)
