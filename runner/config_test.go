package runner

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/workload"
)

func TestResolveDefaults(t *testing.T) {
	r, err := Resolve(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Workload.Name != workload.Default || r.Mode != workload.InProcess || r.Out != DefaultOut {
		t.Fatalf("defaults: workload %s mode %s out %s", r.Workload.Name, r.Mode, r.Out)
	}
	if !slices.Equal(r.Faults, []string{"panic", "compact"}) {
		t.Fatalf("default faults %v, want panic,compact", r.Faults)
	}
	if !r.SeedSet {
		t.Fatal("no seed drawn")
	}
	r2, _ := Resolve(Config{})
	if r.Seed == r2.Seed {
		t.Fatalf("two random seeds are equal: %d", r.Seed)
	}
}

func TestResolveOverrides(t *testing.T) {
	r, err := Resolve(Config{Workload: "hot-spot", Seed: 5, SeedSet: true, Ops: 77, Workers: 3, Nemeses: []string{"none"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Seed != 5 || r.Plan.Params.Ops != 77 || r.Plan.Params.Workers != 3 || len(r.Faults) != 0 {
		t.Fatalf("overrides not applied: seed %d ops %d workers %d faults %v", r.Seed, r.Plan.Params.Ops, r.Plan.Params.Workers, r.Faults)
	}
	if !strings.Contains(r.RerunCommand(), "--seed 5") || !strings.Contains(r.RerunCommand(), "--nemesis none") {
		t.Fatalf("rerun command %q", r.RerunCommand())
	}
	r, err = Resolve(Config{Duration: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if r.Plan.Params.Ops != 0 || r.Budget < 3*time.Second {
		t.Fatalf("duration run: ops %d budget %s", r.Plan.Params.Ops, r.Budget)
	}
}

func TestResolveBugPicksRecipe(t *testing.T) {
	for _, rec := range Recipes() {
		r, err := Resolve(Config{Bug: string(rec.Bug)})
		if err != nil {
			t.Fatalf("%s: %v", rec.Bug, err)
		}
		// Under the recipe's controlled schedule its sleeps are dropped:
		// the scheduler chooses the interleaving at every failpoint.
		want := rec.Nemeses
		if rec.Schedule != "" {
			want = slices.DeleteFunc(slices.Clone(want), func(f string) bool { return f == "sleep" })
			if string(r.Sched) != rec.Schedule || r.Schedules != rec.Schedules {
				t.Errorf("%s: schedule %s x%d, recipe says %s x%d", rec.Bug, r.Sched, r.Schedules, rec.Schedule, rec.Schedules)
			}
			os, err := Resolve(Config{Bug: string(rec.Bug), Schedule: "os"})
			if err != nil || !slices.Equal(os.Faults, rec.Nemeses) || os.Sched.Controlled() {
				t.Errorf("%s --schedule os: %v, faults %v, want %v free", rec.Bug, err, os.Faults, rec.Nemeses)
			}
		}
		if r.Workload.Name != rec.Workload || string(r.Mode) != rec.Mode || !slices.Equal(r.Faults, want) {
			t.Errorf("%s: picked %s/%s/%v, recipe says %s/%s/%v", rec.Bug, r.Workload.Name, r.Mode, r.Faults,
				rec.Workload, rec.Mode, want)
		}
	}
	// The user's choices win over the recipe's.
	r, err := Resolve(Config{Bug: "slot-race", Workload: "mixed", Nemeses: []string{"none"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Workload.Name != "mixed" || len(r.Faults) != 0 {
		t.Fatalf("user choices overridden: %s %v", r.Workload.Name, r.Faults)
	}
}

func TestResolveRejects(t *testing.T) {
	for name, c := range map[string]Config{
		"unknown workload": {Workload: "nope"},
		"unknown bug":      {Bug: "nope"},
		"bad mode":         {Mode: "sideways"},
		"ops and duration": {Ops: 5, Duration: time.Second},
		"negative ops":     {Ops: -1},
		"kill in process":  {Nemeses: []string{"kill"}, Mode: "inprocess"},
		"pause in process": {Workload: "mixed", Nemeses: []string{"pause"}},
	} {
		if _, err := Resolve(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err %v, want ErrConfig", name, err)
		}
	}
}

func TestRecipesNameRegisteredWorkloads(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Recipes() {
		if seen[string(r.Bug)] {
			t.Errorf("bug %s has two recipes", r.Bug)
		}
		seen[string(r.Bug)] = true
		if _, err := workload.Lookup(r.Workload); err != nil {
			t.Errorf("bug %s: %v", r.Bug, err)
		}
		if len(r.Expect) == 0 || r.Why == "" {
			t.Errorf("bug %s: recipe needs expected checks and a reason", r.Bug)
		}
		if _, err := workload.ParseMode(r.Mode); err != nil {
			t.Errorf("bug %s: %v", r.Bug, err)
		}
	}
	if _, err := RecipeFor("nope"); !errors.Is(err, ErrUnknownBug) {
		t.Errorf("RecipeFor(nope) = %v", err)
	}
}
