package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

func TestRegistry(t *testing.T) {
	want := []string{"panic", "sleep", "pause", "kill", "power-loss", "grow-failure", "compact"}
	var got []string
	for _, n := range All() {
		got = append(got, n.Name())
		if n.Description() == "" || strings.Contains(n.Description(), "\n") {
			t.Errorf("%s: description must be one non-empty line", n.Name())
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("registry %v, want %v", got, want)
	}
	if _, err := ByName("meteor"); !errors.Is(err, ErrUnknownNemesis) {
		t.Fatalf("unknown nemesis: %v", err)
	}
	names, err := Parse(" panic, compact,panic ")
	if err != nil || !reflect.DeepEqual(names, []string{"panic", "compact"}) {
		t.Fatalf("Parse: %v %v", names, err)
	}
	if names, err := Parse("none"); err != nil || names != nil {
		t.Fatalf("Parse(none): %v %v", names, err)
	}
	if _, err := Parse("panic,meteor"); !errors.Is(err, ErrUnknownNemesis) || !strings.Contains(err.Error(), "meteor") {
		t.Fatalf("Parse with an unknown name: %v", err)
	}
}

func TestSchedulerIsDeterministic(t *testing.T) {
	opts := ScheduleOptions{Seed: 42, Nemeses: []string{"panic", "sleep", "kill", "power-loss", "compact"}}
	a, err := Preview(opts, 50)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Preview(opts, 50)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different schedules")
	}
	opts.Seed = 43
	c, _ := Preview(opts, 50)
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds, same schedule")
	}
	firstRound := map[string]bool{}
	for _, f := range a[:5] {
		firstRound[f.Nemesis] = true
	}
	if len(firstRound) != 5 {
		t.Fatalf("first round %v does not fire every nemesis", a[:5])
	}
	for _, f := range a {
		if f.Gap < DefaultMinGap || f.Gap > DefaultMaxGap || f.Hold < DefaultMinHold || f.Hold > DefaultMaxHold {
			t.Fatalf("fault out of bounds: %v", f)
		}
		switch f.Nemesis {
		case "panic", "sleep":
			if f.Failpoint == "" || f.Failpoint == store.FailRecovery || f.Failpoint == store.FailGrow {
				t.Fatalf("bad failpoint: %v", f)
			}
		case "power-loss":
			if f.Seed == 0 {
				t.Fatalf("power loss without a seed: %v", f)
			}
		}
	}
	if _, err := NewScheduler(ScheduleOptions{}); !errors.Is(err, ErrNoNemeses) {
		t.Fatalf("empty: %v", err)
	}
	if _, err := NewScheduler(ScheduleOptions{Nemeses: []string{"kill"}, MinGap: time.Second, MaxGap: time.Millisecond}); !errors.Is(err, ErrBadSchedule) {
		t.Fatalf("bad bounds: %v", err)
	}
}

func openInProcess(t *testing.T) (*client.InProcess, *InProcessTarget) {
	t.Helper()
	fps := store.NewFailpoints()
	s, err := store.Open(t.TempDir(), store.Options{Failpoints: fps})
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewInProcess(s)
	t.Cleanup(func() { c.Close() })
	return c, NewInProcessTarget(c, fps)
}

func TestInProcessRejectsProcessFaults(t *testing.T) {
	_, tgt := openInProcess(t)
	for _, name := range []string{"pause", "kill", "power-loss"} {
		err := CheckSupported([]string{"panic", name}, tgt)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "--mode process") {
			t.Errorf("%s in-process: %v", name, err)
		}
	}
	if err := CheckSupported([]string{"panic", "sleep", "grow-failure", "compact"}, tgt); err != nil {
		t.Fatal(err)
	}
	noFps := NewInProcessTarget(nil, nil)
	if err := CheckSupported([]string{"panic"}, noFps); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("panic without failpoints: %v", err)
	}
}

