package register

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

func contentValue(digest uint64) *history.Value {
	return &history.Value{HasContent: true, ContentDigest: digest, ContentLen: 8}
}

// drawingOf checks events, and returns the drawing of the first invalid
// outcome and that outcome.
func drawingOf(t *testing.T, events []history.Event) (string, *Outcome) {
	t.Helper()
	view := viewForTest(t, events)
	for _, o := range Check(context.Background(), events, view, testConfig()) {
		if o.Verdict() != Invalid {
			continue
		}
		dir := t.TempDir()
		name, err := Visualize(context.Background(), dir, 0, events, view, o, 300)
		if err != nil || name == "" {
			t.Fatalf("visualize: %q %v", name, err)
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b), o
	}
	t.Fatal("no invalid outcome")
	return "", nil
}

// TestVisualizeShowsContext: a get of a value never written has a witness of
// one operation; its drawing also holds the contextAround operations on the
// same memory invoked before it and those after it, and nothing further
// away or on another memory.
func TestVisualizeShowsContext(t *testing.T) {
	const put, get = history.OpPut, history.OpGet
	inv, ok := history.Invoke, history.OK
	var steps []step
	for d := uint64(1); d <= 12; d++ {
		steps = append(steps, step{0, put, "a", inv, contentValue(d)}, step{0, put, "a", ok, nil})
	}
	steps = append(steps, step{1, get, "a", inv, nil}, step{1, get, "a", ok, contentValue(99)})
	for d := uint64(13); d <= 15; d++ {
		steps = append(steps, step{0, put, "a", inv, contentValue(d)}, step{0, put, "a", ok, nil})
	}
	steps = append(steps, step{2, put, "b", inv, contentValue(77)}, step{2, put, "b", ok, nil})
	page, o := drawingOf(t, eventsOf(steps...))
	if len(o.wops) != 1 {
		t.Fatalf("witness has %d operations, want the get alone", len(o.wops))
	}
	shown := func(d uint64) bool { return strings.Contains(page, describeValue(keyOf(*contentValue(d)))) }
	if !shown(99) {
		t.Error("the drawing lacks the violating get")
	}
	for d := uint64(12 - contextAround + 1); d <= 15; d++ {
		if !shown(d) {
			t.Errorf("the drawing lacks the put of %d, %d operations from the violation", d, max(12-d+1, d-12))
		}
	}
	for _, d := range []uint64{1, 12 - contextAround, 77} {
		if shown(d) {
			t.Errorf("the drawing holds the put of %d: too far from the violation or on another memory", d)
		}
	}
	if !strings.Contains(page, "in the violation's witness") {
		t.Error("the drawing does not mark the witness among the context")
	}
}

// TestVisualizeDropsContextThatHidesTheViolation: when the operations added
// as context make the drawn history linearizable, the drawing shows the
// witness alone, so that it always shows the violation.
func TestVisualizeDropsContextThatHidesTheViolation(t *testing.T) {
	const put, get = history.OpPut, history.OpGet
	inv, ok := history.Invoke, history.OK
	events := eventsOf(
		step{0, put, "a", inv, contentValue(1)}, step{0, put, "a", ok, nil},
		step{1, get, "a", inv, nil}, step{1, get, "a", ok, contentValue(2)},
	)
	p := viewForTest(t, events).h.partitions[0]
	witness := []regOp{p.ops[1]}
	// A put of the value read, concurrent with the get: not in this history,
	// but if drawn it would explain the read (its call is a position of its
	// own, as every op's is).
	hiding := regOp{op: put, status: statusOK, process: 2, call: 1, ret: 3, complete: 3, value: keyOf(*contentValue(2)), clampedBy: -1}
	dir := t.TempDir()
	name, err := visualizeWitness(context.Background(), dir, 0, events, p, []regOp{p.ops[0], hiding, p.ops[1]}, witness, nil, 300)
	if err != nil || name == "" {
		t.Fatalf("visualize: %q %v", name, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "put"+describeValue(keyOf(*contentValue(1)))) {
		t.Error("the drawing holds context although the context made it linearizable")
	}
}
