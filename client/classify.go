package client

import (
	"context"
	"errors"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// Classify says how an operation that returned err is completed in a history:
// OK when err is nil, Fail only when the operation definitely did not happen
// and never will, Info when its effect is unknown.
//
// The table, in the order it is applied:
//
//	error                                   read-only op   mutating op
//	nil                                     ok             ok
//	*PanicError (any panic in the store)    info           info
//	ErrTimeout, context deadline/cancel     info           info
//	ErrConnLost, ErrProtocol                info           info
//	ErrNotSent (no connection was made)     fail           fail
//	ErrBadRequest, ErrUnsupported (the
//	  target refused the request)           fail           fail
//	ErrRejected (a user's store refused
//	  the request before changing anything) fail           fail
//	store.ErrBadID, ErrBadEmbedding,
//	  ErrTooLarge (validated before any
//	  write)                                fail           fail
//	store.ErrCompactionInProgress           fail           fail
//	store.ErrClosed (checked on entry)      fail           fail
//	store.ErrGrowFailed (a failed Put
//	  leaves no memory behind: store
//	  contract, seeded bug
//	  count-on-failed-store breaks it)      fail           fail
//	any other error (ErrInjected, ErrCorrupt,
//	  I/O errors, ...)                      fail           info
//
// Read-only operations (get, iterate, recall, stats, layout) change nothing,
// so an error that is not a timeout, panic or lost connection cannot have had
// an effect: fail. A timed-out or panicked read is still info, as in Jepsen:
// it may still be running and its process must be retired.
func Classify(op history.Op, err error) history.Type {
	if err == nil {
		return history.OK
	}
	var pe *PanicError
	switch {
	case errors.As(err, &pe),
		errors.Is(err, ErrTimeout),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled),
		errors.Is(err, ErrConnLost),
		errors.Is(err, ErrProtocol):
		return history.Info
	case errors.Is(err, ErrNotSent),
		errors.Is(err, ErrBadRequest),
		errors.Is(err, ErrUnsupported),
		errors.Is(err, ErrRejected),
		errors.Is(err, store.ErrBadID),
		errors.Is(err, store.ErrBadEmbedding),
		errors.Is(err, store.ErrTooLarge),
		errors.Is(err, store.ErrCompactionInProgress),
		errors.Is(err, store.ErrClosed),
		errors.Is(err, store.ErrGrowFailed):
		return history.Fail
	}
	if readOnly(op) {
		return history.Fail
	}
	return history.Info
}

// readOnly reports whether op can never change what the store holds.
func readOnly(op history.Op) bool {
	switch op {
	case history.OpGet, history.OpIterate, history.OpRecall, history.OpStats, history.OpLayout:
		return true
	}
	return false
}
