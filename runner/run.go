package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// Outcome is what a run produced. Report is the one history of results.json
// (see WriteRecord).
type Outcome struct {
	Dir      string          `json:"dir"`
	Seed     int64           `json:"seed"`
	Verdict  checker.Verdict `json:"verdict"`
	Report   checker.Report  `json:"-"`
	Latency  []OpLatency     `json:"latency"`
	Findings []Finding       `json:"findings"`
	// Wall is the workers' phase, first invoke to last completion.
	Wall time.Duration `json:"wall_ns"`
	// Elapsed is the whole run, checks included.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Stopped says why the workers were stopped early ("" when they ran
	// out of operations or the duration passed).
	Stopped string `json:"stopped,omitempty"`
	// Abandoned is set when workers stuck in the store had to be left behind.
	Abandoned bool   `json:"abandoned,omitempty"`
	Rerun     string `json:"rerun"`
	// ExtraOps were drawn past the plan so that every fault could fire.
	ExtraOps int64 `json:"extra_ops,omitempty"`
	// Problems are things the run noticed that weaken its evidence (a
	// missing final snapshot, a fault that never fired); the verdict is the
	// checks' alone.
	Problems []string `json:"problems,omitempty"`
	// Plot is the latency plot's file name in Dir, "" when none was drawn.
	Plot string `json:"plot,omitempty"`
	// Schedule is set for a controlled run (schedule.go).
	Schedule *ScheduleOutcome `json:"schedule,omitempty"`
	// Fragmentation is the store's fragmentation sampled during a free run
	// (fragmentation.go); nil for a controlled one.
	Fragmentation *Fragmentation `json:"fragmentation,omitempty"`
	// Interrupted: the run was cancelled (Ctrl-C) while the workers ran;
	// its history is closed and readable, the checks did not run and the
	// verdict is unknown.
	Interrupted bool `json:"interrupted,omitempty"`

	loadStart, loadEnd int64 // ns since run start: the workers' phase
}

// MetricsFile holds the Outcome (latency, findings, timings) as JSON;
// PlotFile is the latency and throughput plot.
const (
	MetricsFile = "metrics.json"
	PlotFile    = "latency.png"
)

// Run carries out r and judges it. The error is non-nil only when no
// verdict could be reached (bad configuration, unwritable directory, a
// store that does not start); a verdict of any kind is in the Outcome.
func Run(ctx context.Context, r *Resolved) (*Outcome, error) {
	started := time.Now()
	dir, err := makeRunDir(r.Out, r.Workload.Name, started)
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, LogFile))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRunDir, err)
	}
	defer logFile.Close()
	log := newRunLogger(logFile, r)
	bound := []any{"ops", r.Plan.Params.Ops}
	if r.Duration > 0 {
		bound = []any{"duration", r.Duration}
	}
	log.Info("run starting", append([]any{"dir", dir, "workload", r.Workload.Name, "seed", r.Seed, "mode", r.Mode,
		"faults", strings.Join(r.Faults, ","), "bug", r.Bug, "workers", r.Plan.Params.Workers}, bound...)...)
	if err := writeJSON(filepath.Join(dir, ConfigFile), r.configJSON(started, r.describeTarget(nil))); err != nil {
		return nil, err
	}

	out, err := record(ctx, r, dir, started, log)
	if err != nil {
		log.Error("run failed before a verdict", "error", err)
		return nil, err
	}
	out.Dir, out.Seed, out.Rerun = dir, r.Seed, r.RerunCommand()
	out.Interrupted = ctx.Err() != nil
	if out.Interrupted {
		log.Warn("interrupted: the checks do not run; judge the history with warmcheck analyze", "dir", dir)
	}

	in, err := readInput(filepath.Join(dir, HistoryFile), dir)
	if err != nil {
		return nil, err
	}
	warning := ""
	if in.Damage != nil {
		log.Warn("history damaged; judging the intact part", "error", in.Damage)
		warning = fmt.Sprintf("%v: judged the first %d events only", in.Damage, len(in.Events))
	}
	events := in.Events
	out.Report = checker.Run(ctx, in, checker.Options{})
	out.Verdict = out.Report.Verdict
	if err := finishSchedule(dir, r, out, events); err != nil {
		return nil, err
	}
	out.Latency = Latencies(events, out.loadStart, out.loadEnd)
	if !r.Sched.Controlled() && !out.Interrupted { // one task at a time: latencies are the scheduler's, not the store's
		out.Findings = Evaluate(r.Workload.Targets, out.Latency, out.Wall)
	}
	// The checks and targets are the command's output; the log keeps them
	// at debug, for the log file.
	for _, c := range out.Report.Checks {
		log.Debug("check", "name", c.Name, "verdict", c.Verdict, "summary", c.Summary)
	}
	for _, f := range out.Findings {
		log.Debug("target", "target", f.Target, "measured", f.Measured, "met", f.Met, "note", f.Note)
	}
	if r.Plot != nil && !r.Sched.Controlled() {
		if err := r.Plot(events, filepath.Join(dir, PlotFile)); err != nil {
			log.Warn("latency plot failed", "error", err)
		} else {
			out.Plot = PlotFile
		}
	}
	out.Elapsed = time.Since(started)
	if err := writeJSON(filepath.Join(dir, MetricsFile), out); err != nil {
		return nil, err
	}
	if err := WriteRecord(dir, HistoryFile, &out.Report, warning, events); err != nil {
		return nil, err
	}
	if err := pointLatest(r.Out, dir); err != nil {
		log.Warn("cannot point latest at the run", "error", err)
	}
	log.Info("run done", "verdict", out.Verdict, "elapsed", out.Elapsed.Round(time.Millisecond))
	return out, nil
}

