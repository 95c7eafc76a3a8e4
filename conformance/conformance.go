package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/warmcheck/warmcheck/client"
)

// Config says which target to check and how patiently.
type Config struct {
	// Exec is the target's command line (what follows exec: in --target).
	Exec string
	// Env is added to the target's environment.
	Env []string
	// Timeout bounds every request (0: 5 s, warmcheck run's default order).
	Timeout time.Duration
	// StartTimeout bounds a start or restart until hello (0: 30 s).
	StartTimeout time.Duration
	// Stderr receives the target's stderr (nil: discarded).
	Stderr io.Writer
	// Only, when not empty, names the checks to run (CheckNames); the
	// handshake always runs.
	Only []string
}

// Status is the outcome of one conformance check.
type Status string

const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Skipped Status = "skipped" // the target does not declare what it needs
)

// Result is one check's outcome; Message says what was wrong, or why it
// was skipped.
type Result struct {
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Message string `json:"message,omitempty"`
}

// Report is a whole conformance run.
type Report struct {
	Hello   *client.Hello
	Results []Result
}

// Conformant reports whether no check failed.
func (r *Report) Conformant() bool {
	for _, x := range r.Results {
		if x.Status == Fail {
			return false
		}
	}
	return len(r.Results) > 0
}

// Errors of a bad Config.
var (
	ErrNoCommand    = errors.New("conformance: no target command")
	ErrUnknownCheck = errors.New("conformance: unknown check")
)

// CheckNames are the checks in the order they run.
func CheckNames() []string {
	out := make([]string, len(allChecks))
	for i, c := range allChecks {
		out[i] = c.name
	}
	return out
}

// Run starts the target in a fresh data directory and runs every check in
// order. The error is for a bad Config only; a target that does not start
// or answer is a failed check in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Exec == "" {
		return nil, ErrNoCommand
	}
	for _, n := range cfg.Only {
		if !slices.Contains(CheckNames(), n) {
			return nil, fmt.Errorf("%w: %q (known: %s)", ErrUnknownCheck, n, strings.Join(CheckNames(), ", "))
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	dir, err := os.MkdirTemp("", "warmcheck-target-check-")
	if err != nil {
		return nil, fmt.Errorf("conformance: data directory: %w", err)
	}
	defer os.RemoveAll(dir)
	rep := &Report{}
	p, err := client.StartProcess(ctx, client.ProcessConfig{Serve: client.ServeConfig{Dir: dir}, Exec: cfg.Exec,
		Env: cfg.Env, Stderr: cfg.Stderr, StartTimeout: cfg.StartTimeout})
	if err != nil {
		rep.Results = append(rep.Results, Result{Name: "hello", Status: Fail,
			Message: fmt.Sprintf("the target did not start and answer a valid hello: %v", err)})
		return rep, nil
	}
	defer p.Close()
	s := &session{ctx: ctx, cfg: cfg, proc: p, c: p.Client(), hello: p.Hello()}
	rep.Hello = s.hello
	for _, c := range allChecks {
		if len(cfg.Only) > 0 && !slices.Contains(cfg.Only, c.name) {
			continue
		}
		err := c.run(s)
		var sk skip
		switch {
		case err == nil:
			rep.Results = append(rep.Results, Result{Name: c.name, Status: Pass})
		case errors.As(err, &sk):
			rep.Results = append(rep.Results, Result{Name: c.name, Status: Skipped, Message: string(sk)})
		default:
			rep.Results = append(rep.Results, Result{Name: c.name, Status: Fail, Message: err.Error()})
		}
		if ctx.Err() != nil {
			break
		}
	}
	return rep, nil
}

// session is what the checks share: the running target and its client.
type session struct {
	ctx   context.Context
	cfg   Config
	proc  *client.ProcessStore
	c     *client.Remote
	hello *client.Hello
}

// call bounds one request by the timeout.
func (s *session) call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, s.cfg.Timeout)
}

// skip is a check's reason not to run.
type skip string

func (s skip) Error() string { return string(s) }

// check is one named conformance check.
type check struct {
	name string
	run  func(*session) error
}
