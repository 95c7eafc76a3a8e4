package runner

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/warmcheck/warmcheck/store"
)

// Recipe is how to expose one seeded bug: what `warmcheck run --bug NAME`
// picks when nothing else is named, and which checks must then fail.
type Recipe struct {
	Bug      store.Bug
	Workload string
	Nemeses  []string // nil: none
	Mode     string   // "inprocess" or "process"
	Ops      int      // 0: the workload's
	Workers  int      // 0: the workload's
	// Expect are the checks that should catch the bug; a gate run passes
	// when the verdict is invalid and at least one of them failed.
	Expect []string
	// Why says in one line how the recipe exposes the bug.
	Why string
	// Schedule, when set, is the --schedule the recipe runs under ("" is
	// the free run); Schedules how many schedules it explores (stopping at
	// the first invalid one) and ScheduleOps its operations when
	// controlled (0: Ops).
	Schedule    string
	Schedules   int
	ScheduleOps int
	// Aim, when set, narrows the failpoint faults (sleep, panic) to these
	// failpoints: the ones inside the bug's race window.
	Aim []store.FailpointName
}

// The concurrency bugs' recipes run under the controlled scheduler, so a
// seed either always or never catches them: a random walk (it switched
// tasks inside every race window in one schedule for 10 of 10 seeds of
// slot-race, content-offset-race, index-before-block,
// compaction-swap-window and panic-holds-lock, 8 of 10 of
// compaction-lost-store, 7 of 10 of unlocked-activation at 3K operations,
// where one PCT schedule of depth 3 caught 1-6 of 10), exploring up to
// controlledRecipeSchedules schedules.
const (
	controlledRecipeSchedule  = "random"
	controlledRecipeSchedules = 20
)

// allRecipes is the seeded-bug table: one line per bug of store.Bugs().
var allRecipes = []Recipe{
	{
		Bug: "slot-race", Schedule: controlledRecipeSchedule, Schedules: controlledRecipeSchedules,
		Workload: "writer-writer", Nemeses: []string{"sleep"}, Mode: "inprocess",
		Aim:    []store.FailpointName{store.FailAfterSlotAlloc, store.FailBetweenContentAndBlock}, // between reading and bumping the slot counter
		Expect: []string{"unique-slots", "linearizable"},
		Why:    "20 writers behind a barrier with sleeps in slot allocation: two puts take one slot and a read-back returns the other id's value",
	},
	{
		Bug: "content-offset-race", Schedule: controlledRecipeSchedule, Schedules: controlledRecipeSchedules,
		Workload: "writer-writer", Nemeses: []string{"sleep"}, Mode: "inprocess",
		Expect: []string{"offset-overlap", "offset-monotonic", "linearizable"},
		Why:    "concurrent appends with sleeps between reserving and writing content: two puts get overlapping content ranges",
	},
	{
		Bug: "compaction-swap-window", Schedule: controlledRecipeSchedule, Schedules: controlledRecipeSchedules,
		Workload: "compaction-under-load", Nemeses: []string{"compact", "sleep"}, Mode: "inprocess",
		Expect: []string{"linearizable", "iteration"},
		Why:    "reads during the swap to the new content epoch see content of the wrong epoch",
	},
	{
		// Sleeps aimed at the put path (a put holding the old epoch while
		// the compaction deletes it): at the workload's 3K ops 10 of 10
		// seeds caught in 2-4 s each. Unaimed, sleeps also went to get,
		// remove and compaction failpoints: 2-7 of 10 at 3K ops, 9 of 10
		// at 20K.
		Bug: "compaction-lost-store", Schedule: controlledRecipeSchedule, Schedules: controlledRecipeSchedules,
		Workload: "compaction-under-load", Nemeses: []string{"compact", "sleep"}, Mode: "inprocess",
		Aim:    []store.FailpointName{store.FailAfterSlotAlloc, store.FailBetweenContentAndBlock},
		Expect: []string{"integrity", "linearizable", "content-length", "iteration", "offset-overlap"},
		Why:    "a put in flight when a compaction starts publishes into the deleted epoch: its content is lost (often surfacing only as corruption errors on later reads)",
	},
	{
		// 20K ops: 10 of 10 seeds caught (40-120 corruption errors each);
		// at 3K ops 5-6 of 10 (a run sees only two sleeps). Aimed at the
		// activation update: 8 of 8 at 20K, 7 of 10 at 3K.
		Bug: "unlocked-activation", Schedule: controlledRecipeSchedule, Schedules: controlledRecipeSchedules, ScheduleOps: 3000,
		Workload: "compaction-under-load", Nemeses: []string{"compact", "sleep"}, Mode: "inprocess", Ops: 20000,
		Aim:    []store.FailpointName{store.FailUpdateActivation}, // between the header copy and its write-back
		Expect: []string{"integrity", "linearizable", "iteration", "content-length"},
		Why:    "activation updates racing compactions write back block headers with pre-compaction offsets: reads then hit a deleted content epoch",
	},
	{
		Bug: "index-before-block", Schedule: controlledRecipeSchedule, Schedules: controlledRecipeSchedules,
		Workload: "hot-spot", Nemeses: []string{"sleep"}, Mode: "inprocess",
		Aim:    []store.FailpointName{store.FailBetweenContentAndBlock}, // published, block not yet written
		Expect: []string{"linearizable", "iteration"},
		Why:    "a get on a hot key sees the index entry before its block is written and reads stale or zero data",
	},
	{
		Bug: "count-on-failed-store", Workload: "mixed", Nemeses: []string{"grow-failure"}, Mode: "inprocess",
		Expect: []string{"content-length"},
		Why:    "puts failing on a full disk are still counted: the final Stats disagree with the live memories",
	},
	{
		Bug: "panic-holds-lock", Schedule: controlledRecipeSchedule, Schedules: controlledRecipeSchedules, ScheduleOps: 3000,
		Workload: "panic-recovery", Nemeses: []string{"panic"}, Mode: "inprocess", Ops: 10000,
		Expect: []string{"recovery"},
		Why:    "a panic inside a critical section leaves a shard lock held: later operations on that shard never complete",
	},
	{
		Bug: "sync-skips-content", Workload: "crash-recovery", Nemeses: []string{"power-loss"}, Mode: "process",
		Expect: []string{"durability"},
		Why:    "Sync persists blocks but not content: after a power cut acknowledged-and-synced memories come back torn or missing",
	},
	{
		Bug: "recovery-trusts-torn", Workload: "crash-recovery", Nemeses: []string{"power-loss"}, Mode: "process",
		Expect: []string{"durability"},
		Why:    "recovery keeps records whose checksums fail: after a power cut torn values are served",
	},
}

