package client

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// fakeClient is a linearizable in-memory Client for recorder tests (the
// real store is tested through InProcess). hook, when set, runs inside
// every call while the lock is not held and may panic, sleep, or block on ctx.
type fakeClient struct {
	mu   sync.Mutex
	mems map[string]store.Memory
	slot uint64
	hook func(ctx context.Context, op history.Op, id string) error
}

func newFake() *fakeClient { return &fakeClient{mems: map[string]store.Memory{}} }

func (f *fakeClient) before(ctx context.Context, op history.Op, id string) error {
	if f.hook != nil {
		return f.hook(ctx, op, id)
	}
	return nil
}

func (f *fakeClient) Put(ctx context.Context, id string, m store.Memory) (store.Placement, error) {
	if id == "" || strings.HasPrefix(id, "bad:") {
		return store.Placement{}, store.ErrBadID
	}
	if err := f.before(ctx, history.OpPut, id); err != nil {
		return store.Placement{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mems[id] = m
	f.slot++
	return store.Placement{Slot: f.slot, HasContent: m.Content != nil, Length: uint32(len(m.Content))}, nil
}

func (f *fakeClient) Get(ctx context.Context, id string) (store.Memory, store.Lookup, error) {
	if err := f.before(ctx, history.OpGet, id); err != nil {
		return store.Memory{}, store.Missing, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.mems[id]
	if !ok {
		return store.Memory{}, store.Missing, nil
	}
	return m, store.Found, nil
}

func (f *fakeClient) Remove(ctx context.Context, id string) (store.Lookup, error) {
	if err := f.before(ctx, history.OpRemove, id); err != nil {
		return store.Missing, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.mems[id]
	delete(f.mems, id)
	if ok {
		return store.Found, nil
	}
	return store.Missing, nil
}

func (f *fakeClient) UpdateActivation(ctx context.Context, id string, v float32) (store.Lookup, error) {
	if err := f.before(ctx, history.OpUpdateActivation, id); err != nil {
		return store.Missing, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.mems[id]
	if !ok {
		return store.Missing, nil
	}
	m.Activation = v
	f.mems[id] = m
	return store.Found, nil
}

func (f *fakeClient) Iterate(ctx context.Context) ([]history.Entry, error) {
	if err := f.before(ctx, history.OpIterate, ""); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	es := []history.Entry{}
	for id, m := range f.mems {
		es = append(es, history.Entry{ID: id, Value: ValueOf(m)})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].ID < es[j].ID })
	return es, nil
}

func (f *fakeClient) Recall(ctx context.Context, threshold float32) ([]history.Entry, error) {
	if err := f.before(ctx, history.OpRecall, ""); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	es := []history.Entry{}
	for id, m := range f.mems {
		if m.Confidence >= threshold {
			es = append(es, RecallEntry(store.RecallHit{ID: id, Confidence: m.Confidence, Content: m.Content}))
		}
	}
	return es, nil
}

func (f *fakeClient) Compact(ctx context.Context) (store.CompactionStats, error) {
	return store.CompactionStats{Epoch: 1}, f.before(ctx, history.OpCompact, "")
}
func (f *fakeClient) Sync(ctx context.Context) error { return f.before(ctx, history.OpSync, "") }
func (f *fakeClient) Stats(ctx context.Context) (store.Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return store.Stats{Live: uint64(len(f.mems))}, nil
}
func (f *fakeClient) Layout(ctx context.Context) ([]store.LayoutEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var l []store.LayoutEntry
	for id, m := range f.mems {
		l = append(l, store.LayoutEntry{ID: id, ContentDigest: history.Digest(m.Content), Placement: store.Placement{HasContent: m.Content != nil, Length: uint32(len(m.Content))}})
	}
	return l, nil
}
func (f *fakeClient) Close() error { return nil }

// memSink keeps events in memory.
type memSink struct {
	mu      sync.Mutex
	events  []history.Event
	flushes int
	failAt  int // Append fails on this event number (1-based); 0 never
}

func (s *memSink) Append(e history.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAt > 0 && len(s.events)+1 == s.failAt {
		return fmt.Errorf("sink full")
	}
	s.events = append(s.events, e)
	return nil
}

func (s *memSink) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushes++
	return nil
}

func (s *memSink) snapshot() []history.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]history.Event(nil), s.events...)
}

