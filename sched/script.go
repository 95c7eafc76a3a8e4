package sched

import (
	"fmt"
	"slices"
	"strings"
)

// Choice is one segment of a script: Task runs, alone, until it reaches
// the scheduling point named Until ("exit" is the task's end; "" ends the
// choice after one step). Point names are those the program gives its
// points: "failpoint after-slot-alloc", "lock shard 3", "put: copy
// content".
type Choice struct {
	Task  string
	Until string
	// UntilBlocked also ends the choice when Task blocks on a lock: the
	// trail's order is one the code's locks forbid (a correct program
	// under a buggy one's trail), and the script goes on with its next
	// choice instead of failing.
	UntilBlocked bool
}

// String is the choice as a script line shows it.
func (c Choice) String() string {
	until := c.Until
	if until == "" {
		until = "one step"
	}
	if c.UntilBlocked {
		until += " or blocked"
	}
	return c.Task + " until " + until
}

// script follows its choices in order. Invariant: choices[next] is the
// choice under way; started says its task has been picked at least once,
// so that a point it reaches can end the choice.
//
// Once every choice is done the default takes over: the runnable task
// added first runs, so the rest of the run is deterministic and each task
// runs to its end (or its next block) in the order the tasks were added.
// A choice that cannot be followed ends the run with ErrScript, never a
// hang and never a silent deviation from the script.
type script struct {
	choices []Choice
	next    int
	started bool
	byName  map[string][]*Task
}

func newScript(choices []Choice) *script {
	return &script{choices: choices, byName: map[string][]*Task{}}
}

func (sc *script) added(t *Task) { sc.byName[t.name] = append(sc.byName[t.name], t) }
func (*script) woke(*Task)       {}

func (sc *script) pick(step int, cur *Task, run []*Task) (*Task, error) {
	for sc.next < len(sc.choices) {
		c := sc.choices[sc.next]
		t, err := sc.task(c.Task)
		if err != nil {
			return nil, sc.fail(step, c, err.Error())
		}
		if sc.started && cur == t && (c.Until == "" || cur.where == c.Until) {
			sc.next, sc.started = sc.next+1, false
			continue
		}
		if t.state == runnable {
			sc.started = true
			return t, nil
		}
		if sc.started && c.UntilBlocked && t.state == blocked && t.waitOn != nil {
			sc.next, sc.started = sc.next+1, false
			continue
		}
		return nil, sc.fail(step, c, whyNotRunnable(t, sc.started))
	}
	return run[0], nil
}

// task is the one task named name.
func (sc *script) task(name string) (*Task, error) {
	switch ts := sc.byName[name]; len(ts) {
	case 0:
		return nil, fmt.Errorf("no task is named %q", name)
	case 1:
		return ts[0], nil
	default:
		return nil, fmt.Errorf("%d tasks are named %q", len(ts), name)
	}
}

func (sc *script) fail(step int, c Choice, why string) error {
	return fmt.Errorf("%w: step %d, choice %d of %d (%s): %s", ErrScript, step, sc.next+1, len(sc.choices), c, why)
}

// whyNotRunnable says why t cannot take the next step; called with the
// scheduler's mu held.
func whyNotRunnable(t *Task, started bool) string {
	switch {
	case t.state == done && started:
		return fmt.Sprintf("task %q ended (last point %q) before reaching the point", t.name, t.where)
	case t.state == done:
		return fmt.Sprintf("task %q has ended", t.name)
	case t.state == sleeping:
		return fmt.Sprintf("task %q sleeps until %v", t.name, t.wakeAt)
	case t.waitOn == nil:
		return fmt.Sprintf("task %q spins at %q, waiting for another task's progress", t.name, t.where)
	}
	return fmt.Sprintf("task %q is blocked at %q on lock %q held by %s", t.name, t.where, t.waitOn.name, holderNames(t.waitOn))
}

// holderNames lists the tasks holding l, writer first.
func holderNames(l *Lock) string {
	var names, shared []string
	if l.writer != nil {
		names = append(names, l.writer.name)
	}
	for u := range l.readers {
		shared = append(shared, u.name+" (shared)")
	}
	slices.Sort(shared) // map order is random; the message is not
	names = append(names, shared...)
	if len(names) == 0 {
		return "nobody"
	}
	return strings.Join(names, ", ")
}
