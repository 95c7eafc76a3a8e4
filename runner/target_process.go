package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/nemesis"
	"github.com/warmcheck/warmcheck/store"
)

// processHandle is the child-process controller.
type processHandle = *client.ProcessStore

// openProcess starts the store in a child process: the built-in one
// (`warmcheck serve-store`, or Config.StoreCommand in tests) with durable
// images, so that the power-loss fault can rebuild what a disk would hold,
// or the exec target r.Exec.
func (t *target) openProcess(r *Resolved, bugs []store.Bug, log hclog.Logger) error {
	cfg := client.ProcessConfig{
		Serve:   client.ServeConfig{Dir: t.dir, DurableImage: true},
		Exec:    r.Exec,
		Command: r.StoreCommand,
		Env:     r.StoreEnv,
		Stderr:  log.Named("store-process").StandardWriter(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	if r.Exec != "" {
		if err := os.MkdirAll(t.dir, 0o755); err != nil {
			return fmt.Errorf("%w: data directory: %w", ErrStore, err)
		}
	}
	for _, b := range bugs {
		cfg.Serve.Bugs = append(cfg.Serve.Bugs, string(b))
	}
	p, err := client.StartProcess(context.Background(), cfg)
	if errors.Is(err, client.ErrHandshake) {
		return fmt.Errorf("%w: %w: store process on %s: %w", ErrConfig, ErrStore, filepath.Base(t.dir), err)
	}
	if err != nil {
		return fmt.Errorf("%w: store process on %s: %w", ErrStore, filepath.Base(t.dir), err)
	}
	t.proc = p
	t.client = p.Client()
	if h := p.Hello(); r.Exec != "" && h != nil {
		log.Info("target started", "command", r.Exec, "name", h.Name, "version", h.Version, "protocol", h.Protocol, "capabilities", h.CapabilityNames())
	}
	return nil
}

// nemesisTarget is what faults act on.
func (t *target) nemesisTarget() (nemesis.Target, error) {
	if t.proc != nil {
		return nemesis.NewChildTarget(t.proc), nil
	}
	if t.inproc == nil { // an external store
		return externalTarget{c: t.client}, nil
	}
	return nemesis.NewInProcessTarget(t.inproc, t.failpoints), nil
}
