package model

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/warmcheck/warmcheck/store"
)

// replayIndexBeforeBlock replays spin's index-before-block trail (check.sh,
// index-before-block-full/trail.txt): A's Put reserves its slot and
// content and publishes the slot in the index (steps 8-12; the seeded bug
// publishes before writing the block), then the Reader's Get of A reads
// the slot (step 13). The Put is held at between-content-and-block, which
// under the bug comes after the publish and in the correct store before it.
func replayIndexBeforeBlock(t *testing.T, bugs []store.Bug) (got store.Memory, l store.Lookup) {
	s, fps := openPaused(t, bugs, store.FailBetweenContentAndBlock)
	res := goPut(s, "A", "memory A version 1") // trail: WriterA, steps 8-12
	waitHits(t, fps, store.FailBetweenContentAndBlock, 1)
	got, l, err := s.Get("A") // trail: Reader, step 13
	if err != nil {
		t.Fatalf("get A: %v", err)
	}
	fps.Disarm(store.FailBetweenContentAndBlock)
	if r := <-res; r.err != nil {
		t.Fatalf("put A: %v", r.err)
	}
	return got, l
}

// TestReplayIndexBeforeBlockTrail: under the trail's schedule the seeded
// bug lets a Get return a record that is not A's (what the model's
// assert(hid[s] == 1) finds); the correct store has not published A yet.
func TestReplayIndexBeforeBlockTrail(t *testing.T) {
	want := []byte("memory A version 1")
	got, l := replayIndexBeforeBlock(t, []store.Bug{store.BugIndexBeforeBlock})
	if l != store.Found {
		t.Fatalf("index-before-block: Get(A) found nothing, want the unwritten slot the index points at")
	}
	if bytes.Equal(got.Content, want) {
		t.Fatalf("index-before-block: Get(A) returned A's bytes before A's block was written")
	}
	t.Logf("index-before-block caught: Get(A) during the Put returned content %q, created at %d: the unwritten slot, not A's record",
		got.Content, got.CreatedAt)

	if _, l = replayIndexBeforeBlock(t, nil); l != store.Missing {
		t.Fatalf("correct store: Get(A) before A's Put published returned %v", l)
	}
}

// replayUnlockedActivation replays spin's unlocked-activation trail
// (unlocked-activation-full/trail.txt): B is put (steps 9-14); its
// activation update reads B's slot and copies the header out (25-27),
// held there by a pause at update-activation; compaction copies B's
// content, rewrites B's header to the new epoch, syncs and retires the old
// file (15-24, 28-32); the update writes its copy back (33) and the
// Reader's Get of B follows (34). In the correct store the pause holds
// B's shard write lock, so compaction blocks in its snapshot until the
// update is done.
func replayUnlockedActivation(t *testing.T, bugs []store.Bug) (store.Memory, error) {
	s, fps := openPaused(t, bugs)
	if _, err := s.Put("B", store.Memory{Content: []byte("memory B version 1")}); err != nil {
		t.Fatal(err)
	}
	if err := fps.Arm(store.FailUpdateActivation, store.Action{Kind: store.ActionPause, Times: 1}); err != nil {
		t.Fatal(err)
	}
	updated, compacted := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := s.UpdateActivation("B", 1)
		updated <- err
	}()
	waitHits(t, fps, store.FailUpdateActivation, 1)
	go func() {
		_, err := s.Compact()
		compacted <- err
	}()
	seeded := slices.Contains(bugs, store.BugUnlockedActivation)
	if seeded {
		if err := <-compacted; err != nil { // the compaction runs to its end
			t.Fatalf("compact: %v", err)
		}
	} else {
		waitStacks(t, 1, "store.(*index).snapshotBySlot", "RLock")
	}
	fps.Disarm(store.FailUpdateActivation)
	if err := <-updated; err != nil {
		t.Fatalf("update activation: %v", err)
	}
	if !seeded {
		if err := <-compacted; err != nil {
			t.Fatalf("compact: %v", err)
		}
	}
	m, l, err := s.Get("B")
	if err == nil && l != store.Found {
		t.Fatalf("get B: missing")
	}
	return m, err
}

// TestReplayUnlockedActivationTrail: under the trail's schedule the seeded
// bug writes back the header compaction had moved, so Get(B) finds its
// content epoch retired (the model's assert(ge != GONE)); the correct
// store keeps B readable with its new activation.
func TestReplayUnlockedActivationTrail(t *testing.T) {
	_, err := replayUnlockedActivation(t, []store.Bug{store.BugUnlockedActivation})
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("unlocked-activation: Get(B) after the trail = %v, want ErrCorrupt (content epoch gone)", err)
	}
	t.Logf("unlocked-activation caught: %v", err)

	m, err := replayUnlockedActivation(t, nil)
	if err != nil {
		t.Fatalf("correct store: Get(B): %v", err)
	}
	if !bytes.Equal(m.Content, []byte("memory B version 1")) || m.Activation != 1 {
		t.Fatalf("correct store: Get(B) = %q activation %v", m.Content, m.Activation)
	}
}
