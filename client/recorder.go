package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// Recorder defaults.
const (
	DefaultOpTimeout  = 5 * time.Second
	DefaultFlushEvery = 100 * time.Millisecond
)

// RecorderOptions configure NewRecorder.
type RecorderOptions struct {
	// Workers is the number of workers; worker i starts as process i and
	// continues as process i+Workers after each info completion.
	Workers int
	// Start is the run's start; event times are time.Since(Start) on the
	// monotonic clock. Zero means the moment NewRecorder is called.
	Start time.Time
	// OpTimeout bounds every recorded operation whose context has no
	// earlier deadline. Zero means DefaultOpTimeout; negative means none.
	OpTimeout time.Duration
	// FlushEvery is how often the sink is flushed, so that a killed run keeps
	// nearly everything. Zero means DefaultFlushEvery; negative disables the
	// periodic flush (Close still flushes).
	FlushEvery time.Duration
}

// Recorder turns operations into a history: each operation is an invoke event
// and exactly one completion, appended to the sink.
//
// Invariant: an event's index and time are both taken under mu, in the same
// critical section that appends it, so index order and time order agree and
// time never goes backwards in index order. The invoke time is taken before
// the call starts and the completion time after it returns, so every recorded
// interval contains the real one. Porcupine issue #40 shows a clock read
// reordered past a read-only operation's atomic loads; here the clock is read
// inside a mutex critical section whose Unlock (a sequentially consistent
// atomic in Go) precedes the call in program order, and in-process the call
// itself starts after a channel hand-off to the executor, so neither the
// compiler nor the CPU can move the call's loads before the invoke time, or
// the completion time before the call's result was received.
type Recorder struct {
	c       Client
	direct  Client // c's direct view when c is a directClient, else nil
	start   time.Time
	workers int
	timeout time.Duration

	// handles are the workers' recording handles, one per worker, made at
	// NewRecorder: Worker(i) always returns the same one, so a worker's
	// process id survives however many times its handle is asked for.
	handles []*Worker

	mu   sync.Mutex
	sink EventSink
	next uint64
	err  error // first sink error; once set, nothing more is appended
	// ended is set by Close: nothing more is appended, so a call abandoned
	// at the end of a run that returns later leaves its invoke pending
	// (never a completion after the history was closed, racing the caller
	// closing the sink).
	ended bool

	closed    chan struct{}
	flushDone chan struct{}
	closeOnce sync.Once
}

// NewRecorder records operations made through c into sink. Call Close when the
// run ends: it stops the periodic flush and flushes. Closing the sink and the
// client stays the caller's job.
func NewRecorder(sink EventSink, c Client, opts RecorderOptions) (*Recorder, error) {
	if sink == nil || c == nil {
		return nil, fmt.Errorf("%w: recorder needs a sink and a client", ErrBadConfig)
	}
	if opts.Workers <= 0 {
		return nil, fmt.Errorf("%w: recorder workers = %d, want > 0", ErrBadConfig, opts.Workers)
	}
	r := &Recorder{c: c, sink: sink, start: opts.Start, workers: opts.Workers, timeout: opts.OpTimeout}
	if d, ok := c.(directClient); ok {
		r.direct = d.direct()
	}
	if r.start.IsZero() {
		r.start = time.Now()
	}
	if r.timeout == 0 {
		r.timeout = DefaultOpTimeout
	}
	r.handles = make([]*Worker, r.workers)
	for i := range r.handles {
		w := &Worker{r: r, worker: int32(i), process: int64(i), c: r.c}
		if r.direct != nil && r.timeout > 0 {
			w.c = r.direct
		}
		r.handles[i] = w
	}
	r.closed = make(chan struct{})
	if r.direct != nil && r.timeout > 0 {
		go r.watch()
	}
	every := opts.FlushEvery
	if every == 0 {
		every = DefaultFlushEvery
	}
	r.flushDone = make(chan struct{})
	if every > 0 {
		go r.flushLoop(every)
	} else {
		close(r.flushDone)
	}
	return r, nil
}

// Client is the client the recorder drives.
func (r *Recorder) Client() Client { return r.c }

// Start is the run's start time; Now is measured from it.
func (r *Recorder) Start() time.Time { return r.start }

// Now is the current time in ns since the run started.
func (r *Recorder) Now() int64 { return int64(time.Since(r.start)) }

