package sched

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Lock is the scheduler's shadow of one real lock: who holds it and where
// they took it. Its fields are guarded by the Scheduler's mu.
type Lock struct {
	name    string
	writer  *Task
	readers map[*Task]int
	held    map[*Task]*holding
}

// holding is what a holder did with a lock: where it took it and the first
// points it passed while holding it (where a holder that never released it
// went astray).
type holding struct {
	call  string // the holder's client call when it took the lock
	at    string
	trail []string
}

// trailLen is how many points after the acquisition a holding remembers.
const trailLen = 4

func (l *Lock) free(shared bool) bool {
	if shared {
		return l.writer == nil
	}
	return l.writer == nil && len(l.readers) == 0
}

// acquire runs the acquisition of l by the running task: a scheduling point,
// then try until it succeeds, blocked on l between attempts. lock is the
// real, blocking acquisition, used outside a run.
func (s *Scheduler) acquire(l *Lock, shared bool, try func() bool, lock func()) {
	if !s.Active() {
		lock()
		return
	}
	s.mu.Lock()
	t := s.cur
	s.advance(t, l.verb(shared))
	s.yield(t)
	for !try() {
		s.mu.Lock()
		if !s.active.Load() {
			s.mu.Unlock()
			lock()
			return
		}
		t.state, t.waitOn = blocked, l
		s.yield(t)
	}
	s.mu.Lock()
	if s.active.Load() {
		l.hold(t, shared)
	}
	s.mu.Unlock()
}

// tryAcquire is TryLock under the scheduler: a scheduling point, then one
// attempt.
func (s *Scheduler) tryAcquire(l *Lock, shared bool, try func() bool) bool {
	if !s.Active() {
		return try()
	}
	s.mu.Lock()
	t := s.cur
	s.advance(t, "try "+l.verb(shared))
	s.yield(t)
	if !try() {
		return false
	}
	s.mu.Lock()
	if s.active.Load() {
		l.hold(t, shared)
	}
	s.mu.Unlock()
	return true
}

// release records that the running task let l go (after the real unlock)
// and makes the tasks blocked on l runnable. It is not a scheduling point.
func (s *Scheduler) release(l *Lock, shared bool) {
	if !s.Active() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.cur
	if shared {
		if l.readers[t] > 1 {
			l.readers[t]--
		} else if l.readers[t] == 1 {
			delete(l.readers, t)
			l.drop(t)
		}
	} else if w := l.writer; w != nil {
		l.writer = nil
		l.drop(w)
	}
	for _, u := range s.tasks {
		if u.state == blocked && u.waitOn == l {
			u.state, u.waitOn = runnable, nil
		}
	}
}

func (l *Lock) hold(t *Task, shared bool) {
	if shared {
		if l.readers == nil {
			l.readers = map[*Task]int{}
		}
		l.readers[t]++
	} else {
		l.writer = t
	}
	if l.held == nil {
		l.held = map[*Task]*holding{}
	}
	if l.held[t] == nil {
		l.held[t] = &holding{call: t.call, at: t.where}
		t.holds = append(t.holds, l)
	}
}

// drop forgets t's holding of l.
func (l *Lock) drop(t *Task) {
	delete(l.held, t)
	if i := slices.Index(t.holds, l); i >= 0 {
		t.holds = slices.Delete(t.holds, i, i+1)
	}
}

func (l *Lock) verb(shared bool) string {
	if shared {
		return "rlock " + l.name
	}
	return "lock " + l.name
}

// Mutex is a sync.Mutex that, bound to a Scheduler, is acquired under its
// control during a run (a scheduling point; blocked, not waiting, when
// taken). Unbound or outside a run it is the plain mutex plus one nil check.
// The zero value is an unbound, unlocked mutex.
type Mutex struct {
	mu     sync.Mutex
	s      *Scheduler
	shadow *Lock
}

// Bind puts m under s (nil unbinds); name identifies it in traces and
// deadlock reports. Bind before the mutex is shared.
func (m *Mutex) Bind(s *Scheduler, name string) {
	m.s = s
	m.shadow = &Lock{name: name}
}

func (m *Mutex) Lock() {
	if m.s == nil {
		m.mu.Lock()
		return
	}
	m.s.acquire(m.shadow, false, m.mu.TryLock, m.mu.Lock)
}

func (m *Mutex) TryLock() bool {
	if m.s == nil {
		return m.mu.TryLock()
	}
	return m.s.tryAcquire(m.shadow, false, m.mu.TryLock)
}

func (m *Mutex) Unlock() {
	m.mu.Unlock()
	if m.s != nil {
		m.s.release(m.shadow, false)
	}
}

// RWMutex is a sync.RWMutex under a Scheduler, as Mutex is a sync.Mutex.
type RWMutex struct {
	mu     sync.RWMutex
	s      *Scheduler
	shadow *Lock
}

// Bind puts m under s (nil unbinds); see Mutex.Bind.
func (m *RWMutex) Bind(s *Scheduler, name string) {
	m.s = s
	m.shadow = &Lock{name: name}
}

func (m *RWMutex) Lock() {
	if m.s == nil {
		m.mu.Lock()
		return
	}
	m.s.acquire(m.shadow, false, m.mu.TryLock, m.mu.Lock)
}

