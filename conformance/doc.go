// Package conformance checks that a store target speaks PROTOCOL.md
// correctly (`warmcheck target-check`): the handshake, every operation and
// its result keys, the error codes a definite failure must carry, the echo
// of seq, malformed requests, abandoned requests, concurrency and a restart.
// A target whose answers do not conform would be recorded wrongly (a fail
// that happened, an ok that did not), so its verdicts are not to be trusted
// before this passes.
//
// Imports: client and store (plus the standard library). It never imports
// runner, nemesis or checker.
package conformance