// checkWellFormed is the test's own statement of the recorder's promises
// (independent of history.Validate, which is tested by its own package):
// indices 0,1,2,...; times never go backwards; every completion closes the
// one outstanding invoke of its process with the same op and id; a process
// never has two outstanding invokes; a process retired by info never invokes
// again; process ids map to their worker (process % workers == worker).
func checkWellFormed(events []history.Event, workers int) error {
	type pending struct {
		op history.Op
		id string
	}
	open := map[int64]pending{}
	retired := map[int64]bool{}
	var last int64
	for i, e := range events {
		if e.Index != uint64(i) {
			return fmt.Errorf("event %d has index %d", i, e.Index)
		}
		if e.Time < last {
			return fmt.Errorf("event %d: time %d before %d", i, e.Time, last)
		}
		last = e.Time
		if e.Kind != history.KindOp {
			continue
		}
		if e.Process%int64(workers) != int64(e.Worker) {
			return fmt.Errorf("event %d: process %d is not worker %d's", i, e.Process, e.Worker)
		}
		if e.Type == history.Invoke {
			if retired[e.Process] {
				return fmt.Errorf("event %d: retired process %d invokes", i, e.Process)
			}
			if _, ok := open[e.Process]; ok {
				return fmt.Errorf("event %d: process %d has two outstanding invokes", i, e.Process)
			}
			open[e.Process] = pending{e.Op, e.ID}
			continue
		}
		p, ok := open[e.Process]
		if !ok || p.op != e.Op || p.id != e.ID {
			return fmt.Errorf("event %d: completion without matching invoke", i)
		}
		delete(open, e.Process)
		if e.Type == history.Info {
			retired[e.Process] = true
		}
		if e.Type == history.OK && e.Output == nil {
			return fmt.Errorf("event %d: ok without output", i)
		}
		if e.Type != history.OK && e.Error == "" {
			return fmt.Errorf("event %d: %v completion without error text", i, e.Type)
		}
	}
	return nil
}

// bounded runs the fake's calls through call(), as InProcess does with the
// store, so that hung calls end at the deadline.
type bounded struct{ f *fakeClient }

func (b bounded) Put(ctx context.Context, id string, m store.Memory) (store.Placement, error) {
	return call(&InProcess{}, ctx, func() (store.Placement, error) { return b.f.Put(ctx, id, m) })
}
func (b bounded) Get(ctx context.Context, id string) (store.Memory, store.Lookup, error) {
	r, err := call(&InProcess{}, ctx, func() (memLookup, error) {
		m, l, err := b.f.Get(ctx, id)
		return memLookup{m, l}, err
	})
	return r.m, r.l, err
}
func (b bounded) Remove(ctx context.Context, id string) (store.Lookup, error) {
	return call(&InProcess{}, ctx, func() (store.Lookup, error) { return b.f.Remove(ctx, id) })
}
func (b bounded) UpdateActivation(ctx context.Context, id string, v float32) (store.Lookup, error) {
	return call(&InProcess{}, ctx, func() (store.Lookup, error) { return b.f.UpdateActivation(ctx, id, v) })
}
func (b bounded) Iterate(ctx context.Context) ([]history.Entry, error) {
	return call(&InProcess{}, ctx, func() ([]history.Entry, error) { return b.f.Iterate(ctx) })
}
func (b bounded) Recall(ctx context.Context, t float32) ([]history.Entry, error) {
	return call(&InProcess{}, ctx, func() ([]history.Entry, error) { return b.f.Recall(ctx, t) })
}
func (b bounded) Compact(ctx context.Context) (store.CompactionStats, error) { return b.f.Compact(ctx) }
func (b bounded) Sync(ctx context.Context) error                             { return b.f.Sync(ctx) }
func (b bounded) Stats(ctx context.Context) (store.Stats, error)             { return b.f.Stats(ctx) }
func (b bounded) Layout(ctx context.Context) ([]store.LayoutEntry, error)    { return b.f.Layout(ctx) }
func (b bounded) Close() error                                               { return nil }
