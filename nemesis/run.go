package nemesis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
)

// RunOptions configure Run.
type RunOptions struct {
	Target    Target
	Recorder  *client.Recorder
	Scheduler *Scheduler
	Logger    hclog.Logger // nil: discard
	// StopTimeout bounds each Start, Stop and restart (recovery included).
	// Zero means 60 s.
	StopTimeout time.Duration
	// MaxFaults stops after that many faults; 0 means until ctx is done.
	MaxFaults int
	// OnFault, if set, is called after each fault ends (progress display).
	OnFault func(f Fault)
}

// Summary counts what Run did.
type Summary struct {
	Faults    int
	ByNemesis map[string]int
	Restarts  int
	Problems  []string // non-fatal: a fault that could not start or stop cleanly
}

// Run fires the schedule's faults one after another against the target until
// ctx is done (or MaxFaults), recording each fault's start and end. A fault
// in progress when ctx is done is still stopped (and the store restarted if
// needed), so Run always leaves the store serving. It returns an error only
// when the store could not be brought back; the run should then stop.
//
// Recording: the start event is recorded before the fault acts; the end event
// after it is undone. A restart happens inside Recorder.Quiesce, with the end
// event (Restart=true) and a snapshot (Reason "restart") recorded there, so
// no operation straddles the restart.
func Run(ctx context.Context, o RunOptions) (Summary, error) {
	sum := Summary{ByNemesis: map[string]int{}}
	if o.Target == nil || o.Recorder == nil || o.Scheduler == nil {
		return sum, fmt.Errorf("%w: Run needs a target, a recorder and a scheduler", ErrBadSchedule)
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.StopTimeout == 0 {
		o.StopTimeout = 60 * time.Second
	}
	for o.MaxFaults == 0 || sum.Faults < o.MaxFaults {
		f := o.Scheduler.Next()
		holdFor(ctx, f.Gap)
		if ctx.Err() != nil {
			break
		}
		if err := ensureAlive(o, &sum); err != nil {
			return sum, err
		}
		if err := runFault(ctx, o, f, &sum); err != nil {
			return sum, err
		}
		if o.OnFault != nil {
			o.OnFault(f)
		}
	}
	return sum, ensureAlive(o, &sum)
}

// runFault fires one fault.
func runFault(ctx context.Context, o RunOptions, f Fault, sum *Summary) error {
	n, err := ByName(f.Nemesis)
	if err != nil {
		return err
	}
	target := targetName(f)
	o.Recorder.RecordNemesis(history.Nemesis{Fault: f.Nemesis, Phase: history.NemesisStart,
		Target: target, Detail: f.String(), Hits: hits(ctx, o.Target)})
	o.Logger.Debug("fault start", "fault", f.String())
	sum.Faults++
	sum.ByNemesis[f.Nemesis]++

	// Start and Stop run to completion even if the run is ending: a fault
	// left on would leave the store paused, killed or armed.
	bounded, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.StopTimeout)
	defer cancel()
	startDetail, err := n.Start(bounded, o.Target, f)
	if err != nil {
		sum.Problems = append(sum.Problems, fmt.Sprintf("%s: start: %v", f, err))
		o.Logger.Warn("fault did not start", "fault", f.String(), "error", err)
		// Undo what may have been done (a failpoint armed before an error).
		out, _ := n.Stop(bounded, o.Target, f)
		return finish(ctx, bounded, o, f, target, "start failed: "+err.Error(), out, sum)
	}
	n.Wait(ctx, o.Target, f)
	out, err := n.Stop(bounded, o.Target, f)
	if err != nil {
		sum.Problems = append(sum.Problems, fmt.Sprintf("%s: stop: %v", f, err))
		o.Logger.Warn("fault did not stop cleanly", "fault", f.String(), "error", err)
		out.Detail = join(out.Detail, "stop failed: "+err.Error())
	}
	return finish(ctx, bounded, o, f, target, startDetail, out, sum)
}

// finish records the end of a fault, restarting the store first if needed.
func finish(ctx, bounded context.Context, o RunOptions, f Fault, target, startDetail string, out Outcome, sum *Summary) error {
	end := history.Nemesis{Fault: f.Nemesis, Phase: history.NemesisEnd, Target: target, Compaction: out.Compaction}
	if out.Restart == nil {
		end.Detail = join(startDetail, out.Detail)
		end.Hits = out.Hits
		if end.Hits == nil {
			end.Hits = hits(bounded, o.Target)
		}
		o.Recorder.RecordNemesis(end)
		return nil
	}
	return o.Recorder.Quiesce(func() error {
		d, err := out.Restart(bounded)
		end.Detail = join(startDetail, out.Detail, d)
		end.Hits = out.Hits
		if err != nil {
			end.Detail = join(end.Detail, "restart failed: "+err.Error())
			o.Recorder.RecordNemesis(end)
			return fmt.Errorf("%w: %s: %v", ErrRestartFailed, f, err)
		}
		end.Restart = true
		if end.Hits == nil {
			end.Hits = hits(bounded, o.Target)
		}
		o.Recorder.RecordNemesis(end)
		sum.Restarts++
		o.Logger.Debug("store restarted", "fault", f.String())
		if err := o.Recorder.Snapshot(bounded, "restart"); err != nil {
			return fmt.Errorf("%w: %s: recovered snapshot: %v", ErrRestartFailed, f, err)
		}
		return nil
	})
}

// ensureAlive restarts a child store process that exited outside any fault
// (a panic that slipped past its fault's end, a crash), recorded as a
// "crash" fault so that the history shows the restart.
func ensureAlive(o RunOptions, sum *Summary) error {
	pt, ok := o.Target.(ProcessTarget)
	if !ok || !exited(pt) {
		return nil
	}
	detail := fmt.Sprintf("store process exited on its own (%v)", pt.ExitError())
	if pt.DiedOfPanic() {
		detail = "store process died of an injected panic after its fault ended"
	}
	o.Logger.Warn("store process exited outside a fault; restarting", "detail", detail)
	f := Fault{Seq: -1, Nemesis: "crash"}
	o.Recorder.RecordNemesis(history.Nemesis{Fault: "crash", Phase: history.NemesisStart, Target: "process", Detail: detail})
	ctx, cancel := context.WithTimeout(context.Background(), o.StopTimeout)
	defer cancel()
	return finish(ctx, ctx, o, f, "process", detail, Outcome{Hits: map[string]uint64{},
		Restart: func(ctx context.Context) (string, error) { return "restarted", pt.Restart(ctx) }}, sum)
}

// targetName is what the fault acted on, for the history.
func targetName(f Fault) string {
	switch {
	case f.Failpoint != "":
		return string(f.Failpoint)
	case f.Nemesis == "compact":
		return "store"
	default:
		return "process"
	}
}

// hits reads the target's failpoint hit counts; nil if it cannot.
func hits(ctx context.Context, t Target) map[string]uint64 {
	if pt, ok := t.(ProcessTarget); ok && exited(pt) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	h, err := t.Hits(ctx)
	if err != nil && !errors.Is(err, ErrUnsupported) {
		return nil
	}
	return h
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}