func (m *RWMutex) TryLock() bool {
	if m.s == nil {
		return m.mu.TryLock()
	}
	return m.s.tryAcquire(m.shadow, false, m.mu.TryLock)
}

func (m *RWMutex) Unlock() {
	m.mu.Unlock()
	if m.s != nil {
		m.s.release(m.shadow, false)
	}
}

func (m *RWMutex) RLock() {
	if m.s == nil {
		m.mu.RLock()
		return
	}
	m.s.acquire(m.shadow, true, m.mu.TryRLock, m.mu.RLock)
}

func (m *RWMutex) TryRLock() bool {
	if m.s == nil {
		return m.mu.TryRLock()
	}
	return m.s.tryAcquire(m.shadow, true, m.mu.TryRLock)
}

func (m *RWMutex) RUnlock() {
	m.mu.RUnlock()
	if m.s != nil {
		m.s.release(m.shadow, true)
	}
}

// Deadlock is a stuck run: every task that had to finish is blocked.
type Deadlock struct {
	// Waits has one entry per blocked task, in task order.
	Waits []Wait
	// Cycle is the chain of waits that closes on itself (task names, the
	// first repeated at the end), or ends at a holder that can never
	// release (a finished task); empty if none was found.
	Cycle []string
}

// Wait is one blocked task: what it waits for and who holds it.
type Wait struct {
	Task    string
	Where   string // the scheduling point it is stuck at
	Lock    string // "" while spinning for another task's progress
	Holders []Holder
}

// Holder is a task holding a lock another task waits for.
type Holder struct {
	Task       string
	Call       string   // the holder's client call when it took the lock
	AcquiredAt string   // the point at which it took the lock
	Then       []string // the first points it passed while holding it
	Now        string   // the point the holder is at now
	Finished   bool     // the holder's task ended while holding it
	Shared     bool
}

// deadlock describes the blocked tasks; called with mu held.
func (s *Scheduler) deadlock() *Deadlock {
	d := &Deadlock{}
	for _, t := range s.tasks {
		if t.state != blocked {
			continue
		}
		w := Wait{Task: t.name, Where: t.where}
		if l := t.waitOn; l != nil {
			w.Lock = l.name
			if l.writer != nil {
				w.Holders = append(w.Holders, holderOf(l, l.writer, false))
			}
			for _, u := range s.tasks { // task order, not map order
				if l.readers[u] > 0 {
					w.Holders = append(w.Holders, holderOf(l, u, true))
				}
			}
		}
		d.Waits = append(d.Waits, w)
	}
	d.Cycle = s.cycle()
	return d
}

func holderOf(l *Lock, t *Task, shared bool) Holder {
	h := Holder{Task: t.name, Now: t.where, Finished: t.state == done, Shared: shared}
	if hd := l.held[t]; hd != nil {
		h.Call, h.AcquiredAt, h.Then = hd.call, hd.at, append([]string(nil), hd.trail...)
	}
	return h
}

// cycle follows waits-for edges (blocked task -> first holder of its lock)
// from the first blocked task until a task repeats or the chain ends.
func (s *Scheduler) cycle() []string {
	next := func(t *Task) *Task {
		l := t.waitOn
		if t.state != blocked || l == nil {
			return nil
		}
		if l.writer != nil {
			return l.writer
		}
		for _, u := range s.tasks {
			if l.readers[u] > 0 {
				return u
			}
		}
		return nil
	}
	for _, start := range s.tasks {
		if start.state != blocked || start.waitOn == nil {
			continue
		}
		seen := map[*Task]int{}
		var chain []string
		for t := start; t != nil; t = next(t) {
			if i, ok := seen[t]; ok {
				return append(chain[i:], t.name)
			}
			seen[t] = len(chain)
			chain = append(chain, t.name)
			if t.state == done {
				return chain
			}
		}
	}
	return nil
}

// String is the deadlock in a few lines: the cycle, then each wait.
func (d *Deadlock) String() string {
	out := "deadlock"
	if len(d.Cycle) > 0 {
		out += ": " + joinArrow(d.Cycle)
	}
	for _, w := range d.Waits {
		if w.Lock == "" {
			out += fmt.Sprintf("\n  %s spins at %q waiting for progress", w.Task, w.Where)
			continue
		}
		out += fmt.Sprintf("\n  %s waits for %s (at %q)", w.Task, w.Lock, w.Where)
		if len(w.Holders) == 0 {
			out += ", held outside the scheduler"
		}
		for _, h := range w.Holders {
			mode := "write"
			if h.Shared {
				mode = "read"
			}
			state := "now at " + fmt.Sprintf("%q", h.Now)
			if h.Finished {
				state = "finished without releasing it"
			}
			since := fmt.Sprintf("%q", h.AcquiredAt)
			if h.Call != "" {
				since += fmt.Sprintf(" in %q", h.Call)
			}
			if len(h.Then) > 0 {
				since += ", then " + quoteJoin(h.Then)
			}
			out += fmt.Sprintf(", held (%s) by %s since %s; %s", mode, h.Task, since, state)
		}
	}
	return out
}

func joinArrow(xs []string) string { return strings.Join(xs, " -> ") }

func quoteJoin(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
