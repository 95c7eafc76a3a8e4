// Package client reaches a warm-tier store and records what it did.
//
// A Client is the store's operation set behind one small interface, with two
// implementations: InProcess (a *store.Store in this process) and Remote (a
// store served by a child process over a Unix socket, see Serve and
// ProcessStore). A Recorder wraps a Client so that every call becomes a
// Jepsen invoke event and exactly one completion (ok, fail or info) in a
// history, with nemesis events and store snapshots in the same stream.
//
// Imports: store and history only (plus the standard library and msgpack).
// It never imports checker, nemesis or workload.
package client
