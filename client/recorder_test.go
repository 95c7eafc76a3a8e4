package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

func newTestRecorder(t *testing.T, c Client, workers int, timeout time.Duration) (*Recorder, *memSink) {
	t.Helper()
	sink := &memSink{}
	r, err := NewRecorder(sink, c, RecorderOptions{Workers: workers, OpTimeout: timeout, FlushEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, sink
}

// TestRecorderConcurrentWellFormed drives many workers with panics, hangs and
// errors mixed in and checks every promise of the recorder on the result.
func TestRecorderConcurrentWellFormed(t *testing.T) {
	const workers, opsPerWorker = 8, 400
	f := newFake()
	var panics, hangs atomic.Int64
	f.hook = func(ctx context.Context, op history.Op, id string) error {
		switch id {
		case "panic":
			panics.Add(1)
			panic(store.InjectedPanic{Point: store.FailGet})
		case "hang":
			hangs.Add(1)
			<-ctx.Done()
			return ctx.Err()
		case "injected":
			return store.ErrInjected
		}
		return nil
	}
	r, sink := newTestRecorder(t, bounded{f}, workers, 20*time.Millisecond)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := r.Worker(w)
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			ctx := context.Background()
			for i := 0; i < opsPerWorker; i++ {
				id := fmt.Sprintf("m%d", rng.IntN(10))
				switch rng.IntN(100) {
				case 0:
					id = "panic"
				case 1:
					id = "hang"
				case 2:
					id = "injected"
				case 3:
					id = "bad:id" // history.Validate rejects empty ids, even on fail
				}
				switch rng.IntN(6) {
				case 0, 1:
					c.Put(ctx, id, store.Memory{Content: []byte(fmt.Sprintf("%s/w%d/n%d", id, w, i)), Confidence: rng.Float32()})
				case 2:
					c.Get(ctx, id)
				case 3:
					c.Remove(ctx, id)
				case 4:
					c.UpdateActivation(ctx, id, float32(i))
				case 5:
					c.Iterate(ctx)
				}
			}
		}(w)
	}
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	events := sink.snapshot()
	if want := workers * opsPerWorker * 2; len(events) != want {
		t.Fatalf("got %d events, want %d", len(events), want)
	}
	if err := checkWellFormed(events, workers); err != nil {
		t.Fatal(err)
	}
	if err := history.Validate(events); err != nil {
		t.Fatalf("history.Validate: %v", err)
	}
	counts := map[history.Type]int{}
	for _, e := range events {
		counts[e.Type]++
	}
	if panics.Load() == 0 || hangs.Load() == 0 || counts[history.Info] == 0 || counts[history.Fail] == 0 {
		t.Fatalf("faults did not fire: panics %d hangs %d types %v", panics.Load(), hangs.Load(), counts)
	}
	if sink.flushes == 0 {
		t.Fatal("sink never flushed")
	}
}

func TestPanicIsInfoAndRetiresProcess(t *testing.T) {
	f := newFake()
	f.hook = func(_ context.Context, _ history.Op, id string) error {
		if id == "boom" {
			panic(store.InjectedPanic{Point: store.FailGet})
		}
		return nil
	}
	r, sink := newTestRecorder(t, f, 3, time.Second)
	w := r.Worker(2)
	ctx := context.Background()
	_, err := w.Put(ctx, "boom", store.Memory{Content: []byte("x")})
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *PanicError", err)
	}
	if w.Process() != 5 {
		t.Fatalf("process after info = %d, want 5", w.Process())
	}
	if _, err := w.Put(ctx, "ok", store.Memory{Content: []byte("y")}); err != nil {
		t.Fatal(err)
	}
	ev := sink.snapshot()
	if len(ev) != 4 {
		t.Fatalf("%d events", len(ev))
	}
	if ev[1].Type != history.Info || ev[1].Process != 2 || ev[2].Process != 5 || ev[3].Type != history.OK {
		t.Fatalf("events: %+v", ev)
	}
	if ev[0].Input == nil || ev[0].Input.Value.ContentDigest != history.Digest([]byte("x")) {
		t.Fatalf("invoke input not recorded: %+v", ev[0].Input)
	}
}

// TestWorkerHandleIsStable: asking for worker i again (say, after a preload
// phase) continues its process ids; a retired process is never reused.
func TestWorkerHandleIsStable(t *testing.T) {
	f := newFake()
	f.hook = func(_ context.Context, _ history.Op, id string) error {
		if id == "boom" {
			panic("boom")
		}
		return nil
	}
	r, sink := newTestRecorder(t, f, 2, time.Second)
	r.Worker(1).Put(context.Background(), "boom", store.Memory{})
	if r.Worker(1) != r.Worker(1) || r.Worker(1).Process() != 3 {
		t.Fatalf("handle not stable: process %d", r.Worker(1).Process())
	}
	r.Worker(1).Get(context.Background(), "a")
	if err := history.Validate(sink.snapshot()); err != nil {
		t.Fatal(err)
	}
}

