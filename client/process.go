package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/warmcheck/warmcheck/store"
)

// ProcessConfig configures a store served by a child process: the built-in
// store (`warmcheck serve-store`) or, with Exec, any target speaking
// PROTOCOL.md.
type ProcessConfig struct {
	// Serve is what the built-in child serves; with Exec only Dir and
	// Socket are used. Dir is required: the target's data directory.
	// Serve.Socket empty means a socket in a fresh temporary directory
	// (Unix socket paths are limited to about 100 bytes, so it is not put
	// in Dir). OnPanic and Logger are ignored.
	Serve ServeConfig
	// Exec is a target's command line, run as /bin/sh -c 'exec Exec'.
	// Empty: the built-in store.
	Exec string
	// Command is the program and leading arguments that run the built-in
	// `serve-store`; ServeArgs(Serve) minus its first element is
	// appended. Nil means {os.Executable(), "serve-store"}. Tests
	// re-execute their own binary with an environment variable that their
	// TestMain handles (ServeMain).
	Command []string
	// Env is added to the child's environment (after the protocol's own
	// variables, EnvSocket, EnvDataDir and EnvProtocol, which it may not
	// override).
	Env []string
	// Stderr receives the child's stderr (nil: discarded).
	Stderr io.Writer
	// StartTimeout bounds how long a start or restart may take before the
	// child answers hello (recovery included). Zero means 30 s.
	StartTimeout time.Duration
}

// ProcessStore controls a store in a child process: start, pause, resume,
// kill, restart (reopen on the same directory, which runs recovery) and
// power loss. Its Client survives restarts: requests made while the child is
// down fail (ErrNotSent) or time out (info), never hang. The child runs in
// its own process group, and signals go to the whole group, so a wrapper
// script cannot shield the store from a pause or a kill.
type ProcessStore struct {
	cfg    ProcessConfig
	argv   []string
	client *Remote
	tmpDir string // holds the socket when the config named none

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the current child has been reaped
	exitErr  *error        // the current child's Wait error, written before exited is closed
	paused   bool
	restarts int
}

// StartProcess starts the child and waits until it answers hello.
func StartProcess(ctx context.Context, cfg ProcessConfig) (*ProcessStore, error) {
	if cfg.Serve.Dir == "" {
		return nil, fmt.Errorf("%w: process store: Serve.Dir is required", ErrBadConfig)
	}
	p := &ProcessStore{cfg: cfg}
	if cfg.StartTimeout == 0 {
		p.cfg.StartTimeout = 30 * time.Second
	}
	if p.cfg.Serve.Socket == "" {
		d, err := os.MkdirTemp("", "wcs")
		if err != nil {
			return nil, fmt.Errorf("process store: socket dir: %w", err)
		}
		p.tmpDir = d
		p.cfg.Serve.Socket = filepath.Join(d, "store.sock")
	}
	argv, err := p.commandLine()
	if err != nil {
		return nil, err
	}
	p.argv = argv
	p.client = NewRemote(p.cfg.Serve.Socket)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.startLocked(ctx); err != nil {
		p.cleanup()
		return nil, err
	}
	return p, nil
}

// leadingAssignments matches the VAR=value words a command line may start
// with (values without spaces or quotes).
var leadingAssignments = regexp.MustCompile(`^\s*((?:[A-Za-z_][A-Za-z0-9_]*=[^\s'"]*\s+)*)`)

// execLine is the shell line that replaces the shell by cmd, so that the
// child's pid is the target's: "exec CMD", with leading VAR=value
// assignments put before exec ("exec VAR=x cmd" would run "VAR=x").
func execLine(cmd string) string {
	m := leadingAssignments.FindStringSubmatchIndex(cmd)
	return cmd[:m[3]] + "exec " + cmd[m[1]:]
}

// commandLine is the child's argv.
func (p *ProcessStore) commandLine() ([]string, error) {
	if p.cfg.Exec != "" {
		return []string{"/bin/sh", "-c", execLine(p.cfg.Exec)}, nil
	}
	argv := p.cfg.Command
	if argv == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("%w: process store: find own executable: %v", ErrChildStart, err)
		}
		argv = []string{exe, "serve-store"}
	}
	return append(append([]string(nil), argv...), ServeArgs(p.cfg.Serve)[1:]...), nil
}

