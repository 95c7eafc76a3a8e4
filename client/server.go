package client

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// Exit statuses of a child store process that died of a panic inside the
// store: the panic is a crash of the store process, exactly as an
// unrecovered panic would be. ExitInjectedPanic: a failpoint panic
// (store.InjectedPanic); ExitStorePanic: any other panic (a real bug).
const (
	ExitInjectedPanic = 86
	ExitStorePanic    = 87
)

// ReadyLine is what a child store process writes on its ready writer once it
// listens; the parent waits for it.
const ReadyLine = "warmcheck-store-ready"

// ServeConfig configures Serve.
type ServeConfig struct {
	Dir          string
	Socket       string
	Bugs         []string
	DurableImage bool
	GroupCommit  time.Duration
	SyncEveryOp  bool
	// AutoCompact is the store's background compaction (off by default).
	AutoCompact store.AutoCompact
	// Ready receives ReadyLine and a newline once the socket listens.
	Ready io.Writer
	// OnPanic is called, on the goroutine that panicked, when the store
	// panics while serving a request. Nil means: print to stderr and
	// os.Exit(ExitInjectedPanic) without closing anything (a crash).
	OnPanic func(v any)
	Logger  hclog.Logger
}

// ServeArgs are the command-line arguments (after the program name) that
// make `warmcheck serve-store` serve cfg; ParseServeArgs reads them back.
func ServeArgs(cfg ServeConfig) []string {
	args := []string{"serve-store", "--dir", cfg.Dir, "--socket", cfg.Socket}
	for _, b := range cfg.Bugs {
		args = append(args, "--bug", b)
	}
	if cfg.DurableImage {
		args = append(args, "--durable-image")
	}
	if cfg.GroupCommit != 0 {
		args = append(args, "--group-commit", cfg.GroupCommit.String())
	}
	if cfg.SyncEveryOp {
		args = append(args, "--sync-every-op")
	}
	if ac := cfg.AutoCompact; ac.Enabled {
		args = append(args, "--auto-compact", strconv.FormatFloat(ac.Threshold, 'g', -1, 64),
			"--auto-compact-min-bytes", strconv.FormatUint(ac.MinReclaimable, 10))
	}
	return args
}

// ParseServeArgs parses the flags of `serve-store` (args after the
// subcommand name).
func ParseServeArgs(args []string) (ServeConfig, error) {
	var cfg ServeConfig
	fs := flag.NewFlagSet("serve-store", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.Dir, "dir", "", "store directory")
	fs.StringVar(&cfg.Socket, "socket", "", "Unix socket path to listen on")
	fs.Func("bug", "seeded bug to switch on (repeatable)", func(s string) error {
		cfg.Bugs = append(cfg.Bugs, s)
		return nil
	})
	fs.BoolVar(&cfg.DurableImage, "durable-image", false, "keep durable images for the power-loss nemesis")
	fs.DurationVar(&cfg.GroupCommit, "group-commit", 0, "group-commit interval (0: store default)")
	fs.BoolVar(&cfg.SyncEveryOp, "sync-every-op", false, "sync on every mutating call")
	fs.Func("auto-compact", "turn auto-compaction on at this fragmentation threshold (0: the store default)", func(s string) error {
		t, err := strconv.ParseFloat(s, 64)
		cfg.AutoCompact.Enabled, cfg.AutoCompact.Threshold = true, t
		return err
	})
	fs.Uint64Var(&cfg.AutoCompact.MinReclaimable, "auto-compact-min-bytes", 0, "least reclaimable bytes for an auto-compaction (0: the store default)")
	if err := fs.Parse(args); err != nil {
		return cfg, fmt.Errorf("%w: serve-store: %v", ErrBadConfig, err)
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("%w: serve-store: unexpected argument %q", ErrBadConfig, fs.Arg(0))
	}
	if cfg.Dir == "" || cfg.Socket == "" {
		return cfg, fmt.Errorf("%w: serve-store: --dir and --socket are required", ErrBadConfig)
	}
	return cfg, nil
}