func TestFailKeepsProcess(t *testing.T) {
	r, sink := newTestRecorder(t, newFake(), 1, time.Second)
	w := r.Worker(0)
	if _, err := w.Put(context.Background(), "", store.Memory{}); !errors.Is(err, store.ErrBadID) {
		t.Fatalf("err = %v", err)
	}
	if w.Process() != 0 {
		t.Fatalf("fail retired the process")
	}
	if ev := sink.snapshot(); ev[1].Type != history.Fail || ev[1].Error == "" {
		t.Fatalf("completion %+v", ev[1])
	}
	// A call with an empty id is recorded as made, and that is well formed.
	if err := history.Validate(sink.snapshot()); err != nil {
		t.Fatal(err)
	}
}

// TestTimeoutIsInfoWithinDeadline: a call that never returns (a paused store)
// ends as info at the recorder's deadline, not later, through InProcess's
// goroutine wrapper.
func TestTimeoutIsInfoWithinDeadline(t *testing.T) {
	f := newFake()
	release := make(chan struct{})
	defer close(release)
	f.hook = func(_ context.Context, _ history.Op, id string) error {
		if id == "stuck" {
			<-release // ignores ctx: a hung store
		}
		return nil
	}
	const timeout = 100 * time.Millisecond
	r, sink := newTestRecorder(t, bounded{f}, 1, timeout)
	w := r.Worker(0)
	start := time.Now()
	_, _, err := w.Get(context.Background(), "stuck")
	took := time.Since(start)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if took < timeout || took > timeout+time.Second {
		t.Fatalf("timed out after %v, want about %v", took, timeout)
	}
	ev := sink.snapshot()
	if ev[1].Type != history.Info || w.Process() != 1 {
		t.Fatalf("completion %+v, process %d", ev[1], w.Process())
	}
	if d := ev[1].Time - ev[0].Time; d < int64(timeout) {
		t.Fatalf("recorded interval %v shorter than the timeout", time.Duration(d))
	}
}

