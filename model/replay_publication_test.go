package model

import (
	"bytes"
	"errors"
	"testing"

	"github.com/warmcheck/warmcheck/sched"
	"github.com/warmcheck/warmcheck/store"
)

// indexBeforeBlockScript is spin's index-before-block trail (check.sh,
// index-before-block-full/trail.txt) as a script: A's Put reserves its slot
// and content and publishes the slot in the index (steps 8-12; the seeded
// bug publishes before writing the block, the correct store after the
// failpoint), then the Reader's Get of A reads the slot (step 13), then
// A's Put ends.
var indexBeforeBlockScript = []sched.Choice{
	{Task: "A", Until: "failpoint between-content-and-block"},
	{Task: "Reader", Until: "exit"},
	{Task: "A", Until: "exit"},
}

// replayIndexBeforeBlock runs the script and returns what the Reader's
// Get(A) returned during A's Put.
func replayIndexBeforeBlock(t *testing.T, bugs []store.Bug) (got store.Memory, l store.Lookup) {
	var pl store.Placement
	var errPut, errGet error
	replay(t, bugs, nil, indexBeforeBlockScript,
		putTask("A", "memory A version 1", &pl, &errPut),
		task{"Reader", func(s *store.Store) { got, l, errGet = s.Get("A") }})
	if errPut != nil || errGet != nil {
		t.Fatalf("put A: %v, get A: %v", errPut, errGet)
	}
	return got, l
}

// TestReplayIndexBeforeBlockTrail: under the trail's script the seeded bug
// lets a Get return a record that is not A's (what the model's
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

// unlockedActivationScript is spin's unlocked-activation trail
// (unlocked-activation-full/trail.txt) as a script, after B is put (steps
// 9-14, done before the run): B's activation update reads B's slot and
// copies the header out (25-27), up to the update-activation failpoint;
// compaction copies B's content, relocates B's content to the new epoch,
// syncs and retires the old file (15-24, 28-32); the update writes its
// copy back (33). In the correct store the update holds B's shard write
// lock at the failpoint, so compaction blocks in its snapshot (the trail's
// order is one the lock forbids): its choice ends there, the update ends,
// and compaction finishes after the script.
var unlockedActivationScript = []sched.Choice{
	{Task: "update", Until: "failpoint update-activation"},
	{Task: "compact", Until: "exit", UntilBlocked: true},
	{Task: "update", Until: "exit"},
}

// replayUnlockedActivation runs the script and returns the order in which
// the update and the compaction ended and what Get(B) returns afterwards
// (the Reader's Get, step 34).
func replayUnlockedActivation(t *testing.T, bugs []store.Bug) (ended []string, m store.Memory, err error) {
	var errUpdate, errCompact error
	putB := func(s *store.Store) {
		if _, err := s.Put("B", store.Memory{Content: []byte("memory B version 1")}); err != nil {
			t.Fatal(err)
		}
	}
	s := replay(t, bugs, putB, unlockedActivationScript,
		task{"update", func(s *store.Store) {
			_, errUpdate = s.UpdateActivation("B", 1)
			ended = append(ended, "update")
		}},
		task{"compact", func(s *store.Store) {
			_, errCompact = s.Compact()
			ended = append(ended, "compact")
		}})
	if errUpdate != nil || errCompact != nil {
		t.Fatalf("update activation: %v, compact: %v", errUpdate, errCompact)
	}
	m, l, err := s.Get("B")
	if err == nil && l != store.Found {
		t.Fatalf("get B: missing")
	}
	return ended, m, err
}

// TestReplayUnlockedActivationTrail: under the trail's script the seeded
// bug writes back the header compaction had moved, so Get(B) finds its
// content epoch retired (the model's assert(ge != GONE)); the correct
// store makes compaction wait for the update and keeps B readable with its
// new activation.
func TestReplayUnlockedActivationTrail(t *testing.T) {
	ended, _, err := replayUnlockedActivation(t, []store.Bug{store.BugUnlockedActivation})
	if len(ended) != 2 || ended[0] != "compact" {
		t.Fatalf("unlocked-activation: ended in order %v, want the compaction first, as in the trail", ended)
	}
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("unlocked-activation: Get(B) after the trail = %v, want ErrCorrupt (content epoch gone)", err)
	}
	t.Logf("unlocked-activation caught: %v", err)

	ended, m, err := replayUnlockedActivation(t, nil)
	if len(ended) != 2 || ended[0] != "update" {
		t.Fatalf("correct store: ended in order %v, want the update first (compaction waits for B's shard lock)", ended)
	}
	if err != nil {
		t.Fatalf("correct store: Get(B): %v", err)
	}
	if !bytes.Equal(m.Content, []byte("memory B version 1")) || m.Activation != 1 {
		t.Fatalf("correct store: Get(B) = %q activation %v", m.Content, m.Activation)
	}
}