// load runs workers doing every kind of operation until ctx is done.
func load(ctx context.Context, rec *client.Recorder, workers, maxContent int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w := rec.Worker(i)
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			for n := 0; ctx.Err() == nil; n++ {
				id := fmt.Sprintf("m%d", rng.IntN(2000))
				switch k := rng.IntN(100); {
				case k < 45:
					content := make([]byte, 100+rng.IntN(maxContent))
					copy(content, fmt.Sprintf("%s/w%d/n%d", id, i, n))
					w.Put(ctx, id, store.Memory{Content: content, Confidence: rng.Float32()})
				case k < 75:
					w.Get(ctx, id)
				case k < 85:
					w.Remove(ctx, id)
				case k < 95:
					w.UpdateActivation(ctx, id, float32(n))
				case k < 98:
					w.Sync(ctx)
				default:
					w.Compact(ctx)
				}
			}
		}(i)
	}
	return &wg
}

// faultRun runs nemeses (one round) under load and returns the history.
// faultRun drives rc with four workers while the scheduler fires nemeses, and
// returns the validated history. opTimeout bounds each recorded operation.
func faultRun(t *testing.T, tgt Target, rc client.Client, nemeses []string, seed int64, maxContent int, opTimeout time.Duration) []history.Event {
	t.Helper()
	path := t.TempDir() + "/history.wch"
	hw, err := history.Create(path, history.Header{Workers: 4, Faults: nemeses, Seed: seed, Mode: tgt.Mode()})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := client.NewRecorder(hw, rc, client.RecorderOptions{Workers: 4, OpTimeout: opTimeout})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := NewScheduler(testSchedule(seed, nemeses))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wg := load(ctx, rec, 4, maxContent)
	sum, err := Run(context.Background(), RunOptions{Target: tgt, Recorder: rec, Scheduler: sched, MaxFaults: len(nemeses)})
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("Run: %v (summary %+v)", err, sum)
	}
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
	if err := history.Validate(events); err != nil {
		t.Fatalf("history not well formed: %v", err)
	}
	t.Logf("summary %+v, %d events", sum, len(events))
	return events
}

func testSchedule(seed int64, nemeses []string) ScheduleOptions {
	return ScheduleOptions{Seed: seed, Nemeses: nemeses,
		MinGap: 50 * time.Millisecond, MaxGap: 100 * time.Millisecond,
		MinHold: 300 * time.Millisecond, MaxHold: 400 * time.Millisecond}
}

// hotSeed is the first seed whose first round puts every failpoint fault at a
// failpoint the test load reaches many times a second (not compaction or
// sync ones), so that "it fired" can be asserted without flakiness.
func hotSeed(t *testing.T, nemeses []string) int64 {
	hot := map[store.FailpointName]bool{store.FailAfterSlotAlloc: true, store.FailBetweenContentAndBlock: true,
		store.FailBeforeIndexPublish: true, store.FailGet: true, store.FailGrow: true}
	for seed := int64(1); seed < 1000; seed++ {
		fs, err := Preview(testSchedule(seed, nemeses), len(nemeses))
		if err != nil {
			t.Fatal(err)
		}
		ok := true
		for _, f := range fs {
			if f.Failpoint != "" && !hot[f.Failpoint] {
				ok = false
			}
		}
		if ok {
			return seed
		}
	}
	t.Fatal("no seed below 1000 picks hot failpoints")
	return 0
}

// faultEvents pairs each fault's start and end events, checking their order.
func faultEvents(t *testing.T, events []history.Event) map[string][2]history.Event {
	t.Helper()
	out := map[string][2]history.Event{}
	open := ""
	for i, e := range events {
		if e.Kind != history.KindNemesis {
			continue
		}
		n := e.Nemesis
		switch n.Phase {
		case history.NemesisStart:
			if open != "" {
				t.Fatalf("event %d: %s starts while %s is on", i, n.Fault, open)
			}
			open = n.Fault
			out[n.Fault] = [2]history.Event{e}
		case history.NemesisEnd:
			if open != n.Fault {
				t.Fatalf("event %d: %s ends, but %q was on", i, n.Fault, open)
			}
			open = ""
			p := out[n.Fault]
			p[1] = e
			out[n.Fault] = p
			if n.Restart {
				if i+1 >= len(events) || events[i+1].Kind != history.KindSnapshot || events[i+1].Snapshot.Reason != "restart" {
					t.Fatalf("event %d: restart of %s not followed by a restart snapshot", i, n.Fault)
				}
			}
		}
	}
	if open != "" {
		t.Fatalf("%s never ended", open)
	}
	return out
}

