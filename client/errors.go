package client

import (
	"errors"
	"fmt"
)

// Sentinel errors of the client package; match them with errors.Is. How each
// one ends a recorded operation is decided in classify.go.
var (
	// ErrNotSent: the request never reached the store (the connection
	// could not be made), so the operation definitely did not happen.
	ErrNotSent = errors.New("client: request not sent")
	// ErrConnLost: the connection broke after the request may have been
	// delivered; the operation may or may not have happened.
	ErrConnLost = errors.New("client: connection lost with the request outstanding")
	// ErrTimeout: the deadline passed with the request outstanding.
	ErrTimeout = errors.New("client: request timed out")
	// ErrProtocol: the peer sent something that is not a valid response.
	ErrProtocol = errors.New("client: protocol error")
	// ErrChildStart: the store process did not start or did not become ready.
	ErrChildStart = errors.New("client: store process failed to start")
	// ErrNotRunning: the store process is not running (killed, exited, never started).
	ErrNotRunning = errors.New("client: store process not running")
	// ErrBadConfig: a client, recorder or server option is invalid.
	ErrBadConfig = errors.New("client: bad configuration")
	// ErrBadRequest: the target rejected a request as malformed (code
	// bad-request); it did nothing.
	ErrBadRequest = errors.New("client: the target rejected the request as malformed")
	// ErrUnsupported: the target does not implement the operation or
	// capability (code unsupported, or not declared in its hello).
	ErrUnsupported = errors.New("client: not supported by the target")
	// ErrHandshake: the target's hello is missing, malformed, or declares
	// what warmcheck cannot test (protocol version, embedding dimension).
	ErrHandshake = errors.New("client: handshake failed")
	// ErrRejected: the store refused the request before changing anything
	// (a user's store said so, package warmtest), so the operation
	// definitely did not happen.
	ErrRejected = errors.New("client: the store rejected the request; nothing changed")
)

// PanicError is a panic raised inside the store during an operation, recovered
// by the client or the recorder. Value is the panic value (a
// store.InjectedPanic for a failpoint panic).
type PanicError struct {
	Value any
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("client: panic in store: %v", e.Value)
}
