package warmtest_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/warmcheck/warmcheck/warmtest"
)

// mapStore is the smallest correct warm-tier store: a map behind a mutex.
// Every call takes the lock for its whole effect, so every call is atomic.
type mapStore struct {
	mu   sync.RWMutex
	mems map[string]warmtest.Memory
}

func newMapStore() *mapStore { return &mapStore{mems: map[string]warmtest.Memory{}} }

// clone copies m's slices: a caller must never share the store's memory.
func clone(m warmtest.Memory) warmtest.Memory {
	m.Content = cloneBytes(m.Content)
	m.Embedding = slices.Clone(m.Embedding)
	return m
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func (s *mapStore) Put(_ context.Context, id string, m warmtest.Memory) error {
	now := time.Now().UnixNano()
	if m.CreatedAt == 0 {
		m.CreatedAt = now
	}
	if m.LastAccess == 0 {
		m.LastAccess = now
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mems[id] = clone(m)
	return nil
}

func (s *mapStore) Get(_ context.Context, id string) (warmtest.Memory, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.mems[id]
	if !ok {
		return warmtest.Memory{}, warmtest.ErrNotFound
	}
	return clone(m), nil
}

func (s *mapStore) Remove(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.mems[id]; !ok {
		return warmtest.ErrNotFound
	}
	delete(s.mems, id)
	return nil
}

func (s *mapStore) UpdateActivation(_ context.Context, id string, activation float32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.mems[id]
	if !ok {
		return warmtest.ErrNotFound
	}
	m.Activation, m.LastAccess = activation, time.Now().UnixNano()
	s.mems[id] = m
	return nil
}

func (s *mapStore) Iterate(_ context.Context, visit func(string, warmtest.Memory) bool) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for id, m := range s.mems {
		if !visit(id, clone(m)) {
			break
		}
	}
	return nil
}

func (s *mapStore) Recall(_ context.Context, threshold float32) ([]warmtest.RecallHit, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var hits []warmtest.RecallHit
	for id, m := range s.mems {
		if m.Confidence >= threshold {
			hits = append(hits, warmtest.RecallHit{ID: id, Confidence: m.Confidence, Content: cloneBytes(m.Content)})
		}
	}
	return hits, nil
}

func (s *mapStore) Compact(context.Context) error { return nil }
func (s *mapStore) Sync(context.Context) error    { return nil }

// Run a workload against a store and read the verdict. In a test,
// warmtest.Check(t, store, cfg) does the same and fails the test with the
// counterexample unless the verdict is valid.
func ExampleRun() {
	res, err := warmtest.Run(context.Background(), newMapStore(), warmtest.Config{
		Name: "mapstore", Workload: "mixed", Seed: 1, Ops: 2000, Nemeses: []string{"compact"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Verdict)
	for _, c := range res.Report().Checks {
		if c.Name == "linearizable" || c.Name == "unique-slots" {
			fmt.Println(c.Name, c.Verdict)
		}
	}
	// Output:
	// valid
	// linearizable valid
	// unique-slots not-evaluated
}
