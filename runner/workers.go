package runner

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/workload"
)

// load is the workers' phase of a run.
type load struct {
	plan    *workload.Plan
	rec     *client.Recorder
	log     hclog.Logger
	stop    chan struct{} // closed: issue no further operation
	once    sync.Once
	issued  atomic.Int64
	stopped atomic.Value // string: why the load was stopped early, "" if it ran out
}

func newLoad(plan *workload.Plan, rec *client.Recorder, log hclog.Logger) *load {
	l := &load{plan: plan, rec: rec, log: log, stop: make(chan struct{})}
	l.stopped.Store("")
	return l
}

// Stop asks every worker to issue nothing more; operations in flight finish
// (or time out) on their own. The first reason is kept.
func (l *load) Stop(reason string) {
	l.once.Do(func() {
		l.stopped.Store(reason)
		close(l.stop)
	})
}

// Reason is why the load was stopped early, "" when the workers ran out of
// operations.
func (l *load) Reason() string { return l.stopped.Load().(string) }

func (l *load) stopping() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// preload puts the plan's preload through worker 0, one at a time.
func (l *load) preload(ctx context.Context) {
	w := l.rec.Worker(0)
	for _, op := range l.plan.Preload() {
		if l.stopping() || ctx.Err() != nil {
			return
		}
		_ = execute(ctx, w, op)
	}
}

// run starts every worker (behind the barrier when the plan has one) and
// returns when all are done, or when wait has passed after a Stop (a worker
// stuck in a call that ignores its deadline is then abandoned, and false is
// returned).
func (l *load) run(ctx context.Context, wait time.Duration) bool {
	n := l.plan.Params.Workers
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer done.Done()
			stream := l.plan.Stream(i)
			w := l.rec.Worker(i)
			ready.Done()
			if l.plan.Params.Barrier {
				<-start
			}
			for !l.stopping() && ctx.Err() == nil {
				op, ok := stream.Next()
				if !ok {
					return
				}
				l.issued.Add(1)
				_ = execute(ctx, w, op)
			}
		}(i)
	}
	ready.Wait()
	close(start)
	finished := make(chan struct{})
	go func() { done.Wait(); close(finished) }()
	select {
	case <-finished:
		return true
	case <-l.stop:
	case <-ctx.Done():
	}
	select {
	case <-finished:
		return true
	case <-time.After(wait):
		l.log.Warn("workers did not stop; abandoning them", "wait", wait)
		return false
	}
}

// watch stops the load when it outlives budget, when the duration has
// passed (duration > 0), or when no operation has completed ok for stall
// while operations are being issued (a hung store: the checks then judge
// why). It returns when the load stops or ctx ends.
func (l *load) watch(ctx context.Context, sink *countingSink, budget, duration, stall time.Duration) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	begin := time.Now()
	lastOK, lastChange := sink.ok.Load(), time.Now()
	for {
		select {
		case <-l.stop:
			return
		case <-ctx.Done():
			l.Stop("interrupted: " + ctx.Err().Error())
			return
		case now := <-t.C:
			switch {
			case duration > 0 && now.Sub(begin) >= duration:
				l.Stop("")
				return
			case now.Sub(begin) >= budget:
				l.Stop("time budget " + budget.String() + " exhausted")
				l.log.Warn("stopping the workers: time budget exhausted", "budget", budget)
				return
			}
			if ok := sink.ok.Load(); ok != lastOK {
				lastOK, lastChange = ok, now
			} else if now.Sub(lastChange) >= stall {
				l.Stop("stalled: no operation completed ok for " + stall.String())
				l.log.Warn("stopping the workers: the store stalled", "no_ok_for", stall)
				return
			}
		}
	}
}
