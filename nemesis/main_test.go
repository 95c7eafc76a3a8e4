package nemesis

import (
	"context"
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
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		code := client.ServeMain(ctx, os.Args[2:], os.Stderr)
		stop()
		os.Exit(code)
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