// Err is the first error the sink returned, if any. After it, the recorder
// keeps serving operations but appends nothing.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Close stops the periodic flush and the workers' executor goroutines, and
// flushes the sink; nothing is appended after it (a call still in flight
// stays an invoke without completion). It returns the first sink error of
// the whole run. Call it once the workers are done or abandoned.
func (r *Recorder) Close() error {
	r.closeOnce.Do(func() {
		close(r.closed)
		<-r.flushDone
		r.mu.Lock()
		if r.err == nil {
			if err := r.sink.Flush(); err != nil {
				r.err = err
			}
		}
		r.ended = true
		r.mu.Unlock()
	})
	return r.Err()
}

// Flush flushes the sink now.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		if err := r.sink.Flush(); err != nil {
			r.err = err
		}
	}
	return r.err
}

func (r *Recorder) flushLoop(every time.Duration) {
	defer close(r.flushDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.closed:
			return
		case <-t.C:
			_ = r.Flush() // the error is kept in r.err and returned by Close
		}
	}
}

// append stamps e with the next index and the current time and appends it.
// It returns the time it stamped.
func (r *Recorder) append(e history.Event) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.Index = r.next
	e.Time = int64(time.Since(r.start))
	if r.err != nil || r.ended {
		return e.Time
	}
	r.next++
	if err := r.sink.Append(e); err != nil {
		r.err = fmt.Errorf("recorder: append event %d: %w", e.Index, err)
	}
	return e.Time
}

// RecordNemesis appends a nemesis event (always type Info).
func (r *Recorder) RecordNemesis(n history.Nemesis) {
	r.append(history.Event{Kind: history.KindNemesis, Type: history.Info, Nemesis: &n})
}

// RecordSnapshot appends a snapshot event; stats or layout may be nil.
func (r *Recorder) RecordSnapshot(reason string, stats *store.Stats, layout []store.LayoutEntry) {
	s := &history.Snapshot{Reason: reason}
	if stats != nil {
		s.Stats = StatsOf(*stats)
	}
	if layout != nil {
		s.Layout = LayoutEntries(layout)
	}
	r.append(history.Event{Kind: history.KindSnapshot, Type: history.Info, Snapshot: s})
}

// Snapshot takes Layout and Stats through the recorder's client and records
// them with the given reason ("periodic", "final", "restart"). The store is
// not quiescent unless the caller made it so: Layout and Stats are two calls.
// A snapshot is not a recorded operation: it is bounded by ctx's deadline,
// and by the operation timeout only when ctx has none.
func (r *Recorder) Snapshot(ctx context.Context, reason string) error {
	cancel := context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok {
		ctx, cancel = r.deadline(ctx)
	}
	defer cancel()
	layout, err := r.c.Layout(ctx)
	if err != nil {
		return fmt.Errorf("snapshot %q: layout: %w", reason, err)
	}
	// A store that does not report statistics (ErrUnsupported) gets
	// snapshots without them: its layout is still an observation.
	var st *store.Stats
	stats, err := r.c.Stats(ctx)
	switch {
	case err == nil:
		st = &stats
	case !errors.Is(err, ErrUnsupported):
		return fmt.Errorf("snapshot %q: stats: %w", reason, err)
	}
	if layout == nil {
		layout = []store.LayoutEntry{}
	}
	// An answer after the deadline is not recorded: the caller may have
	// given up on it and gone on (a final snapshot after it, or the end).
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("snapshot %q: answered after its deadline: %w", reason, err)
	}
	r.RecordSnapshot(reason, st, layout)
	return nil
}

// Quiesce waits until no recorded operation is in flight, runs fn while new
// ones wait, then lets them go. Operations are bounded by the operation
// timeout, so Quiesce waits at most about that long before fn runs. Nemeses
// restart a store inside Quiesce and record the restart and the recovered
// snapshot there; runners take quiescent snapshots with it.
func (r *Recorder) Quiesce(fn func() error) error {
	for _, w := range r.handles {
		w.gate.Lock()
	}
	defer func() {
		for _, w := range r.handles {
			w.gate.Unlock()
		}
	}()
	return fn()
}

// deadline bounds ctx by the recorder's operation timeout unless it already
// has an earlier deadline.
func (r *Recorder) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.timeout < 0 {
		return ctx, func() {}
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= r.timeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, r.timeout)
}

// Worker returns the recording handle of worker i (0 <= i < Workers),
// always the same one for the same i. Its operations are serialized (a
// process never has two outstanding operations): use one goroutine per
// handle.
func (r *Recorder) Worker(i int) *Worker {
	if i < 0 || i >= r.workers {
		panic(fmt.Sprintf("client: worker %d out of range [0,%d)", i, r.workers))
	}
	return r.handles[i]
}
