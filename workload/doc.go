// Package workload is the registry of named workloads and the deterministic
// generator of their operations.
//
// A Workload is a value: the parameters of one of the review's Task 017
// scenarios (workers, operations, id space, operation mix, barrier, preload),
// the review's targets for it (p99 latency per operation, wall time) and the
// faults it runs under by default. All() lists them; `warmcheck list
// workloads` prints that list, never a hand-kept string.
//
// Plan turns a workload and a seed into one operation stream per worker. Each
// stream draws from its own rand source seeded from (seed, worker), so the
// same seed gives the same operations in the same per-worker order; which
// goroutine runs first is up to the scheduler and is not reproducible.
//
// Every put writes content unique to that operation (a token
// "<id>/w<worker>/n<counter>" followed by padding), a unique embedding stamp
// and a unique activation, and every update-activation writes a unique
// activation: a value read back therefore names the one write that produced
// it, which is what lets the checker give definite verdicts on hot keys.
//
// Imports: history (operation names) and store (the Memory type) only.
package workload
