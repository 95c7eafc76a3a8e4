package sched

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type taskState uint8

const (
	runnable taskState = iota
	blocked            // on a lock (waitOn), or spinning for progress (waitOn nil)
	sleeping           // until the virtual clock reaches wakeAt
	done
)

// Task is one goroutine under the scheduler's control. Its fields are
// guarded by the Scheduler's mu.
type Task struct {
	id     int
	name   string
	daemon bool // background work: the run ends when every non-daemon is done
	state  taskState
	waitOn *Lock // the lock a blocked task waits for; nil while spinning
	wakeAt time.Duration
	where  string // the last scheduling point the task reached
	call   string // the last point named "call ...": the client call under way
	holds  []*Lock
	wake   chan struct{}
	exited chan struct{} // closed when the task's goroutine has returned
}

// Done is closed once the task's goroutine has returned: fn ended, or the
// task was abandoned (before it started, or stuck).
func (t *Task) Done() <-chan struct{} { return t.exited }

// Name is the task's name as given to Go.
func (t *Task) Name() string { return t.name }

// Step is one scheduling decision: after Task reached Where, the scheduler
// chose who runs next.
type Step struct {
	Step  int
	Task  string
	Where string
}

// Result is how a controlled run ended. Err is nil when every non-daemon
// task finished, ErrDeadlock (Deadlock set), ErrStepBudget or ErrScript
// otherwise.
type Result struct {
	Steps    int
	Clock    time.Duration
	Err      error
	Deadlock *Deadlock
	// Trace holds the last Config.TraceLimit steps, oldest first.
	Trace []Step
}

// Scheduler runs tasks one at a time. Make one with New, add tasks with Go,
// then Run. Hooks (Point, Spin, Sleep, the locks' Acquire and Release) are
// no-ops outside Run or on a nil *Scheduler, so code under test calls them
// unconditionally.
//
// Invariant: while active, exactly one task (cur) holds the baton; every
// other task is parked on its wake channel or done. Whatever goroutine acts
// for cur (the task's own, or one it waits on synchronously) is the only one
// touching the scheduled code.
type Scheduler struct {
	cfg    Config
	strat  strategy
	active atomic.Bool

	mu        sync.Mutex
	tasks     []*Task
	cur       *Task
	step      int
	clock     time.Duration
	started   bool
	over      bool // the run ended normally: parked daemons go on uncontrolled
	abandoned bool // the run ended stuck: parked tasks exit when woken
	result    Result
	trace     []Step
	traceAt   int
	finished  chan struct{}
	wg        sync.WaitGroup
}

// New returns a scheduler for c.
func New(c Config) (*Scheduler, error) {
	if err := c.normalize(); err != nil {
		return nil, err
	}
	return &Scheduler{cfg: c, strat: newStrategy(c), finished: make(chan struct{})}, nil
}

// Config is the scheduler's configuration with defaults filled in.
func (s *Scheduler) Config() Config { return s.cfg }

// Active reports whether a run is in progress: hooks act only then.
func (s *Scheduler) Active() bool { return s != nil && s.active.Load() }

// Go adds a task that runs fn once the run starts. Daemon tasks are
// background work (a group commit, a fault schedule): the run ends when every
// non-daemon task is done, and daemons then continue uncontrolled (Sleep
// returns false). Tasks are added before Run, in a fixed order: the order is
// part of what the seed reproduces. A scheduler that never runs must be
// abandoned, or its tasks' goroutines wait forever.
func (s *Scheduler) Go(name string, daemon bool, fn func()) (*Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return nil, fmt.Errorf("%w: task %q added after Run", ErrBadConfig, name)
	}
	t := &Task{id: len(s.tasks), name: name, daemon: daemon, wake: make(chan struct{}, 1), where: "start",
		exited: make(chan struct{})}
	s.tasks = append(s.tasks, t)
	s.strat.added(t)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(t.exited)
		<-t.wake
		if s.isAbandoned() {
			return
		}
		defer s.exit(t)
		fn()
	}()
	return t, nil
}

