package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// A store that ignores its context and hangs, or panics, behind Bounded is
// bounded by the recorder: the call ends info at its deadline, the panic is
// recovered, and the worker goes on.
func TestBoundedEndsHungAndPanickingCalls(t *testing.T) {
	f := newFake()
	release := make(chan struct{})
	defer close(release)
	f.hook = func(_ context.Context, _ history.Op, id string) error {
		switch id {
		case "stuck":
			<-release // ignores ctx
		case "boom":
			panic("user store panicked")
		}
		return nil
	}
	const timeout = 100 * time.Millisecond
	r, sink := newTestRecorder(t, Bounded(f), 1, timeout)
	w := r.Worker(0)
	ctx := context.Background()
	start := time.Now()
	if _, _, err := w.Get(ctx, "stuck"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("hung get: %v, want ErrTimeout", err)
	}
	if took := time.Since(start); took >= DefaultOpTimeout {
		t.Fatalf("hung get ended after %v, want about %v", took, timeout)
	}
	var pe *PanicError
	if _, err := w.Remove(ctx, "boom"); !errors.As(err, &pe) {
		t.Fatalf("panicking remove: %v, want a *PanicError", err)
	}
	if _, err := w.Put(ctx, "a", store.Memory{Content: []byte("x")}); err != nil {
		t.Fatalf("put after both: %v", err)
	}
	ev := sink.snapshot()
	if len(ev) != 6 || ev[1].Type != history.Info || ev[3].Type != history.Info || ev[5].Type != history.OK {
		t.Fatalf("events %+v, want get info, remove info, put ok", ev)
	}
}
