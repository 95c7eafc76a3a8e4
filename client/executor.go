package client

import (
	"context"
	"fmt"
	"time"
)

// executor runs one worker's in-process calls on a goroutine of its own, so
// that a call that hangs can be abandoned at its deadline while the worker
// goes on. The goroutine is reused from call to call (its stack, grown once
// by the store's deep call paths, is kept), and so are the channels and the
// timer: a call costs two channel hand-offs, no allocation.
//
// Invariant: an executor runs at most one call at a time; once abandoned
// (its call timed out) it is never given another and exits when that call
// returns. Every executor exits when its recorder closes.
type executor struct {
	req    chan func() error
	result chan error
}

func newExecutor(closed <-chan struct{}) *executor {
	e := &executor{req: make(chan func() error), result: make(chan error, 1)}
	go func() {
		for {
			select {
			case f, ok := <-e.req:
				if !ok {
					return
				}
				e.result <- guardPlain(f)
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
// operation timeout and by ctx.
func (w *Worker) runBounded(ctx context.Context, f func() error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w (context already done: %v)", ErrNotSent, err)
	}
	if w.exec == nil {
		w.exec = newExecutor(w.r.closed)
	}
	if w.timer == nil {
		w.timer = time.NewTimer(w.r.timeout)
	} else {
		w.timer.Reset(w.r.timeout)
	}
	select {
	case w.exec.req <- f:
	case <-w.r.closed:
		// The recorder is closed and its executors gone: run inline.
		w.timer.Stop()
		w.exec = nil
		return guardPlain(f)
	}
	select {
	case err := <-w.exec.result:
		w.timer.Stop()
		return err
	case <-w.timer.C:
		w.abandon()
		return fmt.Errorf("%w: no answer within %v", ErrTimeout, w.r.timeout)
	case <-ctx.Done():
		w.timer.Stop()
		w.abandon()
		return fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
	}
}

// abandon leaves the executor to its hung call; it exits when the call
// returns.
func (w *Worker) abandon() {
	close(w.exec.req)
	w.exec = nil
}

// stopExecutor ends an idle executor (the worker is done).
func (w *Worker) stopExecutor() {
	if w.exec != nil {
		w.abandon()
	}
}
