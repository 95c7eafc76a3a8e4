package client

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// Worker is one worker's recording handle; it implements Client. Every call
// appends an invoke event, makes the call through the recorder's client with
// the recorder's timeout, recovers any panic into a *PanicError, and appends
// the completion Classify decides. After an info completion the worker's
// process is retired and it continues as process + Workers.
type Worker struct {
	// gate is held by each operation from its invoke to its completion, and
	// by Recorder.Quiesce (all workers' gates): while Quiesce runs no
	// operation is in flight and none starts, so a restart recorded inside
	// it is a clean boundary (no operation invoked before it completes after
	// it). It also serializes a handle shared by mistake.
	gate    sync.Mutex
	r       *Recorder
	worker  int32
	process int64
	c       Client                   // the recorder's client, or its direct view
	exec    atomic.Pointer[executor] // read by the recorder's watchdog
}

var _ Client = (*Worker)(nil)

// Process is the process id the worker's next operation will use.
func (w *Worker) Process() int64 { return w.process }

// ID is the worker's index.
func (w *Worker) ID() int { return int(w.worker) }

// Close stops the worker's executor goroutine, if any. The recorder's client
// is closed by its owner. The handle stays usable (a new executor starts).
func (w *Worker) Close() error {
	w.gate.Lock()
	defer w.gate.Unlock()
	w.stopExecutor()
	return nil
}

// do records one operation: invoke, call, completion. call runs with a
// bounded context; out builds the ok output and is only called on success.
func (w *Worker) do(ctx context.Context, op history.Op, id string, in *history.Input,
	call func(ctx context.Context) error, out func() *history.Output) (err error) {
	w.gate.Lock()
	defer w.gate.Unlock()
	if w.r.direct != nil && w.r.timeout > 0 {
		at := w.r.append(history.Event{Kind: history.KindOp, Type: history.Invoke, Process: w.process,
			Worker: w.worker, Op: op, ID: id, Input: in})
		err = w.runBounded(ctx, at, func() error { return call(ctx) })
	} else {
		w.r.append(history.Event{Kind: history.KindOp, Type: history.Invoke, Process: w.process,
			Worker: w.worker, Op: op, ID: id, Input: in})
		// The bound starts after the invoke time: a timed-out operation's
		// recorded interval is never shorter than the timeout.
		bctx, cancel := w.r.deadline(ctx)
		defer cancel()
		err = guard(bctx, call)
	}
	done := history.Event{Kind: history.KindOp, Type: Classify(op, err), Process: w.process,
		Worker: w.worker, Op: op, ID: id}
	if err == nil {
		done.Output = out()
	} else {
		done.Error = err.Error()
	}
	w.r.append(done)
	if done.Type == history.Info {
		w.process += int64(w.r.workers)
	}
	return err
}

// guard runs call and turns a panic into a *PanicError.
func guard(ctx context.Context, call func(ctx context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v}
		}
	}()
	return call(ctx)
}

// record wraps do for a call returning a T. res is written by the call,
// which may run on an executor that is abandoned at a timeout and writes it
// late: res is read only when the call returned within its bound (do
// returned nil after receiving the call's result), never after a timeout,
// so a late write races with nothing.
func record[T any](w *Worker, ctx context.Context, op history.Op, id string, in *history.Input,
	call func(ctx context.Context) (T, error), out func(T) *history.Output) (T, error) {
	var res T
	err := w.do(ctx, op, id, in,
		func(ctx context.Context) error {
			v, err := call(ctx)
			res = v
			return err
		},
		func() *history.Output { return out(res) })
	if err != nil {
		var zero T
		return zero, err
	}
	return res, nil
}

func (w *Worker) Put(ctx context.Context, id string, m store.Memory) (store.Placement, error) {
	return record(w, ctx, history.OpPut, id, &history.Input{Value: ValueOf(m)},
		func(ctx context.Context) (store.Placement, error) { return w.c.Put(ctx, id, m) },
		func(p store.Placement) *history.Output { return &history.Output{Placement: PlacementOf(p)} })
}

func (w *Worker) Get(ctx context.Context, id string) (store.Memory, store.Lookup, error) {
	r, err := record(w, ctx, history.OpGet, id, nil,
		func(ctx context.Context) (memLookup, error) {
			m, l, err := w.c.Get(ctx, id)
			return memLookup{m, l}, err
		},
		func(r memLookup) *history.Output {
			if r.l != store.Found {
				return &history.Output{}
			}
			return &history.Output{Found: true, Value: ValueOf(r.m)}
		})
	return r.m, r.l, err
}

func (w *Worker) Remove(ctx context.Context, id string) (store.Lookup, error) {
	return record(w, ctx, history.OpRemove, id, nil,
		func(ctx context.Context) (store.Lookup, error) { return w.c.Remove(ctx, id) },
		func(l store.Lookup) *history.Output { return &history.Output{Found: l == store.Found} })
}

func (w *Worker) UpdateActivation(ctx context.Context, id string, v float32) (store.Lookup, error) {
	return record(w, ctx, history.OpUpdateActivation, id, &history.Input{Activation: v},
		func(ctx context.Context) (store.Lookup, error) { return w.c.UpdateActivation(ctx, id, v) },
		func(l store.Lookup) *history.Output { return &history.Output{Found: l == store.Found} })
}

func (w *Worker) Iterate(ctx context.Context) ([]history.Entry, error) {
	return record(w, ctx, history.OpIterate, "", nil, w.c.Iterate,
		func(es []history.Entry) *history.Output { return &history.Output{Entries: es} })
}

func (w *Worker) Recall(ctx context.Context, threshold float32) ([]history.Entry, error) {
	return record(w, ctx, history.OpRecall, "", &history.Input{Threshold: threshold},
		func(ctx context.Context) ([]history.Entry, error) { return w.c.Recall(ctx, threshold) },
		func(es []history.Entry) *history.Output { return &history.Output{Entries: es} })
}

func (w *Worker) Compact(ctx context.Context) (store.CompactionStats, error) {
	return record(w, ctx, history.OpCompact, "", nil, w.c.Compact,
		func(cs store.CompactionStats) *history.Output { return &history.Output{Compaction: CompactionOf(cs)} })
}

func (w *Worker) Sync(ctx context.Context) error {
	_, err := record(w, ctx, history.OpSync, "", nil,
		func(ctx context.Context) (struct{}, error) { return struct{}{}, w.c.Sync(ctx) },
		func(struct{}) *history.Output { return &history.Output{} })
	return err
}

// Stats is recorded as an operation; its numbers are not kept in the op
// event (history.Output has no field for them): use Recorder.Snapshot to
// record statistics.
func (w *Worker) Stats(ctx context.Context) (store.Stats, error) {
	return record(w, ctx, history.OpStats, "", nil, w.c.Stats,
		func(store.Stats) *history.Output { return &history.Output{} })
}

// Layout is recorded as an operation whose output entries are the layout.
func (w *Worker) Layout(ctx context.Context) ([]store.LayoutEntry, error) {
	return record(w, ctx, history.OpLayout, "", nil, w.c.Layout,
		func(l []store.LayoutEntry) *history.Output { return &history.Output{Entries: LayoutEntries(l)} })
}
