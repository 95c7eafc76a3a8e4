// Package crashpoint explores crash states (ALICE / CrashMonkey style): it
// runs a bounded, deterministic single-worker workload on a store that
// records every persistence operation (store.Options.PersistLog), and for
// every persistence point constructs the disk images a power cut there could
// leave under the store's own model (store/doc.go: synced bytes kept; every
// unsynced 512-byte sector kept or dropped; a write larger than a sector
// torn at a sector boundary), opens each image with the real store and
// judges what recovery returned against the operations acknowledged and
// synced before the point.
//
// Files: log.go records the run, workload.go generates it, replay.go turns
// the log into per-point durable and volatile images, states.go chooses the
// bounded set of crash states per point, judge.go is the oracle, explore.go
// drives it all, report.go writes the result.
//
// Imports: the standard library and store (only to run the workload and to
// open images); it never imports checker or history.
package crashpoint