// Client is the client of the served store; it survives restarts.
func (p *ProcessStore) Client() *Remote { return p.client }

// Dir is the store directory.
func (p *ProcessStore) Dir() string { return p.cfg.Serve.Dir }

// Socket is the Unix socket the child listens on.
func (p *ProcessStore) Socket() string { return p.cfg.Serve.Socket }

// DurableImage reports whether the child keeps durable images (capability
// durable-images, needed by PowerLoss).
func (p *ProcessStore) DurableImage() bool { return p.client.Declared().Has(CapDurableImages) }

// Hello is the current child's hello.
func (p *ProcessStore) Hello() *Hello { return p.client.Declared() }

// Restarts is how many times the child was started after the first time.
func (p *ProcessStore) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// Pid is the current child's process id, 0 when none runs.
func (p *ProcessStore) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil || p.isExited() {
		return 0
	}
	return p.cmd.Process.Pid
}

// Exited is closed when the current child exits (a panic, a kill, a crash).
func (p *ProcessStore) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// ExitError is the current child's exit status once Exited is closed.
func (p *ProcessStore) ExitError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.isExited() {
		return nil
	}
	return *p.exitErr
}

// DiedOfPanic reports whether the current child has exited because of an
// injected (failpoint) panic in the store (exit status ExitInjectedPanic).
// DiedOfStorePanic reports any other panic.
func (p *ProcessStore) DiedOfPanic() bool {
	var ee *exec.ExitError
	return errors.As(p.ExitError(), &ee) && ee.ExitCode() == ExitInjectedPanic
}

func (p *ProcessStore) DiedOfStorePanic() bool {
	var ee *exec.ExitError
	return errors.As(p.ExitError(), &ee) && ee.ExitCode() == ExitStorePanic
}

func (p *ProcessStore) isExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// startLocked starts a child and waits for its hello. p.mu is held.
func (p *ProcessStore) startLocked(ctx context.Context) error {
	if err := os.Remove(p.cfg.Serve.Socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: remove stale socket: %v", ErrChildStart, err)
	}
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = append(os.Environ(), EnvSocket+"="+p.cfg.Serve.Socket, EnvDataDir+"="+p.cfg.Serve.Dir,
		fmt.Sprintf("%s=%d", EnvProtocol, ProtocolVersion))
	cmd.Env = append(cmd.Env, p.cfg.Env...)
	cmd.Stderr = p.cfg.Stderr
	// The child dies with us (no orphaned store process holding the
	// files), and leads its own process group (signals reach all of it).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrChildStart, p.argv[0], err)
	}
	exited := make(chan struct{})
	exitErr := new(error)
	p.cmd, p.exited, p.exitErr, p.paused = cmd, exited, exitErr, false
	go func() {
		// No lock: the error is written before exited is closed, and read
		// only after it is.
		*exitErr = cmd.Wait()
		close(exited)
	}()
	p.client.DropIdle()
	err := p.awaitHello(ctx, exited)
	if err != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		p.mu.Unlock()
		<-exited
		p.mu.Lock()
		if *exitErr != nil {
			err = fmt.Errorf("%w (child: %v%s)", err, *exitErr, shellStatus(*exitErr))
		}
		return err
	}
	return nil
}

// shellStatus explains the exit statuses /bin/sh gives a command it could
// not run.
func shellStatus(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		switch ee.ExitCode() {
		case 126:
			return ": the command is not executable"
		case 127:
			return ": command not found"
		}
	}
	return ""
}

// helloPoll is how often a starting child is asked for its hello.
const helloPoll = 5 * time.Millisecond

// awaitHello asks the child for its hello until it answers, exits, breaks
// the handshake, or StartTimeout passes.
func (p *ProcessStore) awaitHello(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.StartTimeout)
	defer cancel()
	for {
		_, err := p.client.Hello(ctx)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, ErrHandshake):
			return fmt.Errorf("%w: %v", ErrChildStart, err)
		}
		select {
		case <-exited:
			return fmt.Errorf("%w: child exited before it answered hello", ErrChildStart)
		case <-ctx.Done():
			return fmt.Errorf("%w: no hello within %v (last: %v)", ErrChildStart, p.cfg.StartTimeout, err)
		case <-time.After(helloPoll):
		}
	}
}

