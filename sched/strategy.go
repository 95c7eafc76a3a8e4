package sched

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Mode is how a run's interleaving is chosen.
type Mode string

const (
	// ModeOS is the free run: goroutines as the Go runtime schedules them;
	// no Scheduler is made.
	ModeOS Mode = "os"
	// ModePCT is probabilistic concurrency testing (Burckhardt et al. 2010):
	// the runnable task of highest priority runs; at Depth-1 seeded change
	// points the running task's priority drops below every other. A bug of
	// depth d among n tasks and k steps is found with probability at least
	// 1/(n k^(d-1)) per run.
	ModePCT Mode = "pct"
	// ModeRandom is a random walk: at every scheduling point a runnable task
	// is drawn uniformly.
	ModeRandom Mode = "random"
	// ModeScript follows Config.Script, a given list of choices (a model
	// checker's counterexample trail), then a fixed default (script.go).
	// It is built in code, not named on the command line.
	ModeScript Mode = "script"
)

// Modes lists the modes the CLI accepts, in the order it shows them.
func Modes() []Mode { return []Mode{ModeOS, ModePCT, ModeRandom} }

// ParseMode checks a --schedule value.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes() {
		if string(m) == s {
			return m, nil
		}
	}
	names := make([]string, 0, 3)
	for _, m := range Modes() {
		names = append(names, string(m))
	}
	return "", fmt.Errorf("%w: schedule %q (known: %s)", ErrBadConfig, s, strings.Join(names, ", "))
}

// Controlled reports whether m runs under a Scheduler.
func (m Mode) Controlled() bool { return m == ModePCT || m == ModeRandom || m == ModeScript }

// DefaultDepth is the PCT bug depth sought when Config.Depth is 0.
const DefaultDepth = 3

// daemonRank is where PCT ranks daemon tasks: above any worker's rank.
const daemonRank = 1 << 40

// strategy decides which runnable task takes the next step. runnable is in
// task-id order and never empty; cur is the task that reached the point (it
// may be absent from runnable: blocked, sleeping or done; nil at the start).
// An error ends the run stuck (only a script fails).
type strategy interface {
	added(t *Task)
	// woke is called when t wakes from a sleep (its time has come).
	woke(t *Task)
	pick(step int, cur *Task, runnable []*Task) (*Task, error)
}

// newStrategy builds the strategy of c; c is already checked.
func newStrategy(c Config) strategy {
	rng := rand.New(rand.NewPCG(uint64(c.Seed), 0x7363686564)) // "sched"
	switch c.Mode {
	case ModeRandom:
		return &randomWalk{rng: rng}
	case ModeScript:
		return newScript(c.Script)
	}
	return newPCT(rng, c.Depth, c.Steps)
}

// randomWalk draws the next task uniformly among the runnable ones.
type randomWalk struct{ rng *rand.Rand }

func (*randomWalk) added(*Task) {}
func (*randomWalk) woke(*Task)  {}

func (r *randomWalk) pick(_ int, _ *Task, runnable []*Task) (*Task, error) {
	return runnable[r.rng.IntN(len(runnable))], nil
}

// pct keeps a priority per task. Invariant: initial priorities are distinct
// and all >= depth; change point i (1-based, in step order) lowers the
// running task to depth-i, below every initial priority and every earlier
// change, so each change point makes its task the lowest.
//
// Daemons (group commit, the fault schedule) rank above every worker and
// are never lowered: a change point reached while a daemon runs waits for
// the next step of a worker. They stand for timers and outside events,
// which happen at their time; ranked among the workers, a compaction fault
// could starve behind a worker for the whole run, and the next fault never
// come. They are still switched out whenever they block or spin.
type pct struct {
	rng     *rand.Rand
	depth   int
	changes []int // steps at which the running task is lowered, ascending
	next    int   // index into changes
	prio    map[*Task]int
	// boosted tasks woke from a sleep: they run next, and take a random
	// place among the others at their next scheduling point.
	boosted map[*Task]bool
}

func newPCT(rng *rand.Rand, depth, steps int) *pct {
	p := &pct{rng: rng, depth: depth, prio: map[*Task]int{}, boosted: map[*Task]bool{}}
	if steps < 1 {
		steps = 1
	}
	for range depth - 1 {
		p.changes = append(p.changes, 1+rng.IntN(steps))
	}
	slices.Sort(p.changes)
	return p
}

// added gives t (new, or waking from a sleep) a random place among the
// other tasks: a random rank, the ranks at or above it shift up, so
// priorities stay distinct.
func (p *pct) added(t *Task) {
	if t.daemon {
		p.prio[t] = daemonRank + t.id
		return
	}
	delete(p.prio, t)
	rank := p.depth + p.rng.IntN(len(p.prio)+1)
	for u, pr := range p.prio {
		if pr >= rank && !u.daemon {
			p.prio[u] = pr + 1
		}
	}
	p.prio[t] = rank
}

// woke puts t above every other task until its next scheduling point: a
// sleeper's wake-up (a timer: group commit, the next fault) happens at its
// time, not whenever every higher task happens to block. From its next
// point on it has a random place like a new task.
func (p *pct) woke(t *Task) {
	if t.daemon {
		return
	}
	top := p.depth
	for u, pr := range p.prio {
		if !u.daemon {
			top = max(top, pr)
		}
	}
	p.prio[t] = top + 1
	p.boosted[t] = true
}

func (p *pct) pick(step int, cur *Task, runnable []*Task) (*Task, error) {
	if cur != nil && p.boosted[cur] {
		delete(p.boosted, cur)
		p.added(cur)
	}
	for p.next < len(p.changes) && p.changes[p.next] <= step && cur != nil && !cur.daemon {
		p.prio[cur] = p.depth - 1 - p.next
		p.next++
	}
	best := runnable[0]
	for _, t := range runnable[1:] {
		if p.prio[t] > p.prio[best] {
			best = t
		}
	}
	return best, nil
}