// record drives the store and writes history.wch; it returns the timing of
// the workers' phase in an Outcome.
func record(ctx context.Context, r *Resolved, dir string, started time.Time, log hclog.Logger) (*Outcome, error) {
	if r.Sched.Controlled() {
		return recordControlled(ctx, r, dir, log)
	}
	// The target first: the header records what its hello declared.
	t, err := openTarget(r, dir, log)
	if err != nil {
		return nil, err
	}
	tgt := r.describeTarget(t)
	if err := writeJSON(filepath.Join(dir, ConfigFile), r.configJSON(started, tgt)); err != nil {
		t.close(log)
		return nil, err
	}
	w, err := history.Create(filepath.Join(dir, HistoryFile), header(r, tgt))
	if err != nil {
		t.close(log)
		return nil, fmt.Errorf("%w: %w", ErrHistory, err)
	}
	defer w.Close()
	msrv, err := serveMetrics(r.MetricsAddr, t, log)
	if err != nil {
		t.close(log)
		return nil, err
	}
	sink := &countingSink{inner: w, cover: newCoverage(), clock: &faultClock{}}
	rec, err := client.NewRecorder(sink, t.client, client.RecorderOptions{
		Workers: r.Plan.Params.Workers, OpTimeout: r.OpTimeout})
	if err != nil {
		t.close(log)
		return nil, fmt.Errorf("%w: %w", ErrHistory, err)
	}
	faults, err := newFaultSchedule(r, t, rec, log)
	if err != nil {
		_ = rec.Close()
		t.close(log)
		return nil, err
	}

	prog := startProgress(r.Progress, r.Terminal, sink, expectedOps(r.Plan.Params), r.Duration, log)
	l := newLoad(r.Plan, rec, r.Faults, sink.cover, log.Named("load"))
	l.faultClock = sink.clock
	l.preload(ctx)

	loadCtx, stopLoad := context.WithCancel(ctx)
	go l.watch(loadCtx, r.Budget, r.Duration, stallAfter(r.OpTimeout, r.Plan.Params.Workers))
	faultsDone := make(chan struct{})
	go func() { defer close(faultsDone); faults.Run(loadCtx) }()
	snapsDone := make(chan struct{})
	go func() {
		defer close(snapsDone)
		if r.reportsLayout() {
			periodicSnapshots(loadCtx, rec, r.Plan.Params.SnapshotEvery, r.OpTimeout, log)
		}
	}()
	fragDone := make(chan *Fragmentation, 1)
	go func() { fragDone <- sampleFragmentation(loadCtx, t.client, rec.Now, r.Plan.Params.AutoCompact) }()

	out := &Outcome{}
	out.loadStart = rec.Now()
	out.Abandoned = !l.run(ctx, r.OpTimeout+closeTimeout)
	out.loadEnd = rec.Now()
	out.Wall = time.Duration(out.loadEnd - out.loadStart)
	l.Stop("")
	out.Stopped = l.Reason()
	stopLoad()
	// A wedged store may hold a fault's or a snapshot's call past every
	// deadline: such a goroutine is left behind, as hung workers are.
	if !waitFor(faultsDone, r.OpTimeout+closeTimeout) {
		log.Warn("the nemesis did not stop; abandoning it")
		out.Problems = append(out.Problems, "the nemesis did not stop within "+(r.OpTimeout+closeTimeout).String()+"; abandoned")
	}
	if !waitFor(snapsDone, r.OpTimeout+closeTimeout) {
		log.Warn("a periodic snapshot did not finish; abandoning it")
	}
	select {
	case out.Fragmentation = <-fragDone:
	case <-time.After(fragStatsTimeout + closeTimeout):
		log.Warn("the fragmentation sampler did not stop; abandoning it")
	}
	prog.Stop()

	// After an interrupt too: the store is still open, and analyze needs
	// its final state.
	if !r.reportsLayout() {
		log.Info("no final snapshot: the store does not report its layout")
	} else if err := snapshot(context.WithoutCancel(ctx), rec, "final", r.OpTimeout+time.Second); err != nil {
		log.Warn("no final snapshot", "error", err)
		out.Problems = append(out.Problems, "no final snapshot (the checks that need the store's final state are vacuous): "+err.Error())
	}
	if msrv != nil {
		if err := msrv.Close(); err != nil {
			log.Warn("closing the metrics server failed", "error", err)
		}
	}
	if err := closeRecording(rec, t, w, log); err != nil {
		return nil, err
	}
	out.ExtraOps = l.extra.Load()
	out.Problems = append(out.Problems, sink.unfired(r.Faults)...)
	log.Info("load done", "wall", out.Wall.Round(time.Millisecond), "issued", l.issued.Load(), "extra_for_fault_coverage", out.ExtraOps,
		"completed", sink.completions.Load(), "ok", sink.ok.Load(), "faults_fired", sink.faults.Load(), "stopped", out.Stopped)
	return out, nil
}