func TestSinkErrorStopsRecording(t *testing.T) {
	sink := &memSink{failAt: 3}
	r, err := NewRecorder(sink, newFake(), RecorderOptions{Workers: 1, FlushEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	w := r.Worker(0)
	for i := 0; i < 4; i++ {
		w.Put(context.Background(), "a", store.Memory{})
	}
	if err := r.Close(); err == nil {
		t.Fatal("Close did not report the sink error")
	}
	if n := len(sink.snapshot()); n != 2 {
		t.Fatalf("%d events kept after the sink failed, want 2", n)
	}
}

func TestNewRecorderRejectsBadOptions(t *testing.T) {
	if _, err := NewRecorder(&memSink{}, newFake(), RecorderOptions{}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("zero workers: %v", err)
	}
	if _, err := NewRecorder(nil, newFake(), RecorderOptions{Workers: 1}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("nil sink: %v", err)
	}
}

func TestRecordNemesisAndSnapshot(t *testing.T) {
	f := newFake()
	r, sink := newTestRecorder(t, f, 1, time.Second)
	r.Worker(0).Put(context.Background(), "a", store.Memory{Content: []byte{}})
	r.RecordNemesis(history.Nemesis{Fault: "kill", Phase: history.NemesisStart, Target: "process"})
	if err := r.Snapshot(context.Background(), "restart"); err != nil {
		t.Fatal(err)
	}
	ev := sink.snapshot()
	if len(ev) != 4 || ev[2].Kind != history.KindNemesis || ev[3].Kind != history.KindSnapshot {
		t.Fatalf("events %+v", ev)
	}
	s := ev[3].Snapshot
	if s.Reason != "restart" || s.Stats == nil || s.Stats.Live != 1 || len(s.Layout) != 1 || !s.Layout[0].Value.HasContent {
		t.Fatalf("snapshot %+v", s)
	}
	if err := checkWellFormed(ev, 1); err != nil {
		t.Fatal(err)
	}
}

// deadlineSeen is a fake whose Layout remembers the deadline it was given.
type deadlineSeen struct {
	*fakeClient
	deadline time.Time
	bounded  bool
}

func (d *deadlineSeen) Layout(ctx context.Context) ([]store.LayoutEntry, error) {
	d.deadline, d.bounded = ctx.Deadline()
	return d.fakeClient.Layout(ctx)
}

// A restart snapshot is taken with the restart's budget, not the operation
// timeout: under load, recovery's Layout and Stats over a pipe outlasted a
// 150 ms operation timeout and the nemesis gave the run up as "store did
// not come back" (TestEachNemesisProcess). Without a deadline of its own, a
// snapshot is still bounded by the operation timeout.
func TestSnapshotIsBoundedByTheCallersDeadline(t *testing.T) {
	c := &deadlineSeen{fakeClient: newFake()}
	r, sink := newTestRecorder(t, c, 1, time.Nanosecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if err := r.Snapshot(ctx, "restart"); err != nil {
		t.Fatalf("snapshot within the caller's hour: %v", err)
	}
	if want, _ := ctx.Deadline(); !c.bounded || !c.deadline.Equal(want) {
		t.Fatalf("Layout saw deadline %v (bounded %v), want the caller's %v", c.deadline, c.bounded, want)
	}
	if err := r.Snapshot(context.Background(), "periodic"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("snapshot without a deadline past a 1 ns operation timeout: %v", err)
	}
	if ev := sink.snapshot(); len(ev) != 1 || ev[0].Snapshot.Reason != "restart" {
		t.Fatalf("events %+v, want only the restart snapshot", ev)
	}
}

// TestCheckWellFormedRejects: the test's validator can fail.
func TestCheckWellFormedRejects(t *testing.T) {
	inv := history.Event{Kind: history.KindOp, Type: history.Invoke, Op: history.OpGet, ID: "a"}
	ok := history.Event{Kind: history.KindOp, Type: history.OK, Op: history.OpGet, ID: "a", Output: &history.Output{}}
	bad := map[string][]history.Event{
		"index gap":      {inv, func() history.Event { e := ok; e.Index = 2; return e }()},
		"time backwards": {func() history.Event { e := inv; e.Time = 5; return e }(), func() history.Event { e := ok; e.Index = 1; e.Time = 4; return e }()},
		"two invokes":    {inv, func() history.Event { e := inv; e.Index = 1; return e }()},
		"orphan ok":      {ok},
	}
	for name, ev := range bad {
		if checkWellFormed(ev, 1) == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// TestRecorderCloseStopsGoroutines: the flusher and the workers' executors
// end with Close; only a call that hung and was abandoned may outlive it
// (until it returns).
func TestRecorderCloseStopsGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := NewInProcess(s)
	defer c.Close()
	r, err := NewRecorder(&memSink{}, c, RecorderOptions{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w := r.Worker(i)
			for n := 0; n < 50; n++ {
				w.Put(context.Background(), fmt.Sprintf("m%d", n), store.Memory{Content: []byte("x")})
			}
		}(i)
	}
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// A handle used after Close still works (inline), and leaks nothing.
	if _, err := r.Worker(0).Put(context.Background(), "late", store.Memory{}); err != nil {
		t.Fatal(err)
	}
}

// TestExecutorTimeoutAbandonsHungCall: through the recorder's own executor
// (InProcess), a store call that never returns ends as info at the timeout
// and the worker goes on with a fresh executor.
func TestExecutorTimeoutAbandonsHungCall(t *testing.T) {
	fps := store.NewFailpoints()
	s, err := store.Open(t.TempDir(), store.Options{Failpoints: fps})
	if err != nil {
		t.Fatal(err)
	}
	c := NewInProcess(s)
	defer c.Close()
	const timeout = 150 * time.Millisecond
	r, sink := newTestRecorder(t, c, 1, timeout)
	w := r.Worker(0)
	ctx := context.Background()
	if _, err := w.Put(ctx, "a", store.Memory{Content: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := fps.Arm(store.FailGet, store.Action{Kind: store.ActionPause}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, err = w.Get(ctx, "a")
	// Upper bound: the default timeout, which a call not abandoned at its
	// own timeout would reach (a slack of 1 s is within reach of a loaded
	// machine's scheduling delays under -race).
	if took := time.Since(start); !errors.Is(err, ErrTimeout) || took < timeout || took >= DefaultOpTimeout {
		t.Fatalf("paused get: %v after %v", err, took)
	}
	fps.Disarm(store.FailGet) // releases the abandoned call
	if _, l, err := w.Get(ctx, "a"); err != nil || l != store.Found {
		t.Fatalf("after release: %v %v", l, err)
	}
	ev := sink.snapshot()
	if ev[3].Type != history.Info || ev[4].Process != 1 || ev[5].Type != history.OK {
		t.Fatalf("events %+v", ev[2:])
	}
}

// TestNothingRecordedAfterClose: a call abandoned at the end of a run that
// returns after Close leaves its invoke pending; no completion (nor any
// other event) lands after Close, when the caller may be closing the sink.
func TestNothingRecordedAfterClose(t *testing.T) {
	release := make(chan struct{})
	f := newFake()
	f.hook = func(ctx context.Context, op history.Op, id string) error {
		if id == "stuck" {
			<-release // ignores ctx, as a wedged store does
		}
		return nil
	}
	sink := &memSink{}
	r, err := NewRecorder(sink, f, RecorderOptions{Workers: 1, OpTimeout: -1, FlushEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _, _ = r.Worker(0).Get(context.Background(), "stuck")
	}()
	for len(sink.snapshot()) == 0 {
		runtime.Gosched() // until the invoke is recorded
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	close(release)
	<-done
	r.RecordNemesis(history.Nemesis{Fault: "late", Phase: history.NemesisStart})
	events := sink.snapshot()
	if len(events) != 1 || events[0].Type != history.Invoke {
		t.Fatalf("after Close the history got %d events: %+v", len(events), events)
	}
}
