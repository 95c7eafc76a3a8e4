package warmtest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/warmcheck/warmcheck/warmtest"
)

// lostUpdateStore is mapStore with the classic lost update: UpdateActivation
// reads the record, lets go of the lock, and writes the whole record back.
// A Put (or Remove) of the same id in between is undone: its content is
// replaced by the older one (or the removed memory comes back).
type lostUpdateStore struct{ *mapStore }

// lostUpdateWindow holds the lock-free gap open long enough that, with many
// workers on few ids, some Put lands in it in every run.
const lostUpdateWindow = 200 * time.Microsecond

func (s lostUpdateStore) UpdateActivation(_ context.Context, id string, activation float32) error {
	s.mu.RLock()
	m, ok := s.mems[id]
	s.mu.RUnlock()
	if !ok {
		return warmtest.ErrNotFound
	}
	time.Sleep(lostUpdateWindow)
	m.Activation, m.LastAccess = activation, time.Now().UnixNano()
	s.mu.Lock()
	s.mems[id] = m
	s.mu.Unlock()
	return nil
}

// staleReadStore is mapStore with a read cache that a Put does not
// invalidate: a Get after an overwrite returns the value read before it.
type staleReadStore struct {
	*mapStore
	cache map[string]warmtest.Memory // under mapStore.mu
}

func newStaleReadStore() *staleReadStore {
	return &staleReadStore{mapStore: newMapStore(), cache: map[string]warmtest.Memory{}}
}

func (s *staleReadStore) Get(_ context.Context, id string) (warmtest.Memory, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.cache[id]; ok {
		return clone(m), nil
	}
	m, ok := s.mems[id]
	if !ok {
		return warmtest.Memory{}, warmtest.ErrNotFound
	}
	s.cache[id] = m
	return clone(m), nil
}

func (s *staleReadStore) Remove(ctx context.Context, id string) error {
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
	return s.mapStore.Remove(ctx, id)
}

// placingStore is mapStore with the Placer capability: every put takes a
// fresh slot and appends its content after the last, under the lock.
type placingStore struct {
	*mapStore
	nextSlot, nextOffset uint64 // under mapStore.mu
	// racySlot reads the slot counter before taking the lock and bumps it
	// after: two puts at once get one slot (the built-in store's seeded
	// slot-race).
	racySlot bool
}

func (s *placingStore) PutPlaced(ctx context.Context, id string, m warmtest.Memory) (warmtest.Placement, error) {
	var slot uint64
	if s.racySlot {
		s.mu.RLock()
		slot = s.nextSlot
		s.mu.RUnlock()
		time.Sleep(lostUpdateWindow)
	}
	if err := s.mapStore.Put(ctx, id, m); err != nil {
		return warmtest.Placement{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.racySlot {
		slot = s.nextSlot
	}
	s.nextSlot++
	p := warmtest.Placement{Slot: slot, Offset: s.nextOffset, Length: uint32(len(m.Content))}
	s.nextOffset += uint64(len(m.Content))
	return p, nil
}

// rejectingStore refuses every put of an id ending in 7 (ErrRejected);
// with applyRejected it stores the memory all the same: a rejection that
// lies, which the checks must catch, since a failed put never happened.
type rejectingStore struct {
	*mapStore
	applyRejected bool
}

func (s rejectingStore) Put(ctx context.Context, id string, m warmtest.Memory) error {
	if id[len(id)-1] != '7' {
		return s.mapStore.Put(ctx, id, m)
	}
	if s.applyRejected {
		_ = s.mapStore.Put(ctx, id, m)
	}
	return fmt.Errorf("put %q: %w", id, warmtest.ErrRejected)
}

// flakyStore is a correct mapStore whose calls sometimes panic (before
// changing anything) or hang ignoring their context until released: a
// store that misbehaves without breaking a guarantee.
type flakyStore struct {
	*mapStore
	release       <-chan struct{}
	panics, hangs atomic.Int64
}

// Gets of ids ending in 3 panic, of ids ending in 4 hang.
func (s *flakyStore) Get(ctx context.Context, id string) (warmtest.Memory, error) {
	switch id[len(id)-1] {
	case '3':
		s.panics.Add(1)
		panic("flaky store: get " + id)
	case '4':
		s.hangs.Add(1)
		<-s.release
	}
	return s.mapStore.Get(ctx, id)
}
