package nemesis

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/warmcheck/warmcheck/client"
)

// childEnv makes the test binary act as `warmcheck serve-store`.
const childEnv = "WARMCHECK_NEMESIS_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "serve" {
		cfg, err := client.ParseServeArgs(os.Args[2:])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		cfg.Ready = os.Stdout
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		err = client.Serve(ctx, cfg)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func startChild(t *testing.T, durable bool) *client.ProcessStore {
	t.Helper()
	ps, err := client.StartProcess(context.Background(), client.ProcessConfig{
		Serve:   client.ServeConfig{Dir: t.TempDir(), DurableImage: durable},
		Command: []string{os.Args[0], "serve-store"},
		Env:     []string{childEnv + "=serve"},
		Stderr:  testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	return ps
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("child: %s", p)
	return len(p), nil
}