func TestEachNemesisInProcess(t *testing.T) {
	c, tgt := openInProcess(t)
	nemeses := []string{"panic", "sleep", "grow-failure", "compact"}
	events := faultRun(t, tgt, c, nemeses, hotSeed(t, nemeses), 64<<10, time.Second)
	faults := faultEvents(t, events)
	for _, name := range nemeses {
		p, ok := faults[name]
		if !ok || p[1].Nemesis == nil {
			t.Fatalf("%s not recorded: %+v", name, faults)
		}
		if fp := p[0].Nemesis.Target; name != "compact" && p[1].Nemesis.Hits[fp] <= p[0].Nemesis.Hits[fp] {
			t.Errorf("%s at %s never fired (hits %v -> %v)", name, fp, p[0].Nemesis.Hits, p[1].Nemesis.Hits)
		}
		if p[1].Nemesis.Restart {
			t.Errorf("%s restarted an in-process store", name)
		}
	}
	// The load compacts too, so the fault's compaction may find one running.
	if end := faults["compact"][1].Nemesis; (end.Compaction == nil) != strings.Contains(end.Detail, "compaction failed") {
		t.Errorf("compact end event: detail %q, compaction %+v", end.Detail, end.Compaction)
	}
	var panicked, growFailed bool
	for _, e := range events {
		if e.Kind == history.KindOp && e.Type == history.Info && strings.Contains(e.Error, "injected panic") {
			panicked = true
		}
		if e.Kind == history.KindOp && e.Type == history.Fail && strings.Contains(e.Error, "grow") {
			growFailed = true
		}
	}
	if !panicked || !growFailed {
		t.Fatalf("panic ended an op info: %v; grow failure failed a put: %v", panicked, growFailed)
	}
}

func TestEachNemesisProcess(t *testing.T) {
	ps := startChild(t, true)
	tgt := NewChildTarget(ps)
	nemeses := []string{"panic", "sleep", "pause", "kill", "power-loss", "grow-failure", "compact"}
	if err := CheckSupported(nemeses, tgt); err != nil {
		t.Fatal(err)
	}
	// Big contents: the files must grow while grow-failure is on. The
	// operation timeout is below the shortest pause (MinHold), so an
	// operation in flight when SIGSTOP lands must end info "timed out"; with
	// a timeout above MaxHold it would just wait out the pause and the
	// assertion below would depend on machine load.
	opts := testSchedule(0, nemeses)
	events := faultRun(t, tgt, ps.Client(), nemeses, hotSeed(t, nemeses), 64<<10, opts.MinHold/2)
	faults := faultEvents(t, events)
	for _, name := range nemeses {
		p, ok := faults[name]
		if !ok || p[1].Nemesis == nil {
			t.Fatalf("%s not recorded", name)
		}
		restarted := p[1].Nemesis.Restart
		switch name {
		case "kill", "power-loss", "panic":
			if !restarted {
				t.Errorf("%s: end event without Restart: %+v", name, p[1].Nemesis)
			}
		default:
			if restarted {
				t.Errorf("%s restarted the store: %+v", name, p[1].Nemesis)
			}
		}
		if fp := p[0].Nemesis.Target; name == "sleep" || name == "grow-failure" || name == "panic" {
			if p[1].Nemesis.Hits[fp] == 0 {
				t.Errorf("%s at %s never fired: %+v", name, fp, p[1].Nemesis)
			}
		}
	}
	if ps.Restarts() < 3 {
		t.Fatalf("%d restarts, want at least 3 (panic, kill, power-loss)", ps.Restarts())
	}
	if !strings.Contains(faults["power-loss"][1].Nemesis.Detail, "4 KiB pages that differed") {
		t.Errorf("power-loss detail lacks the report: %q", faults["power-loss"][1].Nemesis.Detail)
	}
	var timedOut bool
	for _, e := range events {
		if e.Kind == history.KindOp && e.Type == history.Info && strings.Contains(e.Error, "timed out") {
			timedOut = true
		}
	}
	if !timedOut {
		t.Error("no operation timed out against the paused store")
	}
}