// stallAfter is how long a worker may go without an answer (ok or fail),
// outside fault windows, before the run stops: the progress check's stall
// bound plus one operation timeout (the call in flight when the watchdog
// looks may still be answered, and the check does not count it) plus a
// margin, so that the history of a run stopped on a stall always holds a
// drought the check calls a stall.
func stallAfter(opTimeout time.Duration, workers int) time.Duration {
	return checker.StallBound(checker.DefaultRecoveryBound, opTimeout) + opTimeout + extraPace(workers) + stallMargin
}

// stallMargin covers the watchdog's tick and the executor's (each at most
// 100 ms late) between the watchdog's clock and the history's; extraPace,
// the wait before a worker's next extra operation, which the check does
// not count as waiting on the store.
const stallMargin = 500 * time.Millisecond

// periodicSnapshots records a snapshot every period until ctx ends.
func periodicSnapshots(ctx context.Context, rec *client.Recorder, period, timeout time.Duration, log hclog.Logger) {
	if period <= 0 {
		return
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := snapshot(ctx, rec, "periodic", timeout); err != nil && ctx.Err() == nil {
				log.Debug("periodic snapshot failed", "error", err)
			}
		}
	}
}

// header is the history header of r, whose store under test is tgt (nil: the built-in store in process).
func header(r *Resolved, tgt *history.Target) history.Header {
	return history.Header{
		Seed: r.Seed, Workload: r.Workload.Name, Workers: r.Plan.Params.Workers, Ops: r.Plan.Params.Ops,
		Faults: r.Faults, Bug: r.Bug, Mode: string(r.Mode), FaultModel: faultModel(r),
		WarmcheckVersion: r.Version, GoVersion: runtime.Version(), PorcupineVersion: depVersion("github.com/anishathalye/porcupine"),
		StartedUnixNanos: time.Now().UnixNano(),
		Sync:             syncPolicy(r),
		Preload:          r.Plan.Params.Preload, DurationNanos: int64(r.Duration), OpTimeoutNanos: int64(r.OpTimeout),
		Schedule: r.scheduleHeader(), Target: tgt, AutoCompact: autoCompactHeader(r.Plan.Params.AutoCompact),
	}
}

