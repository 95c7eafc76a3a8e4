package store

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"
)

// within fails the test if f does not return within d (a lock left held).
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not finish within %v (lock left held?)", what, d)
	}
}

// catch runs f and returns the InjectedPanic it raised, if any.
func catch(f func()) (p *InjectedPanic, other any) {
	defer func() {
		if r := recover(); r != nil {
			if ip, ok := r.(InjectedPanic); ok {
				p = &ip
				return
			}
			other = r
		}
	}()
	f()
	return nil, nil
}

// reach performs the operation that passes failpoint name.
func reach(s *Store, name FailpointName) {
	switch name {
	case FailRemove:
		s.Remove("k1")
	case FailUpdateActivation:
		s.UpdateActivation("k1", 9)
	case FailGet:
		s.Get("k1")
	case FailCompactStart, FailCompactMid:
		s.Compact()
	case FailSyncMid:
		s.Put("k1", Memory{Content: []byte("k1-new")}) // leaves k1's old slot pending
		s.Sync()
	default:
		s.Put("k1", Memory{Content: []byte("k1-new")})
	}
}

func TestFailpointPanicLeavesStoreUsable(t *testing.T) {
	for _, fi := range AllFailpoints() {
		if fi.Name == FailRecovery || fi.Name == FailGrow {
			continue // tested below: they fire in Open and in growth
		}
		t.Run(string(fi.Name), func(t *testing.T) {
			fps := NewFailpoints()
			s := mustOpen(t, t.TempDir(), Options{Failpoints: fps, GroupCommit: -1})
			for i := range 20 {
				if _, err := s.Put(fmt.Sprint("k", i), Memory{Content: []byte(fmt.Sprint("k", i))}); err != nil {
					t.Fatal(err)
				}
			}
			s.Remove("k2") // something to reclaim
			if err := fps.Arm(fi.Name, Action{Kind: ActionPanic, Times: 1}); err != nil {
				t.Fatal(err)
			}
			p, other := catch(func() { reach(s, fi.Name) })
			if other != nil {
				t.Fatalf("non-injected panic: %v", other)
			}
			if p == nil || p.Point != fi.Name {
				t.Fatalf("no injected panic at %s (got %v, hits %v)", fi.Name, p, fps.Hits())
			}
			if fps.Hits()[fi.Name] != 1 {
				t.Fatalf("hits %v", fps.Hits())
			}
			within(t, 10*time.Second, "operations after the panic", func() {
				for i := range 20 {
					id := fmt.Sprint("k", i)
					m, l, err := s.Get(id)
					if err != nil {
						t.Errorf("Get(%s): %v", id, err)
						continue
					}
					if l == Found && string(m.Content) != id && string(m.Content) != id+"-new" {
						t.Errorf("Get(%s) = %q", id, m.Content)
					}
				}
				if _, err := s.Put("after", Memory{Content: []byte("after")}); err != nil {
					t.Error(err)
				}
				s.Remove("k3")
				s.UpdateActivation("k4", 1)
				if err := s.Sync(); err != nil {
					t.Error(err)
				}
				if _, err := s.Compact(); err != nil {
					t.Error(err)
				}
				if err := s.Sync(); err != nil {
					t.Error(err)
				}
			})
			if m := mustGet(t, s, "after"); string(m.Content) != "after" {
				t.Fatalf("after = %q", m.Content)
			}
			// Layout and Stats still agree after the panic.
			lay, err := s.Layout()
			if err != nil {
				t.Fatal(err)
			}
			var live uint64
			for _, e := range lay {
				live += uint64(e.Placement.Length)
			}
			if st := s.Stats(); st.Live != uint64(len(lay)) || st.ContentBytesLive != live {
				t.Fatalf("stats %+v vs layout %d entries, %d bytes", st, len(lay), live)
			}
		})
	}
}

func TestFailpointRecoveryPanicAndError(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	s.Put("a", Memory{Content: []byte("a")})
	s.Close()
	fps := NewFailpoints()
	fps.Arm(FailRecovery, Action{Kind: ActionPanic, Times: 1})
	p, other := catch(func() { Open(dir, Options{Failpoints: fps}) })
	if p == nil || other != nil {
		t.Fatalf("recovery panic: %v %v", p, other)
	}
	fps.Arm(FailRecovery, Action{Kind: ActionError, Times: 1})
	if _, err := Open(dir, Options{Failpoints: fps}); !errors.Is(err, ErrInjected) {
		t.Fatalf("Open with recovery error: %v", err)
	}
	s = mustOpen(t, dir, Options{Failpoints: fps}) // Times exhausted
	if m := mustGet(t, s, "a"); string(m.Content) != "a" {
		t.Fatal("lost a")
	}
}

