package register

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// eventsOf builds a history from (process, op, id, type, value) steps: an
// invoke carries the value as a put's input; an ok get carries it as found
// output (nil: not found).
type step struct {
	p   int64
	op  history.Op
	id  string
	typ history.Type
	v   *history.Value
}

func eventsOf(steps ...step) []history.Event {
	out := make([]history.Event, len(steps))
	for i, s := range steps {
		e := history.Event{Index: uint64(i), Time: int64(i) * 1000, Kind: history.KindOp, Type: s.typ, Process: s.p, Op: s.op, ID: s.id}
		switch {
		case s.typ == history.Invoke && s.op == history.OpPut:
			e.Input = &history.Input{Value: *s.v}
		case s.typ == history.OK:
			e.Output = &history.Output{}
			if s.v != nil {
				e.Output.Found, e.Output.Value = true, *s.v
			}
		}
		out[i] = e
	}
	return out
}

// TestAPIJudgesEachPartition goes through the package's entry points only
// (NewView, Check, Outcome, Visualize): memory "a" reads a value that was
// overwritten before the read began (not linearizable), memory "b" is fine.
func TestAPIJudgesEachPartition(t *testing.T) {
	v1 := history.Value{HasContent: true, ContentDigest: 1, ContentLen: 8}
	v2 := history.Value{HasContent: true, ContentDigest: 2, ContentLen: 8}
	const put, get = history.OpPut, history.OpGet
	inv, ok := history.Invoke, history.OK
	events := eventsOf(
		step{0, put, "a", inv, &v1}, step{0, put, "a", ok, nil},
		step{0, put, "a", inv, &v2}, step{0, put, "a", ok, nil},
		step{1, get, "a", inv, nil}, step{1, get, "a", ok, &v1},
		step{2, put, "b", inv, &v1}, step{2, put, "b", ok, nil},
		step{2, get, "b", inv, nil}, step{2, get, "b", ok, &v1},
	)
	view := viewForTest(t, events)
	if view.Partitions() != 2 || view.Epochs() != 1 {
		t.Fatalf("view: %d partitions, %d epochs", view.Partitions(), view.Epochs())
	}
	outcomes := Check(context.Background(), events, view, testConfig())
	if len(outcomes) != 2 {
		t.Fatalf("%d outcomes", len(outcomes))
	}
	a, b := outcomes[0], outcomes[1]
	if a.Name() != `memory "a"` || a.Verdict() != Invalid || len(a.Witness()) == 0 || !strings.Contains(a.Explanation(), `memory "a"`) {
		t.Fatalf("a: %s %s witness %v\n%s", a.Name(), a.Verdict(), a.Witness(), a.Explanation())
	}
	if a.Last() != a.Witness()[len(a.Witness())-1] {
		t.Fatalf("a: last %d, witness %v", a.Last(), a.Witness())
	}
	if b.Name() != `memory "b"` || b.Verdict() != Valid || b.Decision() != ByZones || b.Ops() != 2 {
		t.Fatalf("b: %s %s by %s, %d ops", b.Name(), b.Verdict(), b.Decision(), b.Ops())
	}
	dir := t.TempDir()
	name, err := Visualize(context.Background(), dir, 0, events, view, a, 300)
	if err != nil || name == "" {
		t.Fatalf("visualize: %q %v", name, err)
	}
	if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	if name, err := Visualize(context.Background(), dir, 1, events, view, b, 300); name != "" || err != nil {
		t.Fatalf("a valid partition has nothing to draw: %q %v", name, err)
	}
}

// TestAPIMalformedWrapsSentinel: a put invoked without its input cannot be
// read as a register operation; NewView says so with ErrMalformed, naming
// the event.
func TestAPIMalformedWrapsSentinel(t *testing.T) {
	events := []history.Event{{Index: 7, Kind: history.KindOp, Type: history.Invoke, Process: 0, Op: history.OpPut, ID: "a"}}
	x, err := pairForTest(events)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewView(events, x)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "event 7") {
		t.Fatalf("err = %v", err)
	}
}
