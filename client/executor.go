package client

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// executor runs one worker's in-process calls on a goroutine of its own, so
// that a call that hangs can be abandoned at its deadline while the worker
// goes on. The goroutine is reused from call to call (its stack, grown once
// by the store's deep call paths, is kept), and so are its channels. A call
// costs two channel hand-offs and no timer: the recorder's watchdog (one
// goroutine, see watch) ends calls that overrun.
//
// Invariants: an executor runs at most one call at a time. Exactly one
// party answers each call on result: the executor (its call returned) or the
// watchdog (the deadline passed or the caller's context ended), decided by
// one compare-and-swap on state; once the watchdog has answered, the
// executor is abandoned: never given another call, it exits when its hung
// call returns. Every executor exits when its recorder closes.
type executor struct {
	req    chan func() error
	result chan error // buffered: its one answer never blocks the answerer
	// state is seq<<2 | status: the call's sequence number makes a stale
	// compare-and-swap (the watchdog judging call k while call k+1 runs)
	// fail instead of abandoning the wrong call.
	state atomic.Uint64
	seq   uint64 // the worker's count of calls given to this executor
	// Valid while state is running, written before it becomes running.
	deadline atomic.Int64 // recorder-relative ns
	ctx      atomic.Pointer[context.Context]
}

const (
	execIdle uint64 = iota
	execRunning
	execAbandoned
	execStatusMask = 3
)

// errOverrun is the watchdog's answer; runBounded turns it into ErrTimeout.
var errOverrun = errors.New("client: call overran its deadline")

func newExecutor(closed <-chan struct{}) *executor {
	e := &executor{req: make(chan func() error), result: make(chan error, 1)}
	go func() {
		for {
			select {
			case f, ok := <-e.req:
				if !ok {
					return
				}
				running := e.state.Load() // set before f was sent
				err := guardPlain(f)
				if !e.state.CompareAndSwap(running, running&^execStatusMask|execIdle) {
					return // the watchdog answered: abandoned
				}
				e.result <- err
			case <-closed:
				return
			}
		}
	}()
	return e
}

// guardPlain runs f and turns a panic into a *PanicError.
func guardPlain(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v}
		}
	}()
	return f()
}

// runBounded runs f on the worker's executor, bounded by the recorder's
// operation timeout (measured from invokeAt, the invoke event's time) and
// by ctx.
func (w *Worker) runBounded(ctx context.Context, invokeAt int64, f func() error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w (context already done: %v)", ErrNotSent, err)
	}
	e := w.exec.Load()
	if e == nil {
		e = newExecutor(w.r.closed)
		w.exec.Store(e)
	}
	e.deadline.Store(invokeAt + int64(w.r.timeout))
	if ctx.Done() != nil {
		e.ctx.Store(&ctx)
	} else {
		e.ctx.Store(nil)
	}
	e.seq++
	e.state.Store(e.seq<<2 | execRunning)
	select {
	case e.req <- f:
	case <-w.r.closed:
		// The recorder is closed and its executors gone: run inline.
		e.state.Store(e.seq<<2 | execIdle)
		w.exec.Store(nil)
		return guardPlain(f)
	}
	err := <-e.result
	if err == errOverrun {
		w.abandon()
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%w: %w", ErrTimeout, cerr)
		}
		return fmt.Errorf("%w: no answer within %v", ErrTimeout, w.r.timeout)
	}
	return err
}

// abandon leaves the executor to its hung call; it exits when the call
// returns.
func (w *Worker) abandon() {
	if e := w.exec.Swap(nil); e != nil {
		close(e.req)
	}
}

// stopExecutor ends an idle executor (the worker is done).
func (w *Worker) stopExecutor() { w.abandon() }

// watch is the recorder's watchdog: every tick it answers, with errOverrun,
// each in-process call that is past its deadline or whose caller's context
// is done. Calls therefore end at most one tick late (a tick is a twentieth
// of the operation timeout, between 1 ms and 100 ms).
func (r *Recorder) watch() {
	tick := min(max(r.timeout/20, time.Millisecond), 100*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-r.closed:
			return
		case <-t.C:
		}
		now := r.Now()
		for _, w := range r.handles {
			e := w.exec.Load()
			if e == nil {
				continue
			}
			st := e.state.Load()
			if st&execStatusMask != execRunning {
				continue
			}
			// deadline and ctx may already belong to a later call; then
			// the compare-and-swap below fails on the sequence number.
			over := now > e.deadline.Load()
			if c := e.ctx.Load(); c != nil && (*c).Err() != nil {
				over = true
			}
			if over && e.state.CompareAndSwap(st, st&^execStatusMask|execAbandoned) {
				e.result <- errOverrun
			}
		}
	}
}
