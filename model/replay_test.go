package model

import (
	"bytes"
	"testing"

	"github.com/warmcheck/warmcheck/sched"
	"github.com/warmcheck/warmcheck/store"
)

// task is one client of a replay: a task of the controlled run.
type task struct {
	name string
	run  func(s *store.Store)
}

// replay opens a store with bugs (no group commit) under a scheduler that
// follows script, runs setup uncontrolled, then the tasks under the script.
// A script the store does not follow fails the test. The store is returned
// with the run over (calls are uncontrolled again) and closed when the test
// ends.
func replay(t *testing.T, bugs []store.Bug, setup func(s *store.Store), script []sched.Choice, tasks ...task) *store.Store {
	t.Helper()
	sch, err := sched.New(sched.Config{Mode: sched.ModeScript, Script: script, TraceLimit: 64})
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(t.TempDir(), store.Options{Bugs: bugs, GroupCommit: -1, Scheduler: sch})
	if err != nil {
		sch.Abandon()
		t.Fatal(err)
	}
	if setup != nil {
		setup(s)
	}
	for _, tk := range tasks {
		if _, err := sch.Go(tk.name, false, func() { tk.run(s) }); err != nil {
			sch.Abandon()
			t.Fatal(err)
		}
	}
	if r := sch.Run(); r.Err != nil {
		sch.Abandon()
		t.Fatalf("bugs %v: the store did not follow the trail's script: %v\nlast steps: %v", bugs, r.Err, r.Trace)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// putTask is a task that puts id with content; its result goes to pl, err.
func putTask(id, content string, pl *store.Placement, err *error) task {
	return task{id, func(s *store.Store) {
		*pl, *err = s.Put(id, store.Memory{Content: []byte(content)})
	}}
}

// get is Get(id) after the run, failing the test unless id is found.
func get(t *testing.T, s *store.Store, id string) store.Memory {
	t.Helper()
	m, l, err := s.Get(id)
	if err != nil || l != store.Found {
		t.Fatalf("get %s: %v %v", id, l, err)
	}
	return m
}

// twoPuts replays script over Put(A) and Put(B) (tasks "A" and "B") and
// returns their placements and what Get(A) and Get(B) return afterwards.
func twoPuts(t *testing.T, bugs []store.Bug, script []sched.Choice) (a, b store.Placement, gotA, gotB store.Memory) {
	t.Helper()
	var errA, errB error
	s := replay(t, bugs, nil, script,
		putTask("A", "memory A version 1", &a, &errA), putTask("B", "memory B version 1", &b, &errB))
	if errA != nil || errB != nil {
		t.Fatalf("puts: A %v, B %v", errA, errB)
	}
	return a, b, get(t, s, "A"), get(t, s, "B")
}

// slotRaceScript is spin's slot-race trail (model/README.md) as a script:
// B reads the slot counter (slot-race window, then after-slot-alloc), A
// reads it too and appends its content, B writes its block, increments
// the counter and publishes, then A writes its block into the same slot
// and publishes. The correct store allocates at the same points.
var slotRaceScript = []sched.Choice{
	{Task: "B", Until: "failpoint after-slot-alloc"},
	{Task: "A", Until: "failpoint between-content-and-block"},
	{Task: "B", Until: "exit"},
	{Task: "A", Until: "exit"},
}

// TestReplaySlotRaceTrail: the trail's script makes the real store with
// the seeded bug put A and B in one slot and return A's bytes for B (what
// the model's check_record finds); the same script on the correct store
// keeps them apart.
func TestReplaySlotRaceTrail(t *testing.T) {
	a, b, _, got := twoPuts(t, []store.Bug{store.BugSlotRace}, slotRaceScript)
	if a.Slot != b.Slot {
		t.Fatalf("slot-race: the trail's script gave A slot %d and B slot %d, want one shared slot", a.Slot, b.Slot)
	}
	if bytes.Equal(got.Content, []byte("memory B version 1")) {
		t.Fatalf("slot-race: Get(B) returned B's own bytes after A overwrote its slot")
	}
	t.Logf("slot-race caught: A and B both in slot %d, Get(B) returned %q", a.Slot, got.Content)

	a, b, gotA, gotB := twoPuts(t, nil, slotRaceScript)
	if a.Slot == b.Slot {
		t.Fatalf("correct store: A and B share slot %d", a.Slot)
	}
	if string(gotA.Content) != "memory A version 1" || string(gotB.Content) != "memory B version 1" {
		t.Fatalf("correct store: Get(A) %q, Get(B) %q", gotA.Content, gotB.Content)
	}
}

// contentOffsetRaceScript is spin's content-offset-race trail as a script:
// B reads the content tail (reserves, in the correct store) and stops
// before its copy, A reads the same tail, B copies its content and adds
// to the tail, A copies its content over B's and adds to the tail.
var contentOffsetRaceScript = []sched.Choice{
	{Task: "B", Until: "put: copy content"},
	{Task: "A", Until: "put: copy content"},
	{Task: "B", Until: "exit"},
	{Task: "A", Until: "exit"},
}

// TestReplayContentOffsetRaceTrail: the trail's script makes the seeded
// bug give A and B one content range, A's copy lands last, so Get(B)
// returns A's bytes; the same script on the correct store keeps the
// ranges apart.
func TestReplayContentOffsetRaceTrail(t *testing.T) {
	wantA, wantB := []byte("memory A version 1"), []byte("memory B version 1")
	a, b, gotA, gotB := twoPuts(t, []store.Bug{store.BugContentOffsetRace}, contentOffsetRaceScript)
	if a.Offset != b.Offset || a.Epoch != b.Epoch {
		t.Fatalf("content-offset-race: A at %d, B at %d: want one shared offset", a.Offset, b.Offset)
	}
	if !bytes.Equal(gotB.Content, wantA) || !bytes.Equal(gotA.Content, wantA) {
		t.Fatalf("content-offset-race: A and B share offset %d, yet Get(A) %q and Get(B) %q: want A's bytes for both (A's copy lands last)",
			a.Offset, gotA.Content, gotB.Content)
	}
	t.Logf("content-offset-race caught: A and B both at offset %d, Get(B) returned %q", a.Offset, gotB.Content)

	a, b, gotA, gotB = twoPuts(t, nil, contentOffsetRaceScript)
	if a.Offset == b.Offset {
		t.Fatalf("correct store: A and B share offset %d", a.Offset)
	}
	if !bytes.Equal(gotA.Content, wantA) || !bytes.Equal(gotB.Content, wantB) {
		t.Fatalf("correct store: Get(A) %q, Get(B) %q", gotA.Content, gotB.Content)
	}
}

// TestReplayRacesNeedTheTrailsOrder: the seeded races stay hidden when the
// two Puts run one after the other, so it is the trail's order, not the
// bug alone, that the scripts above reproduce.
func TestReplayRacesNeedTheTrailsOrder(t *testing.T) {
	oneAfterOther := []sched.Choice{{Task: "B", Until: "exit"}, {Task: "A", Until: "exit"}}
	for _, bug := range []store.Bug{store.BugSlotRace, store.BugContentOffsetRace} {
		a, b, gotA, gotB := twoPuts(t, []store.Bug{bug}, oneAfterOther)
		if a.Slot == b.Slot || a.Offset == b.Offset ||
			string(gotA.Content) != "memory A version 1" || string(gotB.Content) != "memory B version 1" {
			t.Fatalf("%s, Puts one after the other: A %+v, B %+v, Get(A) %q, Get(B) %q", bug, a, b, gotA.Content, gotB.Content)
		}
	}
}
