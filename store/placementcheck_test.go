package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/warmcheck/warmcheck/store"
)

// collisionScenario pauses Put "a" at failpoint fp (inside the seeded bug's
// race window when bug is on), then makes Put "b", and returns b's error
// and the store's metrics once both are done.
func collisionScenario(t *testing.T, bug store.Bug, fp store.FailpointName, logs *logBuffer) (error, store.Metrics) {
	t.Helper()
	fps := store.NewFailpoints()
	opts := store.Options{CheckPlacements: true, Failpoints: fps, Logger: logs.logger()}
	if bug != "" {
		opts.Bugs = []store.Bug{bug}
	}
	s := openStore(t, t.TempDir(), opts)
	defer s.Close()
	if err := fps.Arm(fp, store.Action{Kind: store.ActionPause, Times: 1}); err != nil {
		t.Fatal(err)
	}
	a := store.Memory{Content: bytes.Repeat([]byte("a"), 100)}
	b := store.Memory{Content: bytes.Repeat([]byte("b"), 100)}
	aDone := make(chan error, 1)
	go func() { _, err := s.Put("a", a); aDone <- err }()
	waitFor(t, "put a to pause at "+string(fp), func() bool { return fps.Hits()[fp] == 1 })
	bDone := make(chan error, 1)
	go func() { _, err := s.Put("b", b); bDone <- err }()
	var bErr error
	if bug != "" {
		bErr = <-bDone // refused before it reaches anything a holds
	}
	fps.Disarm(fp)
	if err := <-aDone; err != nil {
		t.Fatalf("put a: %v", err)
	}
	if bug == "" {
		bErr = <-bDone
	}
	got, _, err := s.Get("a")
	if err != nil || !bytes.Equal(got.Content, a.Content) {
		t.Fatalf("a lost its content: %q, %v", got.Content, err)
	}
	return bErr, s.Metrics()
}

func TestOnlineCheckRefusesCollisions(t *testing.T) {
	cases := []struct {
		bug   store.Bug
		fp    store.FailpointName // a point inside the bug's race window
		count func(store.Metrics) uint64
	}{
		// a has read the slot counter (not yet incremented) and paused.
		{store.BugSlotRace, store.FailAfterSlotAlloc, func(m store.Metrics) uint64 { return m.SlotCollisions }},
		// a has read the content tail (not yet advanced) and paused growing
		// the content file for its bytes.
		{store.BugContentOffsetRace, store.FailGrow, func(m store.Metrics) uint64 { return m.ContentCollisions }},
	}
	for _, c := range cases {
		t.Run(string(c.bug), func(t *testing.T) {
			var logs logBuffer
			err, m := collisionScenario(t, c.bug, c.fp, &logs)
			if !errors.Is(err, store.ErrPlacementCollision) {
				t.Fatalf("put b: %v, want ErrPlacementCollision", err)
			}
			if n := c.count(m); n != 1 || !m.OnlineCheck {
				t.Fatalf("collision counter %d (check on: %v), want 1", n, m.OnlineCheck)
			}
			if logs.count("online invariant check refused a put") != 1 {
				t.Fatal("no log line for the refused put")
			}
		})
		t.Run(string(c.bug)+"/off", func(t *testing.T) {
			var logs logBuffer
			err, m := collisionScenario(t, "", c.fp, &logs)
			if err != nil || m.SlotCollisions+m.ContentCollisions != 0 {
				t.Fatalf("correct store: put b %v, collisions %d+%d", err, m.SlotCollisions, m.ContentCollisions)
			}
		})
	}
}

// TestOnlineCheckNoFalseAlarm: on the correct store, concurrent puts,
// overwrites, removes, syncs and compactions (called and automatic), and a
// reopen, never trip the check.
func TestOnlineCheckNoFalseAlarm(t *testing.T) {
	dir := t.TempDir()
	opts := store.Options{CheckPlacements: true, AutoCompact: store.AutoCompact{Enabled: true, MinReclaimable: 4 << 10}}
	for round := range 2 {
		s := openStore(t, dir, opts)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for i := range 250 {
					id := fmt.Sprintf("m%03d", r.IntN(120))
					var err error
					switch k := r.IntN(20); {
					case k < 12:
						_, err = s.Put(id, store.Memory{Content: taggedContent(id, r.IntN(600))})
					case k < 17:
						_, err = s.Remove(id)
					case k < 19:
						err = s.Sync()
					case w == 0 && i%50 == 0:
						if _, err = s.Compact(); errors.Is(err, store.ErrCompactionInProgress) {
							err = nil
						}
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
		m := s.Metrics()
		if m.SlotCollisions+m.ContentCollisions != 0 {
			t.Fatalf("round %d: %d slot and %d content collisions on the correct store", round, m.SlotCollisions, m.ContentCollisions)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
