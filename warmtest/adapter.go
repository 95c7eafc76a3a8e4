package warmtest

import (
	"context"
	"errors"
	"fmt"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// storeClient is a user's Store as the runner's client.Client. It converts
// values, maps the Store's errors onto the recorder's outcomes (ErrNotFound:
// found nothing; ErrRejected: client.ErrRejected, a failure) and recovers
// the Store's panics, also on calls the recorder does not bound (a compact
// fault's).
type storeClient struct {
	s      Store
	placer Placer // s as a Placer, nil when it is not one
}

var _ client.Client = (*storeClient)(nil)

func newStoreClient(s Store) *storeClient {
	c := &storeClient{s: s}
	c.placer, _ = s.(Placer)
	return c
}

// reports lists what the store reports beyond its operations' values.
func (c *storeClient) reports() []string {
	if c.placer != nil {
		return []string{history.ReportsPlacements}
	}
	return []string{}
}

func guard[T any](f func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &client.PanicError{Value: p}
		}
	}()
	return f()
}

// outcome maps a Store's error for the recorder.
func outcome(err error) error {
	if err != nil && errors.Is(err, ErrRejected) {
		return fmt.Errorf("%w: %w", client.ErrRejected, err)
	}
	return err
}

// lookup maps the error of a call that may find nothing.
func lookup(err error) (store.Lookup, error) {
	switch {
	case err == nil:
		return store.Found, nil
	case errors.Is(err, ErrNotFound):
		return store.Missing, nil
	}
	return store.Missing, outcome(err)
}

func (c *storeClient) Put(ctx context.Context, id string, m store.Memory) (store.Placement, error) {
	return guard(func() (store.Placement, error) {
		if c.placer == nil {
			return store.Placement{}, outcome(c.s.Put(ctx, id, fromStore(m)))
		}
		p, err := c.placer.PutPlaced(ctx, id, fromStore(m))
		return toStorePlacement(p, m.Content != nil), outcome(err)
	})
}

type found struct {
	m store.Memory
	l store.Lookup
}

func (c *storeClient) Get(ctx context.Context, id string) (store.Memory, store.Lookup, error) {
	r, err := guard(func() (found, error) {
		m, err := c.s.Get(ctx, id)
		l, err := lookup(err)
		if l != store.Found {
			return found{}, err
		}
		return found{toStore(m), l}, nil
	})
	return r.m, r.l, err
}

func (c *storeClient) Remove(ctx context.Context, id string) (store.Lookup, error) {
	return guard(func() (store.Lookup, error) { return lookup(c.s.Remove(ctx, id)) })
}

func (c *storeClient) UpdateActivation(ctx context.Context, id string, v float32) (store.Lookup, error) {
	return guard(func() (store.Lookup, error) { return lookup(c.s.UpdateActivation(ctx, id, v)) })
}

func (c *storeClient) Iterate(ctx context.Context) ([]history.Entry, error) {
	return guard(func() ([]history.Entry, error) {
		es := []history.Entry{}
		err := c.s.Iterate(ctx, func(id string, m Memory) bool {
			es = append(es, history.Entry{ID: id, Value: client.ValueOf(toStore(m))})
			return true
		})
		if err != nil {
			return nil, outcome(err)
		}
		return es, nil
	})
}

func (c *storeClient) Recall(ctx context.Context, threshold float32) ([]history.Entry, error) {
	return guard(func() ([]history.Entry, error) {
		hits, err := c.s.Recall(ctx, threshold)
		if err != nil {
			return nil, outcome(err)
		}
		es := make([]history.Entry, len(hits))
		for i, h := range hits {
			es[i] = client.RecallEntry(store.RecallHit{ID: h.ID, Confidence: h.Confidence, Content: h.Content})
		}
		return es, nil
	})
}

// Compact reports no statistics: the checks that would read them
// (content-length) need a layout the Store does not report.
func (c *storeClient) Compact(ctx context.Context) (store.CompactionStats, error) {
	return guard(func() (store.CompactionStats, error) { return store.CompactionStats{}, outcome(c.s.Compact(ctx)) })
}

func (c *storeClient) Sync(ctx context.Context) error {
	_, err := guard(func() (struct{}, error) { return struct{}{}, outcome(c.s.Sync(ctx)) })
	return err
}

// errUnreported answers the calls a Store has no method for; the run never
// makes them (no snapshots of a store that does not report its layout).
var errUnreported = fmt.Errorf("%w: a warmtest.Store reports no layout or statistics", client.ErrRejected)

func (c *storeClient) Stats(context.Context) (store.Stats, error) {
	return store.Stats{}, errUnreported
}
func (c *storeClient) Layout(context.Context) ([]store.LayoutEntry, error) {
	return nil, errUnreported
}

// Close leaves the Store open: it is the caller's.
func (c *storeClient) Close() error { return nil }

func fromStore(m store.Memory) Memory {
	return Memory{Content: m.Content, Embedding: m.Embedding, Confidence: m.Confidence, Activation: m.Activation,
		DecayRate: m.DecayRate, CreatedAt: m.CreatedAt, LastAccess: m.LastAccess}
}

func toStore(m Memory) store.Memory {
	return store.Memory{Content: m.Content, Embedding: m.Embedding, Confidence: m.Confidence, Activation: m.Activation,
		DecayRate: m.DecayRate, CreatedAt: m.CreatedAt, LastAccess: m.LastAccess}
}

// toStorePlacement is p as the built-in store reports one: no content, no
// content range.
func toStorePlacement(p Placement, hasContent bool) store.Placement {
	if !hasContent {
		return store.Placement{Slot: p.Slot}
	}
	return store.Placement{Slot: p.Slot, Offset: p.Offset, Length: p.Length, Epoch: p.Epoch, HasContent: true}
}
