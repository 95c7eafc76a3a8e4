package register

import (
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// TestGreedyOrderDecidesRemovesAndUpdates: the greedy construction, the
// fallback when the search-first path runs out of budget, builds a replaying
// order on its own for a partition with removes and update-activations
// (the checker's TestLinearizableGreedyOrderDecidesRemovesAndUpdates runs
// the same history through the whole check).
func TestGreedyOrderDecidesRemovesAndUpdates(t *testing.T) {
	const (
		put = history.OpPut
		get = history.OpGet
		rm  = history.OpRemove
		ua  = history.OpUpdateActivation
	)
	val := func(n uint64) history.Value {
		return history.Value{HasContent: true, ContentDigest: n, ContentLen: 8, Activation: 0.5}
	}
	var events []history.Event
	add := func(e history.Event) {
		e.Index, e.Time = uint64(len(events)), int64(len(events))*1000
		events = append(events, e)
	}
	inv := func(p int64, op history.Op, in *history.Input) {
		add(history.Event{Kind: history.KindOp, Type: history.Invoke, Process: p, Op: op, ID: "a", Input: in})
	}
	ok := func(p int64, op history.Op, out *history.Output) {
		add(history.Event{Kind: history.KindOp, Type: history.OK, Process: p, Op: op, ID: "a", Output: out})
	}
	found := func(v *history.Value) *history.Output {
		if v == nil {
			return &history.Output{}
		}
		return &history.Output{Found: true, Value: *v}
	}
	v1, v2 := val(1), val(2)
	v2.Activation = 0.75
	inv(0, put, &history.Input{Value: v1})
	ok(0, put, &history.Output{})
	inv(0, rm, nil)
	inv(1, get, nil)
	ok(0, rm, &history.Output{Found: true})
	ok(1, get, found(&v1))
	inv(1, get, nil)
	ok(1, get, found(nil))
	inv(0, put, &history.Input{Value: val(2)})
	inv(1, ua, &history.Input{Activation: 0.75})
	ok(1, ua, &history.Output{Found: true})
	ok(0, put, &history.Output{})
	inv(2, get, nil)
	ok(2, get, found(&v2))
	inv(2, rm, nil)
	ok(2, rm, &history.Output{Found: true})
	inv(0, ua, &history.Input{Activation: 0.6})
	ok(0, ua, &history.Output{Found: false})

	h, err := extractRegister(events)
	if err != nil {
		t.Fatal(err)
	}
	p := h.partitions[0]
	ops, _ := prune(p)
	if order, ok := linearizeGreedy(p, ops); !ok || !verifyOrder(p.initial, ops, order) {
		t.Fatalf("greedy construction failed (ok %v, order %v)", ok, order)
	}
	// The same history with the last update-activation finding the memory
	// (it was removed just before, so no order exists): greedy must not
	// produce an order that replays.
	events[len(events)-1].Output = &history.Output{Found: true}
	h, err = extractRegister(events)
	if err != nil {
		t.Fatal(err)
	}
	p = h.partitions[0]
	ops, _ = prune(p)
	if order, ok := linearizeGreedy(p, ops); ok && verifyOrder(p.initial, ops, order) {
		t.Fatalf("greedy built a replaying order for a history with no linearization: %v", order)
	}
}
