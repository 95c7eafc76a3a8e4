package main

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/store"
)

// serveTestEnv makes this test binary run the CLI itself (runApp), so that a
// ProcessStore can start `warmcheck serve-store` as its child.
const serveTestEnv = "WARMCHECK_CMD_TEST_AS_CLI"

// TestMain lets the test binary act as the warmcheck binary when serveTestEnv
// is set; otherwise it runs the tests.
func TestMain(m *testing.M) {
	if os.Getenv(serveTestEnv) == "1" {
		os.Exit(runApp(os.Args))
	}
	os.Exit(m.Run())
}

// TestServeStoreChild drives the real `serve-store` subcommand as a child:
// start, a put, SIGKILL, restart (recovery) and the put is still there,
// then a clean SIGTERM shutdown.
func TestServeStoreChild(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ps, err := client.StartProcess(ctx, client.ProcessConfig{
		Serve:   client.ServeConfig{Dir: t.TempDir(), DurableImage: true},
		Command: []string{os.Args[0], "serve-store"},
		Env:     []string{serveTestEnv + "=1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	c := ps.Client()
	if _, err := c.Put(ctx, "a", store.Memory{Content: []byte("kept")}); err != nil {
		t.Fatal(err)
	}
	if err := ps.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get(ctx, "a"); !errors.Is(err, client.ErrNotSent) {
		t.Fatalf("get from a killed store: %v", err)
	}
	if err := ps.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	m, l, err := c.Get(ctx, "a")
	if err != nil || l != store.Found || string(m.Content) != "kept" {
		t.Fatalf("after restart: %v %v %q", l, err, m.Content)
	}
	if err := ps.Close(); err != nil {
		t.Fatal(err)
	}
	if ps.ExitError() != nil {
		t.Fatalf("SIGTERM shutdown exited with %v", ps.ExitError())
	}
}

func TestServeStoreBadFlags(t *testing.T) {
	if code := runApp([]string{"warmcheck", "serve-store", "--dir", "x"}); code != exitUsage {
		t.Fatalf("missing --socket: exit %d, want %d", code, exitUsage)
	}
}
