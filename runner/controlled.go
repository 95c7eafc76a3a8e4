package runner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/nemesis"
	"github.com/warmcheck/warmcheck/sched"
	"github.com/warmcheck/warmcheck/store"
)

// recordControlled is record for a controlled schedule: the workers, the
// store's group commit and the fault schedule are tasks of one
// sched.Scheduler, so one task runs at a time and switches only at the
// store's scheduling points and at the start and end of each call. Nothing
// inside depends on the wall clock: operations have no timeout (a stuck
// store is a deadlock, found at once), faults wait on the virtual clock,
// and there is no watchdog or periodic snapshot.
// The same Resolved gives the same history, event for event (times aside).
func recordControlled(ctx context.Context, r *Resolved, dir string, log hclog.Logger) (*Outcome, error) {
	w, err := history.Create(filepath.Join(dir, HistoryFile), header(r, nil))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHistory, err)
	}
	defer w.Close()
	cfg := r.schedConfig()
	sch, err := sched.New(cfg)
	if err != nil {
		return nil, configErrorf("%w", err)
	}
	log.Info("controlled schedule", "schedule", cfg.String(), "index", r.SchedIndex)
	t, err := openTargetUnder(r, dir, log, sch)
	if err != nil {
		sch.Abandon()
		return nil, err
	}
	// Until Run has ended normally, a failure must abandon the scheduler's
	// parked tasks (the store's group commit among them) before closing.
	ran := false
	fail := func(err error) (*Outcome, error) {
		if !ran {
			sch.Abandon()
		}
		t.close(log)
		return nil, err
	}
	sink := &countingSink{inner: w, cover: newCoverage()}
	rec, err := client.NewRecorder(sink, t.client, client.RecorderOptions{Workers: r.Plan.Params.Workers, OpTimeout: -1})
	if err != nil {
		return fail(fmt.Errorf("%w: %w", ErrHistory, err))
	}
	newLoad(r.Plan, rec, nil, nil, log.Named("load")).preload(ctx) // before Run: uncontrolled, sequential

	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	faultsDone, err := controlledFaultTask(loadCtx, r, t, rec, sch, log)
	if err != nil {
		_ = rec.Close()
		return fail(err)
	}
	// As in a free run, workers go past the plan until every requested
	// fault has fired, for at most max(ops, minExtraOps) operations: the
	// decision depends on the history so far only, so it is reproduced.
	var extra atomic.Int64
	extraLimit := int64(max(r.Plan.Params.Ops, minExtraOps))
	more := func() bool {
		if len(r.Faults) == 0 || sink.cover.covered(r.Faults) || extra.Load() >= extraLimit {
			return false
		}
		extra.Add(1)
		return true
	}
	for i := range r.Plan.Params.Workers {
		stream, wk := r.Plan.Stream(i), rec.Worker(i)
		if _, err := sch.Go(fmt.Sprintf("worker-%d", i), false, func() {
			// Calls get a context that is never done: they run on the
			// task's goroutine (InProcess does so while the store is Scheduled), and an
			// interrupt is seen between calls.
			callCtx := context.WithoutCancel(ctx)
			for ctx.Err() == nil {
				op, ok := stream.Next()
				if !ok {
					if !more() {
						return
					}
					op = stream.Extra()
				}
				call := op.Kind.String()
				if op.ID != "" {
					call += " " + op.ID
				}
				sch.Point("call " + call)
				_ = execute(callCtx, wk, op)
				sch.Point("end " + call)
			}
		}); err != nil {
			_ = rec.Close()
			return fail(err)
		}
	}

	out := &Outcome{}
	out.loadStart = rec.Now()
	res := sch.Run()
	ran = res.Err == nil
	out.loadEnd = rec.Now()
	out.Wall = time.Duration(out.loadEnd - out.loadStart)
	out.Schedule = &ScheduleOutcome{Mode: string(cfg.Mode), Seed: cfg.Seed, Index: r.SchedIndex,
		Steps: res.Steps, Clock: res.Clock, Deadlock: res.Deadlock, trace: res.Trace}
	if cfg.Mode == sched.ModePCT {
		out.Schedule.Depth = cfg.Depth
	}
	stopLoad()
	if res.Err != nil {
		recordStuck(rec, res, log)
		out.Schedule.Stuck = res.Err.Error()
		out.Stopped = "controlled run stuck: " + res.Err.Error()
		// The stuck tasks exit; their operations stay pending in the
		// history (the recovery check judges a hang). Leaked locks may
		// still be held, so no final snapshot is attempted.
		if !sch.Abandon() {
			log.Warn("goroutines of stuck tasks did not exit; left behind")
			out.Problems = append(out.Problems, abandonedTasks)
		}
		// The fault schedule was abandoned mid-fault too: a failpoint it
		// armed would fire in Close (a panic at sync-mid, uncaught there).
		if t.failpoints != nil {
			for _, fi := range store.AllFailpoints() {
				t.failpoints.Disarm(fi.Name)
			}
		}
		out.Problems = append(out.Problems, "no final snapshot: the controlled run ended stuck ("+res.Err.Error()+"), the store's locks may be held")
	} else {
		<-faultsDone
		if err := snapshot(context.WithoutCancel(ctx), rec, "final", closeTimeout); err != nil {
			log.Warn("no final snapshot", "error", err)
			out.Problems = append(out.Problems, "no final snapshot (the checks that need the store's final state are vacuous): "+err.Error())
		}
	}
	if err := closeRecording(rec, t, w, log); err != nil {
		return nil, err
	}
	out.ExtraOps = extra.Load()
	out.Problems = append(out.Problems, sink.unfired(r.Faults)...)
	log.Info("load done", "steps", res.Steps, "virtual", res.Clock, "wall", out.Wall.Round(time.Millisecond),
		"completed", sink.completions.Load(), "ok", sink.ok.Load(), "faults_fired", sink.faults.Load(), "stuck", out.Schedule.Stuck)
	return out, nil
}