// Run runs the tasks to the end: until every non-daemon task is done, every
// task is blocked (Result.Err is ErrDeadlock), or the step budget is spent.
// After a stuck run, call Abandon to let the parked goroutines go.
func (s *Scheduler) Run() Result {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		panic("sched: Run twice")
	}
	s.started = true
	s.active.Store(true)
	first := s.choose(nil)
	if first != nil {
		s.cur = first
		first.wake <- struct{}{}
	}
	s.mu.Unlock()
	<-s.finished
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.result
}

// Abandon ends a run that stopped stuck (deadlock or step budget), or one
// never run: every parked task's goroutine exits (runtime.Goexit, so its
// deferred calls run uncontrolled). It waits for them up to abandonWait (a
// task whose goroutine waits on another goroutine parked for it, rather
// than being parked itself, may take that long or never exit) and reports
// whether they all did.
func (s *Scheduler) Abandon() bool {
	s.mu.Lock()
	s.abandoned = true
	for _, t := range s.tasks {
		if t.state != done && t != s.cur {
			select {
			case t.wake <- struct{}{}:
			default:
			}
		}
	}
	cur := s.cur
	s.mu.Unlock()
	if cur != nil && cur.state != done {
		select {
		case cur.wake <- struct{}{}:
		default:
		}
	}
	exited := make(chan struct{})
	go func() { s.wg.Wait(); close(exited) }()
	select {
	case <-exited:
		return true
	case <-time.After(abandonWait):
		return false
	}
}

// abandonWait bounds Abandon's wait for the goroutines of stuck tasks.
const abandonWait = 10 * time.Second

func (s *Scheduler) isAbandoned() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.abandoned
}

// Now is the virtual clock.
func (s *Scheduler) Now() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock
}

// Point is a scheduling point: the running task may be switched out here.
// where names the point ("failpoint after-slot-alloc", "call put k3").
func (s *Scheduler) Point(where string) {
	if !s.Active() {
		return
	}
	s.mu.Lock()
	t := s.cur
	s.advance(t, where)
	s.yield(t)
}

// Spin is a scheduling point for a task waiting in a loop for another task
// to make progress: it does not run again until some other task has taken a
// step. Outside a run it is runtime.Gosched.
func (s *Scheduler) Spin(where string) {
	if !s.Active() {
		runtime.Gosched()
		return
	}
	s.mu.Lock()
	t := s.cur
	s.advance(t, where)
	t.state, t.waitOn = blocked, nil
	s.yield(t)
}

