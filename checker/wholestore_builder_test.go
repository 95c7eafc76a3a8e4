package checker

import (
	"context"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// wsb builds histories by hand for the whole-store checks' tests. Each worker
// has one current process; an info completion retires it (process +
// wsbWorkers), as the recorder does.
type wsb struct {
	h      history.Header
	events []history.Event
	t      int64
	proc   map[int32]int64
	open   map[int32]history.Event
}

const wsbWorkers = 100

func newWSB() *wsb {
	return &wsb{h: history.Header{Schema: 1, Seed: 1, Workload: "test", Workers: wsbWorkers, Mode: "inprocess"},
		proc: map[int32]int64{}, open: map[int32]history.Event{}}
}

func (b *wsb) push(e history.Event) int {
	b.t += 1000
	e.Index = uint64(len(b.events))
	e.Time = b.t
	b.events = append(b.events, e)
	return len(b.events) - 1
}

// sleep advances the clock.
func (b *wsb) sleep(ns int64) { b.t += ns }

func (b *wsb) process(w int32) int64 {
	p, ok := b.proc[w]
	if !ok {
		p = int64(w)
		b.proc[w] = p
	}
	return p
}

// inv invokes op on id for worker w.
func (b *wsb) inv(w int32, op history.Op, id string, in *history.Input) int {
	e := history.Event{Kind: history.KindOp, Type: history.Invoke, Process: b.process(w), Worker: w, Op: op, ID: id, Input: in}
	b.open[w] = e
	return b.push(e)
}

// done completes worker w's outstanding op.
func (b *wsb) done(w int32, typ history.Type, out *history.Output) int {
	o := b.open[w]
	delete(b.open, w)
	e := history.Event{Kind: history.KindOp, Type: typ, Process: o.Process, Worker: w, Op: o.Op, ID: o.ID, Output: out}
	if typ != history.OK {
		e.Error = "injected"
		e.Output = nil
	}
	pos := b.push(e)
	if typ == history.Info {
		b.proc[w] = o.Process + wsbWorkers
	}
	return pos
}

func wval(n int) history.Value {
	return history.Value{HasContent: true, ContentDigest: uint64(n)*0x9e3779b97f4a7c15 + 1, ContentLen: 100,
		EmbeddingDigest: uint64(n), Confidence: 0.5, Activation: 0.1}
}

func wpl(slot, off uint64, length uint32, epoch uint64) history.Placement {
	return history.Placement{Slot: slot, Offset: off, Length: length, Epoch: epoch, HasContent: length > 0}
}

// putInv invokes a put of v.
func (b *wsb) putInv(w int32, id string, v history.Value) int {
	return b.inv(w, history.OpPut, id, &history.Input{Value: v})
}

// putOK completes worker w's put with placement p.
func (b *wsb) putOK(w int32, p history.Placement) int {
	return b.done(w, history.OK, &history.Output{Placement: p})
}

// put is a whole sequential ok put.
func (b *wsb) put(w int32, id string, v history.Value, p history.Placement) {
	b.putInv(w, id, v)
	b.putOK(w, p)
}

func (b *wsb) get(w int32, id string, found bool, v history.Value) {
	b.inv(w, history.OpGet, id, nil)
	b.done(w, history.OK, &history.Output{Found: found, Value: v})
}

func (b *wsb) remove(w int32, id string, found bool) {
	b.inv(w, history.OpRemove, id, nil)
	b.done(w, history.OK, &history.Output{Found: found})
}

func (b *wsb) sync(w int32) {
	b.inv(w, history.OpSync, "", nil)
	b.done(w, history.OK, &history.Output{})
}

func (b *wsb) nemesis(fault string, phase history.NemesisPhase, n history.Nemesis) int {
	n.Fault, n.Phase = fault, phase
	return b.push(history.Event{Kind: history.KindNemesis, Type: history.Info, Process: -1, Nemesis: &n})
}

func (b *wsb) snapshot(reason string, st *history.Stats, layout ...history.Entry) int {
	return b.push(history.Event{Kind: history.KindSnapshot, Type: history.Info, Process: -1,
		Snapshot: &history.Snapshot{Reason: reason, Stats: st, Layout: layout}})
}

func wentry(id string, v history.Value, p history.Placement) history.Entry {
	return history.Entry{ID: id, Value: v, Placement: p}
}

func (b *wsb) input() *Input { return &Input{Header: b.h, Events: b.events} }

// runWS runs one check over b's history.
func runWS(t *testing.T, c Check, b *wsb) Result {
	t.Helper()
	r := runOne(context.Background(), c, b.input())
	t.Logf("%s: %s: %s", c.Name(), r.Verdict, r.Summary)
	if r.Explanation != "" {
		t.Logf("explanation:\n%s", r.Explanation)
	}
	return r
}

func wantWS(t *testing.T, r Result, want Verdict) {
	t.Helper()
	if r.Verdict != want {
		t.Fatalf("%s: verdict %s, want %s (summary: %s)\n%s", r.Name, r.Verdict, want, r.Summary, r.Explanation)
	}
}
