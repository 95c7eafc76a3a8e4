package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/store"
)

// panicPoints are the failpoints a panic may be injected at: every one an
// operation reaches while the store serves, i.e. all but recovery (only
// reached by Open) and grow (the grow-failure nemesis owns it).
func panicPoints() []store.FailpointName {
	var out []store.FailpointName
	for _, fp := range store.AllFailpoints() {
		if fp.Name != store.FailRecovery && fp.Name != store.FailGrow {
			out = append(out, fp.Name)
		}
	}
	return out
}

func supportsFailpoints(name string, t Target) error {
	if ft, ok := t.(failpointTarget); ok && !ft.HasFailpoints() {
		return fmt.Errorf("%s needs the store's failpoints (in process: store.Options.Failpoints; a target: capability failpoints with every failpoint of the built-in catalogue, PROTOCOL.md section 8)", name)
	}
	return nil
}

// panicNemesis: a panic at a failpoint, once.
type panicNemesis struct{}

func (panicNemesis) Name() string { return "panic" }
func (panicNemesis) Description() string {
	return "a panic at a store failpoint; in-process the operation ends info, a child store process dies of it and is restarted"
}
func (n panicNemesis) Supports(t Target) error                    { return supportsFailpoints(n.Name(), t) }
func (panicNemesis) candidates(reach Reach) []store.FailpointName { return reach.among(panicPoints()) }
func (n panicNemesis) Plan(r *rand.Rand, f *Fault, reach Reach) {
	pts := n.candidates(reach) // never empty: NewScheduler checked
	f.Failpoint = pts[r.IntN(len(pts))]
}

func (panicNemesis) Start(ctx context.Context, t Target, f Fault) (string, error) {
	if err := t.Arm(ctx, f.Failpoint, store.Action{Kind: store.ActionPanic, Times: 1}); err != nil {
		return "", fmt.Errorf("arm panic at %s: %w", f.Failpoint, err)
	}
	return "armed panic at " + string(f.Failpoint) + " (once)", nil
}

// Wait holds until the panic has fired (or the child died of it) or Hold
// has passed.
func (panicNemesis) Wait(ctx context.Context, t Target, f Fault) {
	if pt, ok := t.(ProcessTarget); ok {
		ctx, cancel := context.WithTimeout(ctx, f.Hold)
		defer cancel()
		select {
		case <-pt.Exited():
		case <-ctx.Done():
		}
		return
	}
	holdUntilHit(ctx, t, f)
}

// holdUntilHit holds until f's failpoint has fired once more or f.Hold has
// passed.
func holdUntilHit(ctx context.Context, t Target, f Fault) {
	if s := sleeperOf(ctx); s != nil {
		before, _ := t.Hits(ctx)
		poll := max(min(hitPoll, f.Hold/20), time.Microsecond)
		for waited := time.Duration(0); waited < f.Hold && ctx.Err() == nil; waited += poll {
			s(ctx, poll)
			if now, err := t.Hits(ctx); err == nil && now[string(f.Failpoint)] > before[string(f.Failpoint)] {
				return
			}
		}
		return
	}
	ctx, cancel := context.WithTimeout(ctx, f.Hold)
	defer cancel()
	before, _ := t.Hits(ctx)
	tick := time.NewTicker(hitPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if now, err := t.Hits(ctx); err == nil && now[string(f.Failpoint)] > before[string(f.Failpoint)] {
				return
			}
		}
	}
}

func (panicNemesis) Stop(ctx context.Context, t Target, f Fault) (Outcome, error) {
	pt, isProc := t.(ProcessTarget)
	if isProc && exited(pt) {
		return crashedOfPanic(pt, f), nil
	}
	if err := t.Disarm(ctx, f.Failpoint); err != nil {
		if isProc && exitsAfterLostConnection(ctx, pt, err) {
			return crashedOfPanic(pt, f), nil
		}
		return Outcome{}, fmt.Errorf("disarm %s: %w", f.Failpoint, err)
	}
	if isProc {
		// An operation may have passed the failpoint just before the
		// disarm and be panicking now.
		select {
		case <-pt.Exited():
			return crashedOfPanic(pt, f), nil
		case <-time.After(20 * time.Millisecond):
		}
	}
	return Outcome{Detail: "disarmed"}, nil
}

func exited(pt ProcessTarget) bool {
	select {
	case <-pt.Exited():
		return true
	default:
		return false
	}
}

// exitGrace bounds the wait for a child's exit to be observed once its
// connection is lost: the socket closes as the process dies, before the
// process is reaped, and on a loaded machine the reaping comes tens of
// milliseconds later.
const exitGrace = 5 * time.Second