// Sleep waits d of virtual time. It returns false, at once, outside a run
// or once the run is over: the caller (a daemon) should then stop.
func (s *Scheduler) Sleep(d time.Duration) bool {
	if !s.Active() {
		return false
	}
	s.mu.Lock()
	t := s.cur
	s.advance(t, "sleep")
	t.state, t.wakeAt = sleeping, s.clock+d
	s.yield(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.over
}

// exit ends t's task.
func (s *Scheduler) exit(t *Task) {
	s.mu.Lock()
	if s.abandoned || s.over || !s.active.Load() {
		t.state = done
		s.mu.Unlock()
		return
	}
	s.advance(t, "exit")
	t.state = done
	s.yield(t)
}

// advance counts one step taken by t at where. A step by one task may be
// the progress a spinning task waits for.
func (s *Scheduler) advance(t *Task, where string) {
	s.step++
	s.clock += s.cfg.Tick
	t.where = where
	if strings.HasPrefix(where, "call ") {
		t.call = where
	}
	for _, l := range t.holds {
		if h := l.held[t]; h != nil && len(h.trail) < trailLen {
			h.trail = append(h.trail, where)
		}
	}
	if s.cfg.TraceLimit > 0 {
		st := Step{Step: s.step, Task: t.name, Where: where}
		if len(s.trace) < s.cfg.TraceLimit {
			s.trace = append(s.trace, st)
		} else {
			s.trace[s.traceAt] = st
			s.traceAt = (s.traceAt + 1) % s.cfg.TraceLimit
		}
	}
	for _, u := range s.tasks {
		if u != t && u.state == blocked && u.waitOn == nil {
			u.state = runnable
		}
	}
}

// yield hands the baton from t (its state already set) to the next task and
// parks t until it is chosen again. Called with mu held; releases it.
func (s *Scheduler) yield(t *Task) {
	if s.step > s.cfg.MaxSteps && s.active.Load() {
		s.finish(ErrStepBudget, nil)
	}
	var next *Task
	if s.active.Load() {
		next = s.choose(t)
	}
	if next == t {
		s.mu.Unlock()
		return
	}
	if next != nil {
		s.cur = next
		next.wake <- struct{}{}
	}
	exited, over := t.state == done, s.over
	s.mu.Unlock()
	if exited || over {
		return // t ended, or the run did: t goes on uncontrolled
	}
	<-t.wake
	if s.isAbandoned() {
		runtime.Goexit()
	}
}

// choose picks the task for the next step, or ends the run (returning nil)
// when there is none. cur is the task that reached the point (nil at the
// start).
func (s *Scheduler) choose(cur *Task) *Task {
	for {
		s.wakeDue()
		var run []*Task
		allDone := true
		nondaemonSleeping := false
		for _, t := range s.tasks {
			switch t.state {
			case runnable:
				run = append(run, t)
			case sleeping:
				if !t.daemon {
					nondaemonSleeping = true
				}
			}
			if !t.daemon && t.state != done {
				allDone = false
			}
		}
		if allDone {
			s.finish(nil, nil)
			return nil
		}
		if len(run) > 0 {
			next, err := s.strat.pick(s.step, cur, run)
			if err != nil {
				s.finish(err, nil)
				return nil
			}
			return next
		}
		if !nondaemonSleeping {
			s.finish(ErrDeadlock, s.deadlock())
			return nil
		}
		s.wakeSleepers()
	}
}

// wakeSleepers moves the virtual clock to the earliest wake-up and makes
// the sleepers due then runnable.
func (s *Scheduler) wakeSleepers() {
	first := time.Duration(-1)
	for _, t := range s.tasks {
		if t.state == sleeping && (first < 0 || t.wakeAt < first) {
			first = t.wakeAt
		}
	}
	s.clock = max(s.clock, first)
	s.wakeDue()
}

// wakeDue makes the sleepers whose time has come runnable. The strategy
// then runs them promptly (PCT: see pct.woke): otherwise a daemon ranked
// low would not run again while any worker can, and a fault would fire at
// the end of the run or never.
func (s *Scheduler) wakeDue() {
	for _, t := range s.tasks {
		if t.state == sleeping && t.wakeAt <= s.clock {
			t.state = runnable
			s.strat.woke(t)
		}
	}
}

// finish ends the run. A normal end lets the parked daemons go on
// uncontrolled; a stuck one leaves every task parked for Abandon.
func (s *Scheduler) finish(err error, d *Deadlock) {
	if !s.active.Load() {
		return
	}
	s.active.Store(false)
	s.result = Result{Steps: s.step, Clock: s.clock, Err: err, Deadlock: d, Trace: s.traceInOrder()}
	if err == nil {
		s.over = true
		for _, t := range s.tasks {
			if t.state != done && t != s.cur {
				t.wake <- struct{}{}
			}
		}
	}
	close(s.finished)
}

func (s *Scheduler) traceInOrder() []Step {
	if len(s.trace) < s.cfg.TraceLimit || s.traceAt == 0 {
		return append([]Step(nil), s.trace...)
	}
	return append(append([]Step(nil), s.trace[s.traceAt:]...), s.trace[:s.traceAt]...)
}
