package runner

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// What an external store cannot take is refused before anything runs, with
// the reason; a workload's own faults are narrowed to those it can take.
func TestResolveExternal(t *testing.T) {
	ext := &External{Target: history.Target{Kind: history.TargetGo, Name: "mapstore"},
		Client: client.NewInProcess(nil)} // never called by Resolve
	refused := []struct {
		name string
		cfg  Config
		want string
	}{
		{"seeded bug", Config{Bug: "slot-race"}, "built-in store"},
		{"failpoint fault", Config{Nemeses: []string{"panic"}}, "has none"},
		{"process fault", Config{Nemeses: []string{"kill"}}, "child process"},
		{"child-process workload", Config{Workload: "crash-recovery"}, "child process"},
		{"process mode", Config{Mode: "process"}, "child process"},
		{"controlled schedule", Config{Schedule: "pct"}, "scheduling points"},
	}
	for _, c := range refused {
		c.cfg.External, c.cfg.Seed, c.cfg.SeedSet = ext, 1, true
		_, err := Resolve(c.cfg)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "go:mapstore") {
			t.Errorf("%s: %v, want ErrConfig naming go:mapstore and %q", c.name, err, c.want)
		}
	}

	r, err := Resolve(Config{External: ext, Workload: "mixed", Seed: 1, SeedSet: true, Ops: 100})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Faults, []string{"compact"}) { // mixed's own: panic, compact
		t.Errorf("faults %v, want [compact]", r.Faults)
	}
	r2, err := Resolve(Config{External: ext, Workload: "hot-spot", Seed: 1, SeedSet: true, Ops: 100})
	if err != nil || len(r2.Faults) != 0 { // hot-spot's own: sleep, at a failpoint
		t.Errorf("hot-spot: faults %v (%v), want none", r2.Faults, err)
	}
	// With failpoints, the failpoint faults are aimed at those the store placed.
	withFps := *ext
	withFps.Failpoints, withFps.Points = store.NewFailpoints(), []store.FailpointName{store.FailGet}
	r3, err := Resolve(Config{External: &withFps, Workload: "mixed", Seed: 1, SeedSet: true, Ops: 100})
	if err != nil || !reflect.DeepEqual(r3.Faults, []string{"panic", "compact"}) {
		t.Errorf("mixed with failpoints: faults %v (%v), want [panic compact]", r3.Faults, err)
	}
	if got := r3.scheduleOptions().Reach.String(); got != "get" {
		t.Errorf("reach %q, want only the store's failpoint get", got)
	}
	withFps.Points = []store.FailpointName{store.FailCompactMid}
	r4, err := Resolve(Config{External: &withFps, Workload: "hot-spot", Seed: 1, SeedSet: true, Duration: time.Second})
	if err != nil || len(r4.Faults) != 0 { // hot-spot's own sleep cannot fire at compact-mid: dropped, not refused
		t.Errorf("hot-spot with a failpoint it never passes: faults %v (%v), want none", r4.Faults, err)
	}
	if !strings.Contains(r4.RerunCommand(), "Duration: 1000 * time.Millisecond") {
		t.Errorf("rerun %q does not give the duration", r4.RerunCommand())
	}
	_, err = Resolve(Config{External: &withFps, Workload: "hot-spot", Nemeses: []string{"sleep"}, Seed: 1, SeedSet: true})
	if !errors.Is(err, ErrConfig) { // hot-spot never compacts: nothing passes the store's one failpoint
		t.Errorf("sleep where no operation passes: %v, want ErrConfig", err)
	}
	h := header(r, r.describeTarget(nil))
	if h.Target == nil || h.Target.Name != "mapstore" || h.Reports(history.ReportsLayout) {
		t.Errorf("header target %+v", h.Target)
	}
	if !strings.HasPrefix(r.RerunCommand(), "warmtest.Run(") {
		t.Errorf("rerun %q, want a warmtest call", r.RerunCommand())
	}
}
