package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// FailpointName names one place inside the store's critical sections where a
// fault can be injected.
type FailpointName string

const (
	FailAfterSlotAlloc         FailpointName = "after-slot-alloc"
	FailBetweenContentAndBlock FailpointName = "between-content-and-block"
	FailBeforeIndexPublish     FailpointName = "before-index-publish"
	FailRemove                 FailpointName = "remove"
	FailUpdateActivation       FailpointName = "update-activation"
	FailGet                    FailpointName = "get"
	FailCompactStart           FailpointName = "compact-start"
	FailCompactMid             FailpointName = "compact-mid"
	FailSyncMid                FailpointName = "sync-mid"
	FailRecovery               FailpointName = "recovery"
	FailGrow                   FailpointName = "grow"
)

// FailpointInfo describes one failpoint.
type FailpointInfo struct {
	Name        FailpointName
	Description string
	// ReachedBy are the operations whose calls pass this failpoint, by
	// their history names (put, get, remove, update-activation, compact,
	// sync, open). "sync" includes the group-commit goroutine, which runs
	// whenever a mutating call left something dirty; "open" is recovery.
	// An operation that passes it only sometimes, depending on how much the
	// load has written, is not listed: faults are aimed by this list, and a
	// fault aimed where the load may never go would not fire.
	ReachedBy []string
}

// fpID is a failpoint's index into Failpoints.points; allFailpoints is in the
// same order.
type fpID int

const (
	fpAfterSlotAlloc fpID = iota
	fpBetweenContentAndBlock
	fpBeforeIndexPublish
	fpRemove
	fpUpdateActivation
	fpGet
	fpCompactStart
	fpCompactMid
	fpSyncMid
	fpRecovery
	fpGrow
	numFailpoints
)

var allFailpoints = [numFailpoints]FailpointInfo{
	{FailAfterSlotAlloc, "Put: a slot was allocated, nothing written yet", []string{"put"}},
	{FailBetweenContentAndBlock, "Put: content appended, block not yet written", []string{"put"}},
	{FailBeforeIndexPublish, "Put: block written, shard write lock held, index not yet updated", []string{"put"}},
	{FailRemove, "Remove: shard write lock held, before the index entry and slot are freed", []string{"remove"}},
	{FailUpdateActivation, "UpdateActivation: block header read, before it is rewritten (shard write lock held)", []string{"update-activation"}},
	{FailGet, "Get: shard read lock held, before the block is read", []string{"get"}},
	{FailCompactStart, "Compact: new content epoch installed, before waiting for in-flight Puts", []string{"compact"}},
	{FailCompactMid, "Compact: live content copied and synced, records not yet relocated to it", []string{"compact"}},
	{FailSyncMid, "Sync: data msynced, before free markers of superseded slots are written", []string{"sync"}},
	{FailRecovery, "Open: blocks scanned, before recovery writes free markers", []string{"open"}},
	// Puts pass grow only when a file is full, and files grow in doubling
	// steps: whether a put load ever gets there depends on how much it
	// writes. Every compaction that moves content passes it: the new
	// epoch's content file starts empty.
	{FailGrow, "file growth, before fallocate; ActionError makes growth fail with ENOSPC", []string{"compact"}},
}

// AllFailpoints lists every failpoint with a one-line description.
func AllFailpoints() []FailpointInfo {
	out := append([]FailpointInfo(nil), allFailpoints[:]...)
	for i := range out {
		out[i].ReachedBy = append([]string(nil), out[i].ReachedBy...)
	}
	return out
}

// ActionKind is what an armed failpoint does when reached.
type ActionKind uint8

const (
	ActionOff   ActionKind = iota
	ActionPanic            // panic with an InjectedPanic value
	ActionSleep            // sleep for Delay
	ActionPause            // block until Release or Disarm
	ActionError            // make the operation fail with an error wrapping ErrInjected (grow: ENOSPC)
)

func (k ActionKind) String() string {
	switch k {
	case ActionOff:
		return "off"
	case ActionPanic:
		return "panic"
	case ActionSleep:
		return "sleep"
	case ActionPause:
		return "pause"
	case ActionError:
		return "error"
	}
	return fmt.Sprintf("action(%d)", uint8(k))
}

// Action is what to do at an armed failpoint.
type Action struct {
	Kind  ActionKind
	Delay time.Duration // ActionSleep
	Times int           // fire at most this many times; 0 = unlimited
}

// InjectedPanic is the value of a panic injected at a failpoint, so that
// recorders can tell an injected panic from a real one.
type InjectedPanic struct{ Point FailpointName }

func (p InjectedPanic) Error() string { return "store: injected panic at failpoint " + string(p.Point) }

// armed is one arming of a failpoint. release is closed (and replaced) by
// Release and closed by Disarm; paused goroutines wait on it.
type armed struct {
	action Action
	fired  atomic.Int64
	mu     sync.Mutex
	resume chan struct{}
}

