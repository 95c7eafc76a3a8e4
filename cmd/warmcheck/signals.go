package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// interruptible is parent cancelled by the first SIGINT or SIGTERM: the
// command stops its work and reports what it has. The signal handler is
// then removed, so that a second Ctrl-C kills the process at once.
func interruptible(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}