// exitsAfterLostConnection reports whether pt's child has exited, or exits
// within exitGrace when err says its connection was lost.
func exitsAfterLostConnection(ctx context.Context, pt ProcessTarget, err error) bool {
	if exited(pt) {
		return true
	}
	if !errors.Is(err, client.ErrConnLost) && !errors.Is(err, client.ErrNotRunning) {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, exitGrace)
	defer cancel()
	select {
	case <-pt.Exited():
		return true
	case <-ctx.Done():
		return false
	}
}

// crashedOfPanic is the outcome of a child that died during a panic fault.
// Its hit counts died with it: a death by ExitInjectedPanic during the fault
// is counted as one hit of the armed failpoint (it was armed once).
func crashedOfPanic(pt ProcessTarget, f Fault) Outcome {
	o := Outcome{Restart: func(ctx context.Context) (string, error) {
		return "restarted after the panic", pt.Restart(ctx)
	}}
	if pt.DiedOfPanic() {
		o.Detail = "store process died of the injected panic"
		o.Hits = map[string]uint64{string(f.Failpoint): 1}
	} else {
		o.Detail = fmt.Sprintf("store process exited during the panic fault, not of the injected panic (%v)", pt.ExitError())
		o.Hits = map[string]uint64{}
	}
	return o
}

// sleepNemesis: a delay at a failpoint, to widen race windows.
type sleepNemesis struct{}

func (sleepNemesis) Name() string { return "sleep" }
func (sleepNemesis) Description() string {
	return "a delay at a store failpoint while the fault lasts, to widen race windows"
}
func (n sleepNemesis) Supports(t Target) error                    { return supportsFailpoints(n.Name(), t) }
func (sleepNemesis) candidates(reach Reach) []store.FailpointName { return reach.among(panicPoints()) }
func (n sleepNemesis) Plan(r *rand.Rand, f *Fault, reach Reach) {
	pts := n.candidates(reach) // never empty: NewScheduler checked
	f.Failpoint = pts[r.IntN(len(pts))]
	f.Delay = time.Duration(1+r.IntN(20)) * time.Millisecond
}
func (sleepNemesis) Start(ctx context.Context, t Target, f Fault) (string, error) {
	if err := t.Arm(ctx, f.Failpoint, store.Action{Kind: store.ActionSleep, Delay: f.Delay}); err != nil {
		return "", fmt.Errorf("arm sleep at %s: %w", f.Failpoint, err)
	}
	return fmt.Sprintf("sleep %v at %s", f.Delay, f.Failpoint), nil
}
func (sleepNemesis) Wait(ctx context.Context, _ Target, f Fault) { holdFor(ctx, f.Hold) }
func (sleepNemesis) Stop(ctx context.Context, t Target, f Fault) (Outcome, error) {
	if err := t.Disarm(ctx, f.Failpoint); err != nil {
		return Outcome{}, fmt.Errorf("disarm %s: %w", f.Failpoint, err)
	}
	return Outcome{Detail: "disarmed"}, nil
}

// growFailureNemesis: file growth fails as on a full disk while it lasts.
type growFailureNemesis struct{}

func (growFailureNemesis) Name() string { return "grow-failure" }
func (growFailureNemesis) Description() string {
	return "growth of a store file fails with ENOSPC, as on a full disk, until one growth has failed (at most ten times the hold)"
}
func (n growFailureNemesis) Supports(t Target) error { return supportsFailpoints(n.Name(), t) }
func (growFailureNemesis) candidates(reach Reach) []store.FailpointName {
	return reach.among([]store.FailpointName{store.FailGrow})
}
func (growFailureNemesis) Plan(_ *rand.Rand, f *Fault, _ Reach) { f.Failpoint = store.FailGrow }
func (growFailureNemesis) Start(ctx context.Context, t Target, f Fault) (string, error) {
	if err := t.Arm(ctx, f.Failpoint, store.Action{Kind: store.ActionError}); err != nil {
		return "", fmt.Errorf("arm grow failure: %w", err)
	}
	return "growth fails with ENOSPC", nil
}

// Wait holds until a growth has failed, for at most ten times Hold: files
// grow in doubling steps, so growths are rare and a short window would
// usually see none.
func (growFailureNemesis) Wait(ctx context.Context, t Target, f Fault) {
	f.Hold *= 10
	holdUntilHit(ctx, t, f)
}
func (growFailureNemesis) Stop(ctx context.Context, t Target, f Fault) (Outcome, error) {
	if err := t.Disarm(ctx, f.Failpoint); err != nil {
		return Outcome{}, fmt.Errorf("disarm %s: %w", f.Failpoint, err)
	}
	return Outcome{Detail: "disk has room again"}, nil
}