// syncPolicy is the store's sync policy during the run, as the header
// states it.
func syncPolicy(r *Resolved) string {
	switch {
	case r.External != nil:
		return "the store's own; sync operations call its Sync"
	case r.Exec != "":
		return "the target's own policy; a sync operation makes what was acknowledged before it durable (PROTOCOL.md)"
	}
	return fmt.Sprintf("group commit every %v (store default); sync operations sync at once", store.DefaultGroupCommit)
}

// autoCompactHeader is the header's AutoCompact: "" when off.
func autoCompactHeader(ac store.AutoCompact) string {
	if !ac.Enabled {
		return ""
	}
	return ac.String()
}

// faultModel says in one line what the run's faults can do to the store.
func faultModel(r *Resolved) string {
	switch {
	case r.External != nil:
		return "a Go store in process (warmtest): compactions through its operations, and panics, sleeps and growth failures at the failpoints it placed, if any; a panic in the store ends its operation info; no crash"
	case r.Exec != "":
		return "target in a child process (exec): pause is SIGSTOP/SIGCONT of its process group, kill is SIGKILL and restart, power loss rebuilds its data files from their durable images; failpoint faults only if it declares failpoints"
	case r.Mode == "process":
		return "store in a child process: panics kill it, SIGSTOP/SIGCONT pause it, SIGKILL and power loss (unsynced 512-byte sectors lost or torn) are followed by restart and recovery"
	}
	return "store in process: panics at failpoints are recovered and end their operation info; no crash"
}

func depVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			return d.Version
		}
	}
	return ""
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrRunDir, path, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("%w: %v", ErrRunDir, err)
	}
	return nil
}

// readInput reads the run's own history back as the checks' input, exactly
// as analyze does (ReadInput), except that a corrupt history is never
// salvaged: the run fails with an input error rather than judge it.
func readInput(path, outDir string) (*checker.Input, error) {
	in, err := ReadInput(path, outDir, false)
	if err != nil {
		return nil, fmt.Errorf("%w: reading it back: %w", ErrHistory, err)
	}
	return in, nil
}

// closeRecording ends a recording in the order its invariants need: the
// recorder (no event after it), the store target, then the history file,
// whose clean close writes its end record.
func closeRecording(rec *client.Recorder, t *target, w *history.Writer, log hclog.Logger) error {
	if err := rec.Close(); err != nil {
		t.close(log)
		return fmt.Errorf("%w: %w", ErrHistory, err)
	}
	t.close(log)
	if err := w.Close(); err != nil {
		return fmt.Errorf("%w: %w", ErrHistory, err)
	}
	return nil
}

// unfired is one problem line naming the requested faults that never fired
// (or whose failpoint was never hit), or none.
func (s *countingSink) unfired(faults []string) []string {
	if missing := s.cover.missing(faults); len(missing) > 0 {
		return []string{"faults that never fired (or whose failpoint was never hit): " + strings.Join(missing, ", ")}
	}
	return nil
}
