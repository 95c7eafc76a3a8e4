package model

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/store"
)

// waitHits waits until failpoint name has fired n times: a condition, not a
// duration, so a loaded machine only makes it slower.
func waitHits(t *testing.T, fps *store.Failpoints, name store.FailpointName, n uint64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for fps.Hits()[name] < n {
		if time.Now().After(deadline) {
			t.Fatalf("failpoint %s never reached %d hits", name, n)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

type putResult struct {
	pl  store.Placement
	err error
}

// openPaused opens a store with bugs, no group commit, and a pause armed at
// each failpoint of pauses (once each); closed when the test ends.
func openPaused(t *testing.T, bugs []store.Bug, pauses ...store.FailpointName) (*store.Store, *store.Failpoints) {
	t.Helper()
	fps := store.NewFailpoints()
	for _, name := range pauses {
		if err := fps.Arm(name, store.Action{Kind: store.ActionPause, Times: 1}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := store.Open(t.TempDir(), store.Options{Bugs: bugs, Failpoints: fps, GroupCommit: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, fps
}

// goPut runs Put(id, content) in its own goroutine; its result comes on the
// channel returned.
func goPut(s *store.Store, id, content string) <-chan putResult {
	res := make(chan putResult, 1)
	go func() {
		pl, err := s.Put(id, store.Memory{Content: []byte(content)})
		res <- putResult{pl, err}
	}()
	return res
}

// replaySlotRace replays spin's slot-race trail (model/README.md) on a real
// store: B reads the slot counter, A reads it too, B writes its block,
// increments the counter and publishes, then A writes its block into the
// same slot and publishes. Failpoint pauses hold each Put where the trail
// switches: B at after-slot-alloc (counter read), A at
// between-content-and-block (counter read, block not written).
func replaySlotRace(t *testing.T, bugs []store.Bug) (a, b store.Placement, gotB store.Memory) {
	s, fps := openPaused(t, bugs, store.FailAfterSlotAlloc, store.FailBetweenContentAndBlock)
	resB := goPut(s, "B", "memory B version 1") // trail: WriterB, slot = nextSlot
	waitHits(t, fps, store.FailAfterSlotAlloc, 1)
	resA := goPut(s, "A", "memory A version 1") // trail: WriterA, slot = nextSlot, content appended
	waitHits(t, fps, store.FailBetweenContentAndBlock, 1)
	fps.Disarm(store.FailAfterSlotAlloc) // trail: WriterB writes its block, nextSlot++, publishes
	rb := <-resB
	fps.Disarm(store.FailBetweenContentAndBlock) // trail: WriterA writes its block, publishes
	ra := <-resA
	if rb.err != nil || ra.err != nil {
		t.Fatalf("puts: B %v, A %v", rb.err, ra.err)
	}
	m, l, err := s.Get("B")
	if err != nil || l != store.Found {
		t.Fatalf("get B: %v %v", l, err)
	}
	return ra.pl, rb.pl, m
}

// TestReplaySlotRaceTrail: the schedule of spin's slot-race counterexample
// makes the real store with the seeded bug put A and B in one slot and
// return A's bytes for B (what the model's check_record finds); the same
// schedule on the correct store keeps them apart.
func TestReplaySlotRaceTrail(t *testing.T) {
	a, b, got := replaySlotRace(t, []store.Bug{store.BugSlotRace})
	if a.Slot != b.Slot {
		t.Fatalf("slot-race: the trail's schedule gave A slot %d and B slot %d, want one shared slot", a.Slot, b.Slot)
	}
	if bytes.Equal(got.Content, []byte("memory B version 1")) {
		t.Fatalf("slot-race: Get(B) returned B's own bytes after A overwrote its slot")
	}
	t.Logf("slot-race caught: A and B both in slot %d, Get(B) returned %q", a.Slot, got.Content)

	a, b, got = replaySlotRace(t, nil)
	if a.Slot == b.Slot {
		t.Fatalf("correct store: A and B share slot %d", a.Slot)
	}
	if !bytes.Equal(got.Content, []byte("memory B version 1")) {
		t.Fatalf("correct store: Get(B) returned %q", got.Content)
	}
}

// waitStacks waits until n goroutines have every one of frames in their
// stacks: how the test knows a call is blocked inside the store where it
// has no failpoint of its own.
func waitStacks(t *testing.T, n int, frames ...string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	buf := make([]byte, 1<<20)
	for {
		k := runtime.Stack(buf, true)
		got := 0
		for _, g := range strings.Split(string(buf[:k]), "\n\n") {
			if containsAll(g, frames) {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never saw %d goroutines in %v", n, frames)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// replayContentOffsetRace replays spin's content-offset-race trail: B reads
// the content tail, A reads the same tail, B writes its content and adds
// to the tail, A writes its content over B's and adds to the tail. B is
// held between its read and its add by a pause at the grow failpoint (the
// first append grows the new content file); A then reads the tail and
// blocks on the file's growth lock, which B holds, seen in A's stack.
// Once B is released the two copies into the shared range race (in the
// trail B's comes first): whichever lands last, the other memory reads
// foreign bytes, so both Gets are returned.
func replayContentOffsetRace(t *testing.T, bugs []store.Bug) (a, b store.Placement, gotA, gotB store.Memory) {
	s, fps := openPaused(t, bugs)
	if err := fps.Arm(store.FailGrow, store.Action{Kind: store.ActionPause, Times: 1}); err != nil {
		t.Fatal(err)
	}
	resB := goPut(s, "B", "memory B version 1") // trail: WriterB, off = tail[cf]
	waitHits(t, fps, store.FailGrow, 1)
	resA := goPut(s, "A", "memory A version 1") // trail: WriterA, off = tail[cf]
	// A has read (bug) or reserved (correct) its offset and waits for
	// the growth lock that B holds.
	waitStacks(t, 2, "store.(*mappedFile).growTo")
	fps.Disarm(store.FailGrow) // trail: WriterB tail++, then WriterA writes and adds
	rb, ra := <-resB, <-resA
	if rb.err != nil || ra.err != nil {
		t.Fatalf("puts: B %v, A %v", rb.err, ra.err)
	}
	for id, m := range map[string]*store.Memory{"A": &gotA, "B": &gotB} {
		var l store.Lookup
		var err error
		if *m, l, err = s.Get(id); err != nil || l != store.Found {
			t.Fatalf("get %s: %v %v", id, l, err)
		}
	}
	return ra.pl, rb.pl, gotA, gotB
}

// TestReplayContentOffsetRaceTrail: the trail's schedule makes the seeded
// bug give A and B one content range, so one of them reads the other's
// bytes; the same schedule on the correct store keeps the ranges apart.
func TestReplayContentOffsetRaceTrail(t *testing.T) {
	wantA, wantB := []byte("memory A version 1"), []byte("memory B version 1")
	a, b, gotA, gotB := replayContentOffsetRace(t, []store.Bug{store.BugContentOffsetRace})
	if a.Offset != b.Offset || a.Epoch != b.Epoch {
		t.Fatalf("content-offset-race: A at %d, B at %d: want one shared offset", a.Offset, b.Offset)
	}
	if bytes.Equal(gotA.Content, wantA) && bytes.Equal(gotB.Content, wantB) {
		t.Fatalf("content-offset-race: A and B share offset %d yet both read their own bytes", a.Offset)
	}
	t.Logf("content-offset-race caught: A and B both at offset %d, Get(A) %q, Get(B) %q", a.Offset, gotA.Content, gotB.Content)

	a, b, gotA, gotB = replayContentOffsetRace(t, nil)
	if a.Offset == b.Offset {
		t.Fatalf("correct store: A and B share offset %d", a.Offset)
	}
	if !bytes.Equal(gotA.Content, wantA) || !bytes.Equal(gotB.Content, wantB) {
		t.Fatalf("correct store: Get(A) %q, Get(B) %q", gotA.Content, gotB.Content)
	}
}
