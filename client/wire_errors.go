package client

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// errorCode is an error code of PROTOCOL.md section 6 with the sentinel it
// stands for on this side, so that Classify and errors.Is work on remote
// errors as on local ones: whether a code is definite is Classify's say.
// Order matters when the server looks an error up: the first match wins.
type errorCode struct {
	code     string
	sentinel error
}

var errorCodes = []errorCode{
	{"bad-request", ErrBadRequest},
	{"unsupported", ErrUnsupported},
	{"bad-id", store.ErrBadID},
	{"bad-embedding", store.ErrBadEmbedding},
	{"too-large", store.ErrTooLarge},
	{"compaction-in-progress", store.ErrCompactionInProgress},
	{"closed", store.ErrClosed},
	{"no-space", store.ErrGrowFailed},
	{"unknown-failpoint", store.ErrUnknownFailpoint},
	{"not-synced", store.ErrNotSynced},
	{"injected", store.ErrInjected},
	{"corrupt", store.ErrCorrupt},
}

// Codes of indeterminate errors with no sentinel of their own.
const (
	codeIO       = "io"
	codeInternal = "internal"
)

// DefiniteCode reports whether a mutating operation that failed with code
// definitely did not happen (Classify records it fail, not info).
func DefiniteCode(code string) bool {
	return Classify(history.OpPut, remoteError(&wireError{Code: code})) == history.Fail
}

// codeOf is the protocol code of a store error.
func codeOf(err error) string {
	for _, c := range errorCodes {
		if errors.Is(err, c.sentinel) {
			return c.code
		}
	}
	var pe *fs.PathError
	var errno syscall.Errno
	if errors.As(err, &pe) || errors.As(err, &errno) {
		return codeIO
	}
	return codeInternal
}

// RemoteError is an error a target answered with: its code, its message,
// and the sentinel the code stands for (nil for io, internal and codes
// this side does not know, all indeterminate).
type RemoteError struct {
	Code     string
	Message  string
	sentinel error
}

func (e *RemoteError) Error() string { return e.Code + ": " + e.Message }
func (e *RemoteError) Unwrap() error { return e.sentinel }

func remoteError(w *wireError) error {
	if w == nil {
		return nil
	}
	e := &RemoteError{Code: w.Code, Message: w.Message}
	for _, c := range errorCodes {
		if c.code == w.Code {
			e.sentinel = c.sentinel
		}
	}
	return e
}
