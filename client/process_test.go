package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

func startTestProcess(t *testing.T) *ProcessStore {
	t.Helper()
	ps, err := StartProcess(context.Background(), testProcessConfig(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	return ps
}

func bg(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func embedding(seed float32) []float32 {
	e := make([]float32, store.EmbeddingDim)
	for i := range e {
		e[i] = seed + float32(i)
	}
	return e
}

// TestRemoteOperations: every operation crosses the socket with its result
// and its error identity intact (nil and empty content stay apart).
func TestRemoteOperations(t *testing.T) {
	ps := startTestProcess(t)
	c := ps.Client()
	ctx := bg(t)
	emb := embedding(1)
	if _, err := c.Put(ctx, "a", store.Memory{Embedding: emb, Confidence: 0.9, Content: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, "empty", store.Memory{Content: []byte{}, Confidence: 0.1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, "nil", store.Memory{Confidence: 0.5}); err != nil {
		t.Fatal(err)
	}
	m, l, err := c.Get(ctx, "a")
	if err != nil || l != store.Found || !bytes.Equal(m.Content, []byte("hello")) || history.DigestEmbedding(m.Embedding) != history.DigestEmbedding(emb) {
		t.Fatalf("get a: %v %v %q", err, l, m.Content)
	}
	if m, _, _ := c.Get(ctx, "empty"); m.Content == nil {
		t.Fatal("empty content came back nil")
	}
	if m, _, _ := c.Get(ctx, "nil"); m.Content != nil {
		t.Fatalf("nil content came back %q", m.Content)
	}
	if _, l, _ := c.Get(ctx, "zzz"); l != store.Missing {
		t.Fatal("missing id found")
	}
	if l, err := c.UpdateActivation(ctx, "a", 7); err != nil || l != store.Found {
		t.Fatalf("update: %v %v", l, err)
	}
	es, err := c.Iterate(ctx)
	if err != nil || len(es) != 3 {
		t.Fatalf("iterate: %v %d", err, len(es))
	}
	hits, err := c.Recall(ctx, 0.5)
	if err != nil || len(hits) != 2 {
		t.Fatalf("recall: %v %+v", err, hits)
	}
	if l, err := c.Remove(ctx, "a"); err != nil || l != store.Found {
		t.Fatalf("remove: %v %v", l, err)
	}
	if err := c.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Stats(ctx); err != nil || st.Live != 2 {
		t.Fatalf("stats: %+v %v", st, err)
	}
	if lay, err := c.Layout(ctx); err != nil || len(lay) != 2 {
		t.Fatalf("layout: %+v %v", lay, err)
	}
	if _, err := c.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, "", store.Memory{}); !errors.Is(err, store.ErrBadID) {
		t.Fatalf("bad id over the wire: %v", err)
	}
	if err := c.Arm(ctx, "no-such-failpoint", store.Action{Kind: store.ActionPanic}); !errors.Is(err, store.ErrUnknownFailpoint) {
		t.Fatalf("arm unknown: %v", err)
	}
}

// TestPausedChildEndsInfoWithinTimeout: SIGSTOP the child; a recorded
// request ends info at the op timeout; after SIGCONT the store serves again.
func TestPausedChildEndsInfoWithinTimeout(t *testing.T) {
	ps := startTestProcess(t)
	const timeout = 300 * time.Millisecond
	rec, sink := newTestRecorder(t, ps.Client(), 1, timeout)
	w := rec.Worker(0)
	ctx := context.Background()
	if _, err := w.Put(ctx, "a", store.Memory{Content: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := ps.Pause(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, err := w.Get(ctx, "a")
	took := time.Since(start)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("get against a paused store: %v", err)
	}
	if took < timeout || took > timeout+2*time.Second {
		t.Fatalf("took %v, want about %v", took, timeout)
	}
	if err := ps.Resume(); err != nil {
		t.Fatal(err)
	}
	if _, l, err := w.Get(ctx, "a"); err != nil || l != store.Found {
		t.Fatalf("after resume: %v %v", l, err)
	}
	ev := sink.snapshot()
	if ev[3].Type != history.Info || ev[4].Process != 1 || ev[5].Type != history.OK {
		t.Fatalf("events %+v", ev)
	}
	if err := checkWellFormed(ev, 1); err != nil {
		t.Fatal(err)
	}
}

// TestChildPanicKillsProcess: a failpoint panic in the child is a crash:
// the in-flight op ends info, the child exits with ExitInjectedPanic, and a
// restart recovers what was acknowledged.
func TestChildPanicKillsProcess(t *testing.T) {
	ps := startTestProcess(t)
	rec, _ := newTestRecorder(t, ps.Client(), 1, 2*time.Second)
	w := rec.Worker(0)
	ctx := context.Background()
	if _, err := w.Put(ctx, "kept", store.Memory{Content: []byte("kept")}); err != nil {
		t.Fatal(err)
	}
	if err := ps.Client().Arm(bg(t), store.FailGet, store.Action{Kind: store.ActionPanic, Times: 1}); err != nil {
		t.Fatal(err)
	}
	_, _, err := w.Get(ctx, "kept")
	if Classify(history.OpGet, err) != history.Info {
		t.Fatalf("get that panicked the child: %v", err)
	}
	select {
	case <-ps.Exited():
	case <-time.After(5 * time.Second):
		t.Fatal("child did not exit after the panic")
	}
	if !ps.DiedOfPanic() {
		t.Fatalf("exit status %v, want %d", ps.ExitError(), ExitInjectedPanic)
	}
	if _, err := w.Put(ctx, "down", store.Memory{}); !errors.Is(err, ErrNotSent) {
		t.Fatalf("put to a dead child: %v, want ErrNotSent", err)
	}
	if err := ps.Restart(bg(t)); err != nil {
		t.Fatal(err)
	}
	if _, l, err := w.Get(ctx, "kept"); err != nil || l != store.Found {
		t.Fatalf("after restart: %v %v", l, err)
	}
}

// TestKilledChildMidRunLeavesReadableHistory: workers write through the
// recorder into a real history file while the child is SIGKILLed and
// restarted; the file reads back whole and well formed, and every put
// acknowledged before the kill is in the recovered snapshot.
func TestKilledChildMidRunLeavesReadableHistory(t *testing.T) {
	ps := startTestProcess(t)
	path := t.TempDir() + "/history.wch"
	const workers = 4
	hw, err := history.Create(path, history.Header{Workers: workers, Mode: "process", Workload: "test"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewRecorder(hw, ps.Client(), RecorderOptions{Workers: workers, OpTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w := rec.Worker(i)
			for n := 0; ctx.Err() == nil; n++ {
				id := fmt.Sprintf("w%d-%d", i, n)
				w.Put(ctx, id, store.Memory{Content: []byte(id)})
			}
		}(i)
	}
	time.Sleep(200 * time.Millisecond)
	rec.RecordNemesis(history.Nemesis{Fault: "kill", Phase: history.NemesisStart, Target: "process"})
	if err := ps.Kill(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	err = rec.Quiesce(func() error {
		if err := ps.Restart(ctx); err != nil {
			return err
		}
		rec.RecordNemesis(history.Nemesis{Fault: "kill", Phase: history.NemesisEnd, Target: "process", Restart: true})
		return rec.Snapshot(ctx, "restart")
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	wg.Wait()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := hw.Close(); err != nil {
		t.Fatal(err)
	}
	_, events, err := history.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkWellFormed(events, workers); err != nil {
		t.Fatal(err)
	}
	// Puts acknowledged before the kill started must be in the restart snapshot.
	var acked []string
	var snap *history.Snapshot
	killed := false
	types := map[history.Type]int{}
	for _, e := range events {
		switch {
		case e.Kind == history.KindNemesis && e.Nemesis.Phase == history.NemesisStart:
			killed = true
		case e.Kind == history.KindSnapshot:
			snap = e.Snapshot
		case e.Kind == history.KindOp && e.Type != history.Invoke:
			types[e.Type]++
			if e.Type == history.OK && !killed {
				acked = append(acked, e.ID)
			}
		}
	}
	if snap == nil || len(acked) == 0 || types[history.OK] <= len(acked) {
		t.Fatalf("no snapshot, or nothing acknowledged before/after the kill: %d acked before, types %v", len(acked), types)
	}
	have := map[string]bool{}
	for _, e := range snap.Layout {
		have[e.ID] = true
	}
	for _, id := range acked {
		if !have[id] {
			t.Fatalf("put %s acknowledged before the kill is missing after recovery", id)
		}
	}
	t.Logf("%d events, %d puts acked before the kill, completions %v", len(events), len(acked), types)
}

// TestKilledRecorderLeavesReadableHistory: the recording process itself is
// SIGKILLed mid-run; its history file keeps every chunk flushed before the
// kill, reads back torn (no end record, or a chunk cut short: never
// corrupt) and is well formed.
func TestKilledRecorderLeavesReadableHistory(t *testing.T) {
	path := t.TempDir() + "/history.wch"
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=record", "WARMCHECK_CLIENT_TEST_HISTORY="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(out).ReadString('\n')
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	_, events, err := history.ReadFile(path)
	if err != nil && !errors.Is(err, history.ErrTorn) { // a kill leaves a torn tail, never corruption
		t.Fatalf("read killed recorder's history: %v", err)
	}
	if len(events) < 100 {
		t.Fatalf("only %d events survived 300 ms of recording", len(events))
	}
	if err := checkWellFormed(events, 4); err != nil {
		t.Fatal(err)
	}
	if err := history.Validate(events); err != nil {
		t.Fatalf("history.Validate: %v", err)
	}
	t.Logf("%d events survived the kill (tail: %v)", len(events), err)
}

// TestServerSurvivesGarbage: bytes that are not a request close that
// connection only; the server keeps serving others.
func TestServerSurvivesGarbage(t *testing.T) {
	ps := startTestProcess(t)
	for _, junk := range [][]byte{
		{0xc1},                         // never-used msgpack byte
		{0xdd, 0xff, 0xff, 0xff, 0xff}, // array of 4G elements, then nothing
		{0xc6, 0x7f, 0xff, 0xff, 0xff}, // 2 GiB bin header, then nothing
		[]byte("GET / HTTP/1.1\r\n\r\n"),
	} {
		c, err := net.Dial("unix", ps.cfg.Serve.Socket)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(junk)
		c.(*net.UnixConn).CloseWrite()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.ReadAll(c)
		c.Close()
	}
	if h, err := ps.Client().Hello(bg(t)); err != nil || h.Pid != ps.Pid() {
		t.Fatalf("server after garbage: hello %+v (want pid %d), %v", h, ps.Pid(), err)
	}
}

func TestExecLine(t *testing.T) {
	for cmd, want := range map[string]string{
		"./mystore --flag":                     "exec ./mystore --flag",
		"PYSTORE_BUG=offset-race python3 s.py": "PYSTORE_BUG=offset-race exec python3 s.py",
		" A=1 B=2 ./x A=3":                     " A=1 B=2 exec ./x A=3",
		"env A=1 ./x":                          "exec env A=1 ./x",
	} {
		if got := execLine(cmd); got != want {
			t.Errorf("execLine(%q) = %q, want %q", cmd, got, want)
		}
	}
}
