package client

import (
	"context"
	"fmt"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// InProcess is a Client over a *store.Store in this process.
//
// A call whose context can be cancelled runs on its own goroutine, so that a
// store call that hangs (a paused failpoint, a lock leaked by the seeded bug
// panic-holds-lock) ends with ErrTimeout at the deadline instead of hanging
// the worker; the stuck goroutine is abandoned. A call with a
// never-cancelled context (context.Background()) runs on the caller's
// goroutine, and so does every call while the store runs under a controlled
// scheduler (store.Scheduled): a call must then stay on its task's
// goroutine, and one that cannot finish is a deadlock the scheduler
// reports, not a timeout. Either way a panic in the store is recovered into
// *PanicError.
type InProcess struct {
	s *store.Store
	// unbounded: calls run on the caller's goroutine whatever the context
	// (the view the Recorder uses: it bounds calls on its own executors).
	unbounded bool
}

var _ Client = (*InProcess)(nil)

// NewInProcess wraps s. The InProcess owns s from now on: Close closes it.
func NewInProcess(s *store.Store) *InProcess { return &InProcess{s: s} }

// Store is the wrapped store (for nemeses that arm failpoints or compact).
func (c *InProcess) Store() *store.Store { return c.s }

type result[T any] struct {
	v   T
	err error
}

// direct is the view of c whose calls run on the caller's goroutine (see
// directClient).
func (c *InProcess) direct() Client { return &InProcess{s: c.s, unbounded: true} }

// call runs f under ctx's deadline (see InProcess).
func call[T any](c *InProcess, ctx context.Context, f func() (T, error)) (T, error) {
	if c.unbounded || ctx.Done() == nil || c.s.Scheduled() {
		return guarded(f)
	}
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, fmt.Errorf("%w (context already done: %v)", ErrNotSent, err)
	}
	done := make(chan result[T], 1)
	go func() {
		v, err := guarded(f)
		done <- result[T]{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
	}
}

func guarded[T any](f func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p}
		}
	}()
	return f()
}

func (c *InProcess) Put(ctx context.Context, id string, m store.Memory) (store.Placement, error) {
	return call(c, ctx, func() (store.Placement, error) { return c.s.Put(id, m) })
}

type memLookup struct {
	m store.Memory
	l store.Lookup
}

func (c *InProcess) Get(ctx context.Context, id string) (store.Memory, store.Lookup, error) {
	r, err := call(c, ctx, func() (memLookup, error) {
		m, l, err := c.s.Get(id)
		return memLookup{m, l}, err
	})
	return r.m, r.l, err
}

func (c *InProcess) Remove(ctx context.Context, id string) (store.Lookup, error) {
	return call(c, ctx, func() (store.Lookup, error) { return c.s.Remove(id) })
}

func (c *InProcess) UpdateActivation(ctx context.Context, id string, v float32) (store.Lookup, error) {
	return call(c, ctx, func() (store.Lookup, error) { return c.s.UpdateActivation(id, v) })
}

func (c *InProcess) Iterate(ctx context.Context) ([]history.Entry, error) {
	return call(c, ctx, func() ([]history.Entry, error) { return iterateEntries(c.s) })
}

// iterateEntries digests every memory Iterate visits.
func iterateEntries(s *store.Store) ([]history.Entry, error) {
	var es []history.Entry
	err := s.Iterate(func(id string, m store.Memory) bool {
		es = append(es, history.Entry{ID: id, Value: ValueOf(m)})
		return true
	})
	if err != nil {
		return nil, err
	}
	if es == nil {
		es = []history.Entry{}
	}
	return es, nil
}

func (c *InProcess) Recall(ctx context.Context, threshold float32) ([]history.Entry, error) {
	return call(c, ctx, func() ([]history.Entry, error) { return recallEntries(c.s, threshold) })
}

func recallEntries(s *store.Store, threshold float32) ([]history.Entry, error) {
	hits, err := s.Recall(threshold)
	if err != nil {
		return nil, err
	}
	es := make([]history.Entry, len(hits))
	for i, h := range hits {
		es[i] = RecallEntry(h)
	}
	return es, nil
}

func (c *InProcess) Compact(ctx context.Context) (store.CompactionStats, error) {
	return call(c, ctx, c.s.Compact)
}

func (c *InProcess) Sync(ctx context.Context) error {
	_, err := call(c, ctx, func() (struct{}, error) { return struct{}{}, c.s.Sync() })
	return err
}

func (c *InProcess) Stats(ctx context.Context) (store.Stats, error) {
	return call(c, ctx, func() (store.Stats, error) { return c.s.Stats(), nil })
}

func (c *InProcess) Layout(ctx context.Context) ([]store.LayoutEntry, error) {
	return call(c, ctx, c.s.Layout)
}

// Close closes the store.
func (c *InProcess) Close() error { return c.s.Close() }
