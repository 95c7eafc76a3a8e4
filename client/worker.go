package client

import (
	"context"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// Worker is one worker's recording handle; it implements Client. Every call
// appends an invoke event, makes the call through the recorder's client with
// the recorder's timeout, recovers any panic into a *PanicError, and appends
// the completion Classify decides. After an info completion the worker's
// process is retired and it continues as process + Workers.
type Worker struct {
	r       *Recorder
	worker  int32
	process int64
	c       Client // the recorder's client, or its direct view
	exec    *executor
	timer   *time.Timer
}

var _ Client = (*Worker)(nil)

// Process is the process id the worker's next operation will use.
func (w *Worker) Process() int64 { return w.process }

// ID is the worker's index.
func (w *Worker) ID() int { return int(w.worker) }

// Close stops the worker's executor goroutine, if any. The recorder's client
// is closed by its owner. The handle stays usable (a new executor starts).
func (w *Worker) Close() error {
	w.stopExecutor()
	return nil
}

// do records one operation: invoke, call, completion. call runs with a
// bounded context; out builds the ok output and is only called on success.
func (w *Worker) do(ctx context.Context, op history.Op, id string, in *history.Input,
	call func(ctx context.Context) error, out func() *history.Output) (err error) {
	w.r.gate.RLock()
	defer w.r.gate.RUnlock()
	if w.r.direct != nil && w.r.timeout > 0 {
		w.r.append(history.Event{Kind: history.KindOp, Type: history.Invoke, Process: w.process,
			Worker: w.worker, Op: op, ID: id, Input: in})
		err = w.runBounded(ctx, func() error { return call(ctx) })
	} else {
		bctx, cancel := w.r.deadline(ctx)
		defer cancel()
		w.r.append(history.Event{Kind: history.KindOp, Type: history.Invoke, Process: w.process,
			Worker: w.worker, Op: op, ID: id, Input: in})
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

func (w *Worker) Put(ctx context.Context, id string, m store.Memory) (p store.Placement, err error) {
	err = w.do(ctx, history.OpPut, id, &history.Input{Value: w.r.digests.value(m)},
		func(ctx context.Context) (e error) { p, e = w.c.Put(ctx, id, m); return e },
		func() *history.Output { return &history.Output{Placement: PlacementOf(p)} })
	return p, err
}

func (w *Worker) Get(ctx context.Context, id string) (m store.Memory, l store.Lookup, err error) {
	err = w.do(ctx, history.OpGet, id, nil,
		func(ctx context.Context) (e error) { m, l, e = w.c.Get(ctx, id); return e },
		func() *history.Output {
			if l != store.Found {
				return &history.Output{}
			}
			return &history.Output{Found: true, Value: w.r.digests.value(m)}
		})
	return m, l, err
}

func (w *Worker) Remove(ctx context.Context, id string) (l store.Lookup, err error) {
	err = w.do(ctx, history.OpRemove, id, nil,
		func(ctx context.Context) (e error) { l, e = w.c.Remove(ctx, id); return e },
		func() *history.Output { return &history.Output{Found: l == store.Found} })
	return l, err
}

func (w *Worker) UpdateActivation(ctx context.Context, id string, v float32) (l store.Lookup, err error) {
	err = w.do(ctx, history.OpUpdateActivation, id, &history.Input{Activation: v},
		func(ctx context.Context) (e error) { l, e = w.c.UpdateActivation(ctx, id, v); return e },
		func() *history.Output { return &history.Output{Found: l == store.Found} })
	return l, err
}

func (w *Worker) Iterate(ctx context.Context) (es []history.Entry, err error) {
	err = w.do(ctx, history.OpIterate, "", nil,
		func(ctx context.Context) (e error) { es, e = w.c.Iterate(ctx); return e },
		func() *history.Output { return &history.Output{Entries: es} })
	return es, err
}

func (w *Worker) Recall(ctx context.Context, threshold float32) (es []history.Entry, err error) {
	err = w.do(ctx, history.OpRecall, "", &history.Input{Threshold: threshold},
		func(ctx context.Context) (e error) { es, e = w.c.Recall(ctx, threshold); return e },
		func() *history.Output { return &history.Output{Entries: es} })
	return es, err
}

func (w *Worker) Compact(ctx context.Context) (cs store.CompactionStats, err error) {
	err = w.do(ctx, history.OpCompact, "", nil,
		func(ctx context.Context) (e error) { cs, e = w.c.Compact(ctx); return e },
		func() *history.Output { return &history.Output{Compaction: CompactionOf(cs)} })
	return cs, err
}

func (w *Worker) Sync(ctx context.Context) error {
	return w.do(ctx, history.OpSync, "", nil,
		func(ctx context.Context) error { return w.c.Sync(ctx) },
		func() *history.Output { return &history.Output{} })
}

// Stats is recorded as an operation; its numbers are not kept in the op
// event (history.Output has no field for them): use Recorder.Snapshot to
// record statistics.
func (w *Worker) Stats(ctx context.Context) (s store.Stats, err error) {
	err = w.do(ctx, history.OpStats, "", nil,
		func(ctx context.Context) (e error) { s, e = w.c.Stats(ctx); return e },
		func() *history.Output { return &history.Output{} })
	return s, err
}

// Layout is recorded as an operation whose output entries are the layout.
func (w *Worker) Layout(ctx context.Context) (l []store.LayoutEntry, err error) {
	err = w.do(ctx, history.OpLayout, "", nil,
		func(ctx context.Context) (e error) { l, e = w.c.Layout(ctx); return e },
		func() *history.Output { return &history.Output{Entries: LayoutEntries(l)} })
	return l, err
}
