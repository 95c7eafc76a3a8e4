package client

import (
	"context"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// Client is one way of reaching a store. Every implementation is safe for
// concurrent use by many workers. A context deadline bounds every call: a
// dead or paused store ends the call with an error (see Classify), never a
// hang.
//
// Iterate and Recall return digests (history.Entry), not raw embeddings or
// content: that is all a history keeps, and it keeps the child-process
// protocol small.
type Client interface {
	Put(ctx context.Context, id string, m store.Memory) (store.Placement, error)
	Get(ctx context.Context, id string) (store.Memory, store.Lookup, error)
	Remove(ctx context.Context, id string) (store.Lookup, error)
	UpdateActivation(ctx context.Context, id string, v float32) (store.Lookup, error)
	Iterate(ctx context.Context) ([]history.Entry, error)
	Recall(ctx context.Context, threshold float32) ([]history.Entry, error)
	Compact(ctx context.Context) (store.CompactionStats, error)
	Sync(ctx context.Context) error
	Stats(ctx context.Context) (store.Stats, error)
	Layout(ctx context.Context) ([]store.LayoutEntry, error)
	Close() error
}

// EventSink receives a history's events in index order. *history.Writer
// satisfies it. The Recorder calls it from one goroutine at a time, under its
// own lock.
type EventSink interface {
	Append(e history.Event) error
	Flush() error
}

// directClient is implemented by clients whose calls run in this process and
// can hang (InProcess). direct returns a view whose calls run on the calling
// goroutine; the Recorder then bounds each call itself, on a per-worker
// executor goroutine with a reused timer, which is much cheaper than a
// goroutine and a timer per call.
type directClient interface {
	direct() Client
}
