package runner

import (
	"fmt"

	"github.com/warmcheck/warmcheck/client"
	"strings"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/workload"
)

// Target kinds as --target names them (history.TargetBuiltin, TargetExec).
const (
	TargetBuiltin = history.TargetBuiltin
	TargetExec    = history.TargetExec
)

// parseTarget reads --target: "" or "builtin" is the built-in store (""
// returned), "exec:CMD ARGS" a target speaking PROTOCOL.md (CMD ARGS
// returned).
func parseTarget(s string) (string, error) {
	switch {
	case s == "" || s == TargetBuiltin:
		return "", nil
	case strings.HasPrefix(s, TargetExec+":"):
		cmd := strings.TrimSpace(strings.TrimPrefix(s, TargetExec+":"))
		if cmd == "" {
			return "", fmt.Errorf("%w: --target exec: needs a command, e.g. exec:'./mystore --flag'", ErrConfig)
		}
		return cmd, nil
	}
	return "", fmt.Errorf("%w: --target %q: want builtin or exec:'CMD ARGS'", ErrConfig, s)
}

// resolveTarget checks what an exec target allows and returns the mode the
// run uses: an exec target always runs in a child process, and the seeded
// bugs are the built-in store's.
func (r *Resolved) resolveTarget(c Config, mode string) (string, error) {
	exec, err := parseTarget(c.Target)
	if err != nil {
		return "", err
	}
	r.Exec = exec
	if exec == "" {
		return mode, nil
	}
	switch {
	case c.Bug != "":
		return "", fmt.Errorf("%w: --bug switches on a seeded bug of the built-in store, not of --target exec", ErrConfig)
	case c.Mode != "" && c.Mode != string(workload.Process):
		return "", fmt.Errorf("%w: --target exec runs the store in a child process: --mode %s is not possible", ErrConfig, c.Mode)
	}
	return string(workload.Process), nil
}

// targetFlag is the --target part of a rerun command ("" for the built-in store).
func (r *Resolved) targetFlag() string {
	if r.Exec == "" {
		return ""
	}
	return " --target " + shellQuote(TargetExec+":"+r.Exec)
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// describeTarget is the header's and config.json's account of the store
// under test: nil for the built-in store in process; an external store's
// own; the hello for a child (t nil: not started yet, kind and command
// only). A child without the layout op is recorded with layout: its
// snapshots list every live memory all the same, by iterate
// (client.Remote.Layout).
func (r *Resolved) describeTarget(t *target) *history.Target {
	switch {
	case r.External != nil:
		return r.targetHeader()
	case r.Mode != workload.Process:
		return nil
	}
	d := &history.Target{Kind: history.TargetBuiltin}
	if r.Exec != "" {
		d.Kind, d.Command = history.TargetExec, r.Exec
	}
	if t == nil || t.proc == nil {
		return d
	}
	if h := t.proc.Hello(); h != nil {
		d.Name, d.Version, d.Protocol, d.Capabilities = h.Name, h.Version, uint32(h.Protocol), h.CapabilityNames()
		if !h.Has(client.CapLayout) {
			d.Capabilities = append(d.Capabilities, history.ReportsLayout)
		}
	}
	return d
}
