package client

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// childEnv makes the test binary act as `warmcheck serve-store` (for
// ProcessStore tests) or as a recording run (for the killed-recorder test).
const childEnv = "WARMCHECK_CLIENT_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "serve":
		os.Exit(serveChild(os.Args[2:]))
	case "record":
		os.Exit(recordChild())
	}
	os.Exit(m.Run())
}

func serveChild(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return ServeMain(ctx, args, os.Stderr)
}

// testProcessConfig re-executes this test binary as the store server.
func testProcessConfig(t *testing.T, dir string) ProcessConfig {
	return ProcessConfig{
		Serve:   ServeConfig{Dir: dir, DurableImage: true},
		Command: []string{os.Args[0], "serve-store"},
		Env:     []string{childEnv + "=serve"},
		Stderr:  testWriter{t},
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("child: %s", p)
	return len(p), nil
}

// recordChild records a never-ending fake run into the history file named by
// WARMCHECK_CLIENT_TEST_HISTORY until it is killed.
func recordChild() int {
	path := os.Getenv("WARMCHECK_CLIENT_TEST_HISTORY")
	const workers = 4
	hw, err := history.Create(path, history.Header{Workers: workers, Workload: "killed-recorder"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rec, err := NewRecorder(hw, newFake(), RecorderOptions{Workers: workers, FlushEvery: 20 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 0; i < workers; i++ {
		go func(i int) {
			w := rec.Worker(i)
			ctx := context.Background()
			for n := 0; ; n++ {
				id := fmt.Sprintf("m%d", n%16)
				w.Put(ctx, id, store.Memory{Content: []byte(fmt.Sprintf("%s/w%d/n%d", id, i, n))})
				w.Get(ctx, id)
			}
		}(i)
	}
	fmt.Println("recording")
	select {}
}
