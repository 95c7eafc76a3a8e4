package checker

import (
	"context"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// hb builds a history by hand; every call appends one event at the next
// time step.
type hb struct {
	events []history.Event
}

func (b *hb) add(e history.Event) *hb {
	e.Index = uint64(len(b.events))
	e.Time = int64(len(b.events)) * 1000
	b.events = append(b.events, e)
	return b
}

func val(n uint64) history.Value {
	return history.Value{HasContent: true, ContentDigest: n, ContentLen: 8, Activation: 0.5}
}

func (b *hb) invPut(p int64, id string, v history.Value) *hb {
	return b.add(history.Event{Kind: history.KindOp, Type: history.Invoke, Process: p, Op: history.OpPut, ID: id, Input: &history.Input{Value: v}})
}

func (b *hb) inv(p int64, op history.Op, id string) *hb {
	return b.add(history.Event{Kind: history.KindOp, Type: history.Invoke, Process: p, Op: op, ID: id})
}

func (b *hb) invUA(p int64, id string, a float32) *hb {
	return b.add(history.Event{Kind: history.KindOp, Type: history.Invoke, Process: p, Op: history.OpUpdateActivation, ID: id, Input: &history.Input{Activation: a}})
}

func (b *hb) ok(p int64, op history.Op, id string) *hb {
	return b.add(history.Event{Kind: history.KindOp, Type: history.OK, Process: p, Op: op, ID: id, Output: &history.Output{}})
}

func (b *hb) okFound(p int64, op history.Op, id string, found bool) *hb {
	return b.add(history.Event{Kind: history.KindOp, Type: history.OK, Process: p, Op: op, ID: id, Output: &history.Output{Found: found}})
}

func (b *hb) okGet(p int64, id string, v *history.Value) *hb {
	out := &history.Output{}
	if v != nil {
		out.Found, out.Value = true, *v
	}
	return b.add(history.Event{Kind: history.KindOp, Type: history.OK, Process: p, Op: history.OpGet, ID: id, Output: out})
}

func (b *hb) end(p int64, t history.Type, op history.Op, id string) *hb {
	return b.add(history.Event{Kind: history.KindOp, Type: t, Process: p, Op: op, ID: id, Error: "boom"})
}

// put is a complete, non-overlapping ok put.
func (b *hb) put(p int64, id string, v history.Value) *hb {
	return b.invPut(p, id, v).ok(p, history.OpPut, id)
}

func (b *hb) get(p int64, id string, v *history.Value) *hb {
	return b.inv(p, history.OpGet, id).okGet(p, id, v)
}

func (b *hb) crash(layout ...history.Entry) *hb {
	b.add(history.Event{Kind: history.KindNemesis, Type: history.Info, Nemesis: &history.Nemesis{Fault: "kill", Phase: history.NemesisStart, Target: "store"}})
	b.add(history.Event{Kind: history.KindNemesis, Type: history.Info, Nemesis: &history.Nemesis{Fault: "kill", Phase: history.NemesisEnd, Target: "store", Restart: true}})
	return b.add(history.Event{Kind: history.KindSnapshot, Type: history.Info, Snapshot: &history.Snapshot{Reason: "restart", Layout: layout}})
}

func ptr(v history.Value) *history.Value { return &v }

func testCheck() *linearizableCheck {
	c := newLinearizableCheck().(*linearizableCheck)
	c.engine.PartitionTimeout = 10 * time.Second
	c.engine.MinimizeBudget = 5 * time.Second
	return c
}

func runLinear(t testing.TB, c *linearizableCheck, events []history.Event) Result {
	t.Helper()
	return c.Run(context.Background(), &Input{Events: events})
}
