package runner

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
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
		{"failpoint fault", Config{Nemeses: []string{"panic"}}, "takes only: compact"},
		{"process fault", Config{Nemeses: []string{"kill"}}, "takes only: compact"},
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
	h := header(r, r.describeTarget(nil))
	if h.Target == nil || h.Target.Name != "mapstore" || h.Reports(history.ReportsLayout) {
		t.Errorf("header target %+v", h.Target)
	}
	if !strings.HasPrefix(r.RerunCommand(), "warmtest.Run(") {
		t.Errorf("rerun %q, want a warmtest call", r.RerunCommand())
	}
}
