package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/warmcheck/warmcheck/store"
)

// ProcessConfig configures a store served by a child process.
type ProcessConfig struct {
	// Serve is what the child serves. Serve.Socket empty means a socket in
	// a fresh temporary directory (Unix socket paths are limited to about
	// 100 bytes, so it is not put in Dir). Ready and OnPanic are ignored.
	Serve ServeConfig
	// Command is the program and leading arguments that run
	// `serve-store`; ServeArgs(Serve) minus its first element
	// ("serve-store") is appended. Nil means {os.Executable(), "serve-store"}.
	// Tests re-execute their own binary with an environment variable that
	// their TestMain handles (see ServeMainFromEnv).
	Command []string
	// Env is added to the child's environment.
	Env []string
	// Stderr receives the child's stderr (nil: discarded).
	Stderr io.Writer
	// StartTimeout bounds how long a start or restart may take before the
	// child reports ready (recovery included). Zero means 30 s.
	StartTimeout time.Duration
}

// ProcessStore controls a store in a child process: start, pause, resume,
// kill, restart (reopen on the same directory, which runs recovery) and
// power loss. Its Client survives restarts: requests made while the child is
// down fail (ErrNotSent) or time out (info), never hang.
type ProcessStore struct {
	cfg    ProcessConfig
	argv   []string
	client *Remote
	tmpDir string // holds the socket when the config named none

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the current child has been reaped
	exitErr  error         // the current child's Wait error, valid after exited
	paused   bool
	restarts int
}

// StartProcess starts the child and waits until it is ready.
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
	argv := cfg.Command
	if argv == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("%w: process store: find own executable: %v", ErrChildStart, err)
		}
		argv = []string{exe, "serve-store"}
	}
	p.argv = append(append([]string(nil), argv...), ServeArgs(p.cfg.Serve)[1:]...)
	p.client = NewRemote(p.cfg.Serve.Socket)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.startLocked(ctx); err != nil {
		p.cleanup()
		return nil, err
	}
	return p, nil
}

// Client is the client of the served store; it survives restarts.
func (p *ProcessStore) Client() *Remote { return p.client }

// Dir is the store directory.
func (p *ProcessStore) Dir() string { return p.cfg.Serve.Dir }

// DurableImage reports whether the child keeps durable images (needed by PowerLoss).
func (p *ProcessStore) DurableImage() bool { return p.cfg.Serve.DurableImage }

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
	return p.exitErr
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

// startLocked starts a child and waits for its ready line. p.mu is held.
func (p *ProcessStore) startLocked(ctx context.Context) error {
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = append(os.Environ(), p.cfg.Env...)
	cmd.Stderr = p.cfg.Stderr
	// The child dies with us: no orphaned store process holding the files.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrChildStart, err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrChildStart, p.argv[0], err)
	}
	exited := make(chan struct{})
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == ReadyLine {
				ready <- nil
				io.Copy(io.Discard, stdout)
				return
			}
		}
		ready <- fmt.Errorf("%w: child exited before it was ready", ErrChildStart)
	}()
	p.cmd, p.exited, p.paused = cmd, exited, false
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(exited)
	}()
	t := time.NewTimer(p.cfg.StartTimeout)
	defer t.Stop()
	select {
	case err = <-ready:
	case <-t.C:
		err = fmt.Errorf("%w: not ready after %v", ErrChildStart, p.cfg.StartTimeout)
	case <-ctx.Done():
		err = fmt.Errorf("%w: %v", ErrChildStart, ctx.Err())
	}
	if err != nil {
		cmd.Process.Kill()
		p.mu.Unlock()
		<-exited
		p.mu.Lock()
		if p.exitErr != nil {
			err = fmt.Errorf("%w (child: %v)", err, p.exitErr)
		}
		return err
	}
	p.client.DropIdle()
	return nil
}

func (p *ProcessStore) signal(sig syscall.Signal) error {
	if p.cmd == nil || p.isExited() {
		return fmt.Errorf("%w: cannot send %v", ErrNotRunning, sig)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
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
		p.cmd.Process.Kill()
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
// cut from the store's durable images (store.SimulatePowerLoss with seed)
// and restarts. It needs Serve.DurableImage.
func (p *ProcessStore) PowerLoss(ctx context.Context, seed int64) (store.PowerLossReport, error) {
	if !p.cfg.Serve.DurableImage {
		return store.PowerLossReport{}, fmt.Errorf("%w: power loss needs the child started with DurableImage", ErrBadConfig)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.killLocked(); err != nil {
		return store.PowerLossReport{}, err
	}
	rep, err := store.SimulatePowerLoss(p.cfg.Serve.Dir, seed)
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
		p.cmd.Process.Signal(syscall.SIGCONT)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	exited := p.exited
	p.mu.Unlock()
	var err error
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		err = fmt.Errorf("process store: child %d ignored SIGTERM for 10s; killed", p.cmd.Process.Pid)
		p.cmd.Process.Kill()
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
