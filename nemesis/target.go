package nemesis

import (
	"context"
	"slices"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/store"
)

// Target is what faults act on: a store's failpoints and its client.
type Target interface {
	// Mode is "inprocess" or "process".
	Mode() string
	// Client reaches the store without recording (compaction, snapshots).
	Client() client.Client
	Arm(ctx context.Context, fp store.FailpointName, a store.Action) error
	Disarm(ctx context.Context, fp store.FailpointName) error
	// Hits are the failpoints' cumulative hit counts.
	Hits(ctx context.Context) (map[string]uint64, error)
}

// ProcessTarget is the optional capability of a Target whose store runs in
// a child process: it can be paused, killed, restarted and power-cut.
// Faults find it by type assertion.
type ProcessTarget interface {
	Target
	Pause() error
	Resume() error
	Kill() error
	// Restart starts the store again on the same directory (recovery).
	Restart(ctx context.Context) error
	// PowerLoss kills the child if it runs, rebuilds what a disk would hold
	// after a power cut, and restarts.
	PowerLoss(ctx context.Context, seed int64) (store.PowerLossReport, error)
	// Exited is closed when the current child exits.
	Exited() <-chan struct{}
	// DiedOfPanic reports whether the current child exited of an injected
	// (failpoint) panic; ExitError is its exit status otherwise.
	DiedOfPanic() bool
	ExitError() error
	// DurableImage reports whether power loss can be simulated.
	DurableImage() bool
}

// InProcessTarget is a store in this process.
type InProcessTarget struct {
	c   *client.InProcess
	fps *store.Failpoints
}

// NewInProcessTarget targets c's store, whose failpoints are fps (the
// store.Options.Failpoints it was opened with; nil: failpoint faults are
// unsupported).
func NewInProcessTarget(c *client.InProcess, fps *store.Failpoints) *InProcessTarget {
	return &InProcessTarget{c: c, fps: fps}
}

func (t *InProcessTarget) Mode() string          { return "inprocess" }
func (t *InProcessTarget) Client() client.Client { return t.c }
func (t *InProcessTarget) HasFailpoints() bool   { return t.fps != nil }

func (t *InProcessTarget) Arm(_ context.Context, fp store.FailpointName, a store.Action) error {
	if t.fps == nil {
		return ErrUnsupported
	}
	return t.fps.Arm(fp, a)
}

func (t *InProcessTarget) Disarm(_ context.Context, fp store.FailpointName) error {
	if t.fps == nil {
		return ErrUnsupported
	}
	t.fps.Disarm(fp)
	return nil
}

func (t *InProcessTarget) Hits(context.Context) (map[string]uint64, error) {
	if t.fps == nil {
		return nil, nil
	}
	out := map[string]uint64{}
	for k, v := range t.fps.Hits() {
		out[string(k)] = v
	}
	return out, nil
}

// ChildTarget is a store in a child process.
type ChildTarget struct {
	p *client.ProcessStore
}

var _ ProcessTarget = (*ChildTarget)(nil)

// NewChildTarget targets the store p controls.
func NewChildTarget(p *client.ProcessStore) *ChildTarget { return &ChildTarget{p: p} }

func (t *ChildTarget) Mode() string          { return "process" }
func (t *ChildTarget) Client() client.Client { return t.p.Client() }

// HasFailpoints: the child declared capability failpoints and knows every
// failpoint of the built-in catalogue that a fault can arm (the faults pick
// among them); recovery runs before the child answers, so no fault arms it.
func (t *ChildTarget) HasFailpoints() bool {
	h := t.p.Hello()
	if !h.Has(client.CapFailpoints) {
		return false
	}
	for _, fp := range store.AllFailpoints() {
		if fp.Name != store.FailRecovery && !slices.Contains(h.Failpoints, string(fp.Name)) {
			return false
		}
	}
	return true
}

// HasCompaction: the child declared capability compact.
func (t *ChildTarget) HasCompaction() bool { return t.p.Hello().Has(client.CapCompact) }

func (t *ChildTarget) Arm(ctx context.Context, fp store.FailpointName, a store.Action) error {
	return t.p.Client().Arm(ctx, fp, a)
}

func (t *ChildTarget) Disarm(ctx context.Context, fp store.FailpointName) error {
	return t.p.Client().Disarm(ctx, fp)
}

func (t *ChildTarget) Hits(ctx context.Context) (map[string]uint64, error) {
	return t.p.Client().Hits(ctx)
}

func (t *ChildTarget) Pause() error                      { return t.p.Pause() }
func (t *ChildTarget) Resume() error                     { return t.p.Resume() }
func (t *ChildTarget) Kill() error                       { return t.p.Kill() }
func (t *ChildTarget) Restart(ctx context.Context) error { return t.p.Restart(ctx) }
func (t *ChildTarget) PowerLoss(ctx context.Context, seed int64) (store.PowerLossReport, error) {
	return t.p.PowerLoss(ctx, seed)
}
func (t *ChildTarget) Exited() <-chan struct{} { return t.p.Exited() }
func (t *ChildTarget) DiedOfPanic() bool       { return t.p.DiedOfPanic() }
func (t *ChildTarget) ExitError() error        { return t.p.ExitError() }
func (t *ChildTarget) DurableImage() bool      { return t.p.DurableImage() }

// failpointTarget is implemented by targets that may lack failpoints.
type failpointTarget interface{ HasFailpoints() bool }

// compactionTarget is implemented by targets that may not compact.
type compactionTarget interface{ HasCompaction() bool }
