package runner

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/store"
)

// gateBudget is the most a seeded-bug run may take to be caught (issue 5).
const gateBudget = 60 * time.Second

// detectionTable collects one line per gate run; with WARMCHECK_GATE_TABLE
// set, it is written there as a Markdown table when the tests end.
var detectionTable struct {
	sync.Mutex
	rows []string
}

func recordDetection(bug, workloadName string, seed int64, failing []string, took time.Duration, ok bool) {
	detectionTable.Lock()
	defer detectionTable.Unlock()
	mark := "caught"
	if !ok {
		mark = "MISSED"
	}
	detectionTable.rows = append(detectionTable.rows, fmt.Sprintf("| %s | %s | %d | %s | %.1f s | %s |",
		bug, workloadName, seed, strings.Join(failing, ", "), took.Seconds(), mark))
}

// childEnv makes the test binary serve a store (process-mode runs
// re-execute it as `serve-store`).
const childEnv = "WARMCHECK_RUNNER_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "serve" {
		os.Exit(serveChild(os.Args[2:]))
	}
	code := m.Run()
	if path := os.Getenv("WARMCHECK_GATE_TABLE"); path != "" && len(detectionTable.rows) > 0 {
		table := "| bug | workload | seed | failing checks | time to detect | result |\n|---|---|---|---|---|---|\n" +
			strings.Join(detectionTable.rows, "\n") + "\n"
		_ = os.WriteFile(path, []byte(table), 0o644)
	}
	os.Exit(code)
}

// failingChecks names the checks whose verdict is invalid.
func failingChecks(rep checker.Report) []string {
	var out []string
	for _, c := range rep.Checks {
		if c.Verdict == checker.Invalid {
			out = append(out, c.Name)
		}
	}
	return out
}

// gateRun runs bug's recipe with seed and asserts it is caught by an
// expected check within gateBudget.
func gateRun(t *testing.T, bug string, seed int64) {
	t.Helper()
	rec, err := RecipeFor(bug)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out := mustRun(t, Config{Bug: bug, Seed: seed, SeedSet: true})
	took := time.Since(start)
	failing := failingChecks(out.Report)
	expected := slices.ContainsFunc(failing, func(c string) bool { return slices.Contains(rec.Expect, c) })
	caught := out.Verdict == checker.Invalid && expected && took <= gateBudget
	recordDetection(bug, rec.Workload, seed, failing, took, caught)
	if !caught {
		var lines []string
		for _, c := range out.Report.Checks {
			lines = append(lines, fmt.Sprintf("%s=%s (%s)", c.Name, c.Verdict, c.Summary))
		}
		t.Errorf("bug %s seed %d: verdict %s in %s, failing %v, expected one of %v; run %s\n%s",
			bug, seed, out.Verdict, took.Round(time.Millisecond), failing, rec.Expect, out.Dir, strings.Join(lines, "\n"))
	}
}

// TestSeededBugGateFast is the part of the gate that runs in every go
// test: a few bugs, one seed each (slot-race and panic-holds-lock under
// their recipes' controlled scheduler). WARMCHECK_LONG=1 runs every bug over
// several seeds (TestSeededBugGateFull).
func TestSeededBugGateFast(t *testing.T) {
	for _, bug := range []string{"count-on-failed-store", "slot-race", "panic-holds-lock", "sync-skips-content"} {
		t.Run(bug, func(t *testing.T) { gateRun(t, bug, 1) })
	}
}

func TestSeededBugGateFull(t *testing.T) {
	if !long() {
		t.Skip("set WARMCHECK_LONG=1 for the full seeded-bug sweep")
	}
	for _, b := range store.Bugs() {
		for seed := int64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", b.Name, seed), func(t *testing.T) { gateRun(t, string(b.Name), seed) })
		}
	}
}

// TestEveryBugHasARecipe keeps the recipe table and the store's catalogue
// in step.
func TestEveryBugHasARecipe(t *testing.T) {
	bugs := store.Bugs()
	if len(bugs) == 0 {
		t.Fatal("the store's seeded-bug catalogue is empty")
	}
	for _, b := range bugs {
		if _, err := RecipeFor(string(b.Name)); err != nil {
			t.Errorf("bug %s has no recipe", b.Name)
		}
	}
	for _, r := range Recipes() {
		if !slices.ContainsFunc(bugs, func(b store.BugInfo) bool { return b.Name == r.Bug }) {
			t.Errorf("recipe for %s: no such bug in the store's catalogue", r.Bug)
		}
	}
	checks := map[string]bool{}
	for _, c := range checker.Checks() {
		checks[c.Name()] = true
	}
	for _, r := range Recipes() {
		for _, c := range r.Expect {
			if !checks[c] {
				t.Errorf("recipe for %s expects check %q, which the checker does not have", r.Bug, c)
			}
		}
	}
}

// noBugFaults are the faults the no-bug sweep covers in each mode.
var noBugFaults = map[string][]string{
	"inprocess": {"panic", "sleep", "compact", "grow-failure"},
	"process":   {"pause", "kill", "power-loss"},
}

// TestNoBugIsValidUnderFaults: without a bug every fault must give valid
// (no crying wolf). Fast: one short run per in-process fault. Long: every
// fault over 20 seeds.
func TestNoBugIsValidUnderFaults(t *testing.T) {
	seeds, ops := []int64{1}, 300
	modes := []string{"inprocess"}
	if long() {
		seeds, ops = nil, 1500
		for s := int64(1); s <= 20; s++ {
			seeds = append(seeds, s)
		}
		modes = append(modes, "process")
	}
	for _, mode := range modes {
		for _, fault := range noBugFaults[mode] {
			wl := "mixed"
			if mode == "process" {
				wl = "crash-recovery"
			}
			for _, seed := range seeds {
				t.Run(fmt.Sprintf("%s/%s/seed%d", mode, fault, seed), func(t *testing.T) {
					out := mustRun(t, Config{Workload: wl, Mode: mode, Nemeses: []string{fault}, Seed: seed, SeedSet: true, Ops: ops})
					if out.Verdict != checker.Valid {
						t.Errorf("no bug, fault %s, seed %d: verdict %s (failing %v); run %s",
							fault, seed, out.Verdict, failingChecks(out.Report), out.Dir)
					}
				})
			}
		}
	}
}

// serveChild is `warmcheck serve-store` inside the test binary.
func serveChild(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return client.ServeMain(ctx, args, os.Stderr)
}