func newRecorder(t *testing.T, c client.Client) (*client.Recorder, string, *history.Writer) {
	t.Helper()
	path := t.TempDir() + "/history.wch"
	hw, err := history.Create(path, history.Header{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := client.NewRecorder(hw, c, client.RecorderOptions{Workers: 1, OpTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return rec, path, hw
}

func readBack(t *testing.T, rec *client.Recorder, hw *history.Writer, path string) []history.Event {
	t.Helper()
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
	if err := history.Validate(events); err != nil {
		t.Fatal(err)
	}
	return events
}

// TestRunRestartsACrashedChild: a child that died outside any fault is
// restarted by Run and the restart is recorded as a "crash" fault with a
// restart snapshot.
func TestRunRestartsACrashedChild(t *testing.T) {
	ps := startChild(t, false)
	rec, path, hw := newRecorder(t, ps.Client())
	ctx := context.Background()
	if _, err := rec.Worker(0).Put(ctx, "a", store.Memory{Content: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	if err := ps.Kill(); err != nil {
		t.Fatal(err)
	}
	sched, err := NewScheduler(ScheduleOptions{Seed: 1, Nemeses: []string{"compact"}, MinGap: time.Millisecond, MaxGap: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(ctx, RunOptions{Target: NewChildTarget(ps), Recorder: rec, Scheduler: sched, MaxFaults: 1})
	if err != nil || sum.Restarts != 1 {
		t.Fatalf("Run: %v, %+v", err, sum)
	}
	if _, l, err := rec.Worker(0).Get(ctx, "a"); err != nil || l != store.Found {
		t.Fatalf("after the crash restart: %v %v", l, err)
	}
	faults := faultEvents(t, readBack(t, rec, hw, path))
	if c, ok := faults["crash"]; !ok || !c[1].Nemesis.Restart {
		t.Fatalf("crash restart not recorded: %+v", faults)
	}
}

// TestCompactRecordsItsResult: the compact fault's end event carries the
// compaction's result, which the checker uses as an epoch's starting size.
func TestCompactRecordsItsResult(t *testing.T) {
	c, tgt := openInProcess(t)
	rec, path, hw := newRecorder(t, c)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "a"} { // the first "a" is orphaned
		if _, err := rec.Worker(0).Put(ctx, id, store.Memory{Content: []byte(id + "-content")}); err != nil {
			t.Fatal(err)
		}
	}
	sched, err := NewScheduler(ScheduleOptions{Seed: 1, Nemeses: []string{"compact"}, MinGap: time.Millisecond, MaxGap: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, RunOptions{Target: tgt, Recorder: rec, Scheduler: sched, MaxFaults: 1}); err != nil {
		t.Fatal(err)
	}
	end := faultEvents(t, readBack(t, rec, hw, path))["compact"][1].Nemesis
	// Reclaimed: the first "a-content" (9 bytes); moved: the live a and b.
	if c := end.Compaction; c == nil || c.Epoch != 1 || c.BytesReclaimed != 9 || c.Moved != 2 || c.BytesBefore-c.BytesAfter != 9 {
		t.Fatalf("compaction result %+v, want epoch 1, 9 bytes reclaimed, 2 moved", c)
	}
}

// TestRunStopsTheFaultInProgressOnCancel: cancelling the run in the middle
// of a pause still resumes the child and records the end.
func TestRunStopsTheFaultInProgressOnCancel(t *testing.T) {
	ps := startChild(t, false)
	rec, path, hw := newRecorder(t, ps.Client())
	sched, err := NewScheduler(ScheduleOptions{Seed: 1, Nemeses: []string{"pause"},
		MinGap: time.Millisecond, MaxGap: time.Millisecond, MinHold: time.Hour, MaxHold: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := Run(ctx, RunOptions{Target: NewChildTarget(ps), Recorder: rec, Scheduler: sched}); err != nil {
		t.Fatal(err)
	}
	// The pause holds for an hour: any bound far below it tells a stopped
	// fault from one waited out, and 30 s is far above a loaded machine's
	// delays.
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("Run took %v after cancel", took)
	}
	if _, err := ps.Client().Stats(context.Background()); err != nil {
		t.Fatalf("store not serving after the run: %v", err)
	}
	faults := faultEvents(t, readBack(t, rec, hw, path))
	if p := faults["pause"]; p[1].Nemesis == nil || !strings.Contains(p[1].Nemesis.Detail, "SIGCONT") {
		t.Fatalf("pause end not recorded: %+v", faults)
	}
}
