package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/sched"
	"github.com/warmcheck/warmcheck/store"
	"github.com/warmcheck/warmcheck/workload"
)

// target is the store under test as the run sees it: a client to drive it
// and, depending on the mode, the handles faults act on.
type target struct {
	mode   workload.Mode
	dir    string
	client client.Client
	// In process: the store itself, its client and its failpoints.
	store      *store.Store
	inproc     *client.InProcess
	failpoints *store.Failpoints
	// In a child process: its controller (see target_process.go).
	proc processHandle
	// A store the caller brought (target_external.go).
	external *External
}

// closeTimeout bounds closing the store: a store whose locks were leaked
// (a seeded bug) must not hang the run.
const closeTimeout = 3 * time.Second

// openTarget starts the store in runDir/store.
func openTarget(r *Resolved, runDir string, log hclog.Logger) (*target, error) {
	return openTargetUnder(r, runDir, log, nil)
}

// openTargetUnder is openTarget with the in-process store under sch (nil:
// a free run).
func openTargetUnder(r *Resolved, runDir string, log hclog.Logger, sch *sched.Scheduler) (*target, error) {
	t := &target{mode: r.Mode, dir: filepath.Join(runDir, StoreDir)}
	var bugs []store.Bug
	if r.Bug != "" {
		bugs = []store.Bug{store.Bug(r.Bug)}
	}
	switch {
	case r.External != nil:
		t.external = r.External
		t.client = client.Bounded(r.External.Client)
	case r.Mode == workload.InProcess:
		t.failpoints = store.NewFailpoints()
		st, err := store.Open(t.dir, store.Options{Bugs: bugs, Failpoints: t.failpoints, Logger: log.Named("store"), Scheduler: sch,
			// No crash is simulated in process: a controlled run's Syncs keep
			// their code path and skip the disk flush (half its time before).
			NoFlush: sch != nil, AutoCompact: r.Plan.Params.AutoCompact})
		if err != nil {
			return nil, fmt.Errorf("%w: open %s: %w", ErrStore, t.dir, err)
		}
		t.store = st
		t.inproc = client.NewInProcess(st)
		t.client = t.inproc
	case r.Mode == workload.Process:
		if err := t.openProcess(r, bugs, log); err != nil {
			return nil, err
		}
	default:
		return nil, configErrorf("mode %q", r.Mode)
	}
	if r.wrapClient != nil {
		t.client = r.wrapClient(t.client)
	}
	return t, nil
}

// close closes the client (and with it the store), giving up after
// closeTimeout: a hung store is left behind rather than hanging the run.
func (t *target) close(log hclog.Logger) {
	done := make(chan error, 1)
	go func() {
		err := t.client.Close()
		if t.proc != nil {
			if perr := t.proc.Close(); err == nil {
				err = perr
			}
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			log.Warn("closing the store failed", "error", err)
		}
	case <-time.After(closeTimeout):
		log.Warn("closing the store did not finish; abandoned", "timeout", closeTimeout)
	}
}

// snapshot records a Layout+Stats snapshot, bounded by timeout even when
// the store ignores its deadline (the call is then abandoned, and the
// recorder does not record its late answer).
func snapshot(ctx context.Context, rec *client.Recorder, reason string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	done := make(chan error, 1)
	go func() {
		defer cancel()
		done <- rec.Snapshot(ctx, reason)
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout + time.Second):
		return fmt.Errorf("snapshot %q: the store did not answer within %v; abandoned", reason, timeout)
	}
}

// waitFor reports whether ch closed within d.
func waitFor(ch <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}
