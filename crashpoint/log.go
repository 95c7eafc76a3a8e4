package crashpoint

import "github.com/warmcheck/warmcheck/store"

// Step is one persistence operation and the client operation it belongs to
// (-1: opening the store).
type Step struct {
	Event store.PersistEvent
	Op    int
}

// recorder is the store's PersistLog. Invariant: the workload is driven by
// one goroutine and the store runs no background sync, so events arrive in
// program order and each belongs to the operation in progress.
type recorder struct {
	steps []Step
	cur   int
}

func (r *recorder) Persist(e store.PersistEvent) {
	r.steps = append(r.steps, Step{Event: e, Op: r.cur})
}