func TestFailpointGrowError(t *testing.T) {
	fps := NewFailpoints()
	s := mustOpen(t, t.TempDir(), Options{Failpoints: fps, GroupCommit: -1})
	fps.Arm(FailGrow, Action{Kind: ActionError})
	_, err := s.Put("big", Memory{Content: make([]byte, 3<<20)})
	if !errors.Is(err, ErrGrowFailed) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Put under grow failure: %v", err)
	}
	if _, l, _ := s.Get("big"); l != Missing {
		t.Fatal("failed Put visible")
	}
	if st := s.Stats(); st.Live != 0 || st.ContentBytesLive != 0 {
		t.Fatalf("failed Put counted: %+v", st)
	}
	fps.Disarm(FailGrow)
	if _, err := s.Put("big", Memory{Content: make([]byte, 3<<20)}); err != nil {
		t.Fatalf("Put after the disk has room again: %v", err)
	}
	if st := s.Stats(); st.Live != 1 || st.ContentBytesLive != 3<<20 {
		t.Fatalf("stats %+v", st)
	}
	if fps.Hits()[FailGrow] == 0 {
		t.Fatal("grow failpoint never hit")
	}
}

func TestFailpointPauseReleaseSleepTimes(t *testing.T) {
	fps := NewFailpoints()
	s := mustOpen(t, t.TempDir(), Options{Failpoints: fps})
	if err := fps.Arm("no-such", Action{Kind: ActionPanic}); !errors.Is(err, ErrUnknownFailpoint) {
		t.Fatal(err)
	}
	fps.Arm(FailAfterSlotAlloc, Action{Kind: ActionPause})
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() { defer wg.Done(); s.Put("p", Memory{}); close(done) }()
	for fps.Hits()[FailAfterSlotAlloc] == 0 {
		time.Sleep(time.Millisecond)
	}
	select {
	case <-done:
		t.Fatal("paused Put finished before Release")
	case <-time.After(50 * time.Millisecond):
	}
	fps.Release(FailAfterSlotAlloc)
	within(t, 5*time.Second, "released Put", func() { wg.Wait() })
	fps.Disarm(FailAfterSlotAlloc)

	fps.Arm(FailGet, Action{Kind: ActionSleep, Delay: 30 * time.Millisecond, Times: 2})
	t0 := time.Now()
	for range 4 {
		s.Get("p")
	}
	if d := time.Since(t0); d < 60*time.Millisecond {
		t.Fatalf("sleep failpoint slept %v", d)
	}
	if h := fps.Hits()[FailGet]; h != 2 {
		t.Fatalf("Times 2 fired %d times", h)
	}
}

// A Put that fails after its block was written must never reappear, not
// even after a kill and a power cut.
func TestFailedPutNeverResurrects(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		dir := t.TempDir()
		fps := NewFailpoints()
		s := mustOpen(t, dir, Options{Failpoints: fps, GroupCommit: -1, DurableImage: true})
		s.Put("other", Memory{Content: []byte("o")})
		s.Sync()
		fps.Arm(FailBeforeIndexPublish, Action{Kind: ActionError, Times: 1})
		if _, err := s.Put("x", Memory{Content: []byte("never")}); !errors.Is(err, ErrInjected) {
			t.Fatalf("Put = %v", err)
		}
		s.abandon()
		if _, err := SimulatePowerLoss(dir, seed); err != nil {
			t.Fatal(err)
		}
		s2 := mustOpen(t, dir, Options{})
		if _, l, _ := s2.Get("x"); l != Missing {
			t.Fatalf("seed %d: failed Put resurrected", seed)
		}
		if m := mustGet(t, s2, "other"); string(m.Content) != "o" {
			t.Fatal("synced memory lost")
		}
	}
}

// The same at the point where it matters: the record of the failed Put was
// already durable (a Sync ran while it was in flight) when the Put failed.
func TestAbortedPutFreedDurably(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		dir := t.TempDir()
		s := mustOpen(t, dir, Options{GroupCommit: -1, DurableImage: true})
		slot, err := s.allocSlot()
		if err != nil {
			t.Fatal(err)
		}
		h := recordHeader{seq: s.seq.Add(1)}
		s.writeBlock(slot, "x", &h, nil)
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		s.abortPut(&putState{slot: slot, allocated: true, written: true})
		s.abandon()
		if _, err := SimulatePowerLoss(dir, seed); err != nil {
			t.Fatal(err)
		}
		s2 := mustOpen(t, dir, Options{})
		if _, l, _ := s2.Get("x"); l != Missing {
			t.Fatalf("seed %d: aborted Put resurrected by a power cut", seed)
		}
	}
}