// Failpoints is the set of failpoints of one store (or several: it may be
// shared). The zero value is not usable; call NewFailpoints. Disarmed, a
// failpoint costs one atomic load.
type Failpoints struct {
	points [numFailpoints]atomic.Pointer[armed]
	hits   [numFailpoints]atomic.Uint64
}

// NewFailpoints returns a set with every failpoint disarmed.
func NewFailpoints() *Failpoints { return &Failpoints{} }

func lookupFailpoint(name FailpointName) (fpID, bool) {
	for i, fi := range allFailpoints {
		if fi.Name == name {
			return fpID(i), true
		}
	}
	return 0, false
}

// Arm sets the action of failpoint name, replacing (and releasing) any
// previous one. ActionOff is Disarm.
func (f *Failpoints) Arm(name FailpointName, a Action) error {
	id, ok := lookupFailpoint(name)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownFailpoint, name)
	}
	if a.Kind > ActionError {
		return fmt.Errorf("%w: %q: unknown action %d", ErrUnknownFailpoint, name, a.Kind)
	}
	var next *armed
	if a.Kind != ActionOff {
		next = &armed{action: a, resume: make(chan struct{})}
	}
	if old := f.points[id].Swap(next); old != nil {
		old.releaseAll(false)
	}
	return nil
}

// Disarm turns failpoint name off and releases goroutines paused there.
// Unknown names are ignored.
func (f *Failpoints) Disarm(name FailpointName) {
	if id, ok := lookupFailpoint(name); ok {
		if old := f.points[id].Swap(nil); old != nil {
			old.releaseAll(false)
		}
	}
}

// Release wakes the goroutines paused at failpoint name; the failpoint stays
// armed, so later arrivals pause again.
func (f *Failpoints) Release(name FailpointName) {
	if id, ok := lookupFailpoint(name); ok {
		if a := f.points[id].Load(); a != nil {
			a.releaseAll(true)
		}
	}
}

func (a *armed) releaseAll(rearm bool) {
	a.mu.Lock()
	close(a.resume)
	if rearm {
		a.resume = make(chan struct{})
	}
	a.mu.Unlock()
}

// Hits returns how many times each failpoint fired (armed and reached,
// within its Times budget). Failpoints that never fired are absent.
func (f *Failpoints) Hits() map[FailpointName]uint64 {
	out := make(map[FailpointName]uint64)
	for i := range f.hits {
		if n := f.hits[i].Load(); n > 0 {
			out[allFailpoints[i].Name] = n
		}
	}
	return out
}

// hit is called at failpoint id. It returns nil unless the failpoint is armed
// with ActionError; it panics with InjectedPanic for ActionPanic. Callers
// must have their locks released by defers (or be a seeded bug).
func (f *Failpoints) hit(id fpID) error {
	a := f.points[id].Load()
	if a == nil {
		return nil
	}
	return f.fire(id, a)
}

func (f *Failpoints) fire(id fpID, a *armed) error {
	if a.action.Times > 0 && a.fired.Add(1) > int64(a.action.Times) {
		return nil
	}
	f.hits[id].Add(1)
	switch a.action.Kind {
	case ActionPanic:
		panic(InjectedPanic{Point: allFailpoints[id].Name})
	case ActionSleep:
		time.Sleep(a.action.Delay)
	case ActionPause:
		a.mu.Lock()
		ch := a.resume
		a.mu.Unlock()
		<-ch
	case ActionError:
		if id == fpGrow {
			return fmt.Errorf("%w at %s: %w", ErrInjected, allFailpoints[id].Name, syscall.ENOSPC)
		}
		return fmt.Errorf("%w at %s", ErrInjected, allFailpoints[id].Name)
	}
	return nil
}

// recoverInjected, deferred by a background task (group commit, automatic
// compaction) that has no caller to panic to, turns an injected panic into
// *err; any other panic is a real bug and goes on.
func recoverInjected(err *error) {
	if r := recover(); r != nil {
		p, ok := r.(InjectedPanic)
		if !ok {
			panic(r)
		}
		*err = p
	}
}

// fp is failpoint id of s: a scheduling point under a scheduler, then the
// armed action if any. With neither it is two nil checks; with the
// failpoint disarmed, one atomic load more.
func (s *Store) fp(id fpID) error {
	if s.sch != nil {
		s.sch.Point(fpPoints[id])
	}
	if s.fps == nil {
		return nil
	}
	return s.fps.hit(id)
}

// Hit is failpoint name reached in code outside this package (a user's
// store under package warmtest, which places warmcheck's failpoints in its
// own code): the armed action, as for the store's own failpoints.
func (f *Failpoints) Hit(name FailpointName) error {
	id, ok := lookupFailpoint(name)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownFailpoint, name)
	}
	return f.hit(id)
}