// abandonedTasks is the problem of a stuck run whose tasks' goroutines did
// not all exit when abandoned.
const abandonedTasks = "goroutines of the stuck tasks did not exit within 10 s; left behind"

// recordStuck writes a stuck run into the history as a "deadlock" (or
// "step-budget") fault on target "scheduler", start and end at once, whose
// detail is the scheduler's report: the wait-for cycle, who holds each lock
// and where it stopped.
func recordStuck(rec *client.Recorder, res sched.Result, log hclog.Logger) {
	fault, detail := "step-budget", res.Err.Error()
	if errors.Is(res.Err, sched.ErrDeadlock) && res.Deadlock != nil {
		fault, detail = "deadlock", res.Deadlock.String()
	}
	log.Error("controlled run stuck", "fault", fault, "report", detail)
	for _, ph := range []history.NemesisPhase{history.NemesisStart, history.NemesisEnd} {
		rec.RecordNemesis(history.Nemesis{Fault: fault, Phase: ph, Target: "scheduler", Detail: detail})
	}
}

// controlledFaultTask adds the fault schedule as a daemon task whose waits
// are on the scheduler's clock; the returned channel is closed when it has
// finished (after ctx ends, with the fault in progress undone). With no
// faults it is closed already.
func controlledFaultTask(ctx context.Context, r *Resolved, t *target, rec *client.Recorder, sch *sched.Scheduler, log hclog.Logger) (<-chan struct{}, error) {
	if len(r.Faults) == 0 {
		done := make(chan struct{})
		close(done)
		return done, nil
	}
	nt, err := t.nemesisTarget()
	if err != nil {
		return nil, err
	}
	if err := nemesis.CheckSupported(r.Faults, nt); err != nil {
		return nil, configErrorf("--nemesis: %w", err)
	}
	opts := r.scheduleOptions()
	opts.MinGap, opts.MaxGap, opts.MinHold, opts.MaxHold = r.faultTiming()
	s, err := nemesis.NewScheduler(opts)
	if err != nil {
		return nil, configErrorf("--nemesis: %w", err)
	}
	fs := &nemesisSchedule{opts: nemesis.RunOptions{Target: nt, Recorder: rec, Scheduler: s, Logger: log.Named("nemesis")}, log: log}
	// Once the run is over Sleep returns false at once: the schedule then
	// waits for ctx, so it fires nothing more.
	sleep := func(ctx context.Context, d time.Duration) {
		if !sch.Sleep(d) {
			<-ctx.Done()
		}
	}
	task, err := sch.Go("nemesis", true, func() { fs.Run(nemesis.WithSleeper(ctx, sleep)) })
	if err != nil {
		return nil, err
	}
	return task.Done(), nil
}
