package main

import (
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/nemesis"
	"github.com/warmcheck/warmcheck/store"
	"github.com/warmcheck/warmcheck/workload"
)

func listed(t *testing.T, topic string) map[string]string {
	t.Helper()
	code, out := capture(t, "list", topic)
	if code != exitValid {
		t.Fatalf("list %s: exit %d", topic, code)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		name, desc, ok := strings.Cut(line, "\t")
		if !ok || name == "" || desc == "" {
			t.Fatalf("list %s: line %q is not name<TAB>description", topic, line)
		}
		got[name] = desc
	}
	return got
}

func TestListPrintsTheRegistries(t *testing.T) {
	w := listed(t, "workloads")
	for _, wl := range workload.All() {
		if !strings.Contains(w[wl.Name], wl.Description) {
			t.Errorf("list workloads: %s missing or without its description", wl.Name)
		}
	}
	if len(w) != len(workload.All()) {
		t.Errorf("list workloads: %d lines, registry has %d", len(w), len(workload.All()))
	}
	b := listed(t, "bugs")
	for _, bug := range store.Bugs() {
		d := b[string(bug.Name)]
		if !strings.Contains(d, bug.Description) || !strings.Contains(d, "workload=") {
			t.Errorf("list bugs: %s: %q lacks the description or the recipe", bug.Name, d)
		}
	}
	n := listed(t, "nemeses")
	for _, nm := range nemesis.All() {
		if n[nm.Name()] != nm.Description() {
			t.Errorf("list nemeses: %s: %q", nm.Name(), n[nm.Name()])
		}
	}
	c := listed(t, "checks")
	for _, ch := range checker.Checks() {
		if c[ch.Name()] == "" {
			t.Errorf("list checks: %s missing", ch.Name())
		}
	}
}

func TestListBadTopicExit3(t *testing.T) {
	for _, args := range [][]string{{"list"}, {"list", "nope"}, {"list", "bugs", "extra"}} {
		if code, _ := capture(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// On a terminal the description column starts at the same offset on every
// line; piped, every line is NAME<TAB>DESCRIPTION (TestListPrintsTheRegistries).
func TestListAlignsOnATerminal(t *testing.T) {
	var b strings.Builder
	w := listWriter(&b, true)
	if err := listNemeses(w); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	col := -1
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		if strings.Contains(line, "\t") {
			t.Fatalf("a tab on a terminal: %q", line)
		}
		name, _, _ := strings.Cut(line, " ")
		start := len(name) + len(line[len(name):]) - len(strings.TrimLeft(line[len(name):], " "))
		if col >= 0 && start != col {
			t.Errorf("description at column %d, want %d: %q", start, col, line)
		}
		col = start
	}
}