// A failed growth leaves the content tail past the end of the file (the
// reservation is not returned). An empty-content Put made then records that
// offset; its zero bytes need no backing, so Get, Layout and a reopen must
// still see it (found by warmcheck run under grow-failure).
func TestEmptyContentAfterFailedGrowth(t *testing.T) {
	fps := NewFailpoints()
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{Failpoints: fps, GroupCommit: -1})
	fps.Arm(FailGrow, Action{Kind: ActionError})
	if _, err := s.Put("big", Memory{Content: make([]byte, 3<<20)}); !errors.Is(err, ErrGrowFailed) {
		t.Fatalf("Put under grow failure: %v", err)
	}
	fps.Disarm(FailGrow)
	if _, err := s.Put("empty", Memory{Content: []byte{}}); err != nil {
		t.Fatal(err)
	}
	m, l, err := s.Get("empty")
	if err != nil || l != Found || m.Content == nil || len(m.Content) != 0 {
		t.Fatalf("Get(empty) = %v %q (nil=%v) %v", l, m.Content, m.Content == nil, err)
	}
	if _, err := s.Layout(); err != nil {
		t.Fatalf("Layout: %v", err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{})
	defer s.Close()
	m, l, err = s.Get("empty")
	if err != nil || l != Found || m.Content == nil || len(m.Content) != 0 {
		t.Fatalf("after reopen: Get(empty) = %v %q %v", l, m.Content, err)
	}
	if st := s.Stats(); st.TornDiscarded != 0 {
		t.Fatalf("reopen discarded %d records", st.TornDiscarded)
	}
}

// TestFailpointReachedBy holds FailpointInfo.ReachedBy to the code: for each
// failpoint, every operation it names really passes it (the nemesis aims
// faults by this list, so a wrong entry means faults that never fire).
func TestFailpointReachedBy(t *testing.T) {
	do := map[string]func(s *Store) error{
		"put": func(s *Store) error {
			_, err := s.Put("k1", Memory{Content: make([]byte, 3<<20)}) // big: the content file must grow
			return err
		},
		"get":               func(s *Store) error { _, _, err := s.Get("k1"); return err },
		"remove":            func(s *Store) error { _, err := s.Remove("k1"); return err },
		"update-activation": func(s *Store) error { _, err := s.UpdateActivation("k1", 9); return err },
		"compact": func(s *Store) error {
			_, err := s.Compact()
			return err
		},
		"sync": func(s *Store) error {
			if _, err := s.Put("k1", Memory{Content: []byte("k1-new")}); err != nil { // k1's old slot becomes pending
				return err
			}
			return s.Sync()
		},
	}
	for _, fi := range AllFailpoints() {
		if len(fi.ReachedBy) == 0 {
			t.Errorf("%s: no operation reaches it", fi.Name)
		}
		for _, op := range fi.ReachedBy {
			if op == "open" {
				continue // TestFailpointRecoveryPanicAndError
			}
			t.Run(string(fi.Name)+"/"+op, func(t *testing.T) {
				f, ok := do[op]
				if !ok {
					t.Fatalf("unknown operation %q", op)
				}
				fps := NewFailpoints()
				s := mustOpen(t, t.TempDir(), Options{Failpoints: fps, GroupCommit: -1})
				for i := range 20 {
					if _, err := s.Put(fmt.Sprint("k", i), Memory{Content: []byte(fmt.Sprint("k", i))}); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := s.Remove("k2"); err != nil { // something to reclaim
					t.Fatal(err)
				}
				if err := fps.Arm(fi.Name, Action{Kind: ActionSleep}); err != nil {
					t.Fatal(err)
				}
				if err := f(s); err != nil {
					t.Fatalf("%s: %v", op, err)
				}
				if fps.Hits()[fi.Name] == 0 {
					t.Fatalf("%s did not pass %s (hits %v)", op, fi.Name, fps.Hits())
				}
			})
		}
	}
}

// Hit from outside the store acts as the store's own failpoint does, and
// refuses a name that is not one.
func TestFailpointHitByName(t *testing.T) {
	fps := NewFailpoints()
	if err := fps.Hit(FailGet); err != nil {
		t.Fatalf("disarmed: %v", err)
	}
	if err := fps.Arm(FailGrow, Action{Kind: ActionError}); err != nil {
		t.Fatal(err)
	}
	if err := fps.Hit(FailGrow); !errors.Is(err, ErrInjected) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("armed grow: %v, want ErrInjected and ENOSPC", err)
	}
	if err := fps.Arm(FailGet, Action{Kind: ActionPanic, Times: 1}); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if p, ok := recover().(InjectedPanic); !ok || p.Point != FailGet {
				t.Errorf("armed get: recovered %v, want InjectedPanic at get", p)
			}
		}()
		_ = fps.Hit(FailGet)
	}()
	if hits := fps.Hits(); hits[FailGet] != 1 || hits[FailGrow] != 1 {
		t.Errorf("hits %v, want one each", hits)
	}
	if err := fps.Hit("nowhere"); !errors.Is(err, ErrUnknownFailpoint) {
		t.Errorf("unknown name: %v", err)
	}
}
