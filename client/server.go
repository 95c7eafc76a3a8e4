package client

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/store"
)

// Exit statuses of a store process that died of a panic inside the store:
// the panic is a crash of the store process, exactly as an unrecovered
// panic would be. ExitInjectedPanic: a failpoint panic (store.InjectedPanic,
// PROTOCOL.md section 8); ExitStorePanic: any other panic (a real bug).
const (
	ExitInjectedPanic = 86
	ExitStorePanic    = 87
)

// Environment variables a target is started with (PROTOCOL.md, section 1).
const (
	EnvSocket   = "WARMCHECK_SOCKET"
	EnvDataDir  = "WARMCHECK_DATA_DIR"
	EnvProtocol = "WARMCHECK_PROTOCOL"
)

// builtinMaxContent is the longest content the built-in server accepts: a
// put must fit a frame (the store itself takes up to 4 GiB).
const builtinMaxContent = 16 << 20

// ServeConfig configures Serve.
type ServeConfig struct {
	Dir          string
	Socket       string
	Bugs         []string
	DurableImage bool
	GroupCommit  time.Duration
	SyncEveryOp  bool
	// Declare, when not nil, is all the server declares and serves of the
	// optional capabilities (the others answer unsupported, puts carry no
	// placement): a minimal target, to test how warmcheck treats one.
	// Nil: every capability.
	Declare []Capability
	// OnPanic is called, on the goroutine that panicked, when the store
	// panics while serving a request. Nil means: print to stderr and
	// os.Exit(ExitInjectedPanic or ExitStorePanic) without closing
	// anything (a crash).
	OnPanic func(v any)
	Logger  hclog.Logger
}

// ServeArgs are the command-line arguments (after the program name) that
// make `warmcheck serve-store` serve cfg; the directory and socket travel
// in the environment (ServeEnv), as for any target.
func ServeArgs(cfg ServeConfig) []string {
	args := []string{"serve-store"}
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
	if cfg.Declare != nil {
		args = append(args, "--declare", declareFlag(cfg.Declare))
	}
	return args
}

// declareFlag is the --declare value of caps: comma-separated, "none" for none.
func declareFlag(caps []Capability) string {
	if len(caps) == 0 {
		return "none"
	}
	names := make([]string, len(caps))
	for i, c := range caps {
		names[i] = string(c)
	}
	return strings.Join(names, ",")
}

// parseDeclare reads --declare.
func parseDeclare(s string) ([]Capability, error) {
	out := []Capability{}
	if s == "none" {
		return out, nil
	}
	for _, name := range strings.Split(s, ",") {
		c := Capability(strings.TrimSpace(name))
		if !slices.Contains(AllCapabilities, c) {
			return nil, fmt.Errorf("unknown capability %q (known: %v)", c, AllCapabilities)
		}
		out = append(out, c)
	}
	return out, nil
}

// ParseServeArgs parses the flags of `serve-store` (args after the
// subcommand name); --dir and --socket default to the protocol's
// environment variables, read through getenv.
func ParseServeArgs(args []string, getenv func(string) string) (ServeConfig, error) {
	var cfg ServeConfig
	fs := flag.NewFlagSet("serve-store", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.Dir, "dir", getenv(EnvDataDir), "store directory (default $"+EnvDataDir+")")
	fs.StringVar(&cfg.Socket, "socket", getenv(EnvSocket), "Unix socket path to listen on (default $"+EnvSocket+")")
	fs.Func("bug", "seeded bug to switch on (repeatable)", func(s string) error {
		cfg.Bugs = append(cfg.Bugs, s)
		return nil
	})
	fs.BoolVar(&cfg.DurableImage, "durable-image", false, "keep durable images for the power-loss nemesis")
	fs.DurationVar(&cfg.GroupCommit, "group-commit", 0, "group-commit interval (0: store default)")
	fs.BoolVar(&cfg.SyncEveryOp, "sync-every-op", false, "sync on every mutating call")
	fs.Func("declare", "declare and serve only these optional capabilities (comma-separated, or none)", func(s string) (err error) {
		cfg.Declare, err = parseDeclare(s)
		return err
	})
	if err := fs.Parse(args); err != nil {
		return cfg, fmt.Errorf("%w: serve-store: %v", ErrBadConfig, err)
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("%w: serve-store: unexpected argument %q", ErrBadConfig, fs.Arg(0))
	}
	if cfg.Dir == "" || cfg.Socket == "" {
		return cfg, fmt.Errorf("%w: serve-store: --dir and --socket (or $%s and $%s) are required", ErrBadConfig, EnvDataDir, EnvSocket)
	}
	return cfg, nil
}

// ServeMain is the whole of `serve-store`: parse args, serve until SIGTERM
// or interrupt (ctx), and return the exit status (3 for bad arguments).
func ServeMain(ctx context.Context, args []string, stderr io.Writer) int {
	cfg, err := ParseServeArgs(args, os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 3
	}
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "serve-store", Output: stderr, Level: hclog.Warn})
	if err := Serve(ctx, cfg); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// Serve opens the store in cfg.Dir (recovering it if it exists), listens on
// cfg.Socket and serves PROTOCOL.md until ctx is done, then closes the store.
func Serve(ctx context.Context, cfg ServeConfig) error {
	if cfg.Dir == "" || cfg.Socket == "" {
		return fmt.Errorf("%w: serve: dir and socket are required", ErrBadConfig)
	}
	if cfg.OnPanic == nil {
		cfg.OnPanic = exitOnPanic
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
	srv := &server{s: s, fps: fps, onPanic: cfg.OnPanic, hello: builtinHello(cfg)}
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

func exitOnPanic(v any) {
	fmt.Fprintf(os.Stderr, "warmcheck serve-store: store panicked, process dies: %v\n", v)
	if _, injected := v.(store.InjectedPanic); injected {
		os.Exit(ExitInjectedPanic)
	}
	os.Exit(ExitStorePanic)
}

// builtinHello is what the built-in store declares: everything, durable
// images only when it keeps them.
func builtinHello(cfg ServeConfig) Hello {
	h := Hello{Protocol: ProtocolVersion, Name: "warmcheck-builtin", Pid: os.Getpid(),
		Capabilities: []Capability{CapPlacements, CapLayout, CapStats, CapCompact, CapFailpoints},
		EmbeddingDim: store.EmbeddingDim, MaxIDLen: store.MaxIDLen, MaxContentLen: builtinMaxContent}
	if len(cfg.Bugs) > 0 {
		h.Version = "bugs=" + strings.Join(cfg.Bugs, ",")
	}
	for _, fp := range store.AllFailpoints() {
		h.Failpoints = append(h.Failpoints, string(fp.Name))
	}
	if cfg.DurableImage {
		h.Capabilities = append(h.Capabilities, CapDurableImages)
		h.DataFiles = store.DataFilePatterns()
	}
	if cfg.Declare != nil {
		h.Capabilities = slices.DeleteFunc(h.Capabilities, func(c Capability) bool { return !slices.Contains(cfg.Declare, c) })
		if !h.Has(CapDurableImages) {
			h.DataFiles = nil
		}
		if !h.Has(CapFailpoints) {
			h.Failpoints = nil
		}
	}
	return h
}
