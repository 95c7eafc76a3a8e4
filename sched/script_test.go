package sched

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// scripted runs tasks t0..t{n-1}, each passing points "a", "b", "c" and
// logging "i.x" after point x, under script; it returns the log.
func scripted(t *testing.T, n int, script ...Choice) ([]string, Result) {
	t.Helper()
	s := mustNew(t, Config{Mode: ModeScript, Script: script})
	var order []string
	for i := range n {
		mustGo(t, s, fmt.Sprintf("t%d", i), false, func() {
			for _, p := range []string{"a", "b", "c"} {
				s.Point(p)
				order = append(order, fmt.Sprintf("%d.%s", i, p))
			}
		})
	}
	r := s.Run()
	if r.Err != nil && !s.Abandon() {
		t.Fatalf("stuck tasks did not exit")
	}
	return order, r
}

func TestScriptIsFollowed(t *testing.T) {
	for _, tc := range []struct {
		script []Choice
		want   string
	}{
		// t1 stops at point b (before logging b), t0 runs to its end, t1 too.
		{[]Choice{{Task: "t1", Until: "b"}, {Task: "t0", Until: "exit"}, {Task: "t1", Until: "exit"}},
			"1.a 0.a 0.b 0.c 1.b 1.c"},
		{[]Choice{{Task: "t0", Until: "c"}, {Task: "t1", Until: "c"}, {Task: "t0", Until: "exit"}},
			"0.a 0.b 1.a 1.b 0.c 1.c"},
		// One step per choice: t1 starts and reaches a, t0 starts and
		// reaches a, t1 passes a and reaches b, t0 passes a and reaches b.
		{[]Choice{{Task: "t1"}, {Task: "t0"}, {Task: "t1"}, {Task: "t0"}, {Task: "t1"}},
			"1.a 0.a 1.b 0.b 0.c 1.c"},
	} {
		order, r := scripted(t, 2, tc.script...)
		if r.Err != nil {
			t.Fatalf("%v: %v", tc.script, r.Err)
		}
		if got := strings.Join(order, " "); got != tc.want {
			t.Fatalf("%v: order %s, want %s", tc.script, got, tc.want)
		}
		again, _ := scripted(t, 2, tc.script...)
		if !slices.Equal(order, again) {
			t.Fatalf("%v: two runs differ: %v, %v", tc.script, order, again)
		}
	}
}

// TestScriptDefaultAfterItsEnd: once the choices are done, the runnable
// task added first runs (to its end here, having no lock to block on).
func TestScriptDefaultAfterItsEnd(t *testing.T) {
	order, r := scripted(t, 3, Choice{Task: "t2", Until: "b"})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if got, want := strings.Join(order, " "), "2.a 0.a 0.b 0.c 1.a 1.b 1.c 2.b 2.c"; got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
}

func TestScriptThatCannotBeFollowedStopsWithItsReason(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script []Choice
		want   string
	}{
		{"unknown task", []Choice{{Task: "t0", Until: "b"}, {Task: "t7", Until: "exit"}},
			`choice 2 of 2 (t7 until exit): no task is named "t7"`},
		{"ended before its point", []Choice{{Task: "t0", Until: "d"}},
			`choice 1 of 1 (t0 until d): task "t0" ended (last point "exit") before reaching the point`},
		{"ended earlier", []Choice{{Task: "t0", Until: "exit"}, {Task: "t0", Until: "exit"}},
			`choice 2 of 2 (t0 until exit): task "t0" has ended`},
	} {
		_, r := scripted(t, 2, tc.script...)
		if !errors.Is(r.Err, ErrScript) || !strings.Contains(r.Err.Error(), tc.want) {
			t.Fatalf("%s: run ended with %v, want ErrScript with %q", tc.name, r.Err, tc.want)
		}
	}
}

// lockers runs "holder" (takes l at "lock l", then passes "held" and
// releases) and "waiter" (takes l) under script.
func lockers(t *testing.T, script ...Choice) ([]string, Result) {
	t.Helper()
	s := mustNew(t, Config{Mode: ModeScript, Script: script})
	var mu Mutex
	mu.Bind(s, "l")
	var order []string
	mustGo(t, s, "holder", false, func() {
		mu.Lock()
		s.Point("held")
		order = append(order, "holder")
		mu.Unlock()
	})
	mustGo(t, s, "waiter", false, func() {
		mu.Lock()
		order = append(order, "waiter")
		mu.Unlock()
	})
	r := s.Run()
	if r.Err != nil && !s.Abandon() {
		t.Fatalf("stuck tasks did not exit")
	}
	return order, r
}

func TestScriptNamingABlockedTask(t *testing.T) {
	// The waiter cannot take l while the holder holds it: an error naming
	// the lock and its holder, not a hang.
	_, r := lockers(t, Choice{Task: "holder", Until: "held"}, Choice{Task: "waiter", Until: "exit"})
	want := `choice 2 of 2 (waiter until exit): task "waiter" is blocked at "lock l" on lock "l" held by holder`
	if !errors.Is(r.Err, ErrScript) || !strings.Contains(r.Err.Error(), want) {
		t.Fatalf("run ended with %v, want ErrScript with %q", r.Err, want)
	}
	// UntilBlocked: the waiter's choice ends where it blocks, the holder
	// goes on, and the default lets the waiter finish.
	order, r := lockers(t, Choice{Task: "holder", Until: "held"}, Choice{Task: "waiter", Until: "exit", UntilBlocked: true},
		Choice{Task: "holder", Until: "exit"})
	if r.Err != nil || !slices.Equal(order, []string{"holder", "waiter"}) {
		t.Fatalf("until blocked: order %v, err %v", order, r.Err)
	}
	// A task blocked before its choice began is an error even with
	// UntilBlocked: the trail wanted it to take a step.
	_, r = lockers(t, Choice{Task: "holder", Until: "held"}, Choice{Task: "waiter", Until: "exit", UntilBlocked: true},
		Choice{Task: "waiter", Until: "exit", UntilBlocked: true})
	if !errors.Is(r.Err, ErrScript) || !strings.Contains(r.Err.Error(), "choice 3 of 3") {
		t.Fatalf("blocked before its choice: %v, want ErrScript at choice 3", r.Err)
	}
}

func TestScriptConfig(t *testing.T) {
	for _, c := range []Config{
		{Mode: ModeScript},
		{Mode: ModePCT, Script: []Choice{{Task: "t0"}}},
		{Mode: ModeScript, Script: []Choice{{Until: "exit"}}},
	} {
		if _, err := New(c); !errors.Is(err, ErrBadConfig) {
			t.Fatalf("%+v: %v, want ErrBadConfig", c, err)
		}
	}
	if got := (Config{Mode: ModeScript, Script: make([]Choice, 3)}).String(); got != "script choices=3" {
		t.Fatalf("String() = %q", got)
	}
}
