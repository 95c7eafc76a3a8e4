package checker

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/internal/humanfmt"
)

// recoveryCheck: after every injected panic the store keeps serving.
//
// Rules, for every panic fault window (nemesis start/end with Fault "panic")
// ending at time te:
//   - every worker that continues (invokes an op after the window's end
//     event) gets an ok completion within the bound after te. The bound is
//     stretched by the time other faults that stall the store (pause, sleep,
//     kill, power-loss) overlap it. A worker is faulted only when a point op
//     of it (put, get, remove, update-activation) was still outstanding at
//     the deadline, or when it kept getting only fail and info answers until
//     the deadline; a compaction, sync, iterate or recall may legitimately
//     run longer, and if the history ends before the deadline there is
//     nothing to judge;
//   - no operation is left pending at the end of the history, panic or not
//     (a hang), unless the history is torn or corrupt: then its end is not
//     the run's end, and an open invoke is cut off (unknown), not hung.
//
// "In process a panic ends the op as info" is the recorder's job; this check
// sees its effect as info completions.
type recoveryCheck struct{ bound time.Duration }

func (recoveryCheck) Name() string { return "recovery" }
func (recoveryCheck) Description() string {
	return "after every injected panic the store keeps serving: operations complete ok within a bound, none is left pending"
}

// stallFaults delay every operation while they last without being a failure
// to recover.
var stallFaults = map[string]bool{"pause": true, "sleep": true, "kill": true, "power-loss": true}

// window is a fault window with the times of its start and end events.
type window struct {
	faultWindow
	startTime, endTime int64 // ns
}

func timedWindows(events []history.Event, faults []faultWindow) []window {
	out := make([]window, len(faults))
	for i, f := range faults {
		out[i] = window{f, events[f.start].Time, events[f.end].Time}
	}
	return out
}

func (c recoveryCheck) Run(ctx context.Context, in *Input) Result {
	x, err := in.ops()
	if err != nil {
		return Result{Verdict: Unknown, Summary: "cannot pair operations: " + err.Error()}
	}
	if len(in.Events) == 0 {
		return Result{Verdict: NotEvaluated, Summary: "nothing to judge: empty history"}
	}
	endTime := in.Events[len(in.Events)-1].Time
	// Pending at the end: a hang, unless the file was cut short.
	var pending []*opRec
	for i := range x.ops {
		if x.ops[i].pending() {
			pending = append(pending, &x.ops[i])
		}
	}
	if len(pending) > 0 && in.completeness() == history.Complete {
		o := pending[0]
		return violation(ErrRecovery,
			fmt.Sprintf("%d operations never completed, first %s %q of worker %d invoked at event %d", len(pending), o.Op, o.ID, o.Worker, in.Events[o.Call].Index),
			fmt.Sprintf("%s\nit was invoked %v before the history ended and never completed: the store hung", describe(in.Events, o), time.Duration(endTime-o.CallTime)),
			eventIdx(in.Events, o.Call))
	}
	byWorker := map[int32][]*opRec{}
	for i := range x.ops {
		o := &x.ops[i]
		byWorker[o.Worker] = append(byWorker[o.Worker], o)
	}
	wins := timedWindows(in.Events, x.faults)
	panics := 0
	for _, w := range wins {
		if w.fault != "panic" {
			continue
		}
		if ctx.Err() != nil {
			return Result{Verdict: Unknown, Summary: ErrDeadlineExceeded.Error()}
		}
		panics++
		deadline := w.endTime + int64(c.bound)
		for _, s := range wins { // stretch by overlapping stalls
			if stallFaults[s.fault] && s.startTime < deadline && s.endTime > w.endTime {
				from := max(s.startTime, w.endTime)
				deadline += s.endTime - from
			}
		}
		workers := make([]int32, 0, len(byWorker))
		for wk := range byWorker {
			workers = append(workers, wk)
		}
		sort.Slice(workers, func(i, j int) bool { return workers[i] < workers[j] })
		for _, wk := range workers {
			ops := byWorker[wk]
			continues, tried := false, false
			var firstOK *opRec
			var stuck *opRec // an op still outstanding at the deadline
			for _, o := range ops {
				if o.Call > w.end {
					continues = true
				}
				if o.ok() && o.DoneTime > w.endTime && firstOK == nil {
					firstOK = o
				}
				if !o.pending() && !o.ok() && o.DoneTime > w.endTime && o.DoneTime <= deadline {
					tried = true
				}
				// Only point operations must finish within the bound: a
				// compaction, sync, iterate or recall may legitimately run
				// longer on a big store.
				outstanding := pointOp(o.Op) && o.CallTime <= deadline &&
					((!o.pending() && o.DoneTime > deadline) || (o.pending() && endTime >= deadline))
				if outstanding && stuck == nil {
					stuck = o
				}
			}
			if !continues || (firstOK != nil && firstOK.DoneTime <= deadline) {
				continue
			}
			if stuck == nil && (!tried || endTime < deadline) {
				continue // idle, or the history ended too soon to tell
			}
			why := fmt.Sprintf("the panic window started at event %d and ended at event %d (time %v); worker %d went on invoking operations but got no ok until %s",
				in.Events[w.start].Index, in.Events[w.end].Index, time.Duration(w.endTime), wk, okWhen(firstOK))
			wit := []int{w.start, w.end}
			if stuck != nil && stuck.Done >= 0 {
				wit = append(wit, stuck.Done)
			}
			if stuck != nil {
				waited := "and never completed"
				if !stuck.pending() {
					waited = fmt.Sprintf("and completed %s only %v later", stuck.Type, time.Duration(stuck.DoneTime-stuck.CallTime))
				}
				why += fmt.Sprintf("\nstuck: %s, invoked at time %v %s", describe(in.Events, stuck), time.Duration(stuck.CallTime), waited)
				wit = append(wit, stuck.Call)
			}
			return violation(ErrRecovery,
				fmt.Sprintf("worker %d got no ok within %v of the panic ending at event %d", wk, time.Duration(deadline-w.endTime), in.Events[w.end].Index),
				why, eventIdx(in.Events, wit...))
		}
	}
	details := map[string]any{"panics": panics, "bound_ns": int64(c.bound)}
	tail := "no operation left pending"
	if len(pending) > 0 {
		details["pending_at_damage"] = len(pending)
		tail = fmt.Sprintf("%d operations open where the %s history stops (cut off, not judged as hangs)", len(pending), in.completeness())
	}
	if panics == 0 {
		return Result{Verdict: Valid, Details: details, Summary: "no panic injected; " + tail}
	}
	return Result{Verdict: Valid, Details: details,
		Summary: fmt.Sprintf("%s: every continuing worker got an ok within %v; %s", humanfmt.Count(panics, "panic", "panics"), c.bound, tail)}
}

func pointOp(op history.Op) bool {
	switch op {
	case history.OpPut, history.OpGet, history.OpRemove, history.OpUpdateActivation:
		return true
	}
	return false
}

func okWhen(o *opRec) string {
	if o == nil {
		return "the end of the history"
	}
	return fmt.Sprintf("time %v", time.Duration(o.DoneTime))
}