// Serve opens the store in cfg.Dir (recovering it if it exists), listens on
// cfg.Socket and serves requests until ctx is done, then closes the store.
func Serve(ctx context.Context, cfg ServeConfig) error {
	if cfg.Dir == "" || cfg.Socket == "" {
		return fmt.Errorf("%w: serve: dir and socket are required", ErrBadConfig)
	}
	if cfg.OnPanic == nil {
		cfg.OnPanic = func(v any) {
			fmt.Fprintf(os.Stderr, "warmcheck serve-store: store panicked, process dies: %v\n", v)
			if _, injected := v.(store.InjectedPanic); injected {
				os.Exit(ExitInjectedPanic)
			}
			os.Exit(ExitStorePanic)
		}
	}
	fps := store.NewFailpoints()
	bugs := make([]store.Bug, len(cfg.Bugs))
	for i, b := range cfg.Bugs {
		bugs[i] = store.Bug(b)
	}
	s, err := store.Open(cfg.Dir, store.Options{
		GroupCommit:  cfg.GroupCommit,
		SyncEveryOp:  cfg.SyncEveryOp,
		Bugs:         bugs,
		Failpoints:   fps,
		DurableImage: cfg.DurableImage,
		Logger:       cfg.Logger,
		AutoCompact:  cfg.AutoCompact,
	})
	if err != nil {
		return fmt.Errorf("serve: open store %s: %w", cfg.Dir, err)
	}
	if err := os.Remove(cfg.Socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.Close()
		return fmt.Errorf("serve: remove stale socket %s: %w", cfg.Socket, err)
	}
	ln, err := net.Listen("unix", cfg.Socket)
	if err != nil {
		s.Close()
		return fmt.Errorf("serve: listen on %s: %w", cfg.Socket, err)
	}
	if cfg.Ready != nil {
		fmt.Fprintln(cfg.Ready, ReadyLine)
	}
	srv := &server{s: s, fps: fps, onPanic: cfg.OnPanic}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	for {
		c, err := ln.Accept()
		if err != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv.serveConn(ctx, c)
		}()
	}
	ln.Close()
	wg.Wait()
	if err := s.Close(); err != nil {
		return fmt.Errorf("serve: close store: %w", err)
	}
	if ctx.Err() == nil {
		return fmt.Errorf("serve: listener on %s closed unexpectedly", cfg.Socket)
	}
	return nil
}

type server struct {
	s       *store.Store
	fps     *store.Failpoints
	onPanic func(v any)
}

func (srv *server) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	w := newWireConn(c)
	for {
		var req request
		if err := w.dec.Decode(&req); err != nil {
			return // EOF, closed, or garbage: the client gave up on this connection
		}
		resp := srv.handle(&req)
		if err := w.send(resp); err != nil {
			return
		}
	}
}

// handle runs one request. A panic in the store is a crash of this process
// (onPanic), never an error response: a store that panicked mid-operation is
// in an unknown state, exactly what the panic nemesis wants to exercise.
func (srv *server) handle(req *request) (resp *response) {
	defer func() {
		if v := recover(); v != nil {
			srv.onPanic(v)
			resp = &response{Seq: req.Seq, ErrCode: errCodeOther, Err: fmt.Sprintf("store panicked: %v", v)}
		}
	}()
	resp = &response{Seq: req.Seq}
	var err error
	s := srv.s
	switch req.Op {
	case reqOp(history.OpPut):
		var m store.Memory
		if req.Memory != nil {
			m = fromWire(req.Memory)
		}
		resp.Placement, err = s.Put(req.ID, m)
	case reqOp(history.OpGet):
		var m store.Memory
		m, resp.Lookup, err = s.Get(req.ID)
		if err == nil && resp.Lookup == store.Found {
			resp.Memory = toWire(&m)
		}
	case reqOp(history.OpRemove):
		resp.Lookup, err = s.Remove(req.ID)
	case reqOp(history.OpUpdateActivation):
		resp.Lookup, err = s.UpdateActivation(req.ID, req.Value)
	case reqOp(history.OpIterate):
		resp.Entries, err = iterateEntries(s)
	case reqOp(history.OpRecall):
		resp.Entries, err = recallEntries(s, req.Value)
	case reqOp(history.OpCompact):
		var cs store.CompactionStats
		cs, err = s.Compact()
		resp.Compaction = &cs
	case reqOp(history.OpSync):
		err = s.Sync()
	case reqOp(history.OpStats):
		st := s.Stats()
		resp.Stats = &st
	case reqOp(history.OpLayout):
		resp.Layout, err = s.Layout()
	case reqPing:
		resp.Pid = os.Getpid()
	default:
		err = srv.control(req, resp)
	}
	if err != nil {
		resp.ErrCode, resp.Err = errorCode(err), err.Error()
	}
	return resp
}

// failpointName checks a failpoint name against the store's catalogue.
func failpointName(name string) (store.FailpointName, error) {
	for _, fp := range store.AllFailpoints() {
		if string(fp.Name) == name {
			return fp.Name, nil
		}
	}
	return "", fmt.Errorf("%w: %q", store.ErrUnknownFailpoint, strings.TrimSpace(name))
}

func (srv *server) control(req *request, resp *response) error {
	switch req.Op {
	case reqArm:
		name, err := failpointName(req.Failpoint)
		if err != nil {
			return err
		}
		return srv.fps.Arm(name, store.Action{Kind: store.ActionKind(req.Action.Kind), Delay: req.Action.Delay, Times: req.Action.Times})
	case reqDisarm:
		name, err := failpointName(req.Failpoint)
		if err != nil {
			return err
		}
		srv.fps.Disarm(name)
		return nil
	case reqRelease:
		name, err := failpointName(req.Failpoint)
		if err != nil {
			return err
		}
		srv.fps.Release(name)
		return nil
	case reqHits:
		resp.Hits = map[string]uint64{}
		for k, v := range srv.fps.Hits() {
			resp.Hits[string(k)] = v
		}
		return nil
	}
	return fmt.Errorf("%w: %d", ErrUnknownOp, req.Op)
}