// Recipes returns the table, one entry per seeded bug, in catalogue order.
func Recipes() []Recipe {
	out := make([]Recipe, len(allRecipes))
	for i, r := range allRecipes {
		r.Nemeses = append([]string(nil), r.Nemeses...)
		r.Expect = append([]string(nil), r.Expect...)
		r.Aim = append([]store.FailpointName(nil), r.Aim...)
		out[i] = r
	}
	return out
}

// RecipeFor returns the recipe of bug.
func RecipeFor(bug string) (Recipe, error) {
	for _, r := range Recipes() {
		if string(r.Bug) == bug {
			return r, nil
		}
	}
	var names []string
	for _, r := range allRecipes {
		names = append(names, string(r.Bug))
	}
	sort.Strings(names)
	return Recipe{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownBug, bug, strings.Join(names, ", "))
}

// Picks describes what the recipe chooses, for `warmcheck list bugs`.
func (r Recipe) Picks() string {
	faults := "none"
	if len(r.Nemeses) > 0 {
		faults = strings.Join(r.Nemeses, ",")
	}
	s := fmt.Sprintf("workload=%s nemesis=%s mode=%s", r.Workload, faults, r.Mode)
	if r.Ops > 0 {
		s += fmt.Sprintf(" ops=%d", r.Ops)
	}
	if r.Schedule != "" {
		s += fmt.Sprintf(" schedule=%s schedules=%d", r.Schedule, r.Schedules)
		if r.ScheduleOps > 0 {
			s += fmt.Sprintf(" schedule-ops=%d", r.ScheduleOps)
		}
		if slices.Contains(r.Nemeses, "sleep") {
			s += " (sleep only with --schedule os)"
		}
	}
	if r.Workers > 0 {
		s += fmt.Sprintf(" workers=%d", r.Workers)
	}
	return s + " expect=" + strings.Join(r.Expect, "|")
}
