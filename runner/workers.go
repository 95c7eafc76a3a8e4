package runner

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
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
	extra   atomic.Int64 // operations drawn past the plan to cover the faults
	stopped atomic.Value // string: why the load was stopped early, "" if it ran out

	// The run goes on past its planned operations, drawing more from the
	// same streams, until every requested fault has fired (cover), for at
	// most extendFor after the load began: a short run must not come out
	// vacuous because its faults had no time to fire.
	faults    []string
	cover     *coverage
	extendFor time.Duration
	began     atomic.Int64 // UnixNano when the workers were let go; 0 before

	// lastAnswer[i] is when worker i last got an answer, ok or fail (ns
	// since began), or -1 once it is done; the watchdog stops a load with a
	// starved worker (the progress check's rule: info is no answer).
	lastAnswer []atomic.Int64
	// faultClock, when set, says how long fault windows were open: a
	// worker starved while a fault was on is not stalled for that time
	// (the progress check's rule). Only the watchdog reads it.
	faultClock *faultClock
}

// extendFor bounds how long a run may go past its planned operations to
// let every requested fault fire.
const extendFor = 10 * time.Second

// minExtraOps is the extension's operation budget for small plans;
// extraRate is how many extra operations per second all workers issue.
const (
	minExtraOps = 5000
	extraRate   = 200
)

func newLoad(plan *workload.Plan, rec *client.Recorder, faults []string, cover *coverage, log hclog.Logger) *load {
	l := &load{plan: plan, rec: rec, log: log, stop: make(chan struct{}),
		faults: faults, cover: cover, extendFor: extendFor,
		lastAnswer: make([]atomic.Int64, plan.Params.Workers)}
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

// extend reports whether a worker whose stream is done should go on: some
// requested fault has not fired yet, extendFor has not passed and the
// extra operations have not yet doubled the run.
func (l *load) extend() bool {
	if len(l.faults) == 0 || l.cover == nil || l.cover.covered(l.faults) {
		return false
	}
	if l.extra.Load() >= int64(max(l.plan.Params.Ops, minExtraOps)) {
		return false
	}
	return time.Duration(l.sinceBegan()) < l.extendFor
}

// pace spaces a worker's extra operations so that all workers together
// issue about extraRate per second: waiting for a fault to fire should
// not fill the history with cheap operations.
func (l *load) pace(ctx context.Context) {
	t := time.NewTimer(extraPace(l.plan.Params.Workers))
	defer t.Stop()
	select {
	case <-t.C:
	case <-l.stop:
	case <-ctx.Done():
	}
}

// extraPace is the wait before each extra operation of one of workers.
func extraPace(workers int) time.Duration { return time.Duration(workers) * time.Second / extraRate }

// sinceBegan is ns since the workers were let go.
func (l *load) sinceBegan() int64 { return time.Now().UnixNano() - l.began.Load() }

// starvation follows, for the watchdog, how long each worker has gone
// without an answer outside fault windows. It is the watchdog's alone.
type starvation struct {
	seenAnswer []int64         // lastAnswer as of the previous look
	coveredAt  []time.Duration // the fault clock at that look
}

// starved returns a worker still at work that has had no answer for at
// least stall, not counting time when a fault window was open, and for
// how long; -1 when there is none or the load has not begun. The fault
// clock is read at the watchdog's look after an answer, not at the answer
// itself, so covered time may be undercounted by one tick: a worker is
// then found stalled up to a tick early (within the runner's stallMargin).
func (l *load) starved(st *starvation, stall time.Duration) (int, time.Duration) {
	if l.began.Load() == 0 {
		return -1, 0
	}
	now := l.sinceBegan()
	var covered time.Duration
	if l.faultClock != nil {
		covered = l.faultClock.covered(time.Now())
	}
	if st.seenAnswer == nil {
		st.seenAnswer = make([]int64, len(l.lastAnswer))
		st.coveredAt = make([]time.Duration, len(l.lastAnswer))
		for i := range st.coveredAt {
			st.coveredAt[i] = covered // the load began at most one tick ago
		}
	}
	for i := range l.lastAnswer {
		last := l.lastAnswer[i].Load()
		if last != st.seenAnswer[i] {
			st.seenAnswer[i], st.coveredAt[i] = last, covered
		}
		idle := time.Duration(now-last) - (covered - st.coveredAt[i])
		if last >= 0 && idle >= stall {
			return i, idle
		}
	}
	return -1, 0
}

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
	l.began.Store(time.Now().UnixNano())
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) {
			defer done.Done()
			defer l.lastAnswer[i].Store(-1)
			stream := l.plan.Stream(i)
			w := l.rec.Worker(i)
			ready.Done()
			if l.plan.Params.Barrier {
				<-start
			}
			for !l.stopping() && ctx.Err() == nil {
				op, ok := stream.Next()
				if !ok {
					if !l.extend() {
						return
					}
					l.pace(ctx)
					op = stream.Extra()
					l.extra.Add(1)
				}
				l.issued.Add(1)
				if err := execute(ctx, w, op); err == nil || client.Classify(op.Kind, err) == history.Fail {
					l.lastAnswer[i].Store(l.sinceBegan())
				}
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
// passed (duration > 0), or when a worker still at work has had no answer
// (ok or fail) for stall outside fault windows (a wedged store or key: the history then holds the evidence and the
// checks judge it; running on would only add more of the same). It returns
// when the load stops or ctx ends.
func (l *load) watch(ctx context.Context, budget, duration, stall time.Duration) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	begin := time.Now()
	var st starvation
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
			if w, idle := l.starved(&st, stall); w >= 0 {
				reason := fmt.Sprintf("stalled: worker %d got no answer for %s outside fault windows", w, idle.Round(time.Millisecond))
				l.Stop(reason)
				l.log.Warn("stopping the workers: "+reason, "stall", stall)
				return
			}
		}
	}
}
