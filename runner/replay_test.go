package runner

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

func TestReplayReproducesAControlledRun(t *testing.T) {
	out := mustRun(t, Config{Bug: "slot-race", Seed: 3, SeedSet: true})
	res, err := Replay(context.Background(), out.Dir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Same || res.FirstDiff != -1 || res.Verdict != out.Verdict || res.Events == 0 {
		t.Fatalf("replay of %s: %+v", out.Dir, res)
	}

	// A history that the schedule does not produce: one event altered.
	path := filepath.Join(out.Dir, HistoryFile)
	hdr, events, err := history.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	altered := -1
	for i := len(events) / 2; i < len(events); i++ {
		if events[i].Kind == history.KindOp && events[i].Type == history.Invoke && events[i].ID != "" {
			events[i].ID += "-not-this-one"
			altered = i
			break
		}
	}
	w, err := history.Create(path, hdr)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	res, err = Replay(context.Background(), out.Dir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if res.Same || res.FirstDiff != altered || res.Want == "" || res.Got == "" {
		t.Fatalf("altered event %d: replay says same=%v first diff %d", altered, res.Same, res.FirstDiff)
	}
}

func TestReplayRefusesAFreeRun(t *testing.T) {
	out := mustRun(t, Config{Workload: "mixed", Seed: 1, SeedSet: true, Ops: 100, Nemeses: []string{"none"}})
	if _, err := Replay(context.Background(), out.Dir, t.TempDir()); !errors.Is(err, ErrNotReplayable) || !errors.Is(err, ErrRunInput) {
		t.Fatalf("replay of a free run: %v", err)
	}
	if _, err := Replay(context.Background(), t.TempDir(), t.TempDir()); !errors.Is(err, ErrRunInput) {
		t.Fatalf("replay of an empty directory: %v", err)
	}
}
