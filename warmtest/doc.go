// Package warmtest tests a warm-tier store written in Go with warmcheck's
// workloads, faults and checks, from the store author's own go test:
//
//	func TestMyStore(t *testing.T) {
//		warmtest.Check(t, mystore.New(), warmtest.Config{Workload: "mixed", Seed: 1, Ops: 2000})
//	}
//
// Check fails the test unless the verdict is valid, with each failed
// check's counterexample; Run returns the Result (verdict, every check's
// result in the shape of results.json) and can keep the run directory for
// `warmcheck analyze` and report.html.
//
// # The contract
//
// The store implements Store: put, get, remove, update-activation, iterate,
// recall, compact and sync, safe for concurrent use, and empty when Run
// starts (Run refuses one that is not). The checks hold it to a
// warm-tier store's guarantees: every operation atomic (linearizable per
// memory id); a Get returns every field as the Put wrote it (floats bit for
// bit), except that a zero CreatedAt or LastAccess in a Put, and LastAccess
// in UpdateActivation, are the store's clock (time.Now().UnixNano()) during
// that call; an Iterate visits everything stored before it began and not
// removed during it exactly once, nothing stale, torn or never written.
// Nil and empty Content are different values. The workloads write
// 768-value embeddings.
//
// How a call's error is recorded, as Jepsen does: ok, fail (it definitely
// did not happen) or info (unknown: it may have happened, or may still):
//
//	nil                                      ok
//	ErrNotFound (Get, Remove,
//	  UpdateActivation)                      ok, found nothing
//	wraps ErrRejected                        fail
//	a panic in the store                     info
//	no answer within Config.OpTimeout, or a
//	  context error                          info (the call is abandoned)
//	any other error                          fail for get, iterate, recall;
//	                                         info for put, remove,
//	                                         update-activation, compact, sync
//
// So return ErrRejected only when nothing changed: a put that is rejected
// yet applied is caught as a lost or phantom write.
//
// # Capabilities
//
// Optional capabilities are small interfaces a Store may also implement,
// found by type assertion:
//
//   - Placer: Put reports where the memory landed (slot, content offset,
//     length, epoch, in the built-in store's model). Without it the checks
//     offset-overlap, offset-monotonic and unique-slots are not evaluated:
//     never passed by vacuity, never failed on placements the store does
//     not have.
//
// The checks that need the store's layout and statistics (content-length,
// durability) are not evaluated for a Go store; failpoint faults (panic,
// sleep, grow-failure act at the built-in store's failpoints) and process
// faults (pause, kill, power-loss) are refused, so a Go store runs under
// concurrency and the compact fault alone. The history header records the
// store as its target (history.Header.Target), so that `warmcheck analyze`
// judges a saved run the same way.
//
// # What a run shows
//
// Runs are free (the Go scheduler interleaves the workers): a bug that needs
// a narrow interleaving is caught in some runs only, and the seed repeats
// the operations and faults, not the interleaving. A race window that
// workers reach often (many workers on few ids: the hot-spot workload) is
// caught in practically every run.
//
// Imports: runner, checker, client, history, store (for the client's value
// types). Nothing in warmcheck imports warmtest.
package warmtest