func (p *ProcessStore) signal(sig syscall.Signal) error {
	if p.cmd == nil || p.isExited() {
		return fmt.Errorf("%w: cannot send %v", ErrNotRunning, sig)
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil {
		return fmt.Errorf("process store: %v to %d: %w", sig, p.cmd.Process.Pid, err)
	}
	return nil
}

// Pause stops the child (SIGSTOP) and returns once every one of its threads
// is stopped (signal delivery is asynchronous): from then on requests to it
// time out.
func (p *ProcessStore) Pause() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	p.paused = true
	return waitStopped(p.cmd.Process.Pid, 2*time.Second)
}

// waitStopped polls /proc until every thread of pid is in state T (stopped).
func waitStopped(pid int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		stopped, err := allThreadsStopped(pid)
		if err != nil || stopped {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process store: %d not stopped %v after SIGSTOP", pid, limit)
		}
		time.Sleep(time.Millisecond)
	}
}

func allThreadsStopped(pid int) (bool, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return false, fmt.Errorf("process store: %w", err)
	}
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, t.Name()))
		if err != nil {
			continue // the thread exited
		}
		// The state follows the parenthesised command name, which may
		// itself contain spaces or parentheses.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 || i+2 >= len(b) {
			return false, fmt.Errorf("process store: unreadable /proc/%d/task/%s/stat", pid, t.Name())
		}
		if st := b[i+2]; st != 'T' && st != 't' {
			return false, nil
		}
	}
	return true, nil
}

// Resume continues a paused child (SIGCONT).
func (p *ProcessStore) Resume() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.signal(syscall.SIGCONT); err != nil {
		return err
	}
	p.paused = false
	return nil
}

// Kill kills the child (SIGKILL) and reaps it. Killing a child that already
// exited (say, of a panic) is not an error: it is reaped either way.
func (p *ProcessStore) Kill() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.killLocked()
}

func (p *ProcessStore) killLocked() error {
	if p.cmd == nil {
		return fmt.Errorf("%w: never started", ErrNotRunning)
	}
	if !p.isExited() {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	exited := p.exited
	p.mu.Unlock()
	<-exited
	p.mu.Lock()
	p.paused = false
	p.client.DropIdle()
	return nil
}

// Restart starts the child again on the same directory (the store recovers
// at Open). A running child is killed first.
func (p *ProcessStore) Restart(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.killLocked(); err != nil {
		return err
	}
	p.restarts++
	return p.startLocked(ctx)
}

// PowerLoss kills the child, rebuilds what a disk would hold after a power
// cut from the durable images of the data files its hello named
// (store.SimulatePowerLossOf with seed, PROTOCOL.md section 7) and
// restarts. It needs capability durable-images.
func (p *ProcessStore) PowerLoss(ctx context.Context, seed int64) (store.PowerLossReport, error) {
	h := p.client.Declared()
	if !h.Has(CapDurableImages) {
		return store.PowerLossReport{}, fmt.Errorf("%w: power loss needs capability %s", ErrUnsupported, CapDurableImages)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.killLocked(); err != nil {
		return store.PowerLossReport{}, err
	}
	rep, err := store.SimulatePowerLossOf(p.cfg.Serve.Dir, h.IsDataFile, seed)
	if err != nil {
		return rep, fmt.Errorf("process store: power loss on %s: %w", p.cfg.Serve.Dir, err)
	}
	p.restarts++
	return rep, p.startLocked(ctx)
}

// Close stops the child: SIGTERM (it closes the store cleanly), then SIGKILL
// after a grace period. It also closes the client and removes the temporary
// socket directory.
func (p *ProcessStore) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.cleanup()
	if p.cmd == nil || p.isExited() {
		return nil
	}
	if p.paused {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGCONT)
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	exited := p.exited
	p.mu.Unlock()
	var err error
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		err = fmt.Errorf("process store: child %d ignored SIGTERM for 10s; killed", p.cmd.Process.Pid)
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	p.mu.Lock()
	return err
}

func (p *ProcessStore) cleanup() {
	p.client.Close()
	if p.tmpDir != "" {
		os.RemoveAll(p.tmpDir)
	}
}
