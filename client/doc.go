// Package client reaches a warm-tier store and records what it did.
//
// A Client is the store's operation set behind one small interface, with two
// implementations: InProcess (a *store.Store in this process) and Remote (a
// store served by a child process over a Unix socket, see Serve and
// ProcessStore). A user's store in this process (package warmtest) is
// a Client marked by Bounded, whose calls the Recorder bounds as InProcess's. A Recorder wraps a Client so that every call becomes a
// Jepsen invoke event and exactly one completion (ok, fail or info) in a
// history, with nemesis events and store snapshots in the same stream.
//
// How an error ends an operation (ok, fail or info) is one table, in
// classify.go. In-process calls are bounded by the recorder on a reused
// per-worker executor goroutine (executor.go), so a hung store (a paused
// failpoint, a leaked lock) ends the call as info at its timeout; a remote
// call is bounded by its connection deadline.
//
// Imports: store and history (plus the standard library, msgpack for the
// child-process protocol and hclog). It never imports checker, nemesis or
// workload.
package client
